package checkout

import (
	"context"
	"errors"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// abandonedAfter is how long a reservation holds before a retry may take it over (the first
// request's process died).
const abandonedAfter = time.Minute

// ErrKeyReused means an Idempotency-Key came back with another request.
var ErrKeyReused = errors.New("checkout: idempotency key used with another request")

// ErrKeyBusy means the first request with this Idempotency-Key is still running.
var ErrKeyBusy = errors.New("checkout: idempotency key in use by a running request")

// ReserveIdempotencyKey claims a merchant's Idempotency-Key for a request whose hash is hash.
// It answers (nil, nil) when the caller should run the request and then Complete or Release
// the key; the remembered answer when the same request already ran; ErrKeyReused for another
// request. While the first request runs elsewhere it waits, up to wait, then answers ErrKeyBusy.
// The reservation is a row, so it holds across instances sharing one database.
func (s *Service) ReserveIdempotencyKey(ctx context.Context, merchantID, key, hash string, wait time.Duration) (*store.IdempotencyKey, error) {
	deadline := time.Now().Add(wait)
	for {
		var prev *store.IdempotencyKey
		err := s.store.Transact(ctx, func(tx store.Tx) error {
			now := s.now().UTC()
			k, err := tx.IdempotencyKey(ctx, merchantID, key)
			fresh := &store.IdempotencyKey{MerchantID: merchantID, Key: key, RequestHash: hash, CreatedAt: now}
			switch {
			case errors.Is(err, store.ErrNotFound):
				prev = nil
				return tx.CreateIdempotencyKey(ctx, fresh)
			case err != nil:
				return err
			case k.StatusCode == 0 && now.Sub(k.CreatedAt) > abandonedAfter:
				prev = nil
				return tx.UpdateIdempotencyKey(ctx, fresh)
			}
			prev = k
			return nil
		})
		if err != nil {
			return nil, wrapf("idempotency key", err)
		}
		switch {
		case prev == nil:
			return nil, nil
		case prev.RequestHash != hash:
			return nil, ErrKeyReused
		case prev.StatusCode != 0:
			return prev, nil
		case time.Now().After(deadline):
			return nil, ErrKeyBusy
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// CompleteIdempotencyKey remembers the answer of a reserved key.
func (s *Service) CompleteIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	return s.store.Transact(ctx, func(tx store.Tx) error { return tx.UpdateIdempotencyKey(ctx, k) })
}

// ReleaseIdempotencyKey forgets a reserved key whose request failed on our side, so that a
// retry runs again.
func (s *Service) ReleaseIdempotencyKey(ctx context.Context, merchantID, key string) error {
	return s.store.Transact(ctx, func(tx store.Tx) error { return tx.DeleteIdempotencyKey(ctx, merchantID, key) })
}

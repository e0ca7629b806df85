package domain

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// abandonedAfter is how long a reservation not bound to any object holds before a retry may
// take it over: every write a keyed request makes binds its key in the same transaction, so an
// unbound key's request committed nothing (and never called KakaoPay for money).
const abandonedAfter = time.Minute

// What a request bound its Idempotency-Key to (store.IdempotencyKey.ObjectType): the object it
// created or changed, and how. A retry whose first answer was never stored (a crash, a failed
// write) answers that object as the first request would have, and never acts a second time.
const (
	BoundRefund           = "refund"                         // a refund created, before KakaoPay's cancel
	BoundCharge           = "charge"                         // a charge created, before KakaoPay's payment
	BoundDeactivation     = "agreement"                      // an agreement's deactivation asked
	BoundCheckout         = "checkout"                       // a checkout created
	BoundExpiry           = "checkout.expire"                // a checkout expired
	BoundAttempt          = "attempt"                        // an attempt started at KakaoPay
	BoundLink             = "link"                           // a payment link created
	BoundLinkDeactivation = "link.deactivate"                // a payment link deactivated
	BoundEndpoint         = "webhook_endpoint"               // a webhook endpoint created
	BoundEndpointUpdate   = "webhook_endpoint.update"        // a webhook endpoint changed
	BoundSecretRotation   = "webhook_endpoint.rotate_secret" // a webhook endpoint's secret rotated
	BoundPing             = "ping"                           // a ping event sent to an endpoint
	BoundRedelivery       = "event.redeliver"                // an event queued for delivery again
	BoundMerchantUpdate   = "merchant.update"                // the merchant's settings changed
)

// ErrKeyReused means an Idempotency-Key came back with another request.
var ErrKeyReused = errors.New("idempotency key used with another request")

// ErrKeyBusy means the first request with this Idempotency-Key is still running.
var ErrKeyBusy = errors.New("idempotency key in use by a running request")

// Reservation is an Idempotency-Key held by one request. Whatever the request creates or changes
// binds it in the same transaction (Bind; a money object before KakaoPay is called), so that a
// retry answers that object instead of acting again. A nil *Reservation is a request without a
// key: binding it does nothing.
type Reservation struct {
	MerchantID string
	Key        string
	Owner      string
}

// Idempotency reserves merchants' Idempotency-Keys for their requests and keeps their answers.
type Idempotency struct {
	store store.Store
	clock Clock
}

// NewIdempotency returns the Idempotency-Keys kept in st.
func NewIdempotency(st store.Store, clock Clock) *Idempotency {
	return &Idempotency{store: st, clock: clock}
}

// Reserve claims a merchant's Idempotency-Key for a request whose hash is hash. It answers the
// held reservation when the caller should run the request; the row of the earlier request when
// it should be replayed (its stored answer, or the object it is bound to); ErrKeyReused for
// another request. While the first request runs elsewhere and has not bound an object yet it
// waits, up to wait, then answers ErrKeyBusy. The reservation is a row, so it holds across
// instances sharing one database.
func (s *Idempotency) Reserve(ctx context.Context, merchantID, key, hash string, wait time.Duration) (*Reservation, *store.IdempotencyKey, error) {
	deadline := time.Now().Add(wait)
	held := &Reservation{MerchantID: merchantID, Key: key, Owner: rand.Text()}
	for {
		prev, err := s.claim(ctx, held, hash)
		if err != nil {
			return nil, nil, fmt.Errorf("idempotency key: %w", err)
		}
		switch {
		case prev == nil:
			return held, nil, nil
		case prev.RequestHash != hash:
			return nil, nil, ErrKeyReused
		case prev.StatusCode != 0 || prev.ObjectID != "":
			return nil, prev, nil
		case time.Now().After(deadline):
			return nil, nil, ErrKeyBusy
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// claim writes held's row unless the key has one (answered: nil), or takes over a row abandoned
// by a request of the same hash; otherwise it answers the row there is.
func (s *Idempotency) claim(ctx context.Context, held *Reservation, hash string) (prev *store.IdempotencyKey, err error) {
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		now := s.clock.Now()
		k, err := tx.IdempotencyKey(ctx, held.MerchantID, held.Key)
		fresh := &store.IdempotencyKey{MerchantID: held.MerchantID, Key: held.Key, RequestHash: hash, Owner: held.Owner, CreatedAt: now}
		switch {
		case errors.Is(err, store.ErrNotFound):
			prev = nil
			return tx.CreateIdempotencyKey(ctx, fresh)
		case err != nil:
			return err
		case k.RequestHash == hash && k.StatusCode == 0 && k.ObjectID == "" && now.Sub(k.CreatedAt) > abandonedAfter:
			prev = nil
			return tx.UpdateIdempotencyKey(ctx, fresh)
		}
		prev = k
		return nil
	})
	return prev, err
}

// Complete remembers the answer of a held key, so that a retry replays it.
func (s *Idempotency) Complete(ctx context.Context, r *Reservation, status int, body []byte) error {
	Fault("idempotency.before_complete")
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		return tx.CompleteIdempotencyKey(ctx, &store.IdempotencyKey{MerchantID: r.MerchantID, Key: r.Key, Owner: r.Owner,
			StatusCode: status, Body: body})
	})
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// Release forgets a held key whose request committed nothing, so that a retry runs again. A key
// bound to an object is kept: its request did something (and may have reached KakaoPay), and a
// retry answers that object.
func (s *Idempotency) Release(ctx context.Context, r *Reservation) error {
	err := s.store.Transact(ctx, func(tx store.Tx) error { return tx.ReleaseIdempotencyKey(ctx, r.MerchantID, r.Key, r.Owner) })
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

// TransactBound runs fn in one transaction of st and binds key (nil: none) to the object fn
// writes, objectID as kind (Bind), in the same transaction: the object and its key commit
// together.
func TransactBound(ctx context.Context, st store.Store, key *Reservation, kind, objectID string, fn func(tx store.Tx) error) error {
	return st.Transact(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return Bind(ctx, tx, key, kind, objectID)
	})
}

// Bind binds a held key (nil: nothing to do) to the object tx creates or changes, as kind (a
// Bound… constant). Another request that took the key over (this one was thought dead) wins:
// tx fails, and this one does nothing.
func Bind(ctx context.Context, tx store.IdempotencyWriter, r *Reservation, kind, objectID string) error {
	if r == nil {
		return nil
	}
	err := tx.BindIdempotencyKey(ctx, &store.IdempotencyKey{MerchantID: r.MerchantID, Key: r.Key, Owner: r.Owner,
		ObjectType: kind, ObjectID: objectID})
	if errors.Is(err, store.ErrConflict) {
		return Conflict("idempotency_key_in_use", "another request with this Idempotency-Key took over; retry to see its outcome")
	}
	return err
}

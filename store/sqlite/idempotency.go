package sqlite

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

// CreateIdempotencyKey remembers an answer; a key already used is store.ErrConflict.
func (t txQueries) CreateIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO idempotency_keys (merchant_id, key, request_hash, status_code, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, k.MerchantID, k.Key, k.RequestHash, k.StatusCode, nonNil(k.Body), ms(k.CreatedAt))
	return wrap("create idempotency key", err)
}

// IdempotencyKey reads a remembered answer.
func (q queries) IdempotencyKey(ctx context.Context, merchantID, key string) (*store.IdempotencyKey, error) {
	var k store.IdempotencyKey
	var created int64
	err := q.q.QueryRowContext(ctx, `SELECT merchant_id, key, request_hash, status_code, body, created_at
		FROM idempotency_keys WHERE merchant_id = ? AND key = ?`, merchantID, key).Scan(
		&k.MerchantID, &k.Key, &k.RequestHash, &k.StatusCode, &k.Body, &created)
	if err != nil {
		return nil, wrap("idempotency key", err)
	}
	k.CreatedAt = fromMS(created)
	return &k, nil
}

// UpdateIdempotencyKey stores a key's answer, or renews its reservation.
func (t txQueries) UpdateIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	res, err := t.q.ExecContext(ctx, `UPDATE idempotency_keys SET request_hash = ?, status_code = ?, body = ?, created_at = ?
		WHERE merchant_id = ? AND key = ?`, k.RequestHash, k.StatusCode, nonNil(k.Body), ms(k.CreatedAt), k.MerchantID, k.Key)
	return wrap("update idempotency key", oneRow(res, err))
}

// DeleteIdempotencyKey forgets a key.
func (t txQueries) DeleteIdempotencyKey(ctx context.Context, merchantID, key string) error {
	_, err := t.q.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE merchant_id = ? AND key = ?`, merchantID, key)
	return wrap("delete idempotency key", err)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

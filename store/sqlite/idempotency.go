package sqlite

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

const idempotencyColumns = `merchant_id, key, request_hash, status_code, body, owner, object_type, object_id, created_at`

// CreateIdempotencyKey remembers an answer or a reservation; a key already used is store.ErrConflict.
func (t txQueries) CreateIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	_, err := t.exec(ctx, `INSERT INTO idempotency_keys (`+idempotencyColumns+`) VALUES (`+placeholders(9)+`)`,
		k.MerchantID, k.Key, k.RequestHash, k.StatusCode, nonNil(k.Body), k.Owner, k.ObjectType, k.ObjectID, ms(k.CreatedAt))
	return wrap("create idempotency key", err)
}

// IdempotencyKey reads a remembered answer or reservation.
func (q queries) IdempotencyKey(ctx context.Context, merchantID, key string) (*store.IdempotencyKey, error) {
	var k store.IdempotencyKey
	var created int64
	err := q.queryRow(ctx, `SELECT `+idempotencyColumns+` FROM idempotency_keys WHERE merchant_id = ? AND key = ?`,
		merchantID, key).Scan(&k.MerchantID, &k.Key, &k.RequestHash, &k.StatusCode, &k.Body, &k.Owner, &k.ObjectType, &k.ObjectID, &created)
	if err != nil {
		return nil, wrap("idempotency key", err)
	}
	k.CreatedAt = fromMS(created)
	return &k, nil
}

// UpdateIdempotencyKey replaces a key's row: a new reservation taking over an abandoned one.
func (t txQueries) UpdateIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	res, err := t.exec(ctx, `UPDATE idempotency_keys SET request_hash = ?, status_code = ?, body = ?, owner = ?,
		object_type = ?, object_id = ?, created_at = ? WHERE merchant_id = ? AND key = ?`,
		k.RequestHash, k.StatusCode, nonNil(k.Body), k.Owner, k.ObjectType, k.ObjectID, ms(k.CreatedAt), k.MerchantID, k.Key)
	return wrap("update idempotency key", oneRow(res, err))
}

// BindIdempotencyKey binds the reservation k.Owner holds to k.ObjectType and k.ObjectID; a
// reservation another request took over is store.ErrConflict.
func (t txQueries) BindIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	res, err := t.exec(ctx, `UPDATE idempotency_keys SET object_type = ?, object_id = ?
		WHERE merchant_id = ? AND key = ? AND owner = ? AND status_code = 0 AND object_id = ''`,
		k.ObjectType, k.ObjectID, k.MerchantID, k.Key, k.Owner)
	return wrap("bind idempotency key", guarded(res, err))
}

// CompleteIdempotencyKey stores the answer of the reservation k.Owner holds.
func (t txQueries) CompleteIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	res, err := t.exec(ctx, `UPDATE idempotency_keys SET status_code = ?, body = ?
		WHERE merchant_id = ? AND key = ? AND owner = ? AND status_code = 0`,
		k.StatusCode, nonNil(k.Body), k.MerchantID, k.Key, k.Owner)
	return wrap("complete idempotency key", guarded(res, err))
}

// ReleaseIdempotencyKey forgets the reservation owner holds, unless it is bound to an object.
func (t txQueries) ReleaseIdempotencyKey(ctx context.Context, merchantID, key, owner string) error {
	_, err := t.exec(ctx, `DELETE FROM idempotency_keys
		WHERE merchant_id = ? AND key = ? AND owner = ? AND status_code = 0 AND object_id = ''`, merchantID, key, owner)
	return wrap("release idempotency key", err)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

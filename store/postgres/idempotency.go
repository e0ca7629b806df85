package postgres

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

const idempotencyColumns = `merchant_id, key, request_hash, status_code, body, owner, object_type, object_id, created_at`

// CreateIdempotencyKey remembers an answer or a reservation; a key already used is store.ErrConflict.
func (t txQueries) CreateIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	_, err := t.db.Exec(ctx, `INSERT INTO idempotency_keys (`+idempotencyColumns+`) VALUES (`+placeholders(9)+`)`,
		k.MerchantID, k.Key, k.RequestHash, k.StatusCode, nonNil(k.Body), k.Owner, k.ObjectType, k.ObjectID, ms(k.CreatedAt))
	return t.wrap("create idempotency key", err)
}

// IdempotencyKey reads a remembered answer or reservation.
func (q queries) IdempotencyKey(ctx context.Context, merchantID, key string) (*store.IdempotencyKey, error) {
	var k store.IdempotencyKey
	var created int64
	err := q.db.QueryRow(ctx, `SELECT `+idempotencyColumns+` FROM idempotency_keys WHERE merchant_id = $1 AND key = $2`,
		merchantID, key).Scan(&k.MerchantID, &k.Key, &k.RequestHash, &k.StatusCode, &k.Body, &k.Owner, &k.ObjectType, &k.ObjectID, &created)
	if err != nil {
		return nil, q.wrap("idempotency key", err)
	}
	k.CreatedAt = fromMS(created)
	return &k, nil
}

// UpdateIdempotencyKey replaces a key's row: a new reservation taking over an abandoned one.
func (t txQueries) UpdateIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	tag, err := t.db.Exec(ctx, `UPDATE idempotency_keys SET request_hash = $1, status_code = $2, body = $3, owner = $4,
		object_type = $5, object_id = $6, created_at = $7 WHERE merchant_id = $8 AND key = $9`,
		k.RequestHash, k.StatusCode, nonNil(k.Body), k.Owner, k.ObjectType, k.ObjectID, ms(k.CreatedAt), k.MerchantID, k.Key)
	return t.wrap("update idempotency key", oneRow(tag, err))
}

// BindIdempotencyKey binds the reservation k.Owner holds to k.ObjectType and k.ObjectID; a
// reservation another request took over is store.ErrConflict.
func (t txQueries) BindIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	tag, err := t.db.Exec(ctx, `UPDATE idempotency_keys SET object_type = $1, object_id = $2
		WHERE merchant_id = $3 AND key = $4 AND owner = $5 AND status_code = 0 AND object_id = ''`,
		k.ObjectType, k.ObjectID, k.MerchantID, k.Key, k.Owner)
	return t.wrap("bind idempotency key", guarded(tag, err))
}

// CompleteIdempotencyKey stores the answer of the reservation k.Owner holds.
func (t txQueries) CompleteIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	tag, err := t.db.Exec(ctx, `UPDATE idempotency_keys SET status_code = $1, body = $2
		WHERE merchant_id = $3 AND key = $4 AND owner = $5 AND status_code = 0`,
		k.StatusCode, nonNil(k.Body), k.MerchantID, k.Key, k.Owner)
	return t.wrap("complete idempotency key", guarded(tag, err))
}

// ReleaseIdempotencyKey forgets the reservation owner holds, unless it is bound to an object.
func (t txQueries) ReleaseIdempotencyKey(ctx context.Context, merchantID, key, owner string) error {
	_, err := t.db.Exec(ctx, `DELETE FROM idempotency_keys
		WHERE merchant_id = $1 AND key = $2 AND owner = $3 AND status_code = 0 AND object_id = ''`, merchantID, key, owner)
	return t.wrap("release idempotency key", err)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

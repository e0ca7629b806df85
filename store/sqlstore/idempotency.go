package sqlstore

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

const idempotencyColumns = `merchant_id, key, request_hash, status_code, body, owner, object_type, object_id, created_at`

// CreateIdempotencyKey remembers an answer or a reservation; a key already used is store.ErrConflict.
func (t idempotencyWrites) CreateIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO idempotency_keys (`+idempotencyColumns+`) VALUES (`+placeholders(9)+`)`,
		k.MerchantID, k.Key, k.RequestHash, k.StatusCode, nonNil(k.Body), k.Owner, k.ObjectType, k.ObjectID, ms(k.CreatedAt))
	return t.wrap("create idempotency key", err)
}

// IdempotencyKey reads a remembered answer or reservation.
func (q idempotencyReads) IdempotencyKey(ctx context.Context, merchantID, key string) (*store.IdempotencyKey, error) {
	return one(ctx, q.runner, "idempotency key", scanIdempotencyKey,
		`SELECT `+idempotencyColumns+` FROM idempotency_keys WHERE merchant_id = ? AND key = ?`, merchantID, key)
}

func scanIdempotencyKey(s Row) (*store.IdempotencyKey, error) {
	var k store.IdempotencyKey
	var created int64
	if err := s.Scan(&k.MerchantID, &k.Key, &k.RequestHash, &k.StatusCode, &k.Body, &k.Owner, &k.ObjectType, &k.ObjectID, &created); err != nil {
		return nil, err
	}
	k.CreatedAt = fromMS(created)
	return &k, nil
}

// UpdateIdempotencyKey replaces a key's row: a new reservation taking over an abandoned one.
func (t idempotencyWrites) UpdateIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	return t.exec(ctx, "update idempotency key", `UPDATE idempotency_keys SET request_hash = ?, status_code = ?, body = ?, owner = ?,
		object_type = ?, object_id = ?, created_at = ? WHERE merchant_id = ? AND key = ?`,
		k.RequestHash, k.StatusCode, nonNil(k.Body), k.Owner, k.ObjectType, k.ObjectID, ms(k.CreatedAt), k.MerchantID, k.Key)
}

// BindIdempotencyKey binds the reservation k.Owner holds to k.ObjectType and k.ObjectID; a
// reservation another request took over is store.ErrConflict.
func (t idempotencyWrites) BindIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	return t.wrap("bind idempotency key", guarded(t.conn.Exec(ctx, `UPDATE idempotency_keys SET object_type = ?, object_id = ?
		WHERE merchant_id = ? AND key = ? AND owner = ? AND status_code = 0 AND object_id = ''`,
		k.ObjectType, k.ObjectID, k.MerchantID, k.Key, k.Owner)))
}

// CompleteIdempotencyKey stores the answer of the reservation k.Owner holds.
func (t idempotencyWrites) CompleteIdempotencyKey(ctx context.Context, k *store.IdempotencyKey) error {
	return t.wrap("complete idempotency key", guarded(t.conn.Exec(ctx, `UPDATE idempotency_keys SET status_code = ?, body = ?
		WHERE merchant_id = ? AND key = ? AND owner = ? AND status_code = 0`,
		k.StatusCode, nonNil(k.Body), k.MerchantID, k.Key, k.Owner)))
}

// ReleaseIdempotencyKey forgets the reservation owner holds, unless it is bound to an object.
func (t idempotencyWrites) ReleaseIdempotencyKey(ctx context.Context, merchantID, key, owner string) error {
	_, err := t.conn.Exec(ctx, `DELETE FROM idempotency_keys
		WHERE merchant_id = ? AND key = ? AND owner = ? AND status_code = 0 AND object_id = ''`, merchantID, key, owner)
	return t.wrap("release idempotency key", err)
}

// nonNil stores a missing body as an empty one: the column is NOT NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// PrunableKey is true of an Idempotency-Key row k unless it is bound to a money object whose
// outcome is still open (see store.Tx's PruneIdempotencyKeys): a backend's prune keeps those.
const PrunableKey = `NOT (k.object_type = 'refund' AND EXISTS (SELECT 1 FROM refunds r WHERE r.id = k.object_id AND r.status = 'pending'))
			AND NOT (k.object_type = 'charge' AND EXISTS (SELECT 1 FROM charges c WHERE c.id = k.object_id AND c.status IN ('pending', 'unknown')))
			AND NOT (k.object_type = 'agreement' AND EXISTS (SELECT 1 FROM agreements a WHERE a.id = k.object_id
				AND a.status = 'active' AND a.deactivate_requested_at > 0))
			AND NOT (k.object_type = 'attempt' AND EXISTS (SELECT 1 FROM attempts a WHERE a.id = k.object_id
				AND a.status IN ('ready', 'authenticating')))`

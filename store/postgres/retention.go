package postgres

import (
	"context"
	"time"
)

// PruneIdempotencyKeys deletes old keys but for those whose money object is unsettled (see
// store.Tx).
func (t txQueries) PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := t.db.Exec(ctx, `DELETE FROM idempotency_keys WHERE (merchant_id, key) IN (
		SELECT k.merchant_id, k.key FROM idempotency_keys k
		WHERE k.created_at < $1
			AND NOT (k.object_type = 'refund' AND EXISTS (SELECT 1 FROM refunds r WHERE r.id = k.object_id AND r.status = 'pending'))
			AND NOT (k.object_type = 'charge' AND EXISTS (SELECT 1 FROM charges c WHERE c.id = k.object_id AND c.status IN ('pending', 'unknown')))
			AND NOT (k.object_type = 'agreement' AND EXISTS (SELECT 1 FROM agreements a WHERE a.id = k.object_id
				AND a.status = 'active' AND a.deactivate_requested_at > 0))
			AND NOT (k.object_type = 'attempt' AND EXISTS (SELECT 1 FROM attempts a WHERE a.id = k.object_id
				AND a.status IN ('ready', 'authenticating')))
		ORDER BY k.created_at LIMIT $2)`, ms(before), limit)
	if err != nil {
		return 0, t.wrap("prune idempotency keys", err)
	}
	return int(tag.RowsAffected()), nil
}

// PruneDeliveries deletes old ended deliveries and their tries (see store.Tx), in one statement.
func (t txQueries) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int
	err := t.db.QueryRow(ctx, `WITH gone AS (
			DELETE FROM webhook_deliveries WHERE seq IN (
				SELECT seq FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < $1 ORDER BY updated_at, seq LIMIT $2)
			RETURNING id),
		tries AS (DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM gone))
		SELECT COUNT(*) FROM gone`, ms(before), limit).Scan(&n)
	if err != nil {
		return 0, t.wrap("prune deliveries", err)
	}
	return n, nil
}

// PruneEvents deletes old events no delivery names (see store.Tx).
func (t txQueries) PruneEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := t.db.Exec(ctx, `DELETE FROM events WHERE id IN (
		SELECT e.id FROM events e
		WHERE e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
		ORDER BY e.created_at LIMIT $2)`, ms(before), limit)
	if err != nil {
		return 0, t.wrap("prune events", err)
	}
	return int(tag.RowsAffected()), nil
}

package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// PruneIdempotencyKeys deletes old keys but for those whose money object is unsettled (see
// store.Tx).
func (t txQueries) PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM idempotency_keys WHERE rowid IN (
		SELECT k.rowid FROM idempotency_keys k
		WHERE k.created_at < ?
			AND NOT (k.object_type = 'refund' AND EXISTS (SELECT 1 FROM refunds r WHERE r.id = k.object_id AND r.status = 'pending'))
			AND NOT (k.object_type = 'charge' AND EXISTS (SELECT 1 FROM charges c WHERE c.id = k.object_id AND c.status IN ('pending', 'unknown')))
			AND NOT (k.object_type = 'agreement' AND EXISTS (SELECT 1 FROM agreements a WHERE a.id = k.object_id
				AND a.status = 'active' AND a.deactivate_requested_at > 0))
			AND NOT (k.object_type = 'attempt' AND EXISTS (SELECT 1 FROM attempts a WHERE a.id = k.object_id
				AND a.status IN ('ready', 'authenticating')))
		ORDER BY k.created_at LIMIT ?)`, ms(before), limit)
	return deleted("prune idempotency keys", res, err)
}

// PruneDeliveries deletes old ended deliveries and their tries (see store.Tx). Both statements
// pick the same rows: one transaction, ordered down to the unique seq.
func (t txQueries) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	_, err := t.exec(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN (`+
		`SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < ? ORDER BY updated_at, seq LIMIT ?)`, ms(before), limit)
	if err != nil {
		return 0, wrap("prune delivery attempts", err)
	}
	res, err := t.exec(ctx, `DELETE FROM webhook_deliveries WHERE seq IN (`+
		`SELECT seq FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < ? ORDER BY updated_at, seq LIMIT ?)`, ms(before), limit)
	return deleted("prune deliveries", res, err)
}

// PruneEvents deletes old events no delivery names (see store.Tx).
func (t txQueries) PruneEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM events WHERE rowid IN (
		SELECT e.rowid FROM events e
		WHERE e.created_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
		ORDER BY e.created_at LIMIT ?)`, ms(before), limit)
	return deleted("prune events", res, err)
}

// deleted is how many rows a DELETE removed.
func deleted(op string, res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, wrap(op, err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(op, err)
}

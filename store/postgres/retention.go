package postgres

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store/sqlstore"
)

// PruneIdempotencyKeys deletes old keys but for those whose money object is unsettled (see
// store.Tx).
func (t txQueries) PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := t.c.Exec(ctx, `DELETE FROM idempotency_keys WHERE (merchant_id, key) IN (
		SELECT k.merchant_id, k.key FROM idempotency_keys k
		WHERE k.created_at < $1 AND `+sqlstore.PrunableKey+`
		ORDER BY k.created_at LIMIT $2)`, before.UnixMilli(), limit)
	return int(n), t.c.Wrap("prune idempotency keys", err)
}

// PruneDeliveries deletes old ended deliveries and their tries (see store.Tx), in one statement.
func (t txQueries) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int
	err := t.c.QueryRow(ctx, `WITH gone AS (
			DELETE FROM webhook_deliveries WHERE seq IN (
				SELECT seq FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < $1 ORDER BY updated_at, seq LIMIT $2)
			RETURNING id),
		tries AS (DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM gone))
		SELECT COUNT(*) FROM gone`, before.UnixMilli(), limit).Scan(&n)
	if err != nil {
		return 0, t.c.Wrap("prune deliveries", err)
	}
	return n, nil
}

// PruneEvents deletes old events no delivery names (see store.Tx).
func (t txQueries) PruneEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := t.c.Exec(ctx, `DELETE FROM events WHERE id IN (
		SELECT e.id FROM events e
		WHERE e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
		ORDER BY e.created_at LIMIT $2)`, before.UnixMilli(), limit)
	return int(n), t.c.Wrap("prune events", err)
}

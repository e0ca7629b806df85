package sqlite

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store/sqlstore"
)

// PruneIdempotencyKeys deletes old keys but for those whose money object is unsettled (see
// store.Tx).
func (t txQueries) PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := t.c.Exec(ctx, `DELETE FROM idempotency_keys WHERE rowid IN (
		SELECT k.rowid FROM idempotency_keys k
		WHERE k.created_at < ? AND `+sqlstore.PrunableKey+`
		ORDER BY k.created_at LIMIT ?)`, before.UnixMilli(), limit)
	return int(n), wrap("prune idempotency keys", err)
}

// PruneDeliveries deletes old ended deliveries and their tries (see store.Tx). Both statements
// pick the same rows: one transaction, ordered down to the unique seq.
func (t txQueries) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	_, err := t.c.Exec(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN (`+
		`SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < ? ORDER BY updated_at, seq LIMIT ?)`, before.UnixMilli(), limit)
	if err != nil {
		return 0, wrap("prune delivery attempts", err)
	}
	n, err := t.c.Exec(ctx, `DELETE FROM webhook_deliveries WHERE seq IN (`+
		`SELECT seq FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < ? ORDER BY updated_at, seq LIMIT ?)`, before.UnixMilli(), limit)
	return int(n), wrap("prune deliveries", err)
}

// PruneEvents deletes old events no delivery names (see store.Tx).
func (t txQueries) PruneEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := t.c.Exec(ctx, `DELETE FROM events WHERE rowid IN (
		SELECT e.rowid FROM events e
		WHERE e.created_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
		ORDER BY e.created_at LIMIT ?)`, before.UnixMilli(), limit)
	return int(n), wrap("prune events", err)
}

package checkout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Retention of events and ended webhook deliveries: DefaultRetainEvents unless configured, and
// never less than MinRetainEvents, so that the deliveries of the last days are kept while an
// endpoint is judged by them (one that took none for 3 days is disabled).
const (
	DefaultRetainEvents = 90 * 24 * time.Hour
	MinRetainEvents     = 7 * 24 * time.Hour
)

// KeyRetention is how long an Idempotency-Key is kept, as Stripe keeps them: a retry within it
// replays the first answer. A key bound to a refund, charge, deactivation or attempt whose
// outcome is still open is kept until that outcome is settled, however old.
const KeyRetention = 24 * time.Hour

// retentionLease names the lease that makes one instance of all run the retention pass, and
// only once an hour: it is held, not released, for retentionEvery after a pass.
const (
	retentionLease = "retention"
	retentionEvery = time.Hour
)

// retention is how old pruned rows are, and how much of them one transaction and one pass delete.
type retention struct {
	events time.Duration
	// A transaction deletes batch rows, so that writers (SQLite has one) wait milliseconds for
	// it; a pass makes at most batches of them per table, so that a first pass over years of
	// rows does not hold up the reconciliation it runs in: the next sweep goes on.
	batch, batches int
}

// newRetention is the retention of events for RetainEvents (DefaultRetainEvents when zero).
func newRetention(events time.Duration) (retention, error) {
	if events == 0 {
		events = DefaultRetainEvents
	}
	if events < MinRetainEvents {
		return retention{}, fmt.Errorf("checkout: events must be kept at least %v, not %v: an endpoint is judged by its deliveries of the last 3 days", MinRetainEvents, events)
	}
	return retention{events: events, batch: 500, batches: 20}, nil
}

// retain prunes, once an hour on one instance, the Idempotency-Keys older than KeyRetention
// (but those of unsettled money), and the webhook deliveries that ended and the events older
// than the retention of events (but those a delivery still names). Checkouts, attempts,
// payments, refunds, agreements and charges are never pruned.
func (s *Service) retain(ctx context.Context, now time.Time) error {
	due, err := s.retentionDue(ctx, now)
	if err != nil || !due {
		return err
	}
	more, err := s.prune(ctx, now)
	if more && err == nil {
		s.leases.Release(ctx, retentionLease) // a backlog: the next sweep, anywhere, goes on
	}
	return err
}

// retentionDue takes the retention lease for an hour unless a pass, here or on another
// instance, took it less than an hour ago.
func (s *Service) retentionDue(ctx context.Context, now time.Time) (bool, error) {
	var due bool
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		due = false
		l, err := tx.Lease(ctx, retentionLease)
		switch {
		case err == nil && now.Before(l.ExpiresAt):
			return nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		due, err = s.leases.TakeIn(ctx, tx, retentionLease, retentionEvery)
		return err
	})
	if err != nil {
		return false, wrapf("retention", err)
	}
	return due, nil
}

// prune runs one pass: deliveries before events, so that the events they held go in the same
// pass. It reports whether a table has more to prune than the pass took.
func (s *Service) prune(ctx context.Context, now time.Time) (more bool, err error) {
	keys, events := now.Add(-KeyRetention), now.Add(-s.retention.events)
	steps := []struct {
		what string
		fn   func(tx store.Tx, limit int) (int, error)
	}{
		{"idempotency keys", func(tx store.Tx, limit int) (int, error) { return tx.PruneIdempotencyKeys(ctx, keys, limit) }},
		{"webhook deliveries", func(tx store.Tx, limit int) (int, error) { return tx.PruneDeliveries(ctx, events, limit) }},
		{"events", func(tx store.Tx, limit int) (int, error) { return tx.PruneEvents(ctx, events, limit) }},
	}
	for _, step := range steps {
		n, full, err := s.pruneBatches(ctx, step.fn)
		if n > 0 {
			s.log.InfoContext(ctx, "retention: pruned", "what", step.what, "rows", n)
		}
		if err != nil {
			return false, wrapf("retention: "+step.what, err)
		}
		more = more || full
	}
	return more, nil
}

// pruneBatches deletes with fn, a transaction of at most a batch each, until a batch comes
// short or the pass has made its batches (full).
func (s *Service) pruneBatches(ctx context.Context, fn func(tx store.Tx, limit int) (int, error)) (total int, full bool, err error) {
	for range s.retention.batches {
		var n int
		err := s.store.Transact(ctx, func(tx store.Tx) (err error) {
			n, err = fn(tx, s.retention.batch)
			return err
		})
		total += n
		if err != nil || n < s.retention.batch {
			return total, false, err
		}
	}
	return total, true, nil
}

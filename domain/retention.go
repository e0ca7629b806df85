package domain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// Retention prunes, once an hour on one instance of all, what every service writes and keeps
// only for a while: events, the webhook deliveries that ended, and Idempotency-Keys.
type Retention struct {
	store  store.Store
	leases *Leases
	clock  Clock
	log    *slog.Logger
	events time.Duration // how old pruned events and deliveries are
	// A transaction deletes batch rows, so that writers (SQLite has one) wait milliseconds for
	// it; a pass makes at most batches of them per table, so that a first pass over years of
	// rows does not hold up the reconciliation it runs in: the next sweep goes on.
	batch, batches int
}

// NewRetention is the retention of the rows in st that keeps events for events
// (DefaultRetainEvents when zero).
func NewRetention(st store.Store, events time.Duration, clock Clock, log *slog.Logger) (*Retention, error) {
	if events == 0 {
		events = DefaultRetainEvents
	}
	if events < MinRetainEvents {
		return nil, fmt.Errorf("retention: events must be kept at least %v, not %v: an endpoint is judged by its deliveries of the last 3 days", MinRetainEvents, events)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Retention{store: st, leases: NewLeases(st, clock, log), clock: clock, log: log, events: events, batch: 500, batches: 20}, nil
}

// Prune prunes, once an hour on one instance, the Idempotency-Keys older than KeyRetention
// (but those of unsettled money), and the webhook deliveries that ended and the events older
// than the retention of events (but those a delivery still names). Checkouts, attempts,
// payments, refunds, agreements and charges are never pruned. The server runs it with the
// reconciliation; at every call, it also forgets the leases that instances which died long ago
// left.
func (s *Retention) Prune(ctx context.Context) error {
	now := s.clock.Now()
	if err := s.store.Transact(ctx, func(tx store.Tx) error {
		_, err := tx.DropLapsedLeases(ctx, now.Add(-time.Hour))
		return err
	}); err != nil {
		return fmt.Errorf("retention: leases: %w", err)
	}
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
func (s *Retention) retentionDue(ctx context.Context, now time.Time) (bool, error) {
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
		return false, fmt.Errorf("retention: %w", err)
	}
	return due, nil
}

// prune runs one pass: deliveries before events, so that the events they held go in the same
// pass. It reports whether a table has more to prune than the pass took.
func (s *Retention) prune(ctx context.Context, now time.Time) (more bool, err error) {
	keys, events := now.Add(-KeyRetention), now.Add(-s.events)
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
			return false, fmt.Errorf("retention: %s: %w", step.what, err)
		}
		more = more || full
	}
	return more, nil
}

// pruneBatches deletes with fn, a transaction of at most a batch each, until a batch comes
// short or the pass has made its batches (full).
func (s *Retention) pruneBatches(ctx context.Context, fn func(tx store.Tx, limit int) (int, error)) (total int, full bool, err error) {
	for range s.batches {
		var n int
		err := s.store.Transact(ctx, func(tx store.Tx) (err error) {
			n, err = fn(tx, s.batch)
			return err
		})
		total += n
		if err != nil || n < s.batch {
			return total, false, err
		}
	}
	return total, true, nil
}

package domain

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// LeaseMargin is what a lease adds to the longest call made under it, so that it lapses only
// once the holder has surely given up.
const LeaseMargin = 5 * time.Second

// Leases take and give back named leases for one instance: a lease lets one instance over the
// database do a piece of work while the others leave it.
type Leases struct {
	store  store.Store
	holder string // this instance
	clock  Clock
	log    *slog.Logger
}

// NewLeases returns the leases of a new instance over st.
func NewLeases(st store.Store, clock Clock, log *slog.Logger) *Leases {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Leases{store: st, holder: NewID("inst"), clock: clock, log: log}
}

// Take takes the named lease for ttl, so that no other instance does the same work meanwhile;
// ok is false while another holds it. A holder that dies keeps it until ttl has passed, then
// another takes the work over.
func (l *Leases) Take(ctx context.Context, name string, ttl time.Duration) (release func(), ok bool, err error) {
	err = l.store.Transact(ctx, func(tx store.Tx) (err error) {
		ok, err = l.TakeIn(ctx, tx, name, ttl)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("lease: %w", err)
	}
	if !ok {
		return nil, false, nil
	}
	return func() { l.Release(ctx, name) }, true, nil
}

// Wait is Take, waiting up to wait (on the wall clock) while another instance holds the lease;
// past wait it answers a conflict with code busy.
func (l *Leases) Wait(ctx context.Context, name string, ttl, wait time.Duration, busy string) (release func(), err error) {
	deadline := time.Now().Add(wait)
	for {
		release, ok, err := l.Take(ctx, name, ttl)
		if err != nil || ok {
			return release, err
		}
		if time.Now().After(deadline) {
			return nil, Conflict(busy, "another request for this is under way; retry shortly")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TakeIn takes the named lease inside tx, with the state change it guards.
func (l *Leases) TakeIn(ctx context.Context, tx store.LeaseWriter, name string, ttl time.Duration) (bool, error) {
	now := l.clock.Now()
	return tx.TakeLease(ctx, &store.Lease{Name: name, Holder: l.holder, ExpiresAt: now.Add(ttl)}, now)
}

// ReleaseIn gives up this instance's lease of name inside tx, with the state change that ends
// the work it guarded: one commit instead of two.
func (l *Leases) ReleaseIn(ctx context.Context, tx store.LeaseWriter, name string) error {
	return tx.ReleaseLease(ctx, name, l.holder)
}

// Release gives up this instance's lease of name; when that fails the lease lapses.
func (l *Leases) Release(ctx context.Context, name string) {
	ctx = context.WithoutCancel(ctx)
	if err := l.store.Transact(ctx, func(tx store.Tx) error { return tx.ReleaseLease(ctx, name, l.holder) }); err != nil {
		l.log.WarnContext(ctx, "releasing a lease; it lapses", "lease", name, "err", err)
	}
}

// Stripes are mutexes picked by a key's hash: they spare one instance's requests on the same
// object from polling each other for a lease or a pending row, while the database is what
// serializes them across instances.
type Stripes [64]sync.Mutex

// Lock locks key's stripe and returns its unlock.
func (st *Stripes) Lock(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	mu := &st[h.Sum32()%uint32(len(st))]
	mu.Lock()
	return mu.Unlock
}

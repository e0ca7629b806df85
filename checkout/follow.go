package checkout

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// The backoff of FollowChanges between failed connections.
const (
	followFirst = 100 * time.Millisecond
	followMax   = 5 * time.Second
)

// FollowChanges hears, until ctx ends, of the checkouts other instances on the same database
// change, and treats each like a change of its own: the snapshot is dropped and the waiters
// wake. The server runs it; it returns at once when the store is not shared (SQLite). While it
// is not connected, snapshotTTL and the watchers still bring other instances' changes, slower.
func (s *Service) FollowChanges(ctx context.Context) {
	b, ok := s.store.(store.Broadcaster)
	if !ok {
		return
	}
	wait := followFirst
	for {
		connected := false
		err := b.Listen(ctx, func() { connected = true; s.resync() }, s.changed)
		s.following.Store(false)
		if ctx.Err() != nil {
			return
		}
		if connected {
			wait = followFirst
		}
		s.log.WarnContext(ctx, "checkout: not hearing other instances' changes; connecting again", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait/2 + rand.N(wait)):
		}
		wait = min(2*wait, followMax)
	}
}

// resync runs once the listener hears every later change: whatever changed before, while it
// was not listening, is read again, as every cached state is dropped and every waiter wakes to
// read its checkout.
func (s *Service) resync() {
	s.following.Store(true)
	// Dropped before the waiters are listed: one subscribing later reads after the drop.
	s.snaps.dropAll()
	for _, id := range s.notifier.subscribed() {
		s.notifier.Notify(id)
	}
}

package checkout

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"
)

// snapshotTTL bounds how long a cached state is answered without a query: changes made by this
// process, and those other instances announce (follow.go), drop it at once; this covers another
// instance's change while announcements are not heard.
const snapshotTTL = 2 * time.Second

// maxSnapshots bounds the cache, so that polls of many checkouts cannot grow memory without end.
const maxSnapshots = 20000

// snapshots caches checkout states for the status path, dropped by every change this process
// makes. A load that raced a change is not cached: each key's stripe counts its changes.
type snapshots struct {
	now func() time.Time

	mu       sync.Mutex
	m        map[string]snapshot
	changes  [256]uint64
	sweeping bool // a sweep of expired states is scheduled
}

type snapshot struct {
	st    *State
	until time.Time
}

func newSnapshots(now func() time.Time) *snapshots {
	return &snapshots{now: now, m: make(map[string]snapshot)}
}

func stripe(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % 256)
}

// get returns the cached state of id while it is valid, with the change count a load must
// present to put.
func (c *snapshots) get(id string, now time.Time) (*State, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[id]; ok && now.Before(s.until) {
		return s.st, 0
	}
	return nil, c.changes[stripe(id)]
}

// put caches st until until, unless id's stripe changed since gen was read.
func (c *snapshots) put(id string, st *State, gen uint64, until time.Time, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changes[stripe(id)] != gen {
		return
	}
	if len(c.m) >= maxSnapshots {
		for k, s := range c.m {
			if !now.Before(s.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxSnapshots {
			return
		}
	}
	c.m[id] = snapshot{st: st, until: until}
	if !c.sweeping {
		c.sweeping = true
		time.AfterFunc(snapshotTTL, c.sweep)
	}
}

// sweep forgets expired states, so that checkouts nobody polls any more hold no memory. It runs
// every snapshotTTL while the cache holds anything.
func (c *snapshots) sweep() {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, s := range c.m {
		if !now.Before(s.until) {
			delete(c.m, k)
		}
	}
	if len(c.m) == 0 {
		c.sweeping = false
		return
	}
	time.AfterFunc(snapshotTTL, c.sweep)
}

// drop forgets id's state after a change.
func (c *snapshots) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
	c.changes[stripe(id)]++
}

// dropAll forgets every state, when changes may have been missed.
func (c *snapshots) dropAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
	for i := range c.changes {
		c.changes[i]++
	}
}

// Snapshot returns a checkout's state for the status path: from memory while nothing changed,
// else read (expiring what is due) and remembered. The state is shared: callers must not
// modify it.
func (s *Service) Snapshot(ctx context.Context, id string) (*State, error) {
	now := s.clock.Now()
	st, gen := s.snaps.get(id, now)
	if st != nil {
		return st, nil
	}
	st, err := s.readOffStack(ctx, id)
	if err != nil {
		return nil, err
	}
	until := now.Add(snapshotTTL)
	if d := st.nextDeadline(); !d.IsZero() && d.Before(until) {
		until = d
	}
	s.snaps.put(id, st, gen, until, now)
	return st, nil
}

// changed records that a checkout's state changed: its snapshot is dropped and its waiters wake.
func (s *Service) changed(id string) {
	s.snaps.drop(id)
	s.notifier.Notify(id)
}

// changesIn is how long from now until the state changes by itself (its next deadline, and a
// little after, so that a look then finds it passed), or limit when that is sooner or never.
func (st *State) changesIn(now time.Time, limit time.Duration) time.Duration {
	if d := st.nextDeadline(); !d.IsZero() {
		return min(limit, max(d.Sub(now), 0)+10*time.Millisecond)
	}
	return limit
}

// nextDeadline is when the state changes by itself (the checkout or a live attempt expires),
// or zero. A checkout whose approval is being confirmed does not expire by itself: KakaoPay's
// answer changes it, and wakes its waiters.
func (st *State) nextDeadline() time.Time {
	if !st.Open() {
		return time.Time{}
	}
	var d time.Time
	if !slices.ContainsFunc(st.Attempts, inFlight) {
		d = st.Checkout.ExpiresAt
	}
	for _, a := range st.Attempts {
		if Live(a) && !inFlight(a) && (d.IsZero() || a.ExpiresAt.Before(d)) {
			d = a.ExpiresAt
		}
	}
	return d
}

// readOffStack reads a checkout's state on a short-lived goroutine. SQLite's deep frames grow the
// stack of the goroutine that runs them, and a long-poll then parks with that stack for up to
// 30 s: with 10,000 waiting polls this kept 30 MB of stacks (and 80 MB of RSS) for nothing.
func (s *Service) readOffStack(ctx context.Context, id string) (st *State, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("checkout: reading %s panicked: %v", id, p)
			}
		}()
		st, err = s.State(ctx, id)
	}()
	<-done
	return st, err
}

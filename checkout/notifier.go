package checkout

import (
	"sync"
	"sync/atomic"
	"time"
)

// Notifier wakes the status long-polls of a checkout when its state changes, in process; the
// PostgreSQL backend feeds it from LISTEN/NOTIFY so that every instance wakes.
type Notifier struct {
	mu      sync.Mutex
	chans   map[string]chan struct{}
	waiting atomic.Int64
	closed  chan struct{}
	once    sync.Once
}

// NewNotifier returns an empty Notifier.
func NewNotifier() *Notifier {
	return &Notifier{chans: make(map[string]chan struct{}), closed: make(chan struct{})}
}

// Subscribe returns a channel that is closed at the next Notify(key) or at Close.
func (n *Notifier) Subscribe(key string) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch, ok := n.chans[key]
	if !ok {
		ch = make(chan struct{})
		n.chans[key] = ch
	}
	return ch
}

// Notify wakes everyone subscribed to key.
func (n *Notifier) Notify(key string) {
	n.mu.Lock()
	ch, ok := n.chans[key]
	delete(n.chans, key)
	n.mu.Unlock()
	if ok {
		close(ch)
	}
}

// Close wakes every waiter for good, for a graceful shutdown.
func (n *Notifier) Close() { n.once.Do(func() { close(n.closed) }) }

// Closed is closed once Close was called.
func (n *Notifier) Closed() <-chan struct{} { return n.closed }

// Waiting tells how many long-polls are waiting now.
func (n *Notifier) Waiting() int64 { return n.waiting.Load() }

// throttle lets a KakaoPay order look-up for one tid happen at most once per interval.
type throttle struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func newThrottle() *throttle { return &throttle{last: make(map[string]time.Time)} }

// allow reports whether key may go now, and records it if so.
func (t *throttle) allow(key string, now time.Time, every time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.last[key]) < every {
		return false
	}
	if len(t.last) > 10000 {
		for k, v := range t.last {
			if now.Sub(v) > time.Minute {
				delete(t.last, k)
			}
		}
	}
	t.last[key] = now
	return true
}

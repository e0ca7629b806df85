package checkout

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Notifier wakes the status long-polls of a checkout when its state changes. A change another
// instance makes on a shared database reaches this one's waiters through the store's
// announcements (see follow.go), and else through the checkout's watcher, which re-reads a
// watched checkout's state (see watcher.go). A waiter costs a channel, shared by every waiter of
// the same checkout, or a function to call (a parked long-poll, see park.go), and nothing else.
type Notifier struct {
	mu      sync.Mutex
	topics  map[string]*topic
	waiting atomic.Int64
	closed  chan struct{}
	once    sync.Once
}

// topic is the channel the waiters of one checkout share until its next change.
type topic struct {
	ch    chan struct{}
	n     int     // subscriptions not cancelled yet
	calls []*call // those of SubscribeFunc among them
}

// call is one SubscribeFunc's function.
type call struct{ fn func() }

// NewNotifier returns an empty Notifier.
func NewNotifier() *Notifier {
	return &Notifier{topics: make(map[string]*topic), closed: make(chan struct{})}
}

// Subscribe returns a channel that is closed at the next Notify(key) or at Close, and the
// cancel that every exit path must call: the last cancel frees the key's entry.
func (n *Notifier) Subscribe(key string) (<-chan struct{}, func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	t, ok := n.topics[key]
	if !ok {
		t = &topic{ch: make(chan struct{})}
		n.topics[key] = t
	}
	t.n++
	var once sync.Once
	return t.ch, func() {
		once.Do(func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			if t.n--; t.n == 0 && n.topics[key] == t {
				delete(n.topics, key)
			}
		})
	}
}

// SubscribeFunc calls fn once, at the next Notify(key) or at Close, in the goroutine that
// notifies, unless the returned cancel comes first; never when Close came before it (see
// Closed). fn must not block. Every exit path must call cancel, as Subscribe's.
func (n *Notifier) SubscribeFunc(key string, fn func()) (cancel func()) {
	c := &call{fn: fn}
	n.mu.Lock()
	t, ok := n.topics[key]
	if !ok {
		t = &topic{ch: make(chan struct{})}
		n.topics[key] = t
	}
	t.n++
	t.calls = append(t.calls, c)
	n.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			t.calls = slices.DeleteFunc(t.calls, func(o *call) bool { return o == c })
			if t.n--; t.n == 0 && n.topics[key] == t {
				delete(n.topics, key)
			}
		})
	}
}

// Notify wakes everyone subscribed to key.
func (n *Notifier) Notify(key string) {
	n.mu.Lock()
	t, ok := n.topics[key]
	delete(n.topics, key)
	var calls []*call
	if ok {
		calls, t.calls = t.calls, nil
	}
	n.mu.Unlock()
	if ok {
		close(t.ch)
		for _, c := range calls {
			c.fn()
		}
	}
}

// Close wakes every waiter for good, for a graceful shutdown.
func (n *Notifier) Close() {
	n.once.Do(func() {
		n.mu.Lock()
		close(n.closed)
		var calls []*call
		for _, t := range n.topics {
			calls, t.calls = append(calls, t.calls...), nil
		}
		n.mu.Unlock()
		for _, c := range calls {
			c.fn()
		}
	})
}

// Closed is closed once Close was called.
func (n *Notifier) Closed() <-chan struct{} { return n.closed }

// Waiting tells how many long-polls are waiting now.
func (n *Notifier) Waiting() int64 { return n.waiting.Load() }

// subscribed lists the checkouts that have subscriptions now.
func (n *Notifier) subscribed() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Collect(maps.Keys(n.topics))
}

// keys tells how many checkouts have subscriptions, for tests of what is freed.
func (n *Notifier) keys() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.topics)
}

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

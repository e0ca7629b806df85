package web

import (
	"sync"
)

// WaitLimit caps the long-polls that may wait at once, in all and per key (a client address,
// a merchant), so that no client (or crowd) can hold every connection: over the cap a poll
// answers at once.
type WaitLimit struct {
	mu     sync.Mutex
	total  int
	byIP   map[string]int
	max    int
	maxPer int
}

// NewWaitLimit returns a WaitLimit of max waits in all and maxPer per key (20,000 and 100 when
// not positive).
func NewWaitLimit(max, maxPerIP int) *WaitLimit {
	if max <= 0 {
		max = 20000
	}
	if maxPerIP <= 0 {
		maxPerIP = 100
	}
	return &WaitLimit{byIP: make(map[string]int), max: max, maxPer: maxPerIP}
}

// Acquire takes a place for key (a client address, a merchant), and returns its release, or
// nil when the caps are full.
func (l *WaitLimit) Acquire(ip string) func() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.max || l.byIP[ip] >= l.maxPer {
		return nil
	}
	l.total++
	l.byIP[ip]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.total--
			if l.byIP[ip]--; l.byIP[ip] == 0 {
				delete(l.byIP, ip)
			}
		})
	}
}

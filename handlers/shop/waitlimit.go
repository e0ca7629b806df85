package shop

import (
	"sync"
)

// waitLimit caps the status long-polls that may wait at once, in all and per client address,
// so that no client (or crowd) can hold every connection: over the cap a poll answers at once.
type waitLimit struct {
	mu     sync.Mutex
	total  int
	byIP   map[string]int
	max    int
	maxPer int
}

func newWaitLimit(max, maxPerIP int) *waitLimit {
	if max <= 0 {
		max = 20000
	}
	if maxPerIP <= 0 {
		maxPerIP = 100
	}
	return &waitLimit{byIP: make(map[string]int), max: max, maxPer: maxPerIP}
}

// acquire takes a place for the client at ip, and returns its release, or nil when the caps
// are full.
func (l *waitLimit) acquire(ip string) func() {
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

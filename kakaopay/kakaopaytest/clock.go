package kakaopaytest

import (
	"sync"
	"time"
)

// Clock is a test clock that only moves when told.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// NewClock returns a clock that reads now until moved.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

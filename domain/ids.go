package domain

import (
	"crypto/rand"
	"time"
)

// NewID returns a fresh identifier such as "cs_4KQ…": the prefix and 128 random bits in
// base32 (crypto/rand.Text).
func NewID(prefix string) string { return prefix + "_" + rand.Text() }

// Clock is the services' time: what they record and decide by, in UTC and to the millisecond the
// store keeps (a test clock in tests; time.Now when nil). Waiting (a retry's deadline, a
// timer) runs on the wall clock whatever the Clock says, since a test clock does not move by
// itself.
type Clock func() time.Time

// Now is the time now.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now().UTC().Truncate(time.Millisecond)
	}
	return c().UTC().Truncate(time.Millisecond)
}

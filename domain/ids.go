package domain

import (
	"crypto/rand"
	"time"
)

// idDigits are crypto/rand.Text's 32 characters in byte order, so that ids sort as they were
// made.
const idDigits = "234567ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// NewID returns a fresh identifier such as "cs_4KQ…": the prefix, then 26 characters of
// crypto/rand.Text's alphabet: the first 10 hold the time in milliseconds, the other 16 hold 80
// random bits. Ids made later sort after, so the database appends each new row to the right end
// of its id index, where one commit's rows share pages, rather than writing to a random page per
// row; the random bits keep an id as hard to guess as a secret needs.
func NewID(prefix string) string {
	return newID(prefix, time.Now())
}

func newID(prefix string, now time.Time) string {
	b := make([]byte, 0, len(prefix)+27)
	b = append(b, prefix...)
	b = append(b, '_')
	ms := uint64(now.UnixMilli())
	for i := 9; i >= 0; i-- {
		b = append(b, idDigits[(ms>>(5*uint(i)))&31])
	}
	return string(append(b, rand.Text()[:16]...))
}

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

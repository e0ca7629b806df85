package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

const (
	upperHex   = "0123456789ABCDEF"
	lowerHex   = "0123456789abcdef"
	lowerAlnum = "0123456789abcdefghijklmnopqrstuvwxyz"
	digits     = "0123456789"
)

// randomString draws n characters from alphabet with crypto/rand, without modulo bias.
func randomString(alphabet string, n int) string {
	out := make([]byte, 0, n)
	limit := 256 - 256%len(alphabet)
	buf := make([]byte, 2*n)
	for len(out) < n {
		_, _ = rand.Read(buf) // never fails since Go 1.24
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// newID returns a 20-character KakaoPay id such as an aid "A…" or sid "S…".
func newID(prefix byte) string {
	return string(prefix) + randomString(upperHex, 19)
}

// newTID returns a tid not yet issued, "T" and 19 lower-case hex digits as KakaoPay's; the caller
// holds s.mu.
func (s *Sandbox) newTID() string {
	for {
		if tid := "T" + randomString(lowerHex, 19); s.payments[tid] == nil {
			return tid
		}
	}
}

func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// kst is Korea Standard Time, fixed so the sandbox does not depend on tzdata.
func kst() *time.Location { return time.FixedZone("KST", 9*60*60) }

// formatTime writes KakaoPay's zone-less Korea-time timestamp; the zero time is "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(kst()).Format("2006-01-02T15:04:05")
}

// defaultVat is KakaoPay's default VAT: the taxable part over 11, rounded.
func defaultVat(total, taxFree int64) int64 {
	return (2*(total-taxFree) + 11) / 22
}

// formatWon writes 11000 as "11,000".
func formatWon(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a delivery's timestamp may be from now when
// [Verify] is given a tolerance of 0.
const DefaultTolerance = 5 * time.Minute

// Verify checks header, the value of a delivery's Kpcheckout-Signature
// header, against the raw body and one secret of the endpoint. It succeeds if
// any v1 signature matches and the timestamp is no further than tolerance
// from now, in either direction; a tolerance of 0 or less means
// [DefaultTolerance]. The error wraps [ErrSecret], [ErrBadHeader],
// [ErrSignature] or [ErrTimestamp].
func Verify(secret, header string, body []byte, tolerance time.Duration) error {
	return VerifyAt(secret, header, body, tolerance, time.Now())
}

// VerifyAt is [Verify] with now given, for tests and replaying logs.
func VerifyAt(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	if _, err := standardKey(secret); err != nil {
		return err
	}
	s, err := parseHeader(header)
	if err != nil {
		return err
	}
	// The signature first: ErrTimestamp then means an authentic but stale delivery.
	if !anyEqual(mac([]byte(secret), s.ts, body), s.sigs) {
		return ErrSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(s.at).Abs(); d > tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now", ErrTimestamp, s.at.UTC().Format(time.RFC3339), d)
	}
	return nil
}

// signed is a parsed Kpcheckout-Signature header.
type signed struct {
	ts   string    // t as sent, which is what was signed
	at   time.Time // t as a time
	sigs [][]byte  // the decoded v1 signatures
}

// parseHeader parses "t=<unix>,v1=<hex>[,v1=<hex>…]". Spaces around items
// are allowed and unknown keys (a future v2) are skipped.
func parseHeader(header string) (signed, error) {
	var s signed
	if strings.TrimSpace(header) == "" {
		return signed{}, fmt.Errorf("%w: empty", ErrBadHeader)
	}
	for item := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return signed{}, fmt.Errorf("%w: item %q is not key=value", ErrBadHeader, item)
		}
		switch k {
		case "t":
			if s.ts != "" {
				return signed{}, fmt.Errorf("%w: more than one t", ErrBadHeader)
			}
			sec, err := strconv.ParseUint(v, 10, 63)
			if err != nil {
				return signed{}, fmt.Errorf("%w: t=%q is not unix seconds", ErrBadHeader, v)
			}
			s.ts, s.at = v, time.Unix(int64(sec), 0)
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return signed{}, fmt.Errorf("%w: v1=%q is not a hex HMAC-SHA256", ErrBadHeader, v)
			}
			s.sigs = append(s.sigs, sig)
		}
	}
	if s.ts == "" {
		return signed{}, fmt.Errorf("%w: no t", ErrBadHeader)
	}
	if len(s.sigs) == 0 {
		return signed{}, fmt.Errorf("%w: no v1", ErrBadHeader)
	}
	return s, nil
}

// anyEqual compares want with every signature in constant time.
func anyEqual(want []byte, sigs [][]byte) bool {
	ok := false
	for _, sig := range sigs {
		if hmac.Equal(want, sig) {
			ok = true
		}
	}
	return ok
}

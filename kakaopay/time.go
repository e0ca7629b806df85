package kakaopay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeLayout is KakaoPay's timestamp form: Korea time, no zone.
const timeLayout = "2006-01-02T15:04:05"

// kst is Korea Standard Time; a fixed zone, so tzdata is not needed.
func kst() *time.Location { return time.FixedZone("KST", 9*60*60) }

// Time is a KakaoPay timestamp. It decodes "2006-01-02T15:04:05" as Korea time
// (UTC+9), also RFC 3339 with a zone and fractional seconds; "" and null decode
// to the zero Time. It encodes in KakaoPay's form, and the zero Time as null.
type Time struct{ time.Time }

// MarshalJSON encodes t as Korea time without a zone, or null when zero.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.In(kst()).Format(timeLayout) + `"`), nil
}

// UnmarshalJSON decodes KakaoPay's timestamp forms.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("kakaopay: time %s: %w", b, err)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		*t = Time{}
		return nil
	}
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t.Time = v.In(kst())
		return nil
	}
	// Parsing accepts fractional seconds after the seconds field by itself.
	v, err := time.ParseInLocation(timeLayout, strings.Replace(s, " ", "T", 1), kst())
	if err != nil {
		return fmt.Errorf("kakaopay: time %q: %w", s, err)
	}
	t.Time = v
	return nil
}

// InstallMonth is a card instalment count (0 = paid in full). KakaoPay sends it
// as a string such as "00" in some answers and as a number in others; both
// decode, as do "" and null (0). It encodes as a number.
type InstallMonth int

// UnmarshalJSON decodes a number or a string of digits.
func (m *InstallMonth) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*m = 0
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("kakaopay: install_month %s: %w", b, err)
		}
		if s = strings.TrimSpace(s); s == "" {
			*m = 0
			return nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("kakaopay: install_month %s: %w", b, err)
	}
	*m = InstallMonth(n)
	return nil
}

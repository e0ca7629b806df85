package kakaopay_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/kakaopay"
)

func TestTimeUnmarshal(t *testing.T) {
	want := kst(2024, 3, 1, 9, 30, 0)
	tests := []struct {
		in   string
		want time.Time // zero: want the zero Time
	}{
		{`"2024-03-01T09:30:00"`, want},
		{`"2024-03-01 09:30:00"`, want},
		{`"2024-03-01T09:30:00.250"`, want.Add(250 * time.Millisecond)},
		{`"2024-03-01T00:30:00Z"`, want},
		{`"2024-03-01T09:30:00+09:00"`, want},
		{`"2024-03-01T00:30:00.5Z"`, want.Add(500 * time.Millisecond)},
		{`""`, time.Time{}},
		{`null`, time.Time{}},
	}
	for _, tt := range tests {
		var got kakaopay.Time
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || got.IsZero() != tt.want.IsZero() {
			t.Errorf("%s = %v, want %v", tt.in, got, tt.want)
		}
		if !got.IsZero() && got.Location().String() != "KST" {
			t.Errorf("%s: location %v, want KST", tt.in, got.Location())
		}
	}
	// The zone-less form is Korea time whatever the local zone is.
	var got kakaopay.Time
	if err := json.Unmarshal([]byte(`"2024-03-01T09:30:00"`), &got); err != nil || got.UTC().Format(time.RFC3339) != "2024-03-01T00:30:00Z" {
		t.Errorf("UTC = %v, %v", got.UTC(), err)
	}
	for _, in := range []string{`"yesterday"`, `"2024-13-01T00:00:00"`, `1709253000`, `{}`} {
		var got kakaopay.Time
		if err := json.Unmarshal([]byte(in), &got); err == nil || !strings.Contains(err.Error(), "kakaopay: time") {
			t.Errorf("%s: err = %v, want a kakaopay time error", in, err)
		}
	}
}

func TestTimeMarshal(t *testing.T) {
	type answer struct {
		At    kakaopay.Time `json:"at"`
		Never kakaopay.Time `json:"never"`
	}
	in := answer{At: kakaopay.Time{Time: time.Date(2024, 3, 1, 0, 30, 0, 0, time.UTC)}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"at":"2024-03-01T09:30:00","never":null}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	var out answer
	if err := json.Unmarshal(b, &out); err != nil || !out.At.Equal(in.At.Time) || !out.Never.IsZero() {
		t.Errorf("round trip = %+v, %v", out, err)
	}
}

func TestInstallMonth(t *testing.T) {
	for in, want := range map[string]kakaopay.InstallMonth{
		`"00"`: 0, `"03"`: 3, `"12"`: 12, `0`: 0, `3`: 3, `""`: 0, `null`: 0,
	} {
		var got kakaopay.InstallMonth
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("%s = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{`"x"`, `1.5`, `true`} {
		var got kakaopay.InstallMonth
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("%s: want an error", in)
		}
	}
	if b, _ := json.Marshal(kakaopay.InstallMonth(3)); string(b) != "3" {
		t.Errorf("Marshal = %s", b)
	}
}

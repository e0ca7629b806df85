package views

import "testing"

func TestWon(t *testing.T) {
	for _, tc := range []struct {
		lang   string
		amount int64
		want   string
	}{
		{"ko", 11000, "11,000원"}, {"en", 11000, "₩11,000"}, {"ko", 100, "100원"},
		{"ko", 2000000, "2,000,000원"}, {"en", 1234567, "₩1,234,567"}, {"en", -5000, "-₩5,000"},
	} {
		if got := (&Localizer{Lang: tc.lang}).Won(tc.amount); got != tc.want {
			t.Errorf("Won(%s, %d) = %q, want %q", tc.lang, tc.amount, got, tc.want)
		}
	}
}

package views

import (
	"testing"
)

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

func TestPluralForms(t *testing.T) {
	for _, tc := range []struct {
		lang  string
		count int
		want  string
	}{
		{"en", 1, "1 minute left to pay"}, {"en", 3, "3 minutes left to pay"},
		{"ko", 1, "결제 시간이 1분 남았어요"}, {"ko", 3, "결제 시간이 3분 남았어요"},
	} {
		l := localizer(t, tc.lang)
		if got := l.N("checkout.minutes_left", tc.count, map[string]any{"Minutes": tc.count}); got != tc.want {
			t.Errorf("%s %d: %q, want %q", tc.lang, tc.count, got, tc.want)
		}
	}
}

func TestRoParticle(t *testing.T) {
	for name, want := range map[string]string{"테스트 카페": "로", "김밥천국": "으로", "서울": "로", "상점": "으로", "Shop": "(으)로", "": "(으)로"} {
		if got := ro(name); got != want {
			t.Errorf("ro(%q) = %q, want %q", name, got, want)
		}
	}
}

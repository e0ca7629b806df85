package views

import (
	"testing"
	"time"
)

func TestWaitTextRoundsUp(t *testing.T) {
	for _, tc := range []struct {
		lang string
		wait time.Duration
		want string
	}{
		{"en", time.Millisecond, "1 second"}, {"en", 1500 * time.Millisecond, "2 seconds"},
		{"en", 59 * time.Second, "59 seconds"}, {"en", time.Minute, "1 minute"},
		{"en", 14*time.Minute + time.Second, "15 minutes"}, {"ko", 15 * time.Minute, "15분"}, {"ko", 8 * time.Second, "8초"},
	} {
		ctx := WithRequest(t.Context(), localizer(t, tc.lang), Site{})
		if got := waitText(ctx, tc.wait); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.lang, tc.wait, got, tc.want)
		}
	}
}

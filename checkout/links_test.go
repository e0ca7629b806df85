package checkout_test

import (
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
)

func TestLinkStateAt(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		l    store.Link
		paid int
		want checkout.LinkState
	}{
		{"reusable, paid often", store.Link{Active: true, Reusable: true}, 9, checkout.LinkActive},
		{"one-time, not paid", store.Link{Active: true}, 0, checkout.LinkActive},
		{"one-time, paid", store.Link{Active: true}, 1, checkout.LinkUsedUp},
		{"max uses reached", store.Link{Active: true, Reusable: true, MaxUses: 3}, 3, checkout.LinkUsedUp},
		{"max uses not reached", store.Link{Active: true, Reusable: true, MaxUses: 3}, 2, checkout.LinkActive},
		{"expires now", store.Link{Active: true, Reusable: true, ExpiresAt: now}, 0, checkout.LinkExpired},
		{"expires later", store.Link{Active: true, Reusable: true, ExpiresAt: now.Add(time.Second)}, 0, checkout.LinkActive},
		{"deactivated before anything else", store.Link{ExpiresAt: now.Add(-time.Hour)}, 1, checkout.LinkInactive},
		{"expired before used up", store.Link{Active: true, ExpiresAt: now.Add(-time.Hour)}, 1, checkout.LinkExpired},
	} {
		if got := checkout.LinkStateAt(&c.l, c.paid, now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

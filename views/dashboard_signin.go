package views

import (
	"context"
	"time"
)

// ChooseShopModel is the step of a sign-in whose password opens several shops' dashboards.
type ChooseShopModel struct {
	Action  string
	LangURL string
	Shops   []ShopChoice // oldest account first
}

// ShopChoice is one shop a sign-in may open.
type ShopChoice struct {
	Name  string // the merchant's display name
	Token string // the signed choice the form posts back
}

// waitText says how long to wait, rounded up: in seconds under a minute, else in minutes.
func waitText(ctx context.Context, d time.Duration) string {
	if d < time.Minute {
		n := max(int((d+time.Second-1)/time.Second), 1)
		return Tn(ctx, "dash.wait.seconds", n, map[string]any{"Count": n})
	}
	n := int((d + time.Minute - 1) / time.Minute)
	return Tn(ctx, "dash.wait.minutes", n, map[string]any{"Count": n})
}

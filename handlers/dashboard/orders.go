package dashboard

import (
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// orderTitle is what a checkout sold, as a merchant reads it: its first item ("아메리카노 외
// 1건" when there are more), else its description, else "". A link's checkout carries the link's
// items and description, so this is the link's title too.
func orderTitle(l *views.Localizer, c *store.Checkout) string {
	switch {
	case len(c.Items) > 1:
		return l.N("kakaopay.item_name_more", len(c.Items)-1, map[string]any{"First": c.Items[0].Name, "More": len(c.Items) - 1})
	case len(c.Items) == 1:
		return c.Items[0].Name
	}
	return c.Description
}

// customerOf is who bought, as the merchant's API said: the name and the e-mail, either, or "".
func customerOf(c *store.Checkout) string {
	switch {
	case c.CustomerName != "" && c.CustomerEmail != "":
		return c.CustomerName + " · " + c.CustomerEmail
	case c.CustomerName != "":
		return c.CustomerName
	}
	return c.CustomerEmail
}

// lastTryFailed reports whether an open checkout's latest payment try ended without a payment
// (failed, left or timed out): the list says 결제 대기 · 최근 시도 실패, not just 결제 대기.
func lastTryFailed(st *checkout.State) bool {
	a := st.Latest()
	return st.Open() && a != nil && !checkout.Live(a) && !checkout.Approved(a)
}

// refundRefusal is the refund form as it was typed, with why it was refused (localized): the
// payment's page shows it again beside the field, keeping what was typed.
type refundRefusal struct {
	amount, reason, message string
}

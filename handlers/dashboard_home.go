package handlers

import (
	"net/http"

	"github.com/kpcheckout/kpcheckout/views"
)

// chartDays is how many days the home's chart shows, today last.
const chartDays = 14

// showHome serves the dashboard's home: today's numbers and the last 14 days' paid and refunded
// amounts, in Korea's days.
func (h *Dashboard) showHome(w http.ResponseWriter, r *http.Request, u *dashUser) error {
	nav := h.nav(w, r, u, "home")
	totals, err := h.svc.DailyTotals(r.Context(), u.MerchantID, chartDays, h.seoul)
	if err != nil {
		return err
	}
	m := views.DashHomeModel{Nav: nav}
	for _, d := range totals {
		m.Days = append(m.Days, views.DashDay{Day: d.Day, Paid: d.PaidAmount, Refunded: d.RefundedAmount, PaidCount: d.Paid, OpenedCheckout: d.Opened})
	}
	if n := len(totals); n > 0 {
		today := totals[n-1]
		m.PaidCount, m.PaidAmount, m.RefundedAmount, m.Opened = today.Paid, today.PaidAmount, today.RefundedAmount, today.Opened
	}
	ctx, _ := h.pageContext(w, r)
	h.shop.render(w, r, ctx, http.StatusOK, views.DashHome(m))
	return nil
}

// nav is the top of a signed-in page: the user's merchant and e-mail.
func (h *Dashboard) nav(w http.ResponseWriter, r *http.Request, u *dashUser, active string) views.DashNav {
	lang := h.shop.lang(w, r, "")
	return views.DashNav{Merchant: u.Merchant.Name, Email: u.Email, Owner: u.Owner(), Active: active, LangURL: langURL(r, lang)}
}

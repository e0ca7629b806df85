package handlers

import (
	"net/http"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// chartDays is how many days the home's chart shows, today last.
const chartDays = 14

// showHome serves the dashboard's home: today's numbers and the last 14 days' paid and refunded
// amounts, in Korea's days.
func (h *Dashboard) showHome(w http.ResponseWriter, r *http.Request, u *store.User) error {
	nav, err := h.nav(w, r, u, "home")
	if err != nil {
		return err
	}
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
func (h *Dashboard) nav(w http.ResponseWriter, r *http.Request, u *store.User, active string) (views.DashNav, error) {
	m, err := h.svc.MerchantByID(r.Context(), u.MerchantID)
	if err != nil {
		return views.DashNav{}, err
	}
	lang := h.shop.lang(w, r, "")
	return views.DashNav{Merchant: m.Name, Email: u.Email, Active: active, LangURL: langURL(r, lang)}, nil
}

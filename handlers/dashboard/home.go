package dashboard

import (
	"net/http"
	"net/url"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/views"
)

// chartDays is how many days the home's chart shows, today last.
const chartDays = 14

// ShowHome serves the dashboard's home: today's numbers and the last 14 days' paid and refunded
// amounts, in Korea's days.
func (h *Handler) ShowHome(w http.ResponseWriter, r *http.Request, u *User) error {
	nav := h.nav(w, r, u, "home")
	totals, err := h.payments.DailyTotals(r.Context(), u.Merchant, chartDays, h.seoul)
	if err != nil {
		return err
	}
	m := views.DashHomeModel{Nav: nav}
	var days []time.Time
	for _, d := range totals {
		days = append(days, d.Day)
		m.Days = append(m.Days, views.DashDay{Day: d.Day, Paid: d.PaidAmount, Refunded: d.RefundedAmount, PaidCount: d.Paid, OpenedCheckout: d.Opened})
	}
	m.MoneyCSVURL = h.moneyCSVURL(days)
	if n := len(totals); n > 0 {
		today := totals[n-1]
		m.PaidCount, m.PaidAmount, m.RefundedAmount, m.Opened = today.Paid, today.PaidAmount, today.RefundedAmount, today.Opened
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashHome(m))
	return nil
}

// nav is the top of a signed-in page: the user's merchant and e-mail.
func (h *Handler) nav(w http.ResponseWriter, r *http.Request, u *User, active string) views.DashNav {
	lang := h.pages.Lang(w, r, "")
	switchTo := web.LangURL(r, lang)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// A page that answers a form: its own address has no page to switch to, so the
		// language switch goes to its section's.
		switchTo = web.LangURL(&http.Request{URL: &url.URL{Path: dashSections[active]}}, lang)
	}
	return views.DashNav{Merchant: u.Merchant.Name, Email: u.Email, Owner: u.Owner(), Active: active, LangURL: switchTo}
}

// dashSections are the menu's pages, by section.
var dashSections = map[string]string{
	"": "/dashboard", "home": "/dashboard", "checkouts": "/dashboard/checkouts", "agreements": "/dashboard/agreements",
	"links": "/dashboard/links", "webhooks": "/dashboard/webhooks", "keys": "/dashboard/keys", "users": "/dashboard/users",
	"settings": "/dashboard/settings", "account": "/dashboard/account",
}

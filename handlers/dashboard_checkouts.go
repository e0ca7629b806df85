package handlers

import (
	"net/http"
	"net/url"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// dashPageSize is how many checkouts a page of the list shows.
const dashPageSize = 50

// dashStatuses are the list's filter choices.
var dashStatuses = []string{string(checkout.StatusOpen), string(checkout.StatusPaid), string(checkout.StatusExpired), string(checkout.StatusCanceled)}

// listCheckouts serves /dashboard/checkouts?status=&starting_after=: the user's merchant's
// checkouts, newest first, 50 a page.
func (h *Dashboard) listCheckouts(w http.ResponseWriter, r *http.Request, u *store.User) error {
	q := r.URL.Query()
	status := q.Get("status")
	if _, ok := checkout.ParseCheckoutStatus(status); status != "" && !ok {
		return invalidParam("parameter_invalid", "status must be open, paid, expired or canceled", "status")
	}
	m, err := h.svc.MerchantByID(r.Context(), u.MerchantID)
	if err != nil {
		return err
	}
	after := q.Get("starting_after")
	if after != "" {
		if _, err := h.svc.MerchantState(r.Context(), m, after); err != nil {
			return invalidParam("parameter_invalid", "starting_after is not one of your checkouts", "starting_after")
		}
	}
	list, more, err := h.svc.List(r.Context(), m, store.ListCheckouts{Status: status, StartingAfter: after, Limit: dashPageSize})
	if err != nil {
		return err
	}
	nav, err := h.nav(w, r, u, "checkouts")
	if err != nil {
		return err
	}
	p := views.DashCheckoutsModel{Nav: nav, Status: status, Statuses: dashStatuses}
	for _, st := range list {
		row := views.DashCheckoutRow{ID: st.Checkout.ID, Status: st.Checkout.Status, Reference: st.Checkout.Reference,
			Amount: st.Checkout.Amount, CreatedAt: st.Checkout.CreatedAt}
		if st.Payment != nil {
			row.Refunded = st.Payment.RefundedAmount
		}
		p.Rows = append(p.Rows, row)
	}
	if more && len(list) > 0 {
		next := url.Values{"starting_after": {list[len(list)-1].Checkout.ID}}
		if status != "" {
			next.Set("status", status)
		}
		p.NextURL = dashURL("/dashboard/checkouts", next)
	}
	ctx, _ := h.pageContext(w, r)
	h.shop.render(w, r, ctx, http.StatusOK, views.DashCheckouts(p))
	return nil
}

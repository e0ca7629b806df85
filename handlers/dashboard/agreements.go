package dashboard

import (
	"net/http"
	"net/url"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// agreementStatuses are the agreements list's filter choices.
var agreementStatuses = checkout.AgreementStatuses()

// ListAgreements serves /dashboard/agreements?status=&starting_after=: the user's merchant's
// recurring agreements, newest first, 50 a page, each with its last charge and a link to the
// checkout that set it up.
func (h *Handler) ListAgreements(w http.ResponseWriter, r *http.Request, u *User) error {
	m := u.Merchant
	q := r.URL.Query()
	status := q.Get("status")
	after, err := web.StartingAfter(r, m, "agreements", h.payments.Agreement)
	if err != nil {
		return err
	}
	list, more, err := h.payments.Agreements(r.Context(), m, store.ListAgreements{Status: status, StartingAfter: after, Limit: dashPageSize})
	if err != nil {
		return err
	}
	p := views.DashAgreementsModel{Nav: h.nav(w, r, u, "agreements"), Status: status, Choices: agreementStatuses}
	for _, ag := range list {
		row := views.DashAgreementRow{ID: ag.ID, CheckoutID: ag.CheckoutID, Status: ag.Status, CreatedAt: ag.CreatedAt,
			Deactivating: checkout.Deactivating(ag)}
		last, _, err := h.payments.Charges(r.Context(), m, store.ListCharges{AgreementID: ag.ID, Limit: 1})
		if err != nil {
			return err
		}
		if len(last) > 0 {
			c := chargeRow(last[0])
			row.LastCharge = &c
		}
		p.Rows = append(p.Rows, row)
	}
	if more && len(list) > 0 {
		next := url.Values{"starting_after": {list[len(list)-1].ID}}
		if status != "" {
			next.Set("status", status)
		}
		p.NextURL = dashURL("/dashboard/agreements", next)
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashAgreements(p))
	return nil
}

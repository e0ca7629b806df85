package handlers

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// dashPageSize is how many checkouts a page of the list shows.
const dashPageSize = 50

// dashStatuses are the list's filter choices.
var dashStatuses = []string{string(checkout.StatusOpen), string(checkout.StatusPaid), string(checkout.StatusExpired), string(checkout.StatusCanceled)}

// checkoutFilter reads the list's filter (?status=, ?q=) for the user's merchant.
func (h *Dashboard) checkoutFilter(r *http.Request, u *dashUser) (*store.Merchant, store.ListCheckouts, error) {
	q := r.URL.Query()
	f := store.ListCheckouts{Status: q.Get("status"), Search: strings.TrimSpace(q.Get("q"))}
	if _, ok := checkout.ParseCheckoutStatus(f.Status); f.Status != "" && !ok {
		return nil, f, invalidParam("parameter_invalid", "status must be open, paid, expired or canceled", "status")
	}
	return u.Merchant, f, nil
}

// listCheckouts serves /dashboard/checkouts?status=&starting_after=: the user's merchant's
// checkouts, newest first, 50 a page.
func (h *Dashboard) listCheckouts(w http.ResponseWriter, r *http.Request, u *dashUser) error {
	m, f, err := h.checkoutFilter(r, u)
	if err != nil {
		return err
	}
	status, search := f.Status, f.Search
	q := r.URL.Query()
	after := q.Get("starting_after")
	if after != "" {
		if _, err := h.svc.MerchantState(r.Context(), m, after); err != nil {
			return invalidParam("parameter_invalid", "starting_after is not one of your checkouts", "starting_after")
		}
	}
	list, more, err := h.svc.List(r.Context(), m, store.ListCheckouts{Status: status, Search: search, StartingAfter: after, Limit: dashPageSize})
	if err != nil {
		return err
	}
	nav := h.nav(w, r, u, "checkouts")
	filter := url.Values{}
	if status != "" {
		filter.Set("status", status)
	}
	if search != "" {
		filter.Set("q", search)
	}
	p := views.DashCheckoutsModel{Nav: nav, Status: status, Search: search, Statuses: dashStatuses,
		CSVURL: dashURL("/dashboard/checkouts.csv", filter)}
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
		for k, v := range filter {
			next[k] = v
		}
		p.NextURL = dashURL("/dashboard/checkouts", next)
	}
	ctx, _ := h.pageContext(w, r)
	h.shop.render(w, r, ctx, http.StatusOK, views.DashCheckouts(p))
	return nil
}

// csvExportMax bounds one export; a merchant narrows it with the filter.
const csvExportMax = 10000

// exportCheckouts serves /dashboard/checkouts.csv?status=&q=: the filtered checkouts for the
// merchant's accounting, newest first, as CSV in UTF-8 with a BOM (so that Excel reads Korean),
// amounts as whole won and times in Asia/Seoul. A cell that a spreadsheet would read as a formula
// is quoted with a leading apostrophe.
func (h *Dashboard) exportCheckouts(w http.ResponseWriter, r *http.Request, u *dashUser) error {
	m, f, err := h.checkoutFilter(r, u)
	if err != nil {
		return err
	}
	ctx, _ := h.pageContext(w, r)
	l := views.L(ctx)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="checkouts.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cw.Write([]string{l.T("dash.csv.id", nil), l.T("dash.csv.reference", nil), l.T("dash.csv.status", nil), l.T("dash.csv.amount", nil),
		l.T("dash.csv.refunded", nil), l.T("dash.csv.customer_email", nil), l.T("dash.csv.created_at", nil), l.T("dash.csv.paid_at", nil)})
	after, n := "", 0
	for n < csvExportMax {
		f.StartingAfter, f.Limit = after, 100
		list, more, err := h.svc.List(r.Context(), m, f)
		if err != nil {
			return err
		}
		for _, st := range list {
			c := st.Checkout
			var refunded int64
			paidAt := ""
			if p := st.Payment; p != nil {
				refunded, paidAt = p.RefundedAmount, p.ApprovedAt.In(h.seoul).Format("2006-01-02 15:04:05")
			}
			cw.Write([]string{c.ID, cellSafe(c.Reference), c.Status, strconv.FormatInt(c.Amount, 10), strconv.FormatInt(refunded, 10),
				cellSafe(c.CustomerEmail), c.CreatedAt.In(h.seoul).Format("2006-01-02 15:04:05"), paidAt})
			after = c.ID
			n++
		}
		if !more || len(list) == 0 {
			break
		}
	}
	cw.Flush()
	return cw.Error()
}

// cellSafe keeps a spreadsheet from reading a merchant's or shopper's text as a formula.
func cellSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

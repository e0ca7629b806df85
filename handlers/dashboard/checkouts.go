package dashboard

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// dashPageSize is how many checkouts a page of the list shows.
const dashPageSize = 50

// dashStatuses are the list's filter choices.
var dashStatuses = checkout.CheckoutStatuses()

// checkoutFilter reads the list's filter for the user's merchant: ?status=, ?q= (a checkout id,
// the start of a reference, or a customer's e-mail) and ?from=&to= (days in Korea, both
// included). It returns the filter for the store and the same filter as a query, for the next
// page's link and the CSV export.
func (h *Handler) checkoutFilter(r *http.Request) (store.ListCheckouts, url.Values, error) {
	q := r.URL.Query()
	f := store.ListCheckouts{Status: q.Get("status"), Search: strings.TrimSpace(q.Get("q"))}
	if _, ok := checkout.ParseCheckoutStatus(f.Status); f.Status != "" && !ok {
		return f, nil, web.Invalid("parameter_invalid", "status must be open, paid, expired or canceled", "status")
	}
	day := func(name string) (time.Time, error) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return time.Time{}, nil
		}
		d, err := time.ParseInLocation(time.DateOnly, v, h.seoul)
		if err != nil {
			return d, web.Invalid("date_invalid", name+" must be a date: YYYY-MM-DD", name)
		}
		if d.Year() < 2000 || d.After(h.clock.Now().AddDate(domain.MaxYearsAhead, 0, 0)) {
			return d, web.Invalidf("date_out_of_range", name, "%s must be from 2000-01-01 to %d years ahead", name, domain.MaxYearsAhead)
		}
		return d, nil
	}
	from, err := day("from")
	if err != nil {
		return f, nil, err
	}
	to, err := day("to")
	if err != nil {
		return f, nil, err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return f, nil, web.Invalid("date_range_invalid", "to must not be before from", "to")
	}
	filter := url.Values{}
	if f.Status != "" {
		filter.Set("status", f.Status)
	}
	if f.Search != "" {
		filter.Set("q", f.Search)
	}
	if !from.IsZero() {
		f.CreatedFrom = from
		filter.Set("from", from.Format(time.DateOnly))
	}
	if !to.IsZero() {
		f.CreatedBefore = to.AddDate(0, 0, 1)
		filter.Set("to", to.Format(time.DateOnly))
	}
	return f, filter, nil
}

// ListCheckouts serves /dashboard/checkouts?status=&q=&from=&to=&starting_after=: the user's
// merchant's checkouts, newest first, 50 a page.
func (h *Handler) ListCheckouts(w http.ResponseWriter, r *http.Request, u *User) error {
	m := u.Merchant
	f, filter, err := h.checkoutFilter(r)
	if err != nil {
		return err
	}
	after, err := web.StartingAfter(r, m, "checkouts", h.checkouts.Checkout)
	if err != nil {
		return err
	}
	f.StartingAfter, f.Limit = after, dashPageSize
	list, more, err := h.checkouts.Checkouts(r.Context(), m, f)
	if err != nil {
		return err
	}
	ctx, _ := h.pageContext(w, r)
	p := views.DashCheckoutsModel{Nav: h.nav(w, r, u, "checkouts"), Status: f.Status, Search: f.Search, From: filter.Get("from"), To: filter.Get("to"),
		Statuses: dashStatuses, CSVURL: dashURL("/dashboard/checkouts.csv", filter)}
	for _, st := range list {
		row, err := h.orderRow(r, views.L(ctx), st)
		if err != nil {
			return err
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
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashCheckouts(p))
	return nil
}

// orderRow is a checkout as the list shows it: an order. An open one is read with its tries
// (the list reads only a paid one's), to say whether its last try failed.
func (h *Handler) orderRow(r *http.Request, l *views.Localizer, st *checkout.State) (views.DashCheckoutRow, error) {
	if st.Open() && st.Attempts == nil {
		full, err := h.checkouts.Checkout(r.Context(), st.Merchant, st.Checkout.ID)
		if err != nil {
			return views.DashCheckoutRow{}, err
		}
		st = full
	}
	c := st.Checkout
	row := views.DashCheckoutRow{ID: c.ID, Status: c.Status, Reference: c.Reference, Title: orderTitle(l, c), LinkID: c.LinkID,
		Customer: customerOf(c), Amount: c.Amount, CreatedAt: c.CreatedAt, LastTryFailed: lastTryFailed(st)}
	if st.Payment != nil {
		row.Refunded = st.Payment.RefundedAmount
	}
	return row, nil
}

// csvExportMax bounds one export; a merchant narrows it with the filter.
const csvExportMax = 10000

// ExportCheckouts serves /dashboard/checkouts.csv?status=&q=&from=&to=: the filtered checkouts for the
// merchant's accounting, newest first, as CSV in UTF-8 with a BOM (so that Excel reads Korean),
// amounts as whole won and times in Asia/Seoul. A cell that a spreadsheet would read as a formula
// is quoted with a leading apostrophe.
func (h *Handler) ExportCheckouts(w http.ResponseWriter, r *http.Request, u *User) error {
	m := u.Merchant
	f, _, err := h.checkoutFilter(r)
	if err != nil {
		return err
	}
	cw, l := h.startCSV(w, r, "checkouts.csv")
	cw.Write([]string{l.T("dash.csv.id", nil), l.T("dash.csv.reference", nil), l.T("dash.csv.status", nil), l.T("dash.csv.amount", nil),
		l.T("dash.csv.refunded", nil), l.T("dash.csv.customer_email", nil), l.T("dash.csv.created_at", nil), l.T("dash.csv.paid_at", nil)})
	after, n := "", 0
	for n < csvExportMax {
		f.StartingAfter, f.Limit = after, 100
		list, more, err := h.checkouts.Checkouts(r.Context(), m, f)
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
			cw.Write([]string{c.ID, cellSafe(c.Reference), l.T("dash.status."+c.Status, nil), strconv.FormatInt(c.Amount, 10), strconv.FormatInt(refunded, 10),
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

// startCSV answers a download of the CSV file name, in UTF-8 with a BOM (so that Excel reads
// Korean), and returns its writer and the localizer of its headings.
func (h *Handler) startCSV(w http.ResponseWriter, r *http.Request, name string) (*csv.Writer, *views.Localizer) {
	ctx, _ := h.pageContext(w, r)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("\ufeff"))
	return csv.NewWriter(w), views.L(ctx)
}

// cellSafe keeps a spreadsheet from reading a merchant's or shopper's text as a formula.
func cellSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

package dashboard

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// moneyCSVURL is the home's link: the money that moved over the chart's days.
func (h *Handler) moneyCSVURL(days []time.Time) string {
	if len(days) == 0 {
		return "/dashboard/payments.csv"
	}
	return "/dashboard/payments.csv?from=" + days[0].Format(time.DateOnly) + "&to=" + days[len(days)-1].Format(time.DateOnly)
}

// ExportMoney serves /dashboard/payments.csv?from=&to= (days in Korea, both included; the
// home's 14 days by default): the merchant's books for the period, newest first, one row per
// payment (a checkout's or a subscription charge's) and per refund that succeeded, in UTF-8 with
// a BOM, times in Asia/Seoul, formula-safe. A refund's amount is negative, so that the column
// adds up to what the home calls paid less refunded.
func (h *Handler) ExportMoney(w http.ResponseWriter, r *http.Request, u *User) error {
	from, to, err := h.moneyPeriod(r)
	if err != nil {
		return err
	}
	list, err := h.payments.Movements(r.Context(), u.Merchant, from, to, csvExportMax)
	if err != nil {
		return err
	}
	cw, l := h.startCSV(w, r, "payments.csv")
	header := []string{}
	for _, id := range []string{"kind", "payment", "tid", "method", "amount", "refunded", "status", "reference", "customer", "items", "at"} {
		header = append(header, l.T("dash.money.csv."+id, nil))
	}
	cw.Write(header)
	for _, mv := range list {
		cw.Write(h.moneyRow(l, mv))
	}
	cw.Flush()
	return cw.Error()
}

// moneyRow is one movement's row of the CSV.
func (h *Handler) moneyRow(l *views.Localizer, mv payments.Movement) []string {
	p := mv.Payment
	kind, amount, refunded, status := "payment", p.Amount, strconv.FormatInt(p.RefundedAmount, 10), paymentStatus(p.Amount, p.RefundedAmount)
	reference, customer, items := "", "", ""
	if c := mv.Checkout; c != nil {
		reference, customer, items = c.Reference, customerOf(c), itemSummary(c.Items)
	}
	if mv.Charge != nil {
		kind, reference = "charge", mv.Charge.Reference
	}
	if mv.Refund != nil {
		kind, amount, refunded, status = "refund", -mv.Refund.Amount, "", "refund"
	}
	method := l.T("method."+p.Method, nil)
	if p.Method == "" {
		method = l.T("method.default", nil)
	}
	return []string{l.T("dash.money.kind."+kind, nil), p.ID, p.TID, method, strconv.FormatInt(amount, 10), refunded,
		l.T("dash.money.status."+status, nil), cellSafe(reference), cellSafe(customer), cellSafe(items),
		mv.At().In(h.seoul).Format("2006-01-02 15:04:05")}
}

// paymentStatus names a payment by what is left of it: paid, partly or wholly refunded.
func paymentStatus(amount, refunded int64) string {
	switch {
	case refunded == 0:
		return "paid"
	case refunded < amount:
		return "partly_refunded"
	}
	return "refunded"
}

// itemSummary is an order's lines on one line: "아메리카노 × 2, 크루아상 × 1".
func itemSummary(items []store.Item) string {
	parts := make([]string, 0, len(items))
	for _, it := range items {
		parts = append(parts, it.Name+" × "+strconv.FormatInt(it.Quantity, 10))
	}
	return strings.Join(parts, ", ")
}

// moneyPeriod reads ?from= and ?to= (days in Korea, to included) as a half-open range of times;
// the home's chart days when absent.
func (h *Handler) moneyPeriod(r *http.Request) (from, to time.Time, err error) {
	now := h.clock.Now().In(h.seoul)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, h.seoul)
	from, to = today.AddDate(0, 0, 1-chartDays), today
	q := r.URL.Query()
	for _, d := range []struct {
		name string
		t    *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := strings.TrimSpace(q.Get(d.name))
		if v == "" {
			continue
		}
		day, err := time.ParseInLocation(time.DateOnly, v, h.seoul)
		if err != nil {
			return from, to, web.Invalid("date_invalid", d.name+" must be a date: YYYY-MM-DD", d.name)
		}
		if day.Year() < 2000 || day.After(now.AddDate(domain.MaxYearsAhead, 0, 0)) {
			return from, to, web.Invalidf("date_out_of_range", d.name, "%s must be from 2000-01-01 to %d years ahead", d.name, domain.MaxYearsAhead)
		}
		*d.t = day
	}
	if to.Before(from) {
		return from, to, web.Invalid("date_range_invalid", "to must not be before from", "to")
	}
	return from, to.AddDate(0, 0, 1), nil
}

package sqlstore

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// DailyTotals adds up a merchant's checkouts, payments and succeeded refunds by day in loc. The
// rows are few (a merchant's days), so they are read by time and put into days in Go, where loc's
// calendar is.
func (q checkoutReads) DailyTotals(ctx context.Context, merchantID string, from, to time.Time, loc *time.Location) ([]store.DayTotals, error) {
	first := dayOf(from, loc)
	end := dayOf(to, loc).AddDate(0, 0, 1)
	var days []store.DayTotals
	for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
		days = append(days, store.DayTotals{Day: d})
	}
	index := func(t time.Time) int {
		d := dayOf(t, loc)
		for i := range days {
			if days[i].Day.Equal(d) {
				return i
			}
		}
		return -1
	}
	add := func(op, query string, fn func(i int, amount int64)) error {
		rows, err := list(ctx, q.runner, op, scanAmountAt, query, merchantID, ms(first), ms(end))
		for _, r := range rows {
			if i := index(fromMS(r[0])); i >= 0 {
				fn(i, r[1])
			}
		}
		return err
	}
	err := add("daily opened", `SELECT created_at, amount FROM checkouts WHERE merchant_id = ? AND created_at >= ? AND created_at < ?`,
		func(i int, _ int64) { days[i].Opened++ })
	if err == nil {
		err = add("daily paid", `SELECT approved_at, amount FROM payments WHERE merchant_id = ? AND approved_at >= ? AND approved_at < ?`,
			func(i int, a int64) { days[i].Paid++; days[i].PaidAmount += a })
	}
	if err == nil {
		err = add("daily refunded", `SELECT created_at, amount FROM refunds WHERE merchant_id = ? AND status = 'succeeded' AND created_at >= ? AND created_at < ?`,
			func(i int, a int64) { days[i].RefundedAmount += a })
	}
	if err != nil {
		return nil, err
	}
	return days, nil
}

// scanAmountAt reads a row of a time and an amount.
func scanAmountAt(s Row) ([2]int64, error) {
	var r [2]int64
	err := s.Scan(&r[0], &r[1])
	return r, err
}

// dayOf is the midnight in loc that starts t's day.
func dayOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

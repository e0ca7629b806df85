package checkout

import (
	"testing"

	"github.com/kpcheckout/kpcheckout/store"
)

func TestTaxFreeShare(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		amount, taxFree, refund int64
		done                    []*store.Refund // earlier refunds
		want                    int64
	}{
		{"no tax-free part", 10000, 0, 3000, nil, 0},
		{"in proportion", 10000, 5000, 3000, nil, 1500},
		{"rounded down", 10000, 3333, 1000, nil, 333},
		{"all tax-free", 10000, 10000, 1, nil, 1},
		{"the first won of 9,999 tax-free", 10000, 9999, 1, nil, 0},
		{"the next won must be tax-free", 10000, 9999, 1, []*store.Refund{{Amount: 1, TaxFreeAmount: 0, Status: "succeeded"}}, 1},
		{"the rest takes all the tax-free left", 10000, 7000, 4000, []*store.Refund{{Amount: 6000, TaxFreeAmount: 4200, Status: "succeeded"}}, 2800},
		{"failed refunds do not count", 10000, 5000, 10000, []*store.Refund{{Amount: 2000, TaxFreeAmount: 1000, Status: "failed"}}, 5000},
		{"never more taxable than is left", 10000, 9000, 2000, []*store.Refund{{Amount: 7000, TaxFreeAmount: 6000, Status: "succeeded"}}, 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pay := &store.Payment{Amount: tc.amount, TaxFreeAmount: tc.taxFree}
			for _, r := range tc.done {
				if r.Status == "succeeded" {
					pay.RefundedAmount += r.Amount
				}
			}
			if got := taxFreeShare(pay, tc.done, tc.refund); got != tc.want {
				t.Errorf("taxFreeShare = %d, want %d", got, tc.want)
			}
		})
	}
}

package checkout_test

import (
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
)

// TestStartedPaymentLeavesItsCheckoutFree: the start lease, held over KakaoPay's ready call,
// ends with the attempt's record, so another instance may start a payment of the checkout at
// once (on the other device), with no lease of the first one in its way.
func TestStartedPaymentLeavesItsCheckoutFree(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	if _, err := h.Checkouts.Pay(h.Ctx, c.ID, checkout.DeviceMobile); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err := h.DB.Transact(h.Ctx, func(tx store.Tx) error {
		ok, err := tx.TakeLease(h.Ctx, &store.Lease{Name: "start:" + c.ID, Holder: "inst_other", ExpiresAt: now.Add(time.Minute)}, now)
		if err == nil && !ok {
			t.Error("the start lease is still held after the attempt was recorded")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

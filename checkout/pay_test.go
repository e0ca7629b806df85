package checkout_test

import (
	"sync"
	"testing"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
)

func TestPayStartsOneAttemptPerDevice(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	var wg sync.WaitGroup
	ids := make([]string, 10)
	for i := range ids { // a double (or tenfold) click
		wg.Go(func() {
			a, err := h.Checkouts.Pay(h.Ctx, c.ID, checkout.DeviceMobile)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = a.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("one click made attempts %v", ids)
		}
	}
	h.WantCalls("ready", 1)
	desk, err := h.Checkouts.Pay(h.Ctx, c.ID, checkout.DeviceDesktop)
	if err != nil || desk.ID == ids[0] || desk.Device != checkout.DeviceDesktop || desk.PCURL == "" || desk.Status != string(checkout.AttemptReady) {
		t.Fatalf("desktop attempt: %v %+v", err, desk)
	}
	h.WantCalls("ready", 2)
	h.WantEvents(c.ID, "attempt.created", 2)
	if st := h.State(c.ID); len(st.Attempts) != 2 || st.Latest().ID != desk.ID {
		t.Errorf("%d attempts", len(st.Attempts))
	}
	_, err = h.Checkouts.Pay(h.Ctx, c.ID, "watch")
	apptest.WantInvalid(t, err, "device_invalid", "device")
	_, err = h.Checkouts.Pay(h.Ctx, "cs_nope", checkout.DeviceMobile)
	apptest.WantNotFound(t, err)
}

func TestPayRefusedAtReadyRecordsAFailedAttempt(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(6666) // the sandbox refuses 6,666 won at ready
	_, err := h.Checkouts.Pay(h.Ctx, c.ID, checkout.DeviceDesktop)
	apptest.WantUpstream(t, err, "kakaopay_unavailable", "")
	st := h.State(c.ID)
	if st.Checkout.Status != string(checkout.StatusOpen) || len(st.Attempts) != 1 || st.Latest().Status != string(checkout.AttemptFailed) || st.Latest().FailureCode == "" {
		t.Fatalf("checkout %s, attempts %+v", st.Checkout.Status, st.Attempts)
	}
	h.WantEvents(c.ID, "attempt.failed", 1)
}

func TestStartAttemptIsPayForTheMerchantsOwnCheckout(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	a, started, err := h.Checkouts.StartAttempt(h.Ctx, h.M, c.ID, checkout.DeviceMobile, nil)
	if err != nil || !started || a.Device != checkout.DeviceMobile || a.Status != string(checkout.AttemptReady) {
		t.Fatalf("first start: %v started %v %+v", err, started, a)
	}
	again, started, err := h.Checkouts.StartAttempt(h.Ctx, h.M, c.ID, checkout.DeviceMobile, nil)
	if err != nil || started || again.ID != a.ID {
		t.Fatalf("second start: %v started %v %s, want the live %s", err, started, again.ID, a.ID)
	}
	h.WantCalls("ready", 1)
	other := h.Merchant("다른 가게")
	_, _, err = h.Checkouts.StartAttempt(h.Ctx, other, c.ID, checkout.DeviceDesktop, nil)
	apptest.WantNotFound(t, err)
	if _, err := h.Checkouts.Expire(h.Ctx, h.M, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = h.Checkouts.StartAttempt(h.Ctx, h.M, c.ID, checkout.DeviceDesktop, nil)
	apptest.WantConflict(t, err, "checkout_expired")
	h.WantCalls("ready", 1) // after the refusals
}

package checkout_test

import (
	"sync"
	"testing"

	"github.com/kpcheckout/kpcheckout/checkout"
)

func TestPayStartsOneAttemptPerDevice(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	var wg sync.WaitGroup
	ids := make([]string, 10)
	for i := range ids { // a double (or tenfold) click
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := h.svc.Pay(h.ctx, c.ID, checkout.DeviceMobile)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = a.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("one click made attempts %v", ids)
		}
	}
	if n := h.calls("ready"); n != 1 {
		t.Errorf("%d ready calls, want 1", n)
	}
	desk, err := h.svc.Pay(h.ctx, c.ID, checkout.DeviceDesktop)
	if err != nil || desk.ID == ids[0] || desk.Device != checkout.DeviceDesktop || desk.PCURL == "" || desk.Status != string(checkout.AttemptReady) {
		t.Fatalf("desktop attempt: %v %+v", err, desk)
	}
	if n := h.calls("ready"); n != 2 {
		t.Errorf("%d ready calls, want 2", n)
	}
	if n := h.count(c.ID, "attempt.created"); n != 2 {
		t.Errorf("%d attempt.created events", n)
	}
	if st := h.state(c.ID); len(st.Attempts) != 2 || st.Latest().ID != desk.ID {
		t.Errorf("%d attempts", len(st.Attempts))
	}
	_, err = h.svc.Pay(h.ctx, c.ID, "watch")
	wantError(t, err, checkout.KindInvalid, "device_invalid", "device")
	_, err = h.svc.Pay(h.ctx, "cs_nope", checkout.DeviceMobile)
	wantError(t, err, checkout.KindNotFound, "resource_missing", "id")
}

func TestPayRefusedAtReadyRecordsAFailedAttempt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(6666) // the sandbox refuses 6,666 won at ready
	_, err := h.svc.Pay(h.ctx, c.ID, checkout.DeviceDesktop)
	wantError(t, err, checkout.KindUpstream, "kakaopay_unavailable", "")
	st := h.state(c.ID)
	if st.Checkout.Status != string(checkout.StatusOpen) || len(st.Attempts) != 1 || st.Latest().Status != string(checkout.AttemptFailed) || st.Latest().FailureCode == "" {
		t.Fatalf("checkout %s, attempts %+v", st.Checkout.Status, st.Attempts)
	}
	if n := h.count(c.ID, "attempt.failed"); n != 1 {
		t.Errorf("%d attempt.failed events", n)
	}
}

func TestStartAttemptIsPayForTheMerchantsOwnCheckout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	a, started, err := h.svc.StartAttempt(h.ctx, h.m, c.ID, checkout.DeviceMobile, nil)
	if err != nil || !started || a.Device != checkout.DeviceMobile || a.Status != string(checkout.AttemptReady) {
		t.Fatalf("first start: %v started %v %+v", err, started, a)
	}
	again, started, err := h.svc.StartAttempt(h.ctx, h.m, c.ID, checkout.DeviceMobile, nil)
	if err != nil || started || again.ID != a.ID {
		t.Fatalf("second start: %v started %v %s, want the live %s", err, started, again.ID, a.ID)
	}
	if n := h.calls("ready"); n != 1 {
		t.Errorf("%d ready calls, want 1", n)
	}
	other, err := h.svc.CreateMerchant(h.ctx, checkout.NewMerchant{Name: "다른 가게"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = h.svc.StartAttempt(h.ctx, other.Merchant, c.ID, checkout.DeviceDesktop, nil)
	wantError(t, err, checkout.KindNotFound, "resource_missing", "id")
	if _, err := h.svc.Expire(h.ctx, h.m, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = h.svc.StartAttempt(h.ctx, h.m, c.ID, checkout.DeviceDesktop, nil)
	wantError(t, err, checkout.KindConflict, "checkout_expired", "")
	if n := h.calls("ready"); n != 1 {
		t.Errorf("%d ready calls after the refusals, want 1", n)
	}
}

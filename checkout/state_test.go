package checkout_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
)

func TestEventsRecordEachTransition(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	other := h.create(0) // its events are not c's
	// Events of one instant have no order among them: the clock moves between transitions.
	step := func() { h.clock.Add(time.Second) }
	step()
	first := h.start(c.ID)
	step()
	h.wallet(first, "cancel")
	if _, err := h.svc.HandleReturn(h.ctx, checkout.Return{CheckoutID: c.ID, AttemptID: first.ID, Kind: "cancel"}); err != nil {
		t.Fatal(err)
	}
	step()
	second := h.start(c.ID)
	step()
	out, err := h.returnApprove(c, second, h.approveInWallet(second))
	if err != nil {
		t.Fatal(err)
	}
	pay := out.State.Payment
	step()
	if _, err := h.svc.Refund(h.ctx, h.m, pay.ID, checkout.RefundParams{Amount: won(1000)}); err != nil {
		t.Fatal(err)
	}

	list, _, err := h.svc.Events(h.ctx, store.ListEvents{MerchantID: h.m.ID, CheckoutID: c.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(list) // oldest first
	type ev struct{ typ, object string }
	var got []ev
	for _, e := range list {
		if e.CheckoutID != c.ID || e.MerchantID != h.m.ID {
			t.Errorf("event %s of checkout %s, merchant %s", e.Type, e.CheckoutID, e.MerchantID)
		}
		got = append(got, ev{e.Type, e.ObjectID})
	}
	_, rs := h.payment(pay.ID)
	want := []ev{
		{"checkout.created", c.ID},
		{"attempt.created", first.ID},
		{"attempt.canceled", first.ID},
		{"attempt.created", second.ID},
		{"checkout.paid", pay.ID},
		{"refund.created", rs[0].ID},
		{"refund.succeeded", rs[0].ID},
	}
	if len(got) != len(want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	// The refund is reserved and finished in one instant of the test clock: its two events are
	// compared as a set.
	slices.SortFunc(got[5:], func(a, b ev) int { return strings.Compare(a.typ, b.typ) })
	if !slices.Equal(got, want) {
		t.Errorf("events\n got %v\nwant %v", got, want)
	}

	var paid struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Amount  int64  `json:"amount"`
		Payment struct {
			ID     string `json:"id"`
			Amount int64  `json:"amount"`
		} `json:"payment"`
	}
	if err := json.Unmarshal(list[4].Data, &paid); err != nil || paid.ID != c.ID || paid.Status != "paid" || paid.Amount != 11000 ||
		paid.Payment.ID != pay.ID || paid.Payment.Amount != 11000 {
		t.Errorf("checkout.paid data %s (%v)", list[4].Data, err)
	}
	if evs := h.events(other.ID); !slices.Equal(evs, []string{"checkout.created"}) {
		t.Errorf("the other checkout's events: %v", evs)
	}
	byType, _, err := h.svc.Events(h.ctx, store.ListEvents{MerchantID: h.m.ID, Type: "checkout.created", Limit: 100})
	if err != nil || len(byType) != 2 {
		t.Errorf("checkout.created events of the merchant: %v %d", err, len(byType))
	}
	page, more, err := h.svc.Events(h.ctx, store.ListEvents{MerchantID: h.m.ID, CheckoutID: c.ID, Limit: 3})
	if err != nil || len(page) != 3 || !more {
		t.Errorf("a page of 3: %v %d more=%v", err, len(page), more)
	}
}

func TestOpenCheckoutExpires(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.createWith(checkout.CreateParams{Amount: 11000, ExpiresIn: checkout.MinExpiresIn})
	a := h.start(c.ID)
	h.clock.Add(checkout.MinExpiresIn*time.Second - time.Second)
	if st := h.state(c.ID); st.Checkout.Status != string(checkout.StatusOpen) || st.Latest().Status != string(checkout.AttemptReady) {
		t.Fatalf("a second early: checkout %s, attempt %s", st.Checkout.Status, st.Latest().Status)
	}
	h.clock.Add(time.Second)
	st := h.state(c.ID) // reading expires what is due
	if st.Checkout.Status != string(checkout.StatusExpired) || st.Latest().Status != string(checkout.AttemptExpired) {
		t.Fatalf("on time: checkout %s, attempt %s", st.Checkout.Status, st.Latest().Status)
	}
	if h.count(c.ID, "checkout.expired") != 1 || h.count(c.ID, "attempt.expired") != 1 {
		t.Errorf("events %v", h.events(c.ID))
	}
	_, err := h.svc.Pay(h.ctx, c.ID, checkout.DeviceMobile)
	wantError(t, err, checkout.KindConflict, "checkout_expired", "")
	_, err = h.svc.Expire(h.ctx, h.m, c.ID, nil)
	wantError(t, err, checkout.KindConflict, "checkout_expired", "")
	// The shopper approves in the wallet afterwards: refused, and no money moves.
	_, err = h.returnApprove(c, a, h.approveInWallet(a))
	wantError(t, err, checkout.KindConflict, "checkout_expired", "")
	if n := h.calls("approve"); n != 0 {
		t.Errorf("%d approve calls for an expired checkout", n)
	}
	if h.count(c.ID, "checkout.expired") != 1 {
		t.Errorf("events %v", h.events(c.ID))
	}
}

func TestExpireDueExpiresWhatNobodyReads(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	short := h.createWith(checkout.CreateParams{Amount: 11000, ExpiresIn: checkout.MinExpiresIn})
	long := h.create(0)
	h.clock.Add(checkout.MinExpiresIn * time.Second)
	if n, err := h.svc.ExpireDue(h.ctx); err != nil || n != 1 {
		t.Fatalf("ExpireDue: %d %v, want 1", n, err)
	}
	if n, err := h.svc.ExpireDue(h.ctx); err != nil || n != 0 {
		t.Errorf("ExpireDue again: %d %v, want 0", n, err)
	}
	if h.count(short.ID, "checkout.expired") != 1 || h.count(long.ID, "checkout.expired") != 0 {
		t.Errorf("events %v and %v", h.events(short.ID), h.events(long.ID))
	}
	if st := h.state(long.ID); st.Checkout.Status != string(checkout.StatusOpen) {
		t.Errorf("the hour-long checkout is %s", st.Checkout.Status)
	}
}

func TestMerchantExpiresAnOpenCheckoutOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.create(0)
	a := h.start(c.ID)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.svc.Expire(h.ctx, h.m, c.ID, nil)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantError(t, err, checkout.KindConflict, "checkout_expired", "")
	}
	if ok != 1 {
		t.Errorf("%d expires succeeded, want 1 (%v)", ok, errs)
	}
	st := h.state(c.ID)
	if st.Checkout.Status != string(checkout.StatusExpired) || st.Latest().ID != a.ID || st.Latest().Status != string(checkout.AttemptExpired) {
		t.Errorf("checkout %s, attempt %s", st.Checkout.Status, st.Latest().Status)
	}
	if h.count(c.ID, "checkout.expired") != 1 || h.count(c.ID, "attempt.expired") != 1 {
		t.Errorf("events %v", h.events(c.ID))
	}

	paid := h.create(0)
	h.pay(paid)
	_, err := h.svc.Expire(h.ctx, h.m, paid.ID, nil)
	wantError(t, err, checkout.KindConflict, "checkout_paid", "")
	other, err := h.svc.CreateMerchant(h.ctx, checkout.NewMerchant{Name: "다른 상점"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.Expire(h.ctx, other.Merchant, h.create(0).ID, nil)
	wantError(t, err, checkout.KindNotFound, "resource_missing", "id")
}

// TestWebhooksMustBePublicHTTPSWithRealCredentials: with real KakaoPay credentials every
// merchant's endpoint, a test merchant's too, must be https on a public address; only a
// sandbox server (or --webhook-allow-private) lets a test merchant use its own computer.
func TestWebhooksMustBePublicHTTPSWithRealCredentials(t *testing.T) {
	t.Parallel()
	private := []string{"https://127.0.0.1/hooks", "https://localhost/hooks", "https://10.0.0.7/hooks", "https://[::1]/hooks",
		"http://127.0.0.1:9/hooks", "https://100.64.0.1/hooks", "https://198.18.0.1/hooks", "https://[fec0::1]/hooks",
		"https://[::ffff:10.0.0.1]/hooks", "https://[64:ff9b::a00:1]/hooks"}
	h := newHarnessWith(t, harnessOptions{publicWebhooks: true})
	live, err := h.svc.CreateMerchant(h.ctx, checkout.NewMerchant{Name: "라이브 상점", Livemode: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*store.Merchant{live.Merchant, h.m} {
		for _, u := range private {
			_, err := h.svc.CreateWebhookEndpoint(h.ctx, m, checkout.EndpointParams{URL: &u})
			var ce *checkout.Error
			if !errors.As(err, &ce) || ce.Param != "url" {
				t.Errorf("merchant %s (live %v), endpoint %s: %v", m.Name, m.Livemode, u, err)
			}
		}
	}
	sandbox := newHarness(t) // a sandbox server: private addresses are allowed
	local := "http://127.0.0.1:9/hooks"
	if _, err := sandbox.svc.CreateWebhookEndpoint(sandbox.ctx, sandbox.m, checkout.EndpointParams{URL: &local}); err != nil {
		t.Errorf("a test merchant's endpoint on this computer, in sandbox mode: %v", err)
	}
}

// TestSandboxTakesPlainHTTPWebhooksOnPrivateNetworks: in sandbox mode a test merchant's endpoint
// may be plain http on a private network (a shop in a compose file, a laptop on the LAN), not on
// a public address; with real credentials and --webhook-allow-private, http stays for loopback.
func TestSandboxTakesPlainHTTPWebhooksOnPrivateNetworks(t *testing.T) {
	t.Parallel()
	create := func(h *harness, m *store.Merchant, u string) error {
		_, err := h.svc.CreateWebhookEndpoint(h.ctx, m, checkout.EndpointParams{URL: &u})
		return err
	}
	sandbox := newHarnessWith(t, harnessOptions{sandbox: true})
	for _, u := range []string{"http://192.168.0.7:8000/hooks", "http://10.1.2.3/hooks", "http://shop:8000/hooks", "http://printer.local/hooks", "http://[fd00::7]/hooks", "http://localhost:4242/hooks"} {
		if err := create(sandbox, sandbox.m, u); err != nil {
			t.Errorf("sandbox mode, %s: %v", u, err)
		}
	}
	for _, u := range []string{"http://8.8.8.8/hooks", "http://[2001:4860:4860::8888]/hooks", "http://example.com/hooks"} {
		if err := create(sandbox, sandbox.m, u); err == nil {
			t.Errorf("sandbox mode took plain http to a public address: %s", u)
		}
	}
	live, err := sandbox.svc.CreateMerchant(sandbox.ctx, checkout.NewMerchant{Name: "라이브 상점", Livemode: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := create(sandbox, live.Merchant, "http://192.168.0.7:8000/hooks"); err == nil {
		t.Error("a live merchant got a plain http endpoint")
	}
	allowed := newHarness(t) // real credentials, --webhook-allow-private
	if err := create(allowed, allowed.m, "http://192.168.0.7:8000/hooks"); err == nil {
		t.Error("with real credentials, plain http on a private network was taken")
	}
	if err := create(allowed, allowed.m, "http://127.0.0.1:4242/hooks"); err != nil {
		t.Errorf("with --webhook-allow-private, http on this computer: %v", err)
	}
}

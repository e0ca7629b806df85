package checkout_test

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
)

func TestEventsRecordEachTransition(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	other := h.Create(0) // its events are not c's
	// Events of one instant have no order among them: the clock moves between transitions.
	step := func() { h.Clock.Add(time.Second) }
	step()
	first := h.Start(c.ID)
	step()
	h.Wallet(first, "cancel")
	if _, err := h.Checkouts.HandleReturn(h.Ctx, checkout.Return{CheckoutID: c.ID, AttemptID: first.ID, Kind: "cancel"}); err != nil {
		t.Fatal(err)
	}
	step()
	second := h.Start(c.ID)
	step()
	out, err := h.ReturnApprove(c, second, h.ApproveInWallet(second))
	if err != nil {
		t.Fatal(err)
	}
	pay := out.State.Payment
	step()
	if _, err := h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(1000)}); err != nil {
		t.Fatal(err)
	}

	list, _, err := h.Events.Events(h.Ctx, h.M, store.ListEvents{CheckoutID: c.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(list) // oldest first
	type ev struct{ typ, object string }
	var got []ev
	for _, e := range list {
		if e.CheckoutID != c.ID || e.MerchantID != h.M.ID {
			t.Errorf("event %s of checkout %s, merchant %s", e.Type, e.CheckoutID, e.MerchantID)
		}
		got = append(got, ev{e.Type, e.ObjectID})
	}
	_, rs := h.Payment(pay.ID)
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
	if evs := h.EventTypes(other.ID); !slices.Equal(evs, []string{"checkout.created"}) {
		t.Errorf("the other checkout's events: %v", evs)
	}
	byType, _, err := h.Events.Events(h.Ctx, h.M, store.ListEvents{Type: "checkout.created", Limit: 100})
	if err != nil || len(byType) != 2 {
		t.Errorf("checkout.created events of the merchant: %v %d", err, len(byType))
	}
	page, more, err := h.Events.Events(h.Ctx, h.M, store.ListEvents{CheckoutID: c.ID, Limit: 3})
	if err != nil || len(page) != 3 || !more {
		t.Errorf("a page of 3: %v %d more=%v", err, len(page), more)
	}
}

func TestOpenCheckoutExpires(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.CreateWith(checkout.CreateParams{Amount: 11000, ExpiresIn: checkout.MinExpiresIn})
	a := h.Start(c.ID)
	h.Clock.Add(checkout.MinExpiresIn*time.Second - time.Second)
	if st := h.State(c.ID); st.Checkout.Status != string(checkout.StatusOpen) || st.Latest().Status != string(checkout.AttemptReady) {
		t.Fatalf("a second early: checkout %s, attempt %s", st.Checkout.Status, st.Latest().Status)
	}
	h.Clock.Add(time.Second)
	st := h.State(c.ID) // reading expires what is due
	if st.Checkout.Status != string(checkout.StatusExpired) || st.Latest().Status != string(checkout.AttemptExpired) {
		t.Fatalf("on time: checkout %s, attempt %s", st.Checkout.Status, st.Latest().Status)
	}
	if h.Count(c.ID, "checkout.expired") != 1 || h.Count(c.ID, "attempt.expired") != 1 {
		t.Errorf("events %v", h.EventTypes(c.ID))
	}
	_, err := h.Checkouts.Pay(h.Ctx, c.ID, checkout.DeviceMobile)
	apptest.WantConflict(t, err, "checkout_expired")
	_, err = h.Checkouts.Expire(h.Ctx, h.M, c.ID, nil)
	apptest.WantConflict(t, err, "checkout_expired")
	// The shopper approves in the wallet afterwards: refused, and no money moves.
	_, err = h.ReturnApprove(c, a, h.ApproveInWallet(a))
	apptest.WantConflict(t, err, "checkout_expired")
	h.WantCalls("approve", 0) // for an expired checkout
	if h.Count(c.ID, "checkout.expired") != 1 {
		t.Errorf("events %v", h.EventTypes(c.ID))
	}
}

func TestExpireDueExpiresWhatNobodyReads(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	short := h.CreateWith(checkout.CreateParams{Amount: 11000, ExpiresIn: checkout.MinExpiresIn})
	long := h.Create(0)
	h.Clock.Add(checkout.MinExpiresIn * time.Second)
	if n, err := h.Checkouts.ExpireDue(h.Ctx); err != nil || n != 1 {
		t.Fatalf("ExpireDue: %d %v, want 1", n, err)
	}
	if n, err := h.Checkouts.ExpireDue(h.Ctx); err != nil || n != 0 {
		t.Errorf("ExpireDue again: %d %v, want 0", n, err)
	}
	if h.Count(short.ID, "checkout.expired") != 1 || h.Count(long.ID, "checkout.expired") != 0 {
		t.Errorf("events %v and %v", h.EventTypes(short.ID), h.EventTypes(long.ID))
	}
	if st := h.State(long.ID); st.Checkout.Status != string(checkout.StatusOpen) {
		t.Errorf("the hour-long checkout is %s", st.Checkout.Status)
	}
}

func TestMerchantExpiresAnOpenCheckoutOnce(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	c := h.Create(0)
	a := h.Start(c.ID)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = h.Checkouts.Expire(h.Ctx, h.M, c.ID, nil)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		apptest.WantConflict(t, err, "checkout_expired")
	}
	if ok != 1 {
		t.Errorf("%d expires succeeded, want 1 (%v)", ok, errs)
	}
	st := h.State(c.ID)
	if st.Checkout.Status != string(checkout.StatusExpired) || st.Latest().ID != a.ID || st.Latest().Status != string(checkout.AttemptExpired) {
		t.Errorf("checkout %s, attempt %s", st.Checkout.Status, st.Latest().Status)
	}
	if h.Count(c.ID, "checkout.expired") != 1 || h.Count(c.ID, "attempt.expired") != 1 {
		t.Errorf("events %v", h.EventTypes(c.ID))
	}

	paid := h.Create(0)
	h.Pay(paid)
	_, err := h.Checkouts.Expire(h.Ctx, h.M, paid.ID, nil)
	apptest.WantConflict(t, err, "checkout_paid")
	other := h.Merchant("다른 상점")
	_, err = h.Checkouts.Expire(h.Ctx, other, h.Create(0).ID, nil)
	apptest.WantNotFound(t, err)
}

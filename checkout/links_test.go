package checkout_test

import (
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/links"
	"github.com/kpcheckout/kpcheckout/store"
)

func TestLinkStateAt(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		l    store.Link
		paid int
		want checkout.LinkState
	}{
		{"reusable, paid often", store.Link{Active: true, Reusable: true}, 9, checkout.LinkActive},
		{"one-time, not paid", store.Link{Active: true}, 0, checkout.LinkActive},
		{"one-time, paid", store.Link{Active: true}, 1, checkout.LinkUsedUp},
		{"max uses reached", store.Link{Active: true, Reusable: true, MaxUses: 3}, 3, checkout.LinkUsedUp},
		{"max uses not reached", store.Link{Active: true, Reusable: true, MaxUses: 3}, 2, checkout.LinkActive},
		{"expires now", store.Link{Active: true, Reusable: true, ExpiresAt: now}, 0, checkout.LinkExpired},
		{"expires later", store.Link{Active: true, Reusable: true, ExpiresAt: now.Add(time.Second)}, 0, checkout.LinkActive},
		{"deactivated before anything else", store.Link{ExpiresAt: now.Add(-time.Hour)}, 1, checkout.LinkInactive},
		{"expired before used up", store.Link{Active: true, ExpiresAt: now.Add(-time.Hour)}, 1, checkout.LinkExpired},
	} {
		if got := checkout.LinkStateAt(&c.l, c.paid, now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// link makes a payment link of 11,000 won: one-time unless reusable, at most maxUses paid
// checkouts when maxUses > 0.
func link(h *apptest.Harness, reusable bool, maxUses int) *store.Link {
	h.T.Helper()
	l, err := h.Links.Create(h.Ctx, h.M, links.LinkParams{Amount: 11000, Description: "원두 200g",
		SuccessURL: "https://shop.example/thanks", FailureURL: "https://shop.example/cart", Reusable: &reusable, MaxUses: maxUses})
	if err != nil {
		h.T.Fatal(err)
	}
	return l
}

// visit opens a checkout from a link, as a shopper pressing its pay button does.
func visit(h *apptest.Harness, l *store.Link) *store.Checkout {
	h.T.Helper()
	c, err := h.Links.Visit(h.Ctx, l.Slug)
	if err != nil {
		h.T.Fatal(err)
	}
	return c
}

// shopperAtWallet is one shopper who opened a checkout from a link, started paying and
// approved in the wallet: only the approve return is left.
type shopperAtWallet struct {
	c     *store.Checkout
	a     *store.Attempt
	token string
}

func shoppersAtWallet(h *apptest.Harness, l *store.Link, n int) []shopperAtWallet {
	h.T.Helper()
	var list []shopperAtWallet
	for range n {
		c := visit(h, l)
		a := h.Start(c.ID)
		list = append(list, shopperAtWallet{c, a, h.ApproveInWallet(a)})
	}
	return list
}

// wantRefusedForLink checks that a shopper who lost a link's last use was never charged: the
// attempt ended failed with LINK_USED_UP and its event, the checkout has no payment, and
// KakaoPay never approved the tid.
func wantRefusedForLink(h *apptest.Harness, s shopperAtWallet) {
	h.T.Helper()
	st := h.State(s.c.ID)
	a := st.Latest()
	if a.ID != s.a.ID || a.Status != string(checkout.AttemptFailed) || a.FailureCode != checkout.CodeLinkUsedUp || st.Payment != nil {
		h.T.Errorf("checkout %s: %s, attempt %s %s, payment %v", s.c.ID, st.Checkout.Status, a.Status, a.FailureCode, st.Payment)
	}
	h.WantEvents(s.c.ID, "attempt.failed", 1)
	if info := h.TID(s.a.TID); info.Status == "SUCCESS_PAYMENT" {
		h.T.Errorf("KakaoPay approved the refused shopper's tid %s", s.a.TID)
	}
}

func TestLinkCapHoldsWhenMoreShoppersApproveThanItAllows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		reusable bool
		maxUses  int
		want     int
	}{
		{"one-time", false, 0, 1},
		{"max_uses 2", true, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := apptest.New(t)
			l := link(h, tc.reusable, tc.maxUses)
			shoppers := shoppersAtWallet(h, l, 3)
			for i, s := range shoppers {
				out, err := h.ReturnApprove(s.c, s.a, s.token)
				if err != nil {
					t.Fatalf("shopper %d's return: %v", i, err)
				}
				if i < tc.want {
					if !out.State.Paid() {
						t.Errorf("shopper %d: checkout %s, attempt %s %s", i, out.State.Checkout.Status, out.Attempt.Status, out.Attempt.FailureCode)
					}
					continue
				}
				if out.Attempt.Status != string(checkout.AttemptFailed) || out.Attempt.FailureCode != checkout.CodeLinkUsedUp || out.Pending {
					t.Errorf("shopper %d: attempt %s %s, want failed %s", i, out.Attempt.Status, out.Attempt.FailureCode, checkout.CodeLinkUsedUp)
				}
				wantRefusedForLink(h, s)
			}
			h.WantCalls("approve", tc.want)
			if n, err := h.Links.PaidCount(h.Ctx, l); err != nil || n != tc.want {
				t.Errorf("paid count %d %v, want %d", n, err, tc.want)
			}
			// A refused shopper who tries again is refused before KakaoPay is asked.
			ready := h.Calls("ready")
			_, err := h.Checkouts.Pay(h.Ctx, shoppers[2].c.ID, checkout.DeviceMobile)
			apptest.WantConflict(t, err, "link_used_up")
			if h.Calls("ready") != ready {
				t.Error("a used-up link's checkout called KakaoPay's ready")
			}
		})
	}
}

func TestRacingApprovalsOfAOneTimeLinkPayOnce(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	l := link(h, false, 0)
	shoppers := shoppersAtWallet(h, l, 4)
	outs := make([]*checkout.Outcome, len(shoppers))
	errs := make([]error, len(shoppers))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range shoppers {
		wg.Go(func() {
			<-start
			outs[i], errs[i] = h.ReturnApprove(s.c, s.a, s.token)
		})
	}
	close(start)
	wg.Wait()
	paid := 0
	for i, s := range shoppers {
		if errs[i] != nil {
			t.Errorf("shopper %d's return: %v", i, errs[i])
			continue
		}
		if outs[i].State.Paid() {
			paid++
			continue
		}
		wantRefusedForLink(h, s)
	}
	if paid != 1 {
		t.Errorf("%d shoppers paid a one-time link", paid)
	}
	h.WantCalls("approve", 1)
}

// TestLinkPaidPastItsCapIsCanceledAtKakaoPay: an approval of a link's checkout that KakaoPay made
// although the link was used up (a claim that an older version made without checking the cap)
// is not the checkout's payment: it is recorded as a stray approval and canceled at KakaoPay.
func TestLinkPaidPastItsCapIsCanceledAtKakaoPay(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	l := link(h, false, 0)
	late := shoppersAtWallet(h, l, 1)[0]
	h.Pay(visit(h, l))
	err := h.DB.Transact(h.Ctx, func(tx store.Tx) error {
		a, err := tx.Attempt(h.Ctx, late.a.ID)
		if err != nil {
			return err
		}
		a.PGToken, a.UpdatedAt = late.token, h.Clock.Now()
		return tx.UpdateAttempt(h.Ctx, a)
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Clock.Add(time.Minute) // its claimer's lease lapsed: the reconciler approves it
	h.Reconcile()
	if n := h.Calls("approve"); n != 2 {
		t.Fatalf("%d approve calls, want 2", n)
	}
	st := h.State(late.c.ID)
	if st.Payment != nil || st.Checkout.Status != string(checkout.StatusOpen) || st.Latest().VoidStatus != string(checkout.VoidDone) {
		t.Errorf("the late checkout: %s, payment %v, void %q", st.Checkout.Status, st.Payment, st.Latest().VoidStatus)
	}
	for _, typ := range []string{"attempt.approved_after_link_used_up", "attempt.voided"} {
		h.WantEvents(late.c.ID, typ, 1)
	}
	if info := h.TID(late.a.TID); info.Status != "CANCEL_PAYMENT" {
		t.Errorf("the late tid at KakaoPay: %s", info.Status)
	}
	if n, _ := h.Links.PaidCount(h.Ctx, l); n != 1 {
		t.Errorf("paid count %d", n)
	}
}

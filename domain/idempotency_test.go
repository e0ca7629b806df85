package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// TestKeyBoundWithTheCheckoutItCreates: a keyed create binds its key in the checkout's own
// transaction, so a retry whose first answer was never stored finds the checkout, however late
// it comes, and is never let to make a second one.
func TestKeyBoundWithTheCheckoutItCreates(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	const hash = "sha256 of the request"
	c := h.CreateWith(checkout.CreateParams{Amount: 5000, Key: h.Hold("create-1", hash)})
	h.Clock.Add(time.Hour) // long past the window after which an abandoned reservation is taken over
	again, prev, err := h.Idempotency.Reserve(h.Ctx, h.M.ID, "create-1", hash, time.Second)
	if err != nil || again != nil || prev == nil || prev.ObjectType != domain.BoundCheckout || prev.ObjectID != c.ID {
		t.Fatalf("retry: %v held %+v, bound to %+v; want the checkout %s", err, again, prev, c.ID)
	}
}

// TestKeyTakenOverLeavesTheSlowRequestNothing: a request thought dead whose key another took
// over commits nothing when it finally writes; the one that took the key over creates the only
// checkout.
func TestKeyTakenOverLeavesTheSlowRequestNothing(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	const hash = "sha256 of the request"
	slow := h.Hold("create-1", hash)
	h.Clock.Add(2 * time.Minute)
	retry, prev, err := h.Idempotency.Reserve(h.Ctx, h.M.ID, "create-1", hash, time.Second)
	if err != nil || retry == nil || prev != nil {
		t.Fatalf("the retry did not take the abandoned key over: %v %+v %+v", err, retry, prev)
	}
	p := checkout.CreateParams{Amount: 5000, SuccessURL: "https://shop.example/thanks", FailureURL: "https://shop.example/cart", Key: slow}
	var e *domain.Error
	if _, err := h.Checkouts.Create(h.Ctx, h.M, p); !errors.As(err, &e) || e.Code != "idempotency_key_in_use" {
		t.Fatalf("the slow request's create: %v", err)
	}
	if list, _, err := h.Checkouts.Checkouts(h.Ctx, h.M, store.ListCheckouts{MerchantID: h.M.ID, Limit: 10}); err != nil || len(list) != 0 {
		t.Fatalf("the slow request left %d checkouts (%v)", len(list), err)
	}
	c := h.CreateWith(checkout.CreateParams{Amount: 5000, Key: retry})
	if _, prev, _ := h.Idempotency.Reserve(h.Ctx, h.M.ID, "create-1", hash, time.Second); prev == nil || prev.ObjectID != c.ID {
		t.Errorf("the key is bound to %+v, want %s", prev, c.ID)
	}
}

package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

// newLink stores a one-time link and n open checkouts opened from it (cs_0 … cs_<n-1>), each
// with a ready attempt (att_0 …).
func newLink(t *testing.T, s store.Store, m *store.Merchant, id string, n int) {
	t.Helper()
	ctx := t.Context()
	err := s.Transact(ctx, func(tx store.Tx) error {
		err := tx.CreateLink(ctx, &store.Link{ID: id, Slug: "slug-" + id, MerchantID: m.ID, Amount: 11000, Active: true,
			SuccessURL: "https://shop.example/ok", FailureURL: "https://shop.example/no", CreatedAt: fixture.T0, UpdatedAt: fixture.T0})
		if err != nil {
			return err
		}
		for i := range n {
			c := &store.Checkout{ID: fmt.Sprintf("cs_%d", i), MerchantID: m.ID, Mode: "payment", Status: "open", Amount: 11000,
				Currency: "KRW", SuccessURL: "https://shop.example/ok", FailureURL: "https://shop.example/no",
				ExpiresAt: fixture.T0.Add(time.Hour), CreatedAt: fixture.T0, UpdatedAt: fixture.T0, LinkID: id}
			if err := tx.CreateCheckout(ctx, c); err != nil {
				return err
			}
			if err := tx.CreateAttempt(ctx, fixture.Attempt(fmt.Sprintf("att_%d", i), c.ID, fmt.Sprintf("T%d", i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testLinkUses: a link's uses are its paid checkouts and those whose approval is being confirmed
// (a live attempt with a pg_token), but for the checkout asking.
func testLinkUses(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	newLink(t, s, m, "lnk_1", 5)
	fixture.NewCheckout(t, s, m, "cs_other", fixture.T0) // not from the link
	uses := func(except string) int {
		t.Helper()
		n, err := s.LinkUses(ctx, "lnk_1", except)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := uses(""); n != 0 {
		t.Errorf("%d uses of a fresh link", n)
	}
	err := s.Transact(ctx, func(tx store.Tx) error {
		paid, err := tx.Checkout(ctx, "cs_0")
		if err != nil {
			return err
		}
		paid.Status = "paid"
		if err := tx.UpdateCheckout(ctx, paid); err != nil {
			return err
		}
		for id, change := range map[string]func(a *store.Attempt){
			"att_1": func(a *store.Attempt) { a.PGToken = "tok1" },                     // being approved
			"att_2": func(a *store.Attempt) { a.PGToken, a.Status = "tok2", "failed" }, // ended
			"att_3": func(a *store.Attempt) { a.ReturnedPGToken = "tok3" },             // kept, not claimed
			"att_4": func(a *store.Attempt) { a.Status = "authenticating" },            // in the wallet
		} {
			a, err := tx.Attempt(ctx, id)
			if err != nil {
				return err
			}
			change(a)
			if err := tx.UpdateAttempt(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for except, want := range map[string]int{"": 2, "cs_0": 1, "cs_1": 1, "cs_2": 2, "cs_other": 2} {
		if n := uses(except); n != want {
			t.Errorf("uses but %q: %d, want %d", except, n, want)
		}
	}
	if n, err := s.LinkPaidCount(ctx, "lnk_1"); err != nil || n != 1 {
		t.Errorf("paid count %d %v", n, err)
	}
	if n, err := s.LinkUses(ctx, "lnk_none", ""); err != nil || n != 0 {
		t.Errorf("uses of an unknown link: %d %v", n, err)
	}
}

var errLinkUsedUp = errors.New("the link is used up")

// testRacingLinkClaims: shoppers of one one-time link claim their approvals at once, each in a
// transaction that counts the link's uses first: one claim commits, whatever the backend.
func testRacingLinkClaims(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	const n = 8
	newLink(t, s, m, "lnk_1", n)
	errs := fixture.Race(n, func(i int) error {
		return s.Transact(ctx, func(tx store.Tx) error {
			checkoutID := fmt.Sprintf("cs_%d", i)
			if _, err := tx.LockCheckout(ctx, checkoutID); err != nil {
				return err
			}
			used, err := tx.LinkUses(ctx, "lnk_1", checkoutID)
			if err != nil || used >= 1 {
				return cmp.Or(err, errLinkUsedUp)
			}
			a, err := tx.Attempt(ctx, fmt.Sprintf("att_%d", i))
			if err != nil {
				return err
			}
			a.PGToken = fmt.Sprintf("tok%d", i)
			return tx.UpdateAttempt(ctx, a)
		})
	})
	if claimed := fixture.Won(t, errs, errLinkUsedUp, "claim"); claimed != 1 {
		t.Errorf("%d claims of a one-time link committed", claimed)
	}
	if n, err := s.LinkUses(ctx, "lnk_1", ""); err != nil || n != 1 {
		t.Errorf("uses after the race: %d %v", n, err)
	}
}

// testLinks: a link reads back by id and by slug with its items, metadata and expiry; a
// merchant's links list newest first; UpdateLink writes its active flag.
func testLinks(t *testing.T, s store.Store) {
	ctx := t.Context()
	m, other := fixture.Merchant(t, s, "mer_1"), fixture.Merchant(t, s, "mer_2")
	expires := fixture.T0.Add(24 * time.Hour)
	links := []*store.Link{
		{ID: "lnk_a", Slug: "coffee", MerchantID: m.ID, Amount: 11000, Items: []store.Item{{Name: "아메리카노", Quantity: 2, UnitPrice: 5500}},
			Description: "커피", SuccessURL: "https://shop.example/ok", FailureURL: "https://shop.example/no", Reusable: true, MaxUses: 5,
			Active: true, ExpiresAt: expires, Metadata: map[string]string{"table": "7"}, CreatedAt: fixture.T0, UpdatedAt: fixture.T0},
		{ID: "lnk_b", Slug: "tea", MerchantID: m.ID, Amount: 4000, Active: true, CreatedAt: fixture.T0, UpdatedAt: fixture.T0},
		{ID: "lnk_c", Slug: "cake", MerchantID: m.ID, Amount: 6000, CreatedAt: fixture.T0.Add(time.Second), UpdatedAt: fixture.T0},
		{ID: "lnk_x", Slug: "other", MerchantID: other.ID, Amount: 100, CreatedAt: fixture.T0.Add(time.Hour), UpdatedAt: fixture.T0},
	}
	fixture.Write(t, s, store.Tx.CreateLink, links...)
	l, err := s.Link(ctx, "lnk_a")
	if err != nil || l.Slug != "coffee" || l.Amount != 11000 || len(l.Items) != 1 || l.Items[0] != links[0].Items[0] ||
		l.Description != "커피" || l.SuccessURL != links[0].SuccessURL || l.FailureURL != links[0].FailureURL ||
		!l.Reusable || l.MaxUses != 5 || !l.Active || !l.ExpiresAt.Equal(expires) || l.Metadata["table"] != "7" ||
		!l.CreatedAt.Equal(fixture.T0) {
		t.Fatalf("by id: %+v %v", l, err)
	}
	if l, err := s.LinkBySlug(ctx, "tea"); err != nil || l.ID != "lnk_b" || l.Items != nil || !l.ExpiresAt.IsZero() || l.Reusable || len(l.Metadata) != 0 {
		t.Errorf("by slug: %+v %v", l, err)
	}
	for _, err := range []error{
		func() error { _, err := s.Link(ctx, "lnk_nope"); return err }(),
		func() error { _, err := s.LinkBySlug(ctx, "nope"); return err }(),
		s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateLink(ctx, &store.Link{ID: "lnk_nope"}) }),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a missing link: %v", err)
		}
	}
	list, err := s.Links(ctx, m.ID, 2)
	if err != nil || len(list) != 2 || list[0].ID != "lnk_c" || list[1].ID != "lnk_b" {
		t.Errorf("newest two: %v %v", list, err)
	}
	if list, err := s.Links(ctx, "mer_none", 10); err != nil || len(list) != 0 {
		t.Errorf("a merchant with no links: %v %v", list, err)
	}
	later := fixture.T0.Add(time.Minute)
	err = s.Transact(ctx, func(tx store.Tx) error {
		l, err := tx.LinkBySlug(ctx, "coffee")
		if err != nil {
			return err
		}
		l.Active, l.UpdatedAt = false, later
		return tx.UpdateLink(ctx, l)
	})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := s.Link(ctx, "lnk_a"); err != nil || l.Active || !l.UpdatedAt.Equal(later) || l.Amount != 11000 {
		t.Errorf("deactivated: %+v %v", l, err)
	}
}

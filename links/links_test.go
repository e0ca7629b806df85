package links_test

import (
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/links"
	"github.com/kpcheckout/kpcheckout/store"
)

// oneTime makes a one-time payment link of 11,000 won.
func oneTime(h *apptest.Harness, p links.LinkParams) *store.Link {
	h.T.Helper()
	once := false
	p.Amount, p.Reusable = 11000, &once
	p.SuccessURL, p.FailureURL = "https://shop.example/thanks", "https://shop.example/cart"
	l, err := h.Links.Create(h.Ctx, h.M, p)
	if err != nil {
		h.T.Fatal(err)
	}
	return l
}

func TestVisitOpensACheckoutUntilTheLinkIsUsedUp(t *testing.T) {
	h := apptest.New(t)
	l := oneTime(h, links.LinkParams{Description: "원두 200g", Metadata: map[string]string{"sku": "BEAN-200"}})
	c, err := h.Links.Visit(h.Ctx, l.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if c.LinkID != l.ID || c.Amount != 11000 || c.Reference != l.ID || c.Metadata["sku"] != "BEAN-200" || c.MerchantID != h.M.ID {
		t.Fatalf("the checkout opened from the link: %+v", c)
	}
	if !h.Links.CheckoutOpen(h.Ctx, l, c.ID) || h.Links.CheckoutOpen(h.Ctx, l, "") {
		t.Error("the link's open checkout is not offered again, or an empty one is")
	}
	other := h.Create(0) // not the link's
	if h.Links.CheckoutOpen(h.Ctx, l, other.ID) {
		t.Error("a checkout of no link goes on as the link's")
	}
	h.Pay(c)
	if h.Links.CheckoutOpen(h.Ctx, l, c.ID) {
		t.Error("a paid checkout goes on")
	}
	paid, err := h.Links.PaidCount(h.Ctx, l)
	if err != nil || paid != 1 || h.Links.State(l, paid) != checkout.LinkUsedUp {
		t.Fatalf("paid once: %d %v, state %s", paid, err, h.Links.State(l, paid))
	}
	_, err = h.Links.Visit(h.Ctx, l.Slug)
	apptest.WantConflict(t, err, "link_used_up")
}

func TestOpenRefusesDeactivatedAndExpiredLinks(t *testing.T) {
	h := apptest.New(t)
	l := oneTime(h, links.LinkParams{ExpiresAt: h.Clock.Now().Add(time.Hour)})
	if _, _, err := h.Links.Open(h.Ctx, l.Slug); err != nil {
		t.Fatal(err)
	}
	h.Clock.Add(time.Hour)
	_, _, err := h.Links.Open(h.Ctx, l.Slug)
	apptest.WantConflict(t, err, "link_expired")

	l = oneTime(h, links.LinkParams{})
	for range 2 { // deactivating again changes nothing
		if l, err = h.Links.Deactivate(h.Ctx, h.M, l.ID, nil); err != nil || l.Active {
			t.Fatalf("deactivate: %+v %v", l, err)
		}
	}
	_, _, err = h.Links.Open(h.Ctx, l.Slug)
	apptest.WantConflict(t, err, "link_inactive")
	_, _, err = h.Links.Open(h.Ctx, "no-such-slug")
	apptest.WantNotFound(t, err)
}

func TestLinksAreTheMerchantsOwnNewestFirst(t *testing.T) {
	h := apptest.New(t)
	var made []*store.Link
	for range 3 {
		made = append(made, oneTime(h, links.LinkParams{}))
		h.Clock.Add(time.Second)
	}
	page, more, err := h.Links.Links(h.Ctx, h.M, links.ListParams{Limit: 2})
	if err != nil || !more || len(page) != 2 || page[0].ID != made[2].ID || page[1].ID != made[1].ID {
		t.Fatalf("first page: %v more %v %v", page, more, err)
	}
	all, more, err := h.Links.Links(h.Ctx, h.M, links.ListParams{Limit: 3})
	if err != nil || more || len(all) != 3 {
		t.Fatalf("all: %d more %v %v", len(all), more, err)
	}
	other := h.Merchant("다른 상점")
	_, err = h.Links.Link(h.Ctx, other, made[0].ID)
	apptest.WantNotFound(t, err)
	if _, err := h.Links.Deactivate(h.Ctx, other, made[0].ID, nil); err == nil {
		t.Error("another merchant deactivated the link")
	}
}

func TestCreateHoldsALinkToTheCheckoutRules(t *testing.T) {
	h := apptest.New(t)
	for _, c := range []struct {
		p           links.LinkParams
		param, code string
	}{
		{links.LinkParams{Amount: 50}, "amount", "amount_too_small"},
		{links.LinkParams{Amount: 11000, MaxUses: -1}, "max_uses", "max_uses_invalid"},
		{links.LinkParams{Amount: 11000, ExpiresAt: h.Clock.Now().Add(-time.Minute)}, "expires_at", "expires_at_invalid"},
		{links.LinkParams{Amount: 11000, ExpiresAt: h.Clock.Now().AddDate(domain.MaxYearsAhead+1, 0, 0)}, "expires_at", "expires_at_invalid"},
		{links.LinkParams{Amount: 11000, Items: []store.Item{{Name: "원두", Quantity: 1, UnitPrice: 10000}}}, "items", "items_total_mismatch"},
	} {
		c.p.SuccessURL, c.p.FailureURL = "https://shop.example/thanks", "https://shop.example/cart"
		_, err := h.Links.Create(h.Ctx, h.M, c.p)
		apptest.WantInvalid(t, err, c.code, c.param)
	}
}

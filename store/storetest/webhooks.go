package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// testDeliveriesByEndpoint lists one endpoint's deliveries, newest first, and none of another's.
func testDeliveriesByEndpoint(t *testing.T, s store.Store) {
	ctx := context.Background()
	m, other := merchant(t, s, "mer_1"), merchant(t, s, "mer_2")
	endpoint := func(id string, m *store.Merchant, events ...string) {
		e := &store.WebhookEndpoint{ID: id, MerchantID: m.ID, URL: "https://shop.example/" + id, EnabledEvents: events,
			Secret: "whsec_" + id, CreatedAt: t0, UpdatedAt: t0}
		if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateWebhookEndpoint(ctx, e) }); err != nil {
			t.Fatal(err)
		}
	}
	endpoint("we_all", m, "*")
	endpoint("we_paid", m, "checkout.paid")
	endpoint("we_other", other, "*")
	for i, typ := range []string{"checkout.created", "checkout.paid", "checkout.expired"} {
		ev := &store.Event{ID: "evt_" + typ, MerchantID: m.ID, Type: typ, CheckoutID: "cs_1", Data: []byte(`{}`),
			CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateEvent(ctx, ev) }); err != nil {
			t.Fatal(err)
		}
	}
	events := func(list []*store.Delivery) []string {
		var out []string
		for _, d := range list {
			out = append(out, d.EventID)
		}
		return out
	}
	list, err := s.DeliveriesByEndpoint(ctx, "we_all", 2)
	if err != nil || len(list) != 2 || list[0].EventID != "evt_checkout.expired" || list[1].EventID != "evt_checkout.paid" ||
		list[0].EndpointID != "we_all" || list[0].Status != store.DeliveryPending {
		t.Fatalf("newest two of we_all: %v %v", events(list), err)
	}
	if list, err := s.DeliveriesByEndpoint(ctx, "we_paid", 10); err != nil || len(list) != 1 || list[0].EventID != "evt_checkout.paid" {
		t.Errorf("we_paid: %v %v", events(list), err)
	}
	for _, id := range []string{"we_other", "we_nope"} {
		if list, err := s.DeliveriesByEndpoint(ctx, id, 10); err != nil || len(list) != 0 {
			t.Errorf("%s: %v %v", id, events(list), err)
		}
	}
}

package checkout_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/kpcheckout/kpcheckout/checkout"
)

func TestEndpointDeliveriesAreTheEndpointsNewestFirst(t *testing.T) {
	h := newHarness(t)
	url, all := "https://shop.example/hooks", []string{"*"}
	ce, err := h.svc.CreateWebhookEndpoint(h.ctx, h.m, checkout.EndpointParams{URL: &url, EnabledEvents: all})
	if err != nil {
		t.Fatal(err)
	}
	c := h.create(0)
	ping, err := h.svc.PingWebhookEndpoint(h.ctx, h.m, ce.Endpoint.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := h.svc.EndpointDeliveries(h.ctx, h.m, ce.Endpoint.ID, 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("%d deliveries, %v; want the checkout's and the ping", len(list), err)
	}
	if list[0].Event.ID != ping.ID || list[0].Event.Type != "ping" || list[1].Event.Type != "checkout.created" ||
		list[1].Event.CheckoutID != c.ID || len(list[0].Attempts) != 0 {
		t.Errorf("newest first: %s then %s", list[0].Event.Type, list[1].Event.Type)
	}
	if list, err := h.svc.EndpointDeliveries(h.ctx, h.m, ce.Endpoint.ID, 1); err != nil || len(list) != 1 || list[0].Event.ID != ping.ID {
		t.Errorf("limit 1: %d %v", len(list), err)
	}

	other, err := h.svc.CreateMerchant(h.ctx, checkout.NewMerchant{Name: "다른 가게"})
	if err != nil {
		t.Fatal(err)
	}
	var ce2 *checkout.Error
	if _, err := h.svc.EndpointDeliveries(h.ctx, other.Merchant, ce.Endpoint.ID, 10); !errors.As(err, &ce2) || ce2.Kind != checkout.KindNotFound {
		t.Errorf("another merchant's endpoint: %v", err)
	}
}

func TestEndpointEventTypesLeaveOutPing(t *testing.T) {
	types := checkout.EndpointEventTypes()
	if slices.Contains(types, "ping") || !slices.Contains(types, "checkout.paid") {
		t.Errorf("types: %v", types)
	}
}

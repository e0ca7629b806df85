package webhook_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

func TestEndpointDeliveriesAreTheEndpointsNewestFirst(t *testing.T) {
	h := apptest.New(t)
	url, all := "https://shop.example/hooks", []string{"*"}
	ce, err := h.Endpoints.Create(h.Ctx, h.M, webhook.EndpointParams{URL: &url, EnabledEvents: all})
	if err != nil {
		t.Fatal(err)
	}
	c := h.Create(0)
	ping, err := h.Endpoints.Ping(h.Ctx, h.M, ce.Endpoint.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := h.Endpoints.Deliveries(h.Ctx, h.M, ce.Endpoint.ID, 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("%d deliveries, %v; want the checkout's and the ping", len(list), err)
	}
	if list[0].Event.ID != ping.ID || list[0].Event.Type != "ping" || list[1].Event.Type != "checkout.created" ||
		list[1].Event.CheckoutID != c.ID || len(list[0].Attempts) != 0 {
		t.Errorf("newest first: %s then %s", list[0].Event.Type, list[1].Event.Type)
	}
	if list, err := h.Endpoints.Deliveries(h.Ctx, h.M, ce.Endpoint.ID, 1); err != nil || len(list) != 1 || list[0].Event.ID != ping.ID {
		t.Errorf("limit 1: %d %v", len(list), err)
	}

	other, err := h.Merchants.Create(h.Ctx, accounts.MerchantParams{Name: "다른 가게"})
	if err != nil {
		t.Fatal(err)
	}
	var ce2 *domain.Error
	if _, err := h.Endpoints.Deliveries(h.Ctx, other.Merchant, ce.Endpoint.ID, 10); !errors.As(err, &ce2) || ce2.Kind != domain.KindNotFound {
		t.Errorf("another merchant's endpoint: %v", err)
	}
}

func TestEndpointEventTypesLeaveOutPing(t *testing.T) {
	types := webhook.EndpointEventTypes()
	if slices.Contains(types, "ping") || !slices.Contains(types, "checkout.paid") {
		t.Errorf("types: %v", types)
	}
}

// TestWebhooksMustBePublicHTTPSWithRealCredentials: with real KakaoPay credentials every
// merchant's endpoint, a test merchant's too, must be https on a public address; only a
// sandbox server (or --webhook-allow-private) lets a test merchant use its own computer.
func TestWebhooksMustBePublicHTTPSWithRealCredentials(t *testing.T) {
	t.Parallel()
	private := []string{"https://127.0.0.1/hooks", "https://localhost/hooks", "https://10.0.0.7/hooks", "https://[::1]/hooks",
		"http://127.0.0.1:9/hooks", "https://100.64.0.1/hooks", "https://198.18.0.1/hooks", "https://[fec0::1]/hooks",
		"https://[::ffff:10.0.0.1]/hooks", "https://[64:ff9b::a00:1]/hooks"}
	h := apptest.NewWith(t, apptest.Options{PublicWebhooks: true})
	live, err := h.Merchants.Create(h.Ctx, accounts.MerchantParams{Name: "라이브 상점", Livemode: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*store.Merchant{live.Merchant, h.M} {
		for _, u := range private {
			_, err := h.Endpoints.Create(h.Ctx, m, webhook.EndpointParams{URL: &u})
			var ce *domain.Error
			if !errors.As(err, &ce) || ce.Param != "url" {
				t.Errorf("merchant %s (live %v), endpoint %s: %v", m.Name, m.Livemode, u, err)
			}
		}
	}
	sandbox := apptest.New(t) // a sandbox server: private addresses are allowed
	local := "http://127.0.0.1:9/hooks"
	if _, err := sandbox.Endpoints.Create(sandbox.Ctx, sandbox.M, webhook.EndpointParams{URL: &local}); err != nil {
		t.Errorf("a test merchant's endpoint on this computer, in sandbox mode: %v", err)
	}
}

// TestSandboxTakesPlainHTTPWebhooksOnPrivateNetworks: in sandbox mode a test merchant's endpoint
// may be plain http on a private network (a shop in a compose file, a laptop on the LAN), not on
// a public address; with real credentials and --webhook-allow-private, http stays for loopback.
func TestSandboxTakesPlainHTTPWebhooksOnPrivateNetworks(t *testing.T) {
	t.Parallel()
	create := func(h *apptest.Harness, m *store.Merchant, u string) error {
		_, err := h.Endpoints.Create(h.Ctx, m, webhook.EndpointParams{URL: &u})
		return err
	}
	sandbox := apptest.NewWith(t, apptest.Options{Sandbox: true})
	for _, u := range []string{"http://192.168.0.7:8000/hooks", "http://10.1.2.3/hooks", "http://shop:8000/hooks", "http://printer.local/hooks", "http://[fd00::7]/hooks", "http://localhost:4242/hooks"} {
		if err := create(sandbox, sandbox.M, u); err != nil {
			t.Errorf("sandbox mode, %s: %v", u, err)
		}
	}
	for _, u := range []string{"http://8.8.8.8/hooks", "http://[2001:4860:4860::8888]/hooks", "http://example.com/hooks"} {
		if err := create(sandbox, sandbox.M, u); err == nil {
			t.Errorf("sandbox mode took plain http to a public address: %s", u)
		}
	}
	live, err := sandbox.Merchants.Create(sandbox.Ctx, accounts.MerchantParams{Name: "라이브 상점", Livemode: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := create(sandbox, live.Merchant, "http://192.168.0.7:8000/hooks"); err == nil {
		t.Error("a live merchant got a plain http endpoint")
	}
	allowed := apptest.New(t) // real credentials, --webhook-allow-private
	if err := create(allowed, allowed.M, "http://192.168.0.7:8000/hooks"); err == nil {
		t.Error("with real credentials, plain http on a private network was taken")
	}
	if err := create(allowed, allowed.M, "http://127.0.0.1:4242/hooks"); err != nil {
		t.Errorf("with --webhook-allow-private, http on this computer: %v", err)
	}
}

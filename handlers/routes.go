// Package handlers is kpcheckout's whole HTTP handler. New builds the three surfaces, the
// shopper's pages and KakaoPay's returns (handlers/shop), the merchant API (handlers/api) and
// the dashboard (handlers/dashboard), which share handlers/web, and registers every route in one
// table, with the server's own endpoints (health, readiness, metrics, the OpenAPI document, the
// sandbox) and the middleware around them.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/kpcheckout/kpcheckout/app"
	"github.com/kpcheckout/kpcheckout/docs"
	"github.com/kpcheckout/kpcheckout/handlers/api"
	"github.com/kpcheckout/kpcheckout/handlers/dashboard"
	"github.com/kpcheckout/kpcheckout/handlers/shop"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/static"
)

// Config holds what the handlers need.
type Config struct {
	Services *app.Services
	Bundle   *i18n.Bundle
	Assets   *static.Assets
	Sessions sessions.Store
	// BaseURL is the public URL of this server, without a trailing slash.
	BaseURL string
	// TestMode marks every page "TEST MODE" (sandbox KakaoPay).
	TestMode bool
	// Sandbox, when set, is mounted under /sandbox/.
	Sandbox http.Handler
	// Ready reports whether the database is reachable and migrated.
	Ready func(ctx context.Context) error
	// MaxWaiting and MaxWaitingPerIP cap the status long-polls waiting at once, in all and per
	// client address (20,000 and 100 when zero); past them a poll answers at once.
	MaxWaiting      int
	MaxWaitingPerIP int
	// LinkCheckoutsPerMinute and PaymentStartsPerMinute limit, per client address, the
	// checkouts shoppers open from payment links and the KakaoPay payments they start from the
	// pages (30 and 60 when zero); past them a page answers 429.
	LinkCheckoutsPerMinute int
	PaymentStartsPerMinute int
	// Proxies are the load balancers whose X-Forwarded-For names the client, for the
	// per-address caps (long-polls, sign-in failures, the limits above); none by default.
	Proxies web.Proxies
	// Now is the clock of the per-address limits; time.Now when nil.
	Now func() time.Time
	// Deliveries is woken when the API or a dashboard form queues a delivery (a ping, a
	// redelivery); nil: nothing to wake (a background Deliverer still finds them on its next tick).
	Deliveries web.Waker
	// Metrics are served at /metrics; web.NewMetrics() when nil.
	Metrics *web.Metrics
	// MetricsNetworks are the networks whose clients (behind Proxies) may read /metrics; others
	// get a 404. Loopback when empty.
	MetricsNetworks []netip.Prefix
	Logger          *slog.Logger
}

// noWake is Config.Deliveries when there is no Deliverer in this process.
type noWake struct{}

func (noWake) Wake() {}

// catchAll are the patterns that answer paths no route has.
var catchAll = []string{"/", "/v1/"}

// notAllowed answers a 405 error, with the Allow header set, when the request's path has routes
// but none for its method; nil when the path has none at all.
func notAllowed(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && !slices.Contains(catchAll, pattern) {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return nil
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return web.MethodNotAllowed(r.Method, allow)
}

// New returns the server's whole handler with every route registered.
func New(cfg Config) (http.Handler, error) {
	if cfg.Services == nil || cfg.Bundle == nil || cfg.Assets == nil || cfg.Sessions == nil || cfg.BaseURL == "" {
		return nil, errors.New("handlers: service, bundle, assets, sessions and base URL are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	qr := web.NewQRCodes() // the page and the API draw an attempt's QR code once between them
	pages := web.NewPages(cfg.Bundle, cfg.Assets, cfg.Sessions, cfg.TestMode, cfg.Logger)
	shopper := shop.New(shop.Config{Services: cfg.Services, Pages: pages, QR: qr, BaseURL: cfg.BaseURL, TestMode: cfg.TestMode,
		Proxies: cfg.Proxies, MaxWaiting: cfg.MaxWaiting, MaxWaitingPerIP: cfg.MaxWaitingPerIP,
		LinkCheckoutsPerMinute: cfg.LinkCheckoutsPerMinute, PaymentStartsPerMinute: cfg.PaymentStartsPerMinute, Now: cfg.Now,
		Logger: cfg.Logger})
	if cfg.Deliveries == nil {
		cfg.Deliveries = noWake{}
	}
	v1 := api.New(api.Config{Services: cfg.Services, BaseURL: cfg.BaseURL, QR: qr, Deliveries: cfg.Deliveries, Logger: cfg.Logger})

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shopper.ShowError(w, r, web.Forbidden("forbidden", "cross-origin request refused"))
	}))

	mux := http.NewServeMux()
	mux.Handle("GET /c/{id}", shopper.Page(shopper.ShowCheckoutPage))
	mux.Handle("POST /c/{id}/pay", csrf.Handler(shopper.Page(shopper.StartPayment)))
	mux.Handle("POST /c/{id}/cancel", csrf.Handler(shopper.Page(shopper.LeavePayment)))
	mux.Handle("GET /c/{id}/qr.png", shopper.Page(shopper.ShowQRCode))
	mux.Handle("GET /c/{id}/status", shopper.JSON(shopper.ShowStatus))
	mux.Handle("GET /c/{id}/return/{kind}", shopper.Page(shopper.HandleReturn))
	mux.Handle("GET /l/{slug}", shopper.Page(shopper.ShowLinkPage))
	mux.Handle("POST /l/{slug}", csrf.Handler(shopper.Page(shopper.PayLink)))
	mux.Handle("GET /l/{slug}/qr.png", shopper.Page(shopper.LinkQR))
	mux.Handle("GET /l/{slug}/poster", shopper.Page(shopper.LinkPoster))
	mux.Handle("GET /static/", cfg.Assets)

	dash := dashboard.New(dashboard.Config{Services: cfg.Services, Pages: pages, Sessions: cfg.Sessions, BaseURL: cfg.BaseURL,
		Proxies: cfg.Proxies, Deliveries: cfg.Deliveries, Logger: cfg.Logger})
	hooks, links := dash.Webhooks(), dash.Links()
	mux.Handle("GET /dashboard/login", dash.Public(dash.ShowLoginPage))
	mux.Handle("POST /dashboard/login", csrf.Handler(dash.Public(dash.SignIn)))
	mux.Handle("POST /dashboard/login/choose", csrf.Handler(dash.Public(dash.ChooseShop)))
	mux.Handle("POST /dashboard/logout", csrf.Handler(dash.Public(dash.SignOut)))
	mux.Handle("GET /dashboard", dash.SignedIn(dash.ShowHome))
	mux.Handle("GET /dashboard/{$}", dash.SignedIn(dash.ShowHome))
	mux.Handle("GET /dashboard/checkouts", dash.SignedIn(dash.ListCheckouts))
	mux.Handle("GET /dashboard/checkouts.csv", dash.SignedIn(dash.ExportCheckouts))
	mux.Handle("GET /dashboard/payments.csv", dash.SignedIn(dash.ExportMoney))
	mux.Handle("GET /dashboard/checkouts/{checkoutID}", dash.SignedIn(dash.ShowCheckout))
	mux.Handle("POST /dashboard/payments/{paymentID}/refund/confirm", csrf.Handler(dash.SignedIn(dash.ConfirmRefund)))
	mux.Handle("POST /dashboard/payments/{paymentID}/refund", csrf.Handler(dash.SignedIn(dash.Refund)))
	mux.Handle("GET /dashboard/webhooks", dash.Owner(hooks.ListWebhooks))
	mux.Handle("POST /dashboard/webhooks", csrf.Handler(dash.Owner(hooks.CreateWebhook)))
	mux.Handle("GET /dashboard/webhooks/{endpointID}", dash.Owner(hooks.ShowWebhook))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/enable", csrf.Handler(dash.Owner(hooks.SetWebhookDisabled(false))))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/disable", csrf.Handler(dash.Owner(hooks.SetWebhookDisabled(true))))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/test", csrf.Handler(dash.Owner(hooks.TestWebhook)))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/rotate", csrf.Handler(dash.Owner(hooks.RotateWebhookSecret)))
	mux.Handle("GET /dashboard/webhooks/{endpointID}/delete", dash.Owner(hooks.ConfirmDeleteWebhook))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/delete", csrf.Handler(dash.Owner(hooks.DeleteWebhook)))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/events/{eventID}/redeliver", csrf.Handler(dash.Owner(hooks.RedeliverWebhook)))
	mux.Handle("GET /dashboard/checkouts/{checkoutID}/expire", dash.Owner(dash.ShowExpireConfirm))
	mux.Handle("POST /dashboard/checkouts/{checkoutID}/expire", csrf.Handler(dash.Owner(dash.ExpireCheckout)))
	mux.Handle("GET /dashboard/agreements", dash.SignedIn(dash.ListAgreements))
	mux.Handle("POST /dashboard/agreements/{agreementID}/charge/confirm", csrf.Handler(dash.Owner(dash.ConfirmCharge)))
	mux.Handle("POST /dashboard/agreements/{agreementID}/charge", csrf.Handler(dash.Owner(dash.Charge)))
	mux.Handle("GET /dashboard/agreements/{agreementID}/deactivate", dash.Owner(dash.ShowDeactivateConfirm))
	mux.Handle("POST /dashboard/agreements/{agreementID}/deactivate", csrf.Handler(dash.Owner(dash.DeactivateAgreement)))
	mux.Handle("GET /dashboard/charges/{chargeID}", dash.SignedIn(dash.ShowCharge))
	mux.Handle("GET /dashboard/account", dash.SignedIn(dash.ShowAccount))
	mux.Handle("POST /dashboard/account/password", csrf.Handler(dash.SignedIn(dash.ChangePassword)))
	mux.Handle("GET /dashboard/users", dash.Owner(dash.ListUsers))
	mux.Handle("POST /dashboard/users", csrf.Handler(dash.Owner(dash.AddUser)))
	mux.Handle("POST /dashboard/users/{userID}/role", csrf.Handler(dash.Owner(dash.SetUserRole)))
	mux.Handle("GET /dashboard/users/{userID}/remove", dash.Owner(dash.ConfirmRemoveUser))
	mux.Handle("POST /dashboard/users/{userID}/remove", csrf.Handler(dash.Owner(dash.RemoveUser)))
	mux.Handle("GET /dashboard/keys", dash.Owner(dash.ListKeys))
	mux.Handle("POST /dashboard/keys", csrf.Handler(dash.Owner(dash.CreateKey)))
	mux.Handle("GET /dashboard/keys/{keyID}/revoke", dash.Owner(dash.ConfirmRevokeKey))
	mux.Handle("POST /dashboard/keys/{keyID}/revoke", csrf.Handler(dash.Owner(dash.RevokeKey)))
	mux.Handle("GET /dashboard/links", dash.SignedIn(links.ListLinks))
	mux.Handle("GET /dashboard/links/new", dash.Owner(links.ShowNewLinkPage))
	mux.Handle("POST /dashboard/links", csrf.Handler(dash.Owner(links.CreateLink)))
	mux.Handle("GET /dashboard/links/{linkID}", dash.SignedIn(links.ShowLink))
	mux.Handle("GET /dashboard/links/{linkID}/deactivate", dash.Owner(links.ConfirmDeactivateLink))
	mux.Handle("POST /dashboard/links/{linkID}/deactivate", csrf.Handler(dash.Owner(links.DeactivateLink)))
	mux.Handle("GET /dashboard/settings", dash.Owner(dash.ShowSettings))
	mux.Handle("POST /dashboard/settings", csrf.Handler(dash.Owner(dash.SaveSettings)))

	mux.Handle("POST /v1/checkouts", v1.Auth(v1.Idempotent(v1.CreateCheckout)))
	mux.Handle("GET /v1/checkouts", v1.Auth(v1.ListCheckouts))
	mux.Handle("GET /v1/checkouts/{id}", v1.Auth(v1.GetCheckout))
	mux.Handle("POST /v1/checkouts/{id}/expire", v1.Auth(v1.Idempotent(v1.ExpireCheckout)))
	mux.Handle("POST /v1/checkouts/{id}/attempts", v1.Auth(v1.Idempotent(v1.CreateAttempt)))
	mux.Handle("GET /v1/payments/{id}", v1.Auth(v1.GetPayment))
	mux.Handle("POST /v1/payments/{id}/refunds", v1.Auth(v1.Idempotent(v1.CreateRefund)))
	mux.Handle("GET /v1/refunds/{id}", v1.Auth(v1.GetRefund))
	mux.Handle("GET /v1/agreements/{id}", v1.Auth(v1.GetAgreement))
	mux.Handle("POST /v1/agreements/{id}/charges", v1.Auth(v1.Idempotent(v1.CreateCharge)))
	mux.Handle("POST /v1/agreements/{id}/deactivate", v1.Auth(v1.Idempotent(v1.DeactivateAgreement)))
	mux.Handle("GET /v1/charges", v1.Auth(v1.ListCharges))
	mux.Handle("GET /v1/charges/{id}", v1.Auth(v1.GetCharge))
	mux.Handle("GET /v1/events", v1.Auth(v1.ListEvents))
	mux.Handle("GET /v1/events/{id}", v1.Auth(v1.GetEvent))
	mux.Handle("POST /v1/events/{id}/redeliver", v1.Auth(v1.Idempotent(v1.RedeliverEvent)))
	mux.Handle("GET /v1/merchant", v1.Auth(v1.GetMerchant))
	mux.Handle("POST /v1/merchant", v1.Auth(v1.Idempotent(v1.UpdateMerchant)))
	mux.Handle("POST /v1/links", v1.Auth(v1.Idempotent(v1.CreateLink)))
	mux.Handle("GET /v1/links", v1.Auth(v1.ListLinks))
	mux.Handle("GET /v1/links/{id}", v1.Auth(v1.GetLink))
	mux.Handle("POST /v1/links/{id}/deactivate", v1.Auth(v1.Idempotent(v1.DeactivateLink)))
	mux.Handle("POST /v1/webhook_endpoints", v1.Auth(v1.Idempotent(v1.CreateEndpoint)))
	mux.Handle("GET /v1/webhook_endpoints", v1.Auth(v1.ListEndpoints))
	mux.Handle("GET /v1/webhook_endpoints/{id}", v1.Auth(v1.GetEndpoint))
	mux.Handle("POST /v1/webhook_endpoints/{id}", v1.Auth(v1.Idempotent(v1.UpdateEndpoint)))
	mux.Handle("DELETE /v1/webhook_endpoints/{id}", v1.Auth(v1.DeleteEndpoint))
	mux.Handle("POST /v1/webhook_endpoints/{id}/rotate_secret", v1.Auth(v1.Idempotent(v1.RotateEndpointSecret)))
	mux.Handle("POST /v1/webhook_endpoints/{id}/test", v1.Auth(v1.Idempotent(v1.TestEndpoint)))
	mux.Handle("GET /v1/openapi.json", docs.OpenAPIHandler())
	mux.Handle("/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := notAllowed(mux, w, r); err != nil {
			w.Header().Set("Cache-Control", "no-store")
			web.WriteError(w, r, cfg.Logger, err)
			return
		}
		v1.NotFound(w, r)
	}))

	if cfg.Metrics == nil {
		cfg.Metrics = web.NewMetrics()
	}
	cfg.Metrics.Watch(cfg.Services.Checkouts)
	mux.Handle("GET /metrics", cfg.Metrics.Handler(cfg.MetricsNetworks, cfg.Proxies,
		pages.Page(func(http.ResponseWriter, *http.Request) error { return web.ErrNotFound }, nil)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Ready != nil {
			if err := cfg.Ready(r.Context()); err != nil {
				cfg.Logger.ErrorContext(r.Context(), "not ready", "err", err)
				http.Error(w, "not ready\n", http.StatusServiceUnavailable)
				return
			}
		}
		w.Write([]byte("ready\n"))
	})
	if cfg.Sandbox != nil {
		mux.Handle("/sandbox/", http.StripPrefix("/sandbox", cfg.Sandbox))
	}
	if cfg.TestMode {
		mux.Handle("GET /test-mode", shopper.Page(shopper.ShowTestMode))
	}
	mux.Handle("/", pages.Page(func(w http.ResponseWriter, r *http.Request) error {
		if err := notAllowed(mux, w, r); err != nil {
			return err
		}
		return web.ErrNotFound
	}, nil))
	return web.Middleware(mux, cfg.Logger, cfg.Metrics), nil
}

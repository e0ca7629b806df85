// Package handlers is kpcheckout's HTTP surface: the shopper pages, KakaoPay's return
// callbacks, the status endpoint, the merchant API, the merchant dashboard and the middleware
// around them.
package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/docs"
	"github.com/kpcheckout/kpcheckout/static"
)

// Config holds what the handlers need.
type Config struct {
	Service  *checkout.Service
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
	Proxies Proxies
	// Now is the clock of the per-address limits; time.Now when nil.
	Now func() time.Time
	// Deliveries is woken when the API queues a delivery (a ping, a redelivery); nil: nothing
	// to wake (a background Deliverer still finds them on its next tick).
	Deliveries Waker
	// Metrics are served at /metrics; NewMetrics() when nil.
	Metrics *Metrics
	// MetricsNetworks are the networks whose clients (behind Proxies) may read /metrics; others
	// get a 404. Loopback when empty.
	MetricsNetworks []netip.Prefix
	Logger          *slog.Logger
}

// Waker is what wakes a background worker: the webhook Deliverer, when the API queues a delivery.
type Waker interface{ Wake() }

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
	return &httpError{status: http.StatusMethodNotAllowed, typ: "invalid_request_error", code: "method_not_allowed",
		message: fmt.Sprintf("%s is not allowed here; use %s", r.Method, strings.Join(allow, " or "))}
}

// New returns the server's whole handler with every route registered.
func New(cfg Config) (http.Handler, error) {
	if cfg.Service == nil || cfg.Bundle == nil || cfg.Assets == nil || cfg.Sessions == nil || cfg.BaseURL == "" {
		return nil, errors.New("handlers: service, bundle, assets, sessions and base URL are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	qr := newQRCodes() // the page and the API draw an attempt's QR code once between them
	shop := &Shopper{svc: cfg.Service, bundle: cfg.Bundle, assets: cfg.Assets, sessions: cfg.Sessions,
		baseURL: cfg.BaseURL, testMode: cfg.TestMode, waits: newWaitLimit(cfg.MaxWaiting, cfg.MaxWaitingPerIP), proxies: cfg.Proxies,
		linkCheckouts: newAddrRate(cmp.Or(cfg.LinkCheckoutsPerMinute, 30), now),
		paymentStarts: newAddrRate(cmp.Or(cfg.PaymentStartsPerMinute, 60), now),
		qr:            qr, log: cfg.Logger}
	if cfg.Deliveries == nil {
		cfg.Deliveries = noWake{}
	}
	api := &API{svc: cfg.Service, baseURL: cfg.BaseURL, log: cfg.Logger, deliveries: cfg.Deliveries, qr: qr,
		eventWaits: newWaitLimit(maxEventWaits, maxEventWaitsPerMerchant)}

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shop.showError(w, r, &httpError{status: http.StatusForbidden, typ: "invalid_request_error", code: "forbidden", message: "cross-origin request refused"})
	}))

	mux := http.NewServeMux()
	mux.Handle("GET /c/{id}", shop.page(shop.showCheckoutPage))
	mux.Handle("POST /c/{id}/pay", csrf.Handler(shop.page(shop.startPayment)))
	mux.Handle("POST /c/{id}/cancel", csrf.Handler(shop.page(shop.leavePayment)))
	mux.Handle("GET /c/{id}/qr.png", shop.page(shop.showQRCode))
	mux.Handle("GET /c/{id}/status", shop.json(shop.showStatus))
	mux.Handle("GET /c/{id}/return/{kind}", shop.page(shop.handleReturn))
	mux.Handle("GET /l/{slug}", shop.page(shop.showLinkPage))
	mux.Handle("POST /l/{slug}", csrf.Handler(shop.page(shop.payLink)))
	mux.Handle("GET /l/{slug}/qr.png", shop.page(shop.linkQR))
	mux.Handle("GET /l/{slug}/poster", shop.page(shop.linkPoster))
	mux.Handle("GET /static/", cfg.Assets)

	dash := newDashboard(shop, cfg)
	mux.Handle("GET /dashboard/login", dash.public(dash.showLoginPage))
	mux.Handle("POST /dashboard/login", csrf.Handler(dash.public(dash.signIn)))
	mux.Handle("POST /dashboard/login/choose", csrf.Handler(dash.public(dash.chooseShop)))
	mux.Handle("POST /dashboard/logout", csrf.Handler(dash.public(dash.signOut)))
	mux.Handle("GET /dashboard", dash.signedIn(dash.showHome))
	mux.Handle("GET /dashboard/{$}", dash.signedIn(dash.showHome))
	mux.Handle("GET /dashboard/checkouts", dash.signedIn(dash.listCheckouts))
	mux.Handle("GET /dashboard/checkouts.csv", dash.signedIn(dash.exportCheckouts))
	mux.Handle("GET /dashboard/checkouts/{checkoutID}", dash.signedIn(dash.showCheckout))
	mux.Handle("POST /dashboard/payments/{paymentID}/refund/confirm", csrf.Handler(dash.signedIn(dash.confirmRefund)))
	mux.Handle("POST /dashboard/payments/{paymentID}/refund", csrf.Handler(dash.signedIn(dash.refund)))
	mux.Handle("GET /dashboard/webhooks", dash.owner(dash.listWebhooks))
	mux.Handle("POST /dashboard/webhooks", csrf.Handler(dash.owner(dash.createWebhook)))
	mux.Handle("GET /dashboard/webhooks/{endpointID}", dash.owner(dash.showWebhook))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/enable", csrf.Handler(dash.owner(dash.setWebhookDisabled(false))))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/disable", csrf.Handler(dash.owner(dash.setWebhookDisabled(true))))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/test", csrf.Handler(dash.owner(dash.testWebhook)))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/rotate", csrf.Handler(dash.owner(dash.rotateWebhookSecret)))
	mux.Handle("GET /dashboard/webhooks/{endpointID}/delete", dash.owner(dash.confirmDeleteWebhook))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/delete", csrf.Handler(dash.owner(dash.deleteWebhook)))
	mux.Handle("POST /dashboard/webhooks/{endpointID}/events/{eventID}/redeliver", csrf.Handler(dash.owner(dash.redeliverWebhook)))
	mux.Handle("GET /dashboard/checkouts/{checkoutID}/expire", dash.owner(dash.showExpireConfirm))
	mux.Handle("POST /dashboard/checkouts/{checkoutID}/expire", csrf.Handler(dash.owner(dash.expireCheckout)))
	mux.Handle("GET /dashboard/agreements", dash.signedIn(dash.listAgreements))
	mux.Handle("POST /dashboard/agreements/{agreementID}/charge/confirm", csrf.Handler(dash.owner(dash.confirmCharge)))
	mux.Handle("POST /dashboard/agreements/{agreementID}/charge", csrf.Handler(dash.owner(dash.charge)))
	mux.Handle("GET /dashboard/agreements/{agreementID}/deactivate", dash.owner(dash.showDeactivateConfirm))
	mux.Handle("POST /dashboard/agreements/{agreementID}/deactivate", csrf.Handler(dash.owner(dash.deactivateAgreement)))
	mux.Handle("GET /dashboard/charges/{chargeID}", dash.signedIn(dash.showCharge))
	mux.Handle("GET /dashboard/account", dash.signedIn(dash.showAccount))
	mux.Handle("POST /dashboard/account/password", csrf.Handler(dash.signedIn(dash.changePassword)))
	mux.Handle("GET /dashboard/users", dash.owner(dash.listUsers))
	mux.Handle("POST /dashboard/users", csrf.Handler(dash.owner(dash.addUser)))
	mux.Handle("POST /dashboard/users/{userID}/role", csrf.Handler(dash.owner(dash.setUserRole)))
	mux.Handle("GET /dashboard/users/{userID}/remove", dash.owner(dash.confirmRemoveUser))
	mux.Handle("POST /dashboard/users/{userID}/remove", csrf.Handler(dash.owner(dash.removeUser)))
	mux.Handle("GET /dashboard/keys", dash.owner(dash.listKeys))
	mux.Handle("POST /dashboard/keys", csrf.Handler(dash.owner(dash.createKey)))
	mux.Handle("GET /dashboard/keys/{keyID}/revoke", dash.owner(dash.confirmRevokeKey))
	mux.Handle("POST /dashboard/keys/{keyID}/revoke", csrf.Handler(dash.owner(dash.revokeKey)))
	mux.Handle("GET /dashboard/links", dash.signedIn(dash.listLinks))
	mux.Handle("GET /dashboard/links/new", dash.owner(dash.showNewLinkPage))
	mux.Handle("POST /dashboard/links", csrf.Handler(dash.owner(dash.createLink)))
	mux.Handle("GET /dashboard/links/{linkID}", dash.signedIn(dash.showLink))
	mux.Handle("GET /dashboard/links/{linkID}/deactivate", dash.owner(dash.confirmDeactivateLink))
	mux.Handle("POST /dashboard/links/{linkID}/deactivate", csrf.Handler(dash.owner(dash.deactivateLink)))
	mux.Handle("GET /dashboard/settings", dash.owner(dash.showSettings))
	mux.Handle("POST /dashboard/settings", csrf.Handler(dash.owner(dash.saveSettings)))

	mux.Handle("POST /v1/checkouts", api.auth(api.idempotent(api.createCheckout)))
	mux.Handle("GET /v1/checkouts", api.auth(api.listCheckouts))
	mux.Handle("GET /v1/checkouts/{id}", api.auth(api.getCheckout))
	mux.Handle("POST /v1/checkouts/{id}/expire", api.auth(api.idempotent(api.expireCheckout)))
	mux.Handle("POST /v1/checkouts/{id}/attempts", api.auth(api.idempotent(api.createAttempt)))
	mux.Handle("GET /v1/payments/{id}", api.auth(api.getPayment))
	mux.Handle("POST /v1/payments/{id}/refunds", api.auth(api.idempotent(api.createRefund)))
	mux.Handle("GET /v1/refunds/{id}", api.auth(api.getRefund))
	mux.Handle("GET /v1/agreements/{id}", api.auth(api.getAgreement))
	mux.Handle("POST /v1/agreements/{id}/charges", api.auth(api.idempotent(api.createCharge)))
	mux.Handle("POST /v1/agreements/{id}/deactivate", api.auth(api.idempotent(api.deactivateAgreement)))
	mux.Handle("GET /v1/charges", api.auth(api.listCharges))
	mux.Handle("GET /v1/charges/{id}", api.auth(api.getCharge))
	mux.Handle("GET /v1/events", api.auth(api.listEvents))
	mux.Handle("GET /v1/events/{id}", api.auth(api.getEvent))
	mux.Handle("POST /v1/events/{id}/redeliver", api.auth(api.idempotent(api.redeliverEvent)))
	mux.Handle("GET /v1/merchant", api.auth(api.getMerchant))
	mux.Handle("POST /v1/merchant", api.auth(api.idempotent(api.updateMerchant)))
	mux.Handle("POST /v1/links", api.auth(api.idempotent(api.createLink)))
	mux.Handle("GET /v1/links", api.auth(api.listLinks))
	mux.Handle("GET /v1/links/{id}", api.auth(api.getLink))
	mux.Handle("POST /v1/links/{id}/deactivate", api.auth(api.idempotent(api.deactivateLink)))
	mux.Handle("POST /v1/webhook_endpoints", api.auth(api.idempotent(api.createEndpoint)))
	mux.Handle("GET /v1/webhook_endpoints", api.auth(api.listEndpoints))
	mux.Handle("GET /v1/webhook_endpoints/{id}", api.auth(api.getEndpoint))
	mux.Handle("POST /v1/webhook_endpoints/{id}", api.auth(api.idempotent(api.updateEndpoint)))
	mux.Handle("DELETE /v1/webhook_endpoints/{id}", api.auth(api.deleteEndpoint))
	mux.Handle("POST /v1/webhook_endpoints/{id}/rotate_secret", api.auth(api.idempotent(api.rotateEndpointSecret)))
	mux.Handle("POST /v1/webhook_endpoints/{id}/test", api.auth(api.idempotent(api.testEndpoint)))
	mux.Handle("GET /v1/openapi.json", docs.OpenAPIHandler())
	mux.Handle("/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := notAllowed(mux, w, r); err != nil {
			w.Header().Set("Cache-Control", "no-store")
			writeError(w, r, cfg.Logger, err)
			return
		}
		api.notFound(w, r)
	}))

	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	cfg.Metrics.watch(cfg.Service)
	mux.Handle("GET /metrics", cfg.Metrics.handler(cfg.MetricsNetworks, cfg.Proxies,
		shop.page(func(http.ResponseWriter, *http.Request) error { return errNotFound })))
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
		mux.Handle("GET /test-mode", shop.page(shop.showTestMode))
	}
	mux.Handle("/", shop.page(func(w http.ResponseWriter, r *http.Request) error {
		if err := notAllowed(mux, w, r); err != nil {
			return err
		}
		return errNotFound
	}))
	return withMiddleware(mux, cfg.Logger, cfg.Metrics), nil
}

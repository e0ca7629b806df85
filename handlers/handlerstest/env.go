// Package handlerstest runs kpcheckout for tests: the app on httptest over a real SQLite file
// (or a PostgreSQL database, see Options.PostgresURL),
// the sandbox KakaoPay on its own httptest server, a merchant with its API key, a merchant site
// to return to, and shoppers' browsers. The handlers tests and the Chromium tests in e2e share it.
package handlerstest

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app"
	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/handlers"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/kakaopay/kakaopaytest"
	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
	"github.com/kpcheckout/kpcheckout/locales"
	"github.com/kpcheckout/kpcheckout/static"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/postgres"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// Env is a running kpcheckout with everything around it. Its database's invariants are checked
// when the test ends.
type Env struct {
	t      testing.TB
	dbPath string

	URL           string              // the app's base URL
	Sandbox       *sandbox.Sandbox    // the sandbox KakaoPay
	SandboxURL    string              // its base URL
	*app.Services                     // the app's services, over DB
	DB            *sqlite.DB          // the app's database; nil on PostgreSQL
	Clock         *kakaopaytest.Clock // the time of the app and the sandbox
	Key           string              // the merchant's API key
	MerchantID    string              // the merchant's id
	Shop          *httptest.Server    // the merchant's site: success and failure URLs land here
	Deliverer     *webhook.Deliverer  // sends the outbox's webhooks
	// Client is the merchant's HTTP client: it checks every /v1 call and its answer against
	// docs/openapi.json (see openAPICheck).
	Client *http.Client
	// Handler is the app's whole handler, for requests no HTTP client can send (one whose
	// client has already left).
	Handler http.Handler
}

// Options change how New sets the app up; the zero value is the default.
type Options struct {
	ApproveDelay time.Duration        // how long the sandbox takes to answer approve for amount 5555 (30 s)
	HTTPTimeout  time.Duration        // the KakaoPay client's timeout and the approve timeout (10 s)
	Faults       *kakaopaytest.Faults // between kpcheckout's KakaoPay client and the sandbox
	WaitsPerIP   int                  // cap on the long-polls one client may hold
	// LinkCheckoutsPerMinute and PaymentStartsPerMinute limit, per client address, the checkouts
	// opened from links and the payments started from the shopper pages (the defaults when 0),
	// on the test clock.
	LinkCheckoutsPerMinute int
	PaymentStartsPerMinute int
	// Proxies are the load balancers whose X-Forwarded-For names the client (none when nil).
	Proxies web.Proxies
	// Live serves the pages as with real KakaoPay credentials: no test-mode banner or test tools
	// (the peer is still the sandbox).
	Live bool
	// WebhookTimeout bounds one webhook POST (10 s when zero).
	WebhookTimeout time.Duration
	// ManualDeliveries runs no background Deliverer: webhooks go only when the test calls
	// Env.Deliverer.DeliverDue.
	ManualDeliveries bool
	// ReadTimeout is the app server's http.Server.ReadTimeout, as serve sets it (none when zero):
	// a body dripped past it is cut.
	ReadTimeout time.Duration
	// Logger gets the app's log (none when nil).
	Logger *slog.Logger
	// Store, when set, wraps the database the service uses (a store that fails some writes);
	// Env.DB stays the database itself.
	Store func(store.Store) store.Store
	// MetricsNetworks are who may read /metrics (handlers.Config; loopback when nil).
	MetricsNetworks []netip.Prefix
	// PostgresURL, when set, is the app's database instead of a SQLite file: a fresh one from
	// pgtest's Server.Database. Env.DB is then nil, and CountRows and the invariant checks,
	// which read the SQLite file, are not available.
	PostgresURL string
}

// database is what the app and the Deliverer run on: either backend.
type database interface {
	store.Store
	Ping(ctx context.Context) error
	Close() error
}

// open opens the app's database: o's PostgreSQL database, or a SQLite file in the test's
// temporary folder whose invariants are checked when the test ends.
func (e *Env) open(ctx context.Context, t testing.TB, o Options) database {
	t.Helper()
	if o.PostgresURL != "" {
		db, err := postgres.Open(ctx, o.PostgresURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	e.dbPath = filepath.Join(t.TempDir(), "kpcheckout.db")
	db, err := sqlite.Open(ctx, e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	t.Cleanup(func() { apptest.CheckInvariants(t, e.dbPath) }) // runs before the database closes
	e.DB = db
	return db
}

// New starts kpcheckout with the default options.
func New(t testing.TB) *Env { return NewWith(t, Options{}) }

// NewCheckout starts kpcheckout with the default options and makes its default 11,000-won
// checkout (Env.CreateCheckout): where most tests begin.
func NewCheckout(t testing.TB) (*Env, CheckoutObject) {
	t.Helper()
	e := New(t)
	return e, e.CreateCheckout("")
}

// NewFaulty starts kpcheckout with faults between its KakaoPay client and the sandbox, none
// set yet: the test sets them when KakaoPay is to fail.
func NewFaulty(t testing.TB) (*Env, *kakaopaytest.Faults) {
	t.Helper()
	f := kakaopaytest.NewFaults()
	return NewWith(t, Options{Faults: f}), f
}

// NewWith starts kpcheckout with options o; everything stops when the test ends.
func NewWith(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{t: t, Clock: kakaopaytest.NewClock(time.Now().UTC())}
	db := e.open(ctx, t, o)
	bundle, err := locales.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	sbSrv := httptest.NewUnstartedServer(nil)
	e.SandboxURL = "http://" + sbSrv.Listener.Addr().String()
	if o.ApproveDelay == 0 {
		o.ApproveDelay = 30 * time.Second
	}
	e.Sandbox, err = sandbox.New(sandbox.Options{BaseURL: e.SandboxURL, SecretKey: "test-secret", Now: e.Clock.Now, Bundle: bundle, ApproveDelay: o.ApproveDelay})
	if err != nil {
		t.Fatal(err)
	}
	sbSrv.Config.Handler = e.Sandbox
	sbSrv.Start()
	t.Cleanup(sbSrv.Close)

	if o.HTTPTimeout == 0 {
		o.HTTPTimeout = 10 * time.Second
	}
	var transport http.RoundTripper // nil: the default
	if o.Faults != nil {
		transport = o.Faults
	}
	metrics := web.NewMetrics()
	kp, err := kakaopay.New(kakaopay.Options{BaseURL: e.SandboxURL, SecretKey: "test-secret",
		HTTPClient: &http.Client{Timeout: o.HTTPTimeout, Transport: transport}, Observe: metrics.ObserveKakaoPay})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	e.URL = "http://" + srv.Listener.Addr().String()
	var st store.Store = db
	if o.Store != nil {
		st = o.Store(db)
	}
	// The app runs as a sandbox server does: webhook endpoints may be on this computer, and
	// embed origins on loopback over http unless o.Live.
	e.Services, err = app.New(app.Config{Store: st, KakaoPay: kp, ReturnURL: web.ReturnURL(e.URL), PageURL: web.PageURL(e.URL), Clock: e.Clock.Now, ApproveTimeout: o.HTTPTimeout,
		WebhookAllowPrivate: true, Sandbox: !o.Live})
	if err != nil {
		t.Fatal(err)
	}
	assets, err := static.Load("/static/")
	if err != nil {
		t.Fatal(err)
	}
	// Webhooks go to receivers on 127.0.0.1, on the test clock; Run looks every second and when
	// the API queues one, and tests may call DeliverDue to deliver at once.
	e.Deliverer = webhook.NewDeliverer(webhook.Config{Store: db, AllowPrivate: true, Timeout: o.WebhookTimeout, Now: e.Clock.Now})
	if !o.ManualDeliveries {
		dctx, stopDeliveries := context.WithCancel(ctx)
		delivering := make(chan struct{})
		go func() { defer close(delivering); e.Deliverer.Run(dctx) }()
		t.Cleanup(func() { stopDeliveries(); <-delivering })
	}
	h, err := handlers.New(handlers.Config{
		Services: e.Services, Bundle: bundle, Assets: assets, Sessions: web.NewSessions([]byte("0123456789abcdef0123456789abcdef"), e.URL),
		BaseURL: e.URL, TestMode: !o.Live, Ready: db.Ping, MaxWaitingPerIP: o.WaitsPerIP, Metrics: metrics, Deliveries: e.Deliverer,
		Logger: o.Logger, Proxies: o.Proxies, Now: e.Clock.Now, MetricsNetworks: o.MetricsNetworks,
		LinkCheckoutsPerMinute: o.LinkCheckoutsPerMinute, PaymentStartsPerMinute: o.PaymentStartsPerMinute,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler, e.Handler = h, h
	srv.Config.ReadTimeout = o.ReadTimeout
	srv.Start()
	e.Client = &http.Client{Transport: newOpenAPICheck(t, e.URL, http.DefaultTransport)}
	t.Cleanup(func() {
		e.Checkouts.Notifier().Close()
		srv.Close()
		// Parked long-polls are answered before the database closes, as the server's shutdown does.
		if err := e.Checkouts.WaitParked(context.Background()); err != nil {
			t.Error(err)
		}
	})

	e.Shop = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "merchant site: "+r.URL.String())
	}))
	t.Cleanup(e.Shop.Close)

	cm, err := e.Merchants.Create(ctx, accounts.MerchantParams{Name: "테스트 카페"})
	if err != nil {
		t.Fatal(err)
	}
	e.Key, e.MerchantID = cm.APIKey, cm.Merchant.ID
	return e
}

// Merchant reads e's merchant as it is now.
func (e *Env) Merchant() *store.Merchant {
	e.t.Helper()
	m, err := e.Merchants.Merchant(e.t.Context(), e.MerchantID)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// DBPath is where the app's SQLite file is.
func (e *Env) DBPath() string { return e.dbPath }

// CountRows runs a COUNT query straight on the SQLite file.
func (e *Env) CountRows(query string, args ...any) int {
	e.t.Helper()
	if e.dbPath == "" {
		e.t.Fatal("handlerstest: CountRows reads the SQLite file; this Env runs on PostgreSQL")
	}
	db, err := sql.Open("sqlite", "file:"+e.dbPath+"?mode=ro")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

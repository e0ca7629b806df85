// Package apptest runs kpcheckout's domain services for the tests of their packages (checkout,
// payments, links, accounts, webhook): every service of app.Services over a real SQLite file
// and the sandbox KakaoPay peer on 127.0.0.1, with one merchant, driven through their exported
// API only, so that the tests hold across refactors of the services' insides. The store's money
// invariants are checked when each test ends.
package apptest

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/kakaopay/kakaopaytest"
	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
	"github.com/kpcheckout/kpcheckout/store/storetest"
)

// Harness is every service over a real SQLite file and the sandbox peer, with one merchant.
type Harness struct {
	*app.Services
	T          *testing.T
	Ctx        context.Context
	Sandbox    *sandbox.Sandbox
	SandboxURL string
	Faults     *kakaopaytest.Faults // between the services' KakaoPay client and the sandbox
	Clock      *kakaopaytest.Clock  // the services' and the sandbox's time
	M          *store.Merchant      // the merchant
	DB         store.Store          // for a second service over the same database: another instance
	Path       string               // the SQLite file, for what only SQL shows (row counts, pages)
	// KakaoPay is the services' client, for another instance of a service.
	KakaoPay *kakaopay.Client
}

// Options change how NewWith sets the services up; the zero value is the default.
type Options struct {
	ApproveDelay   time.Duration // how long the sandbox holds approve for amount 5555 (30 s)
	ApproveTimeout time.Duration // the services' bound on one approve call (10 s)
	RetainEvents   time.Duration // the services' RetainEvents (its default when zero)
	// PublicWebhooks runs the services as with real KakaoPay credentials: webhook endpoints must
	// be public (the default allows private addresses).
	PublicWebhooks bool
	// Sandbox runs the services as a sandbox server does (app.Config.Sandbox): without it, and
	// without PublicWebhooks, it is a server with real credentials and --webhook-allow-private.
	Sandbox bool
}

// New returns the services with the default options.
func New(t *testing.T) *Harness { return NewWith(t, Options{}) }

// NewWith returns the services with options o; everything stops when the test ends.
func NewWith(t *testing.T, o Options) *Harness {
	t.Helper()
	h := &Harness{T: t, Ctx: context.Background(), Clock: kakaopaytest.NewClock(time.Now().UTC()),
		Faults: kakaopaytest.NewFaults()}
	h.open()
	h.startSandbox(o)
	h.services(o)
	cm, err := h.Merchants.Create(h.Ctx, accounts.MerchantParams{Name: "테스트 카페"})
	if err != nil {
		t.Fatal(err)
	}
	h.M = cm.Merchant
	return h
}

// Merchant makes another test-mode merchant, named name.
func (h *Harness) Merchant(name string) *store.Merchant {
	h.T.Helper()
	cm, err := h.Merchants.Create(h.Ctx, accounts.MerchantParams{Name: name})
	if err != nil {
		h.T.Fatal(err)
	}
	return cm.Merchant
}

// Attach returns the services over db, as one more kpcheckout process over a shared database
// runs them, calling the sandbox sb at sandboxURL, on clock. Its M is unset: a merchant made
// through one instance is every instance's.
func Attach(t *testing.T, db store.Store, sb *sandbox.Sandbox, sandboxURL string, clock *kakaopaytest.Clock, o Options) *Harness {
	t.Helper()
	h := &Harness{T: t, Ctx: context.Background(), Clock: clock, Faults: kakaopaytest.NewFaults(), DB: db,
		Sandbox: sb, SandboxURL: sandboxURL}
	h.client()
	h.services(o)
	return h
}

// Another is another instance of h's services over h's database, for h's merchant: what another
// kpcheckout process sees.
func (h *Harness) Another(o Options) *Harness {
	h.T.Helper()
	other := Attach(h.T, h.DB, h.Sandbox, h.SandboxURL, h.Clock, o)
	other.M, other.Path = h.M, h.Path
	return other
}

// services builds the services over h.DB with o.
func (h *Harness) services(o Options) {
	if o.ApproveTimeout == 0 {
		o.ApproveTimeout = 10 * time.Second
	}
	var err error
	h.Services, err = app.New(app.Config{Store: h.DB, KakaoPay: h.KakaoPay, ReturnURL: ReturnURL("http://127.0.0.1:1"),
		Clock: h.Clock.Now, ApproveTimeout: o.ApproveTimeout, WebhookAllowPrivate: !o.PublicWebhooks, RetainEvents: o.RetainEvents,
		Sandbox: o.Sandbox})
	if err != nil {
		h.T.Fatal(err)
	}
	h.T.Cleanup(h.Checkouts.Notifier().Close)
}

// open opens h's database, whose invariants are checked when the test ends.
func (h *Harness) open() {
	h.DB, h.Path = OpenDB(h.T)
	h.T.Cleanup(func() { CheckInvariants(h.T, h.Path) }) // runs before the database closes
}

// OpenDB opens a copy of a freshly migrated SQLite database in the test's folder, closed when
// the test ends, and answers it with its file's path.
func OpenDB(t *testing.T) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kpcheckout.db")
	schema, err := migrated()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, schema, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// startSandbox starts the sandbox peer and the client the services call it with.
func (h *Harness) startSandbox(o Options) {
	t := h.T
	srv := httptest.NewUnstartedServer(nil)
	h.SandboxURL = "http://" + srv.Listener.Addr().String()
	if o.ApproveDelay == 0 {
		o.ApproveDelay = 30 * time.Second
	}
	var err error
	h.Sandbox, err = sandbox.New(sandbox.Options{BaseURL: h.SandboxURL, SecretKey: "test-secret", Now: h.Clock.Now, ApproveDelay: o.ApproveDelay})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h.Sandbox
	srv.Start()
	t.Cleanup(srv.Close)
	h.client()
}

// client makes the KakaoPay client the services call the sandbox with, through h.Faults. Only
// approve is bounded by the approve timeout: ready and order keep a roomy timeout, so that a
// loaded machine does not fail them.
func (h *Harness) client() {
	var err error
	h.KakaoPay, err = kakaopay.New(kakaopay.Options{BaseURL: h.SandboxURL, SecretKey: "test-secret",
		HTTPClient: &http.Client{Timeout: 20 * time.Second, Transport: h.Faults}})
	if err != nil {
		h.T.Fatal(err)
	}
}

// migrated is a freshly migrated database file, made once: each harness starts from a copy
// instead of running every migration again (a third of the tests' CPU under -race).
var migrated = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "kpcheckout-schema")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "kpcheckout.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

// CheckInvariants runs the store's money invariants on the SQLite file at path.
func CheckInvariants(t testing.TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.CheckInvariants(t, db)
}

// Number runs a query answering one number on the SQLite file: what only SQL shows (row
// counts, pages).
func (h *Harness) Number(query string) int {
	h.T.Helper()
	db, err := sql.Open("sqlite", "file:"+h.Path+"?mode=ro")
	if err != nil {
		h.T.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		h.T.Fatal(err)
	}
	return n
}

// Create makes an open checkout of amount won (11,000 in two items when amount is 0).
func (h *Harness) Create(amount int64) *store.Checkout {
	h.T.Helper()
	p := checkout.CreateParams{Amount: amount, Reference: "ORDER-1", SuccessURL: "https://shop.example/thanks", FailureURL: "https://shop.example/cart"}
	if amount == 0 {
		p.Amount = 11000
		p.Items = []store.Item{{Name: "아메리카노", Quantity: 2, UnitPrice: 4500}, {Name: "크루아상", Quantity: 1, UnitPrice: 2000}}
	}
	return h.CreateWith(p)
}

// CreateWith makes a checkout from p, with the shop's URLs when p has none.
func (h *Harness) CreateWith(p checkout.CreateParams) *store.Checkout {
	h.T.Helper()
	if p.SuccessURL == "" {
		p.SuccessURL, p.FailureURL = "https://shop.example/thanks", "https://shop.example/cart"
	}
	c, err := h.Checkouts.Create(h.Ctx, h.M, p)
	if err != nil {
		h.T.Fatal(err)
	}
	return c
}

// Start starts a phone's KakaoPay attempt on a checkout.
func (h *Harness) Start(checkoutID string) *store.Attempt {
	h.T.Helper()
	a, err := h.Checkouts.Pay(h.Ctx, checkoutID, checkout.DeviceMobile)
	if err != nil {
		h.T.Fatal(err)
	}
	return a
}

// Hold reserves an Idempotency-Key of h's merchant for a request of hash, as a request new to
// the key does, and fails the test unless that request now holds it.
func (h *Harness) Hold(key, hash string) *domain.Reservation {
	h.T.Helper()
	held, prev, err := h.Idempotency.Reserve(h.Ctx, h.M.ID, key, hash, time.Second)
	if err != nil || held == nil || prev != nil {
		h.T.Fatalf("reserving %s: %v, held %+v, bound to %+v", key, err, held, prev)
	}
	return held
}

// Wallet plays the shopper in the sandbox wallet of an attempt: it opens the wallet with
// X-Sandbox-Auto set to action (approve, cancel or fail) and returns where KakaoPay sends the
// browser back to (one of our return URLs).
func (h *Harness) Wallet(a *store.Attempt, action string) *url.URL {
	h.T.Helper()
	req, err := http.NewRequest(http.MethodGet, a.MobileURL, nil)
	if err != nil {
		h.T.Fatal(err)
	}
	req.Header.Set("X-Sandbox-Auto", action)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Do(req)
	if err != nil {
		h.T.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil || back.Query().Get("attempt") != a.ID {
		h.T.Fatalf("wallet %s: %d to %q", action, res.StatusCode, res.Header.Get("Location"))
	}
	return back
}

// ApproveInWallet has the shopper approve the attempt in the wallet and returns the pg_token
// KakaoPay sends back with them.
func (h *Harness) ApproveInWallet(a *store.Attempt) string {
	h.T.Helper()
	token := h.Wallet(a, "approve").Query().Get("pg_token")
	if token == "" {
		h.T.Fatal("the wallet sent no pg_token back")
	}
	return token
}

// ApprovedInWallet creates a checkout of amount won (11000 when 0), starts a phone attempt and
// approves it in the sandbox wallet: the shopper is on the way back with the pg_token returned.
func (h *Harness) ApprovedInWallet(amount int64) (*store.Checkout, *store.Attempt, string) {
	h.T.Helper()
	c := h.Create(amount)
	a := h.Start(c.ID)
	return c, a, h.ApproveInWallet(a)
}

// ReturnApprove is the shopper's return to our approval URL, as the return handler hands it on.
func (h *Harness) ReturnApprove(c *store.Checkout, a *store.Attempt, token string) (*checkout.Outcome, error) {
	return h.Checkouts.HandleReturn(h.Ctx, checkout.Return{CheckoutID: c.ID, AttemptID: a.ID, Kind: "approve", PGToken: token})
}

// Pay pays a checkout through the wallet and the approve return, and returns its payment.
func (h *Harness) Pay(c *store.Checkout) *store.Payment {
	h.T.Helper()
	a := h.Start(c.ID)
	out, err := h.ReturnApprove(c, a, h.ApproveInWallet(a))
	if err != nil {
		h.T.Fatal(err)
	}
	if !out.State.Paid() || out.State.Payment == nil {
		h.T.Fatalf("checkout %s not paid: %s, attempt %s %s", c.ID, out.State.Checkout.Status, out.Attempt.Status, out.Attempt.FailureCode)
	}
	return out.State.Payment
}

// State reads a checkout as a page would.
func (h *Harness) State(id string) *checkout.State {
	h.T.Helper()
	st, err := h.Checkouts.State(h.Ctx, id)
	if err != nil {
		h.T.Fatal(err)
	}
	return st
}

// Payment reads a payment and its refunds.
func (h *Harness) Payment(id string) (*store.Payment, []*store.Refund) {
	h.T.Helper()
	p, refunds, err := h.Payments.Payment(h.Ctx, h.M, id)
	if err != nil {
		h.T.Fatal(err)
	}
	return p, refunds
}

// EventTypes lists the types of a checkout's events, oldest first.
func (h *Harness) EventTypes(checkoutID string) []string {
	h.T.Helper()
	list, _, err := h.Events.Events(h.Ctx, h.M, store.ListEvents{CheckoutID: checkoutID, Limit: 100})
	if err != nil {
		h.T.Fatal(err)
	}
	types := make([]string, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		types = append(types, list[i].Type)
	}
	return types
}

// Count counts a checkout's events of a type.
func (h *Harness) Count(checkoutID, typ string) int {
	h.T.Helper()
	n := 0
	for _, x := range h.EventTypes(checkoutID) {
		if x == typ {
			n++
		}
	}
	return n
}

// Reconcile runs one pass of the reconciliation, as the server's sweep does.
func (h *Harness) Reconcile() {
	h.T.Helper()
	if err := h.Services.Reconcile(h.Ctx); err != nil {
		h.T.Fatal(err)
	}
}

// Calls is how many requests a KakaoPay endpoint (approve, cancel, order, …) received.
func (h *Harness) Calls(endpoint string) int { return h.Sandbox.Calls(endpoint) }

// WantCalls fails the test unless KakaoPay's endpoint received n requests.
func (h *Harness) WantCalls(endpoint string, n int) {
	h.T.Helper()
	if got := h.Calls(endpoint); got != n {
		h.T.Errorf("%d %s calls at KakaoPay, want %d", got, endpoint, n)
	}
}

// WantEvents fails the test unless the checkout has n events of type typ.
func (h *Harness) WantEvents(checkoutID, typ string, n int) {
	h.T.Helper()
	if got := h.Count(checkoutID, typ); got != n {
		h.T.Errorf("%d %s events, want %d: %v", got, typ, n, h.EventTypes(checkoutID))
	}
}

// CheckOnce fails the test unless KakaoPay's endpoint was called once and the checkout has one
// event of type typ, however often the code under test was asked or retried.
func (h *Harness) CheckOnce(checkoutID, endpoint, typ string) {
	h.T.Helper()
	h.WantCalls(endpoint, 1)
	h.WantEvents(checkoutID, typ, 1)
}

// TID is what KakaoPay knows of a tid.
func (h *Harness) TID(tid string) sandbox.PaymentInfo {
	h.T.Helper()
	info, ok := h.Sandbox.Payment(tid)
	if !ok {
		h.T.Fatalf("the sandbox never issued tid %s", tid)
	}
	return info
}

// WantConflict fails t unless err is a conflict (domain.Conflict) of that code.
func WantConflict(t *testing.T, err error, code string) *domain.Error {
	t.Helper()
	return wantError(t, err, domain.KindConflict, code, "")
}

// WantInvalid fails t unless err is an invalid request (domain.Invalid) of that code and param.
func WantInvalid(t *testing.T, err error, code, param string) *domain.Error {
	t.Helper()
	return wantError(t, err, domain.KindInvalid, code, param)
}

// WantNotFound fails t unless err says the id names nothing of the merchant's (resource_missing).
func WantNotFound(t *testing.T, err error) *domain.Error {
	t.Helper()
	return wantError(t, err, domain.KindNotFound, "resource_missing", "id")
}

// WantUpstream fails t unless err is KakaoPay's failure (domain.Upstream) of that code and param.
func WantUpstream(t *testing.T, err error, code, param string) *domain.Error {
	t.Helper()
	return wantError(t, err, domain.KindUpstream, code, param)
}

// wantError fails t unless err is a *domain.Error of that kind, code and param.
func wantError(t *testing.T, err error, kind domain.Kind, code, param string) *domain.Error {
	t.Helper()
	var e *domain.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a domain error %s", err, code)
	}
	if e.Kind != kind || e.Code != code || e.Param != param {
		t.Fatalf("got %s (kind %d, param %q), want %s (kind %d, param %q)", e.Code, e.Kind, e.Param, code, kind, param)
	}
	return e
}

// Won is a pointer to n won, for the optional amounts of params.
func Won(n int64) *int64 { return &n }

// ReturnURL builds return URLs the way web.ReturnURL (handlers/web) does, on a base nobody
// serves: these tests play the shopper's return through checkout.Service.HandleReturn.
func ReturnURL(base string) func(checkoutID, attemptID, kind string) string {
	return func(checkoutID, attemptID, kind string) string {
		return base + "/c/" + url.PathEscape(checkoutID) + "/return/" + kind + "?attempt=" + url.QueryEscape(attemptID)
	}
}

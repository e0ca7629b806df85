package checkout_test

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

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/kakaopay/kakaopaytest"
	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
	"github.com/kpcheckout/kpcheckout/store/storetest"
)

// The service tests drive checkout.Service through its exported API only, over a real SQLite
// file and the sandbox peer on 127.0.0.1, so that they hold across refactors of its insides.

// harness is a checkout.Service over a real SQLite file and the sandbox peer, with one merchant.
type harness struct {
	t      *testing.T
	ctx    context.Context
	svc    *checkout.Service
	sb     *sandbox.Sandbox
	sbURL  string
	faults *kakaopaytest.Faults
	clock  *kakaopaytest.Clock
	m      *store.Merchant
	db     store.Store // for a second service over the same database: another instance
	path   string      // the SQLite file, for what only SQL shows (row counts, pages)
}

type harnessOptions struct {
	approveDelay   time.Duration // how long the sandbox holds approve for amount 5555
	approveTimeout time.Duration // the service's bound on one approve call
	retainEvents   time.Duration // the service's RetainEvents (its default when zero)
	// publicWebhooks runs the service as with real KakaoPay credentials: webhook endpoints must
	// be public (the sandbox's default allows private addresses).
	publicWebhooks bool
	// sandbox runs the service as a sandbox server does (Config.Sandbox): without it, and without
	// publicWebhooks, it is a server with real credentials and --webhook-allow-private.
	sandbox bool
}

func newHarness(t *testing.T) *harness { return newHarnessWith(t, harnessOptions{}) }

func newHarnessWith(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), clock: kakaopaytest.NewClock(time.Now().UTC()),
		faults: kakaopaytest.NewFaults()}
	path := filepath.Join(t.TempDir(), "kpcheckout.db")
	schema, err := migrated()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, schema, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(h.ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h.db, h.path = db, path
	t.Cleanup(func() { checkInvariants(t, path) }) // runs before the database closes

	srv := httptest.NewUnstartedServer(nil)
	h.sbURL = "http://" + srv.Listener.Addr().String()
	if o.approveDelay == 0 {
		o.approveDelay = 30 * time.Second
	}
	h.sb, err = sandbox.New(sandbox.Options{BaseURL: h.sbURL, SecretKey: "test-secret", Now: h.clock.Now, ApproveDelay: o.approveDelay})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h.sb
	srv.Start()
	t.Cleanup(srv.Close)

	if o.approveTimeout == 0 {
		o.approveTimeout = 10 * time.Second
	}
	// Only approve is bounded by approveTimeout: ready and order keep a roomy timeout, so that a
	// loaded machine does not fail them.
	kp, err := kakaopay.New(kakaopay.Options{BaseURL: h.sbURL, SecretKey: "test-secret",
		HTTPClient: &http.Client{Timeout: 20 * time.Second, Transport: h.faults}})
	if err != nil {
		t.Fatal(err)
	}
	h.svc, err = checkout.New(checkout.Config{Store: db, KakaoPay: kp, ReturnURL: returnURL("http://127.0.0.1:1"),
		Now: h.clock.Now, ApproveTimeout: o.approveTimeout, WebhookAllowPrivate: !o.publicWebhooks, RetainEvents: o.retainEvents,
		Sandbox: o.sandbox})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.svc.Notifier().Close)
	cm, err := h.svc.CreateMerchant(h.ctx, checkout.NewMerchant{Name: "테스트 카페"})
	if err != nil {
		t.Fatal(err)
	}
	h.m = cm.Merchant
	return h
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

// checkInvariants runs the store's money invariants on the SQLite file at path.
func checkInvariants(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.CheckInvariants(t, db)
}

// create makes an open checkout of amount won (11,000 in two items when amount is 0).
func (h *harness) create(amount int64) *store.Checkout {
	h.t.Helper()
	p := checkout.CreateParams{Amount: amount, Reference: "ORDER-1", SuccessURL: "https://shop.example/thanks", FailureURL: "https://shop.example/cart"}
	if amount == 0 {
		p.Amount = 11000
		p.Items = []store.Item{{Name: "아메리카노", Quantity: 2, UnitPrice: 4500}, {Name: "크루아상", Quantity: 1, UnitPrice: 2000}}
	}
	return h.createWith(p)
}

// createWith makes a checkout from p, with the shop's URLs when p has none.
func (h *harness) createWith(p checkout.CreateParams) *store.Checkout {
	h.t.Helper()
	if p.SuccessURL == "" {
		p.SuccessURL, p.FailureURL = "https://shop.example/thanks", "https://shop.example/cart"
	}
	c, err := h.svc.Create(h.ctx, h.m, p)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// start starts a phone's KakaoPay attempt on a checkout.
func (h *harness) start(checkoutID string) *store.Attempt {
	h.t.Helper()
	a, err := h.svc.Pay(h.ctx, checkoutID, checkout.DeviceMobile)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// wallet plays the shopper in the sandbox wallet of an attempt: it opens the wallet with
// X-Sandbox-Auto set to action (approve, cancel or fail) and returns where KakaoPay sends the
// browser back to (one of our return URLs).
func (h *harness) wallet(a *store.Attempt, action string) *url.URL {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.MobileURL, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("X-Sandbox-Auto", action)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil || back.Query().Get("attempt") != a.ID {
		h.t.Fatalf("wallet %s: %d to %q", action, res.StatusCode, res.Header.Get("Location"))
	}
	return back
}

// approveInWallet has the shopper approve the attempt in the wallet and returns the pg_token
// KakaoPay sends back with them.
func (h *harness) approveInWallet(a *store.Attempt) string {
	h.t.Helper()
	token := h.wallet(a, "approve").Query().Get("pg_token")
	if token == "" {
		h.t.Fatal("the wallet sent no pg_token back")
	}
	return token
}

// returnApprove is the shopper's return to our approval URL, as the return handler hands it on.
func (h *harness) returnApprove(c *store.Checkout, a *store.Attempt, token string) (*checkout.Outcome, error) {
	return h.svc.HandleReturn(h.ctx, checkout.Return{CheckoutID: c.ID, AttemptID: a.ID, Kind: "approve", PGToken: token})
}

// pay pays a checkout through the wallet and the approve return, and returns its payment.
func (h *harness) pay(c *store.Checkout) *store.Payment {
	h.t.Helper()
	a := h.start(c.ID)
	out, err := h.returnApprove(c, a, h.approveInWallet(a))
	if err != nil {
		h.t.Fatal(err)
	}
	if out.State.Checkout.Status != string(checkout.StatusPaid) || out.State.Payment == nil {
		h.t.Fatalf("checkout %s not paid: %s, attempt %s %s", c.ID, out.State.Checkout.Status, out.Attempt.Status, out.Attempt.FailureCode)
	}
	return out.State.Payment
}

// state reads a checkout as a page would.
func (h *harness) state(id string) *checkout.State {
	h.t.Helper()
	st, err := h.svc.State(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// payment reads a payment and its refunds.
func (h *harness) payment(id string) (*store.Payment, []*store.Refund) {
	h.t.Helper()
	p, refunds, err := h.svc.Payment(h.ctx, h.m, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return p, refunds
}

// events lists the types of a checkout's events, oldest first.
func (h *harness) events(checkoutID string) []string {
	h.t.Helper()
	list, _, err := h.svc.Events(h.ctx, store.ListEvents{MerchantID: h.m.ID, CheckoutID: checkoutID, Limit: 100})
	if err != nil {
		h.t.Fatal(err)
	}
	types := make([]string, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		types = append(types, list[i].Type)
	}
	return types
}

// count counts the events of a type.
func (h *harness) count(checkoutID, typ string) int {
	h.t.Helper()
	n := 0
	for _, x := range h.events(checkoutID) {
		if x == typ {
			n++
		}
	}
	return n
}

func (h *harness) reconcile() {
	h.t.Helper()
	if err := h.svc.Reconcile(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

// calls is how many requests a KakaoPay endpoint (approve, cancel, order, …) received.
func (h *harness) calls(endpoint string) int { return h.sb.Calls(endpoint) }

// tid is what KakaoPay knows of a tid.
func (h *harness) tid(tid string) sandbox.PaymentInfo {
	h.t.Helper()
	info, ok := h.sb.Payment(tid)
	if !ok {
		h.t.Fatalf("the sandbox never issued tid %s", tid)
	}
	return info
}

// wantError fails t unless err is a *checkout.Error of that kind, code and param.
func wantError(t *testing.T, err error, kind checkout.Kind, code, param string) *checkout.Error {
	t.Helper()
	var e *checkout.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a checkout error %s", err, code)
	}
	if e.Kind != kind || e.Code != code || e.Param != param {
		t.Fatalf("got %s (kind %d, param %q), want %s (kind %d, param %q)", e.Code, e.Kind, e.Param, code, kind, param)
	}
	return e
}

func won(n int64) *int64 { return &n }

// returnURL builds return URLs the way web.ReturnURL (handlers/web) does, on a base nobody
// serves: these tests play the shopper's return through Service.HandleReturn.
func returnURL(base string) func(checkoutID, attemptID, kind string) string {
	return func(checkoutID, attemptID, kind string) string {
		return base + "/c/" + url.PathEscape(checkoutID) + "/return/" + kind + "?attempt=" + url.QueryEscape(attemptID)
	}
}

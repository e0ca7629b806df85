package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
)

const (
	testKey     = "DEVTESTSECRETKEY"
	oneTimeCID  = "TC0ONETIME"
	subCID      = "TCSUBSCRIP"
	approvalURL = "https://shop.example/c/cs_1/return/approve?src=kp"
)

// Requests are spelled out here, from kakaopay-api.md, so a field-name slip in the sandbox shows.
type readyReq struct {
	CID            string `json:"cid"`
	PartnerOrderID string `json:"partner_order_id"`
	PartnerUserID  string `json:"partner_user_id"`
	ItemName       string `json:"item_name"`
	Quantity       int    `json:"quantity"`
	TotalAmount    int    `json:"total_amount"`
	TaxFreeAmount  int    `json:"tax_free_amount"`
	ApprovalURL    string `json:"approval_url"`
	CancelURL      string `json:"cancel_url"`
	FailURL        string `json:"fail_url"`
	PaymentMethod  string `json:"payment_method_type,omitempty"`
	Unknown        string `json:"some_future_field,omitempty"`
}

type approveReq struct {
	CID            string `json:"cid"`
	TID            string `json:"tid"`
	PartnerOrderID string `json:"partner_order_id"`
	PartnerUserID  string `json:"partner_user_id"`
	PGToken        string `json:"pg_token"`
	TotalAmount    *int   `json:"total_amount,omitempty"`
}

type cancelReq struct {
	CID                   string `json:"cid"`
	TID                   string `json:"tid"`
	CancelAmount          int    `json:"cancel_amount"`
	CancelTaxFreeAmount   int    `json:"cancel_tax_free_amount"`
	CancelAvailableAmount *int   `json:"cancel_available_amount,omitempty"`
}

type orderReq struct {
	CID string `json:"cid"`
	TID string `json:"tid"`
}

type chargeReq struct {
	CID            string `json:"cid"`
	SID            string `json:"sid"`
	PartnerOrderID string `json:"partner_order_id"`
	PartnerUserID  string `json:"partner_user_id"`
	ItemName       string `json:"item_name"`
	Quantity       int    `json:"quantity"`
	TotalAmount    int    `json:"total_amount"`
	TaxFreeAmount  int    `json:"tax_free_amount"`
}

type sidReq struct {
	CID string `json:"cid"`
	SID string `json:"sid"`
}

// obj is a decoded JSON answer; get reads a dotted path such as "amount.total".
type obj map[string]any

func (o obj) get(path string) any {
	var v any = map[string]any(o)
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func (o obj) str(path string) string { s, _ := o.get(path).(string); return s }

func (o obj) num(path string) int { f, _ := o.get(path).(float64); return int(f) }

// clock is a settable Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

type env struct {
	t      *testing.T
	sb     *sandbox.Sandbox
	srv    *httptest.Server
	clock  *clock
	client *http.Client // does not follow redirects
}

// newEnv starts a sandbox with the default options.
func newEnv(t *testing.T) *env { return newEnvWith(t, sandbox.Options{}) }

// newEnvWith starts a sandbox with opts, on a test clock, its secret key testKey and its return
// host shop.example unless opts say otherwise.
func newEnvWith(t *testing.T, opts sandbox.Options) *env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	opts.BaseURL = "http://" + srv.Listener.Addr().String()
	c := &clock{now: time.Date(2025, 3, 1, 3, 4, 5, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	if opts.SecretKey == "" {
		opts.SecretKey = testKey
	}
	if opts.ReturnHosts == nil {
		opts.ReturnHosts = []string{"shop.example"}
	}
	sb, err := sandbox.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &env{t: t, sb: sb, srv: srv, clock: c, client: client}
}

// post sends body to an API path with the test key and decodes the JSON answer.
func (e *env) post(path string, body any) (int, obj) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.postRaw(path, "application/json", "SECRET_KEY "+testKey, b)
}

func (e *env) postRaw(path, contentType, auth string, body []byte) (int, obj) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/online/v1/payment/"+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	var o obj
	if err := json.NewDecoder(res.Body).Decode(&o); err != nil {
		e.t.Fatalf("POST %s: status %d, decoding answer: %v", path, res.StatusCode, err)
	}
	return res.StatusCode, o
}

// page fetches a wallet URL (absolute) without following redirects.
func (e *env) page(method, rawURL string, header http.Header) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, rawURL, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// form posts a wallet form (absolute URL) without following redirects.
func (e *env) form(rawURL string, values url.Values) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", rawURL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func newReady(amount int) readyReq {
	return readyReq{
		CID: oneTimeCID, PartnerOrderID: "cs_1", PartnerUserID: "user_1", ItemName: "커피 세트",
		Quantity: 1, TotalAmount: amount, ApprovalURL: approvalURL,
		CancelURL: "https://shop.example/c/cs_1/return/cancel", FailURL: "https://shop.example/c/cs_1/return/fail",
	}
}

// ready starts a payment and returns its answer.
// openWallet readies req and opens its wallet on a phone, returning ready's answer and the tid.
func (e *env) openWallet(req readyReq) (obj, string) {
	e.t.Helper()
	res := e.ready(req)
	e.page(http.MethodGet, res.str("next_redirect_mobile_url"), nil)
	return res, res.str("tid")
}

func (e *env) ready(req readyReq) obj {
	e.t.Helper()
	status, res := e.post("ready", req)
	if status != http.StatusOK {
		e.t.Fatalf("ready: status %d %v", status, res)
	}
	return res
}

// approveInWallet opens the mobile wallet, presses 결제하기 and returns the pg_token of the redirect.
func (e *env) approveInWallet(res obj) string {
	e.t.Helper()
	if r, _ := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), nil); r.StatusCode != http.StatusOK {
		e.t.Fatalf("wallet page: status %d", r.StatusCode)
	}
	r, _ := e.page(http.MethodPost, walletAction(res, "approve"), nil)
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("wallet approve: status %d", r.StatusCode)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc.Query().Get("pg_token")
}

// walletAction is the URL a wallet button of the ready answer res posts to.
func walletAction(res obj, action string) string {
	return strings.TrimSuffix(res.str("next_redirect_mobile_url"), "/mInfo") + "/" + action
}

func approveFor(req readyReq, tid, token string) approveReq {
	return approveReq{CID: req.CID, TID: tid, PartnerOrderID: req.PartnerOrderID, PartnerUserID: req.PartnerUserID, PGToken: token}
}

// pay runs ready, the wallet and approve, and returns the approve answer.
func (e *env) pay(req readyReq) obj {
	e.t.Helper()
	res := e.ready(req)
	token := e.approveInWallet(res)
	status, ans := e.post("approve", approveFor(req, res.str("tid"), token))
	if status != http.StatusOK {
		e.t.Fatalf("approve: status %d %v", status, ans)
	}
	return ans
}

func (e *env) orderStatus(cid, tid string) string {
	e.t.Helper()
	status, res := e.post("order", orderReq{CID: cid, TID: tid})
	if status != http.StatusOK {
		e.t.Fatalf("order: status %d %v", status, res)
	}
	return res.str("status")
}

// wantError checks KakaoPay's error answer.
func wantError(t *testing.T, status int, res obj, wantStatus, wantCode int) {
	t.Helper()
	if status != wantStatus || res.num("error_code") != wantCode || res.str("error_message") == "" {
		t.Fatalf("got status %d %v, want %d with error_code %d and a message", status, res, wantStatus, wantCode)
	}
}

func ptr(n int) *int { return &n }

package handlers_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gorilla/sessions"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
	"github.com/kpcheckout/kpcheckout/locales"
	"github.com/kpcheckout/kpcheckout/static"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
	"github.com/kpcheckout/kpcheckout/store/storetest"
)

// User agents of the browsers the tests play.
const (
	uaDesktop   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
	uaIPhone    = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	uaAndroid   = "Mozilla/5.0 (Linux; Android 14; SM-S921N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
	uaKakaoTalk = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 KAKAOTALK 10.8.5"
)

// clock is a test clock that only moves when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a running kpcheckout: the app on httptest over a real SQLite file, the sandbox peer
// on its own httptest server, a merchant with its key, and a merchant site to return to.
type env struct {
	t        testing.TB
	srv      *httptest.Server
	base     string
	sb       *sandbox.Sandbox
	sbURL    string
	svc      *checkout.Service
	db       *sqlite.DB
	dbPath   string
	clock    *clock
	key      string
	merchant string
	shop     *httptest.Server // the merchant's site: success and failure URLs land here
}

type envOptions struct {
	approveDelay time.Duration
	httpTimeout  time.Duration
	faults       *faultTransport // between kpcheckout's KakaoPay client and the sandbox
	waitsPerIP   int             // cap on the long-polls one client may hold
}

func newEnv(t testing.TB) *env { return newEnvWith(t, envOptions{}) }

func newEnvWith(t testing.TB, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, clock: &clock{now: time.Now().UTC()}}
	e.dbPath = filepath.Join(t.TempDir(), "kpcheckout.db")
	db, err := sqlite.Open(ctx, e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	t.Cleanup(func() { checkInvariants(t, e.dbPath) }) // runs before the database closes
	e.db = db
	bundle, err := locales.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	sbSrv := httptest.NewUnstartedServer(nil)
	e.sbURL = "http://" + sbSrv.Listener.Addr().String()
	if o.approveDelay == 0 {
		o.approveDelay = 30 * time.Second
	}
	e.sb, err = sandbox.New(sandbox.Options{BaseURL: e.sbURL, SecretKey: "test-secret", Now: e.clock.Now, Bundle: bundle, ApproveDelay: o.approveDelay})
	if err != nil {
		t.Fatal(err)
	}
	sbSrv.Config.Handler = e.sb
	sbSrv.Start()
	t.Cleanup(sbSrv.Close)

	if o.httpTimeout == 0 {
		o.httpTimeout = 10 * time.Second
	}
	var transport http.RoundTripper // nil: the default
	if o.faults != nil {
		transport = o.faults
	}
	metrics := handlers.NewMetrics()
	kp, err := kakaopay.New(kakaopay.Options{BaseURL: e.sbURL, SecretKey: "test-secret",
		HTTPClient: &http.Client{Timeout: o.httpTimeout, Transport: transport}, Observe: metrics.ObserveKakaoPay})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	e.base = "http://" + srv.Listener.Addr().String()
	e.svc, err = checkout.New(checkout.Config{Store: db, KakaoPay: kp, ReturnURL: handlers.ReturnURL(e.base), Now: e.clock.Now, ApproveTimeout: o.httpTimeout})
	if err != nil {
		t.Fatal(err)
	}
	assets, err := static.Load("/static/")
	if err != nil {
		t.Fatal(err)
	}
	h, err := handlers.New(handlers.Config{
		Service: e.svc, Bundle: bundle, Assets: assets, Sessions: sessions.NewCookieStore([]byte("0123456789abcdef0123456789abcdef")),
		BaseURL: e.base, TestMode: true, Ready: db.Ping, MaxWaitingPerIP: o.waitsPerIP, Metrics: metrics,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(func() { e.svc.Notifier().Close(); srv.Close() })
	e.srv = srv

	e.shop = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "merchant site: "+r.URL.String())
	}))
	t.Cleanup(e.shop.Close)

	cm, err := e.svc.CreateMerchant(ctx, checkout.NewMerchant{Name: "테스트 카페"})
	if err != nil {
		t.Fatal(err)
	}
	e.key, e.merchant = cm.APIKey, cm.Merchant.ID
	return e
}

// browser is one shopper's browser: a cookie jar and a User-Agent.
type browser struct {
	e      *env
	ua     string
	client *http.Client
	header http.Header
}

func (e *env) browser(ua string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, ua: ua, header: http.Header{}, client: &http.Client{Jar: jar, Timeout: 40 * time.Second}}
}

// noRedirect returns the browser's client that stops at the first redirect.
func (b *browser) noRedirect() *http.Client {
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// do sends a request and reads the whole answer.
func (b *browser) do(c *http.Client, method, url string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	b.e.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = b.e.base + url
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("User-Agent", b.ua)
	for k, v := range b.header {
		req.Header[k] = v
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if method == http.MethodPost && body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res, string(data)
}

// get follows redirects.
func (b *browser) get(url string) (*http.Response, string) {
	b.e.t.Helper()
	return b.do(b.client, http.MethodGet, url, nil, nil)
}

// post submits a form and follows redirects.
func (b *browser) post(url, form string) (*http.Response, string) {
	b.e.t.Helper()
	return b.do(b.client, http.MethodPost, url, strings.NewReader(form), nil)
}

// page parses HTML.
func page(t testing.TB, html string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// testid returns the trimmed text of the element with that data-testid.
func testid(doc *goquery.Document, id string) string {
	return strings.Join(strings.Fields(doc.Find(`[data-testid="`+id+`"]`).First().Text()), " ")
}

// api calls the merchant API with the env's key and decodes the answer into out (when given).
func (e *env) api(method, path, body string, out any) *http.Response {
	e.t.Helper()
	return e.apiKey(e.key, method, path, body, out, nil)
}

func (e *env) apiKey(key, method, path, body string, out any, hdr map[string]string) *http.Response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, data, err)
		}
	}
	return res
}

// checkoutObj is the part of the API's checkout object the tests read.
type checkoutObj struct {
	ID        string `json:"id"`
	URL       string `json:"url"`
	Status    string `json:"status"`
	Amount    int64  `json:"amount"`
	ExpiresAt string `json:"expires_at"`
	Payment   *struct {
		ID     string `json:"id"`
		Amount int64  `json:"amount"`
		Method string `json:"method"`
	} `json:"payment"`
}

// apiError is the API's error shape.
type apiError struct {
	Error struct {
		Type    string  `json:"type"`
		Code    string  `json:"code"`
		Message string  `json:"message"`
		Param   *string `json:"param"`
	} `json:"error"`
}

// createCheckout makes an 11,000-won checkout (two items) unless body is given.
func (e *env) createCheckout(body string) checkoutObj {
	e.t.Helper()
	if body == "" {
		body = `{"amount":11000,"reference":"ORDER-1","items":[{"name":"아메리카노","quantity":2,"unit_price":4500},{"name":"크루아상","quantity":1,"unit_price":2000}],` +
			`"success_url":"` + e.shop.URL + `/thanks?order=ORDER-1","failure_url":"` + e.shop.URL + `/cart"}`
	}
	var c checkoutObj
	res := e.api("POST", "/v1/checkouts", body, &c)
	if res.StatusCode != http.StatusCreated {
		e.t.Fatalf("create checkout: %d %+v", res.StatusCode, c)
	}
	return c
}

// amountCheckout makes a checkout of amount won with no items.
func (e *env) amountCheckout(amount string) checkoutObj {
	e.t.Helper()
	return e.createCheckout(`{"amount":` + amount + `,"reference":"R-` + amount + `","description":"테스트 주문",` +
		`"success_url":"` + e.shop.URL + `/thanks","failure_url":"` + e.shop.URL + `/cart"}`)
}

// status reads the status endpoint.
type statusObj struct {
	Status        string  `json:"status"`
	AttemptStatus *string `json:"attempt_status"`
	RedirectURL   *string `json:"redirect_url"`
	State         string  `json:"state"`
}

func (e *env) status(id, query string) statusObj {
	e.t.Helper()
	res, err := http.Get(e.base + "/c/" + id + "/status" + query)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var s statusObj
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// events lists the types of a checkout's events, oldest first.
func (e *env) events(checkoutID string) []string {
	e.t.Helper()
	var list struct {
		Data []struct {
			Type string `json:"type"`
		} `json:"data"`
	}
	e.api("GET", "/v1/events?limit=100&checkout="+checkoutID, "", &list)
	var types []string
	for i := len(list.Data) - 1; i >= 0; i-- {
		types = append(types, list.Data[i].Type)
	}
	return types
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// count1 runs a COUNT query straight on the SQLite file.
func (e *env) count1(query string, args ...any) int {
	e.t.Helper()
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

// latestAttempt returns the checkout's newest attempt.
func (e *env) latestAttempt(id string) *store.Attempt {
	e.t.Helper()
	st, err := e.svc.State(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	a := st.Latest()
	if a == nil {
		e.t.Fatalf("checkout %s has no attempt", id)
	}
	return a
}

func (e *env) attemptMobileURL(id string) string { return e.latestAttempt(id).MobileURL }

func (e *env) attemptTID(id string) string { return e.latestAttempt(id).TID }

// checkInvariants runs the store's invariant checks on the SQLite file at path.
func checkInvariants(t testing.TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.CheckInvariants(t, db)
}

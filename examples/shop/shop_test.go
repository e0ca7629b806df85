package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// TestOrderIsPaidByTheWebhookAlone is the example's point: the shopper pays in KakaoPay and never
// comes back to the shop, the order page says "결제 확인 중" while kpcheckout already says paid, and
// only the verified checkout.paid webhook makes it "결제 완료". A replay changes nothing and forged
// deliveries are refused with 400.
func TestOrderIsPaidByTheWebhookAlone(t *testing.T) {
	e := handlerstest.New(t)
	sh := startShop(t, e)
	sh.hold.Store(true) // kpcheckout's webhooks do not get through yet

	order, checkoutID := sh.buy(t, "qty_americano=2&qty_croissant=1")
	var c struct {
		Amount    int64  `json:"amount"`
		Reference string `json:"reference"`
	}
	e.API("GET", "/v1/checkouts/"+checkoutID, "", &c)
	if c.Amount != 11000 || c.Reference != order {
		t.Fatalf("the shop's checkout: %+v, want 11000 won for order %s", c, order)
	}
	landing := payByPhone(t, e, checkoutID, sh.URL) // the tab closes here: the shop never sees it
	if want := sh.URL + "/orders/" + order + "?checkout_id=" + checkoutID; landing != want {
		t.Errorf("success_url is %s, want %s", landing, want)
	}
	if st := e.Status(checkoutID, ""); st.Status != "paid" {
		t.Fatalf("kpcheckout says the checkout is %s", st.Status)
	}
	if got := sh.status(t, order); !strings.HasPrefix(got, "결제 확인 중") {
		t.Fatalf("before any webhook the order page says %q", got)
	}

	sh.hold.Store(false)
	e.Clock.Add(time.Minute) // the held delivery's retry is due
	deliver(t, e)
	paidPage, _ := sh.orderPage(t, order)
	if got := sh.status(t, order); !strings.HasPrefix(got, "결제 완료") {
		t.Fatalf("after checkout.paid the order page says %q", got)
	}
	paid := sh.delivered(t, "checkout.paid")

	before := sh.order(order)
	if code := sh.postWebhook(t, paid.header, paid.body); code != http.StatusNoContent {
		t.Errorf("a replayed delivery answers %d, want 204 (already handled)", code)
	}
	if after := sh.order(order); !reflect.DeepEqual(after, before) {
		t.Errorf("a replayed delivery changed the order: %+v, was %+v", after, before)
	}
	if page, _ := sh.orderPage(t, order); page != paidPage {
		t.Errorf("a replayed delivery changed the order page:\n%s\nwas:\n%s", page, paidPage)
	}

	// A second, unpaid order, and a checkout.paid for it that kpcheckout never sent.
	order2, checkoutID2 := sh.buy(t, "qty_americano=2&qty_croissant=1")
	forged := bytes.ReplaceAll(paid.body, []byte(order), []byte(order2))
	forged = bytes.ReplaceAll(forged, []byte(checkoutID), []byte(checkoutID2))
	forged = bytes.ReplaceAll(forged, []byte(paid.header.Get("Webhook-Id")), []byte("evt_forged"))
	signed := func(at time.Time, secret string) http.Header {
		h, err := webhook.Sign("evt_forged", at, forged, secret)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	for _, tc := range []struct {
		name   string
		header http.Header
	}{
		{"the real delivery's signature", paid.header},
		{"signed with another secret", signed(time.Now(), webhook.NewSecret())},
		{"signed with the secret 6 minutes ago", signed(time.Now().Add(-6*time.Minute), sh.secret)},
		{"no signature", http.Header{}},
	} {
		if code := sh.postWebhook(t, tc.header, forged); code != http.StatusBadRequest {
			t.Errorf("forged checkout.paid, %s: %d, want 400", tc.name, code)
		}
	}
	if got := sh.status(t, order2); !strings.HasPrefix(got, "결제 확인 중") {
		t.Errorf("after forged webhooks the unpaid order says %q", got)
	}
	// The forgery is refused for its signature alone: signed with the shop's secret, it passes.
	if code := sh.postWebhook(t, signed(time.Now(), sh.secret), forged); code != http.StatusNoContent {
		t.Errorf("the forged body, signed with the shop's secret: %d, want 204", code)
	}
}

// TestExpiredCheckoutExpiresTheOrder: checkout.expired marks a pending order expired.
func TestExpiredCheckoutExpiresTheOrder(t *testing.T) {
	e := handlerstest.New(t)
	sh := startShop(t, e)
	order, checkoutID := sh.buy(t, "qty_croissant=1")
	if res := e.API("POST", "/v1/checkouts/"+checkoutID+"/expire", "", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("expire: %d", res.StatusCode)
	}
	deliver(t, e)
	if got := sh.status(t, order); !strings.HasPrefix(got, "결제 시간 만료") {
		t.Errorf("after checkout.expired the order page says %q", got)
	}
}

// TestSuccessURLShowsPaymentBeingConfirmed: a shopper who comes back to the success_url before
// the webhook sees "결제 확인 중", then "결제 완료" once it arrived.
func TestSuccessURLShowsPaymentBeingConfirmed(t *testing.T) {
	e := handlerstest.New(t)
	sh := startShop(t, e)
	sh.hold.Store(true)
	order, checkoutID := sh.buy(t, "qty_americano=1&qty_croissant=0")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(checkoutID)
	res, html := phone.WalletAct(e.AttemptMobileURL(checkoutID), "approve") // follows the redirects back to the shop
	if res.Request.URL.Path != "/orders/"+order {
		t.Fatalf("the phone ended at %s", res.Request.URL)
	}
	if got := handlerstest.TextOf(handlerstest.Page(t, html), "order-status"); !strings.HasPrefix(got, "결제 확인 중") {
		t.Fatalf("the success_url says %q before the webhook", got)
	}
	sh.hold.Store(false)
	e.Clock.Add(time.Minute)
	deliver(t, e)
	if got := sh.status(t, order); !strings.HasPrefix(got, "결제 완료") {
		t.Errorf("after checkout.paid the order page says %q", got)
	}
}

// TestShopPage lists the products with their prices, and says so when a checkout came back unpaid.
func TestShopPage(t *testing.T) {
	s, err := newShop(t.Context(), config{WebhookSecret: webhook.NewSecret()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url  string
		want []string
	}{
		{"/", []string{"아메리카노", "4,500원", "크루아상", "2,000원", "카카오페이로 결제하기"}},
		{"/?order=ord_1", []string{"결제가 완료되지 않았습니다"}},
	} {
		rec := httptest.NewRecorder()
		s.routes().ServeHTTP(rec, httptest.NewRequest("GET", tc.url, nil))
		for _, want := range tc.want {
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
				t.Errorf("GET %s: %d, no %q in\n%s", tc.url, rec.Code, want, rec.Body)
			}
		}
	}
}

func TestWon(t *testing.T) {
	for n, want := range map[int64]string{0: "0원", 100: "100원", 4500: "4,500원", 11000: "11,000원", 2000000: "2,000,000원"} {
		if got := won(n); got != want {
			t.Errorf("won(%d) = %q, want %q", n, got, want)
		}
	}
}

// testShop is the shop on httptest, pointed at e. kpcheckout's webhooks pass a gate that can
// hold them (answering 503, so kpcheckout tries again later) and keeps each one it lets through.
type testShop struct {
	*shop
	URL    string
	client *http.Client // the shopper's browser at the shop: a cookie jar, no redirects followed
	hold   atomic.Bool

	mu  sync.Mutex
	got []delivery
}

// delivery is a webhook as it reached the shop.
type delivery struct {
	header http.Header
	body   []byte
}

// startShop starts the shop, which registers its webhook endpoint with e's kpcheckout.
func startShop(t *testing.T, e *handlerstest.Env) *testShop {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	ts := &testShop{URL: "http://" + srv.Listener.Addr().String()}
	cfg := config{BaseURL: ts.URL, Kpcheckout: e.URL, APIKey: e.Key}
	s, err := newShop(t.Context(), cfg, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts.shop = s
	jar, _ := cookiejar.New(nil)
	ts.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	routes := s.routes()
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/webhooks" {
			if ts.hold.Load() {
				http.Error(w, "held by the test", http.StatusServiceUnavailable)
				return
			}
			body, _ := io.ReadAll(r.Body)
			ts.mu.Lock()
			ts.got = append(ts.got, delivery{r.Header.Clone(), body})
			ts.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		routes.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return ts
}

// buy posts the shop's form and follows the shop's redirect only as far as kpcheckout's URL.
func (ts *testShop) buy(t *testing.T, form string) (orderID, checkoutID string) {
	t.Helper()
	res, err := ts.client.PostForm(ts.URL+"/orders", mustQuery(t, form))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	checkoutID, ok := strings.CutPrefix(loc, ts.cfg.Kpcheckout+"/c/")
	if res.StatusCode != http.StatusSeeOther || !ok {
		t.Fatalf("buy: %d to %q", res.StatusCode, loc)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for id, o := range ts.orders {
		if o.CheckoutID == checkoutID {
			return id, checkoutID
		}
	}
	t.Fatalf("no order has checkout %s", checkoutID)
	return "", ""
}

// order is a copy of the shop's order id.
func (ts *testShop) order(id string) order {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return *ts.orders[id]
}

// orderPage reads the order's page as the shopper would.
func (ts *testShop) orderPage(t *testing.T, orderID string) (page string, code int) {
	t.Helper()
	res, err := ts.client.Get(ts.URL + "/orders/" + orderID)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b), res.StatusCode
}

// status is the text of the order page's status.
func (ts *testShop) status(t *testing.T, orderID string) string {
	t.Helper()
	page, code := ts.orderPage(t, orderID)
	if code != http.StatusOK {
		t.Fatalf("order %s: %d", orderID, code)
	}
	return handlerstest.TextOf(handlerstest.Page(t, page), "order-status")
}

// delivered returns the one delivery of type typ that reached the shop.
func (ts *testShop) delivered(t *testing.T, typ string) delivery {
	t.Helper()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var found []delivery
	for _, d := range ts.got {
		if bytes.Contains(d.body, []byte(`"type":"`+typ+`"`)) {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d deliveries of %s reached the shop, want 1", len(found), typ)
	}
	return found[0]
}

// postWebhook posts body with header to the shop's /webhooks and answers the status.
func (ts *testShop) postWebhook(t *testing.T, header http.Header, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/webhooks", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header.Clone()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// payByPhone pays checkout id as a phone would, pressing approve in the sandbox wallet, and
// follows the redirects until the one to the shop at shopURL, which it returns unvisited.
func payByPhone(t *testing.T, e *handlerstest.Env, id, shopURL string) string {
	t.Helper()
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(id)
	res, html := phone.Get(e.AttemptMobileURL(id))
	action, ok := handlerstest.Page(t, html).Find(`[data-testid="wallet-approve"]`).Closest("form").Attr("action")
	if res.StatusCode != http.StatusOK || !ok {
		t.Fatalf("wallet page: %d, approve form %v", res.StatusCode, ok)
	}
	next, err := res.Request.URL.Parse(action)
	if err != nil {
		t.Fatal(err)
	}
	method, body := http.MethodPost, io.Reader(strings.NewReader(""))
	for range 5 {
		res, _ := phone.Do(phone.NoRedirect(), method, next.String(), body, nil)
		if res.StatusCode/100 != 3 {
			t.Fatalf("%s %s: %d, want a redirect", method, next, res.StatusCode)
		}
		if next, err = next.Parse(res.Header.Get("Location")); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(next.String(), shopURL+"/") {
			return next.String()
		}
		method, body = http.MethodGet, nil
	}
	t.Fatalf("no redirect to the shop; stopped at %s", next)
	return ""
}

// deliver runs kpcheckout's deliverer until no delivery is pending (the app's own background
// Deliverer may take some of them: this waits for those too).
func deliver(t *testing.T, e *handlerstest.Env) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := e.Deliverer.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if e.CountRows(`SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'`) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("webhook deliveries still pending after 10 s")
}

func mustQuery(t *testing.T, form string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(form)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

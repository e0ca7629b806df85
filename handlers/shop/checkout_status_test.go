package shop_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDesktopPaysByQRWithPhone(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	desktop := e.Browser(handlerstest.UADesktop)

	res, html := desktop.Get(c.URL)
	doc := handlerstest.Page(t, html)
	if res.StatusCode != 200 || doc.Find("html").AttrOr("lang", "") != "ko" {
		t.Fatalf("page: %d lang=%q", res.StatusCode, doc.Find("html").AttrOr("lang", ""))
	}
	if got := handlerstest.TextOf(doc, "amount"); got != "11,000원" {
		t.Errorf("amount shows %q, want 11,000원", got)
	}
	if got := handlerstest.TextOf(doc, "merchant-name"); got != "테스트 카페" {
		t.Errorf("merchant shows %q", got)
	}
	if items := handlerstest.TextOf(doc, "items"); !strings.Contains(items, "아메리카노") || !strings.Contains(items, "9,000원") {
		t.Errorf("items show %q", items)
	}
	if handlerstest.TextOf(doc, "time-left") == "" || handlerstest.TextOf(doc, "test-mode") == "" {
		t.Error("no countdown or no TEST MODE banner")
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}

	doc = handlerstest.Page(t, desktop.PayOn(c.ID))
	if v := doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "qr" {
		t.Fatalf("after pay the desktop shows %q, want the QR view", v)
	}
	src := doc.Find(`[data-testid="qr"]`).AttrOr("src", "")
	if !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Fatalf("QR is not an inline PNG: %.40q", src)
	}
	if got := handlerstest.TextOf(doc, "status-text"); got != "QR 코드 스캔을 기다리고 있어요" {
		t.Errorf("status text %q", got)
	}
	st := e.Status(c.ID, "")
	if st.AttemptStatus == nil || *st.AttemptStatus != "ready" {
		t.Fatalf("status %+v", st)
	}
	mobileURL := e.AttemptMobileURL(c.ID)

	// The desktop page waits on the status endpoint while the phone approves.
	type result struct {
		st  handlerstest.StatusObject
		dur time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		s := e.Status(c.ID, "?wait=30&known="+st.State)
		done <- result{s, time.Since(start)}
	}()

	phone := e.Browser(handlerstest.UAIPhone)
	res, html = phone.WalletAct(mobileURL, "approve")
	doc = handlerstest.Page(t, html)
	if res.StatusCode != 200 || doc.Find(`[data-testid="phone-done"]`).Length() != 1 {
		t.Fatalf("phone after approving: %d %s", res.StatusCode, res.Request.URL)
	}
	if !strings.Contains(doc.Text(), "컴퓨터 화면이 저절로 다음 단계로") {
		t.Error("the phone is not told to return to the computer")
	}

	// The first wake may be the wallet progress; wait on until paid.
	var got handlerstest.StatusObject
	deadline := time.Now().Add(10 * time.Second)
	for r := range done {
		got = r.st
		if got.Status == "paid" || time.Now().After(deadline) {
			break
		}
		go func() { done <- result{e.Status(c.ID, "?wait=10&known="+got.State), 0} }()
	}
	if got.Status != "paid" || got.RedirectURL == nil {
		t.Fatalf("desktop status %+v", got)
	}
	if want := e.Shop.URL + "/thanks?checkout_id=" + c.ID + "&order=ORDER-1"; *got.RedirectURL != want {
		t.Errorf("redirect_url %q, want %q", *got.RedirectURL, want)
	}

	var obj handlerstest.CheckoutObject
	e.API("GET", "/v1/checkouts/"+c.ID, "", &obj)
	if obj.Status != "paid" || obj.Payment == nil || obj.Payment.Amount != 11000 {
		t.Fatalf("API shows %+v", obj)
	}
	if info, _ := e.Sandbox.Payment(e.AttemptTID(c.ID)); info.Status != "SUCCESS_PAYMENT" {
		t.Errorf("sandbox says %q", info.Status)
	}
	ev := e.Events(c.ID)
	if handlerstest.Count(ev, "checkout.paid") != 1 || handlerstest.Count(ev, "attempt.created") != 1 {
		t.Errorf("events %v", ev)
	}
	// The desktop page, reloaded, says paid and links on to the shop.
	_, html = desktop.Get(c.URL)
	doc = handlerstest.Page(t, html)
	if href := doc.Find(`[data-testid="continue"]`).AttrOr("href", ""); !strings.HasPrefix(href, e.Shop.URL+"/thanks") {
		t.Errorf("continue link %q", href)
	}
}

func TestStatusFollowsWalletProgress(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	desktop := e.DesktopOn(c.ID)
	st := e.Status(c.ID, "")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.Get(e.AttemptMobileURL(c.ID)) // the phone scanned the QR code and opened the wallet
	got := e.Status(c.ID, "?wait=10&known="+st.State)
	if got.AttemptStatus == nil || *got.AttemptStatus != "authenticating" {
		t.Fatalf("status after the wallet opened: %+v", got)
	}
	_, html := desktop.Get(c.URL)
	if s := handlerstest.TextOf(handlerstest.Page(t, html), "status-text"); s != "카카오톡에서 결제를 마쳐 주세요" {
		t.Errorf("desktop status text %q", s)
	}
}

func TestLongPollAnswersAfterWait(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	start := time.Now()
	st := e.Status(c.ID, "?wait=1")
	if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second || st.Status != "open" {
		t.Fatalf("wait=1 answered after %v with %+v", d, st)
	}
	if res, _ := http.Get(e.URL + "/c/" + c.ID + "/status?wait=abc"); res.StatusCode != 400 {
		t.Errorf("wait=abc: %d", res.StatusCode)
	}
}

func TestStatusOfUnknownCheckoutIs404(t *testing.T) {
	e := handlerstest.New(t)
	for _, q := range []string{"", "?wait=5", "?wait=5&known=open"} {
		start := time.Now()
		res, err := http.Get(e.URL + "/c/cs_doesnotexist/status" + q)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		// At once, not after the wait: anything well under its 5 s tells them apart on a busy machine.
		if res.StatusCode != 404 || time.Since(start) > 3*time.Second {
			t.Errorf("status%s of an unknown checkout: %d after %v", q, res.StatusCode, time.Since(start))
		}
	}
}

// BenchmarkStatus measures the status endpoint without waiting.
func BenchmarkStatus(b *testing.B) {
	e := handlerstest.New(b)
	c := e.CreateCheckout("")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := http.Get(e.URL + "/c/" + c.ID + "/status")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

func TestStatusWaitBeyondRangeIsClamped(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	known := e.Status(c.ID, "").State
	woke := make(chan handlerstest.StatusObject, 2)
	// 18446744074 s overflowed to a 0.29 s wait once it was multiplied into a time.Duration; a
	// number past uint64 is as good as "as long as allowed" too.
	for _, wait := range []string{"18446744074", "99999999999999999999"} {
		go func() { woke <- e.Status(c.ID, "?wait="+wait+"&known="+known) }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.Checkouts.Notifier().Waiting() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the polls never waited")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second)
	select {
	case st := <-woke:
		t.Fatalf("a poll answered early: %+v", st)
	default:
	}
	if res := e.API("POST", "/v1/checkouts/"+c.ID+"/expire", "", nil); res.StatusCode != 200 {
		t.Fatalf("expire: %d", res.StatusCode)
	}
	for range 2 {
		select {
		case st := <-woke:
			if st.Status != "expired" {
				t.Errorf("a waiting poll answered %+v", st)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("a waiting poll did not wake")
		}
	}
}

// A shopper who left while the status endpoint (or a page, or the API) read the database is not
// the server's failure: no ERROR line (it was "store: view: context canceled") and no 5xx in the
// metrics, but 499, nginx's "client closed request", in the request's log line and metrics.
func TestClientThatLeftIsNotAServerError(t *testing.T) {
	var log handlerstest.LogBuffer
	e := handlerstest.NewWith(t, handlerstest.Options{Logger: log.Logger()})
	for _, tc := range []struct{ name, path, key string }{
		{"status long-poll", "/c/%s/status?wait=5", ""},
		{"page", "/c/%s", ""},
		{"API", "/v1/checkouts/%s", e.Key},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.CreateCheckout("") // read by no one yet: its state comes from the database
			left, leave := context.WithCancel(context.Background())
			leave()
			r := httptest.NewRequestWithContext(left, "GET", fmt.Sprintf(tc.path, c.ID), nil)
			if tc.key != "" {
				r.Header.Set("Authorization", "Bearer "+tc.key)
			}
			rec := httptest.NewRecorder()
			e.Handler.ServeHTTP(rec, r)
			if rec.Code != 499 {
				t.Errorf("answered %d, want 499", rec.Code)
			}
		})
	}
	for _, line := range log.ErrorLines() {
		t.Errorf("logged at ERROR: %s", line)
	}
	res, err := http.Get(e.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, "kpcheckout_http_requests_total") && strings.Contains(line, `status="5`) {
			t.Errorf("counted as a server error: %s", line)
		}
	}
	if !strings.Contains(string(body), `kpcheckout_http_requests_total{route="GET /c/{id}/status",status="499"} 1`) {
		t.Error("the status request is not counted as 499")
	}
}

// A waiting long-poll holds its socket and no goroutine: its connection is taken from net/http
// and answered at the change with the headers every answer has, then closed. Its request is
// logged and counted when it is answered.
func TestWaitingLongPollsHoldNoGoroutine(t *testing.T) {
	var log handlerstest.LogBuffer
	e := handlerstest.NewWith(t, handlerstest.Options{Logger: log.Logger()})
	c := e.CreateCheckout("")
	known := e.Status(c.ID, "").State
	const polls = 100
	before := runtime.NumGoroutine()
	conns := make([]net.Conn, polls)
	for i := range conns {
		conns[i] = rawPoll(t, e, c.ID, known)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.Checkouts.Notifier().Waiting() < polls {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d polls waiting", e.Checkouts.Notifier().Waiting(), polls)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The watcher's and the first looks' few goroutines come and go; a goroutine a poll would not.
	if n := runtime.NumGoroutine() - before; n > polls/4 {
		t.Errorf("%d waiting polls hold %d more goroutines", polls, n)
	}
	if res := e.API("POST", "/v1/checkouts/"+c.ID+"/expire", "", nil); res.StatusCode != 200 {
		t.Fatalf("expire: %d", res.StatusCode)
	}
	for _, conn := range conns {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		var st handlerstest.StatusObject
		err = json.NewDecoder(res.Body).Decode(&st)
		rest, _ := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != 200 || st.Status != "expired" || st.RedirectURL == nil || len(rest) != 0 {
			t.Errorf("a waiting poll answered %d %+v %q (%v)", res.StatusCode, st, rest, err)
		}
		for k, want := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store",
			"X-Content-Type-Options": "nosniff"} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("%s: %q, want %q", k, got, want)
			}
		}
		if res.Header.Get("X-Request-Id") == "" || res.Header.Get("Date") == "" || !res.Close {
			t.Errorf("no request id, date or Connection: close: %v", res.Header)
		}
		if n, err := conn.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Errorf("the connection stays open after the answer: %d, %v", n, err)
		}
	}
	// Logged once each answer is out, which the client may see first.
	deadline = time.Now().Add(10 * time.Second)
	for strings.Count(log.String(), `"path":"/c/`+c.ID+`/status","status":200`) < polls {
		if time.Now().After(deadline) {
			t.Fatalf("not every answered poll logged:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(metricsOf(e), "kpcheckout_status_waiting 0") {
		t.Error("polls still counted as waiting")
	}
}

// A client that closes its waiting poll's connection is noticed within seconds, though no
// goroutine reads it: its place under the per-client cap is free again, and its request counts
// as 499.
func TestLeftLongPollFreesItsPlace(t *testing.T) {
	e := handlerstest.NewWith(t, handlerstest.Options{WaitsPerIP: 4})
	c := e.CreateCheckout("")
	known := e.Status(c.ID, "").State
	dial := func() net.Conn { return rawPoll(t, e, c.ID, known) }
	waiting := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for e.Checkouts.Notifier().Waiting() != n {
			if time.Now().After(deadline) {
				t.Fatalf("%d polls waiting, want %d", e.Checkouts.Notifier().Waiting(), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	var conns []net.Conn
	for range 4 {
		conns = append(conns, dial())
	}
	waiting(4)
	for _, conn := range conns[:3] {
		conn.Close()
	}
	waiting(1)
	// Counted as 499 once their places are given back.
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(metricsOf(e), `kpcheckout_http_requests_total{route="GET /c/{id}/status",status="499"} 3`) {
		if time.Now().After(deadline) {
			t.Fatalf("the polls that left are not counted as 499:\n%s", metricsOf(e))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 3 { // their places are free: these wait too, rather than answer at once
		dial()
	}
	waiting(4)
}

// A HEAD request for the status is not parked: its answer has no body, as HEAD's must not.
func TestStatusHeadIsAnsweredWithoutBody(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	known := e.Status(c.ID, "").State
	res, err := http.Head(e.URL + "/c/" + c.ID + "/status?wait=1&known=" + url.QueryEscape(known))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || len(body) != 0 || res.Close {
		t.Errorf("HEAD: %d, %q, close %v", res.StatusCode, body, res.Close)
	}
}

// metricsOf is the server's /metrics text, or "".
func metricsOf(e *handlerstest.Env) string {
	res, err := http.Get(e.URL + "/metrics")
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// rawPoll sends a 30 s long-poll for checkout id on a connection of its own, which it returns
// unread: a client without the goroutines of Go's HTTP client.
func rawPoll(t *testing.T, e *handlerstest.Env, id, known string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "GET /c/%s/status?wait=30&known=%s HTTP/1.1\r\nHost: shop\r\n\r\n", id, url.QueryEscape(known))
	return conn
}

package shop_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDoubleClickPayMakesOneAttempt(t *testing.T) {
	e := handlerstest.New(t)
	// Several checkouts, each paid with a burst of clicks that start together.
	for round := range 5 {
		c := e.CreateCheckout("")
		b := e.Browser(handlerstest.UADesktop)
		b.Get(c.URL)
		var wg sync.WaitGroup
		start := make(chan struct{})
		codes := make([]int, 8)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", e.URL+"/c/"+c.ID+"/pay", strings.NewReader("device=desktop"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("User-Agent", handlerstest.UADesktop)
				<-start
				res, err := b.NoRedirect().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				codes[i] = res.StatusCode
			}()
		}
		close(start)
		wg.Wait()
		for i, code := range codes {
			if code != http.StatusSeeOther {
				t.Errorf("round %d click %d answered %d", round, i, code)
			}
		}
		if n := e.CountRows("SELECT COUNT(*) FROM attempts WHERE checkout_id = ?", c.ID); n != 1 {
			t.Errorf("round %d: %d clicks made %d attempts, want 1", round, len(codes), n)
		}
	}
	if n, want := e.Sandbox.Calls("ready"), 5; n != want {
		t.Errorf("%d KakaoPay ready calls for 5 checkouts", n)
	}
}

func TestReadyRefusedShowsError(t *testing.T) {
	e := handlerstest.New(t)
	c := e.AmountCheckout("6666")
	b := e.Browser(handlerstest.UADesktop)
	res, html := b.Post("/c/"+c.ID+"/pay", "device=desktop")
	if res.StatusCode != http.StatusBadGateway || !strings.Contains(html, "카카오페이와 연결하지 못했어요") {
		t.Fatalf("ready refused: %d", res.StatusCode)
	}
	_, html = b.Get(c.URL)
	if handlerstest.Page(t, html).Find(`[data-outcome="failed"]`).Length() != 1 {
		t.Error("the page does not say the last try failed")
	}
}

func TestCrossOriginPayRefused(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	cases := []struct {
		name string
		hdr  map[string]string
		lang string
		text string
	}{
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, "", "열 수 없는 페이지예요"},
		{"cross-site fetch in English", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, "?lang=en", "This request is not allowed"},
		{"foreign origin only", map[string]string{"Origin": "https://evil.example"}, "", "열 수 없는 페이지예요"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := e.Browser(handlerstest.UADesktop)
			res, html := b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay"+tc.lang, strings.NewReader("device=desktop"), tc.hdr)
			handlerstest.CheckErrorPage(t, res, html, http.StatusForbidden, tc.text)
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP = %q", csp)
			}
			if n := e.CountRows("SELECT COUNT(*) FROM attempts"); n != 0 || e.Sandbox.Calls("ready") != 0 {
				t.Errorf("a cross-origin POST made %d attempts, %d ready calls", n, e.Sandbox.Calls("ready"))
			}
		})
	}
}

func TestExpiredCheckoutCannotBePaid(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	var obj handlerstest.CheckoutObject
	if res := e.API("POST", "/v1/checkouts/"+c.ID+"/expire", "", &obj); res.StatusCode != http.StatusOK || obj.Status != "expired" {
		t.Fatalf("expire: %d %+v", res.StatusCode, obj)
	}
	t.Run("pay", func(t *testing.T) {
		for _, lang := range []struct{ q, text string }{{"", "결제 시간이 지났어요"}, {"?lang=en", "Time to pay has run out"}} {
			b := e.Browser(handlerstest.UADesktop)
			res, html := b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay"+lang.q, strings.NewReader("device=desktop"), nil)
			handlerstest.CheckErrorPage(t, res, html, http.StatusConflict, lang.text)
		}
		if n := e.CountRows("SELECT COUNT(*) FROM attempts"); n != 0 || e.Sandbox.Calls("ready") != 0 {
			t.Errorf("%d attempts, %d ready calls for an expired checkout", n, e.Sandbox.Calls("ready"))
		}
	})
	t.Run("expire again", func(t *testing.T) {
		res, data := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts/"+c.ID+"/expire", "", nil)
		handlerstest.CheckAPIError(t, res, data, []int{http.StatusConflict}, "", "")
		if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.expired") != 1 {
			t.Errorf("events %v", ev)
		}
	})
	t.Run("page", func(t *testing.T) {
		res, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
		doc := handlerstest.Page(t, html)
		if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="expired"]`).Length() != 1 {
			t.Fatalf("page of an expired checkout: %d view=%q", res.StatusCode, doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""))
		}
		if href := doc.Find(`[data-testid="back-to-shop"]`).AttrOr("href", ""); href != e.Shop.URL+"/cart" {
			t.Errorf("back to shop %q", href)
		}
		if doc.Find(`[data-testid="pay-button"]`).Length() != 0 {
			t.Error("an expired checkout offers to pay")
		}
		if st := e.Status(c.ID, ""); st.Status != "expired" || st.RedirectURL == nil || *st.RedirectURL != e.Shop.URL+"/cart" {
			t.Errorf("status %+v", st)
		}
	})
}

func TestPaidCheckoutRefusesPayAndExpire(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	phone := e.PhoneOn(c.ID)
	phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "paid" {
		t.Fatalf("checkout %s", got.Status)
	}
	ready := e.Sandbox.Calls("ready")
	t.Run("pay", func(t *testing.T) {
		for _, b := range []*handlerstest.Browser{phone, e.Browser(handlerstest.UADesktop)} {
			res, html := b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay", strings.NewReader("device=desktop"), nil)
			handlerstest.CheckErrorPage(t, res, html, http.StatusConflict, "이미 결제를 마쳤어요")
		}
		if n := e.Sandbox.Calls("ready"); n != ready {
			t.Errorf("paying a paid checkout called ready")
		}
	})
	t.Run("expire", func(t *testing.T) {
		res, data := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts/"+c.ID+"/expire", "", nil)
		handlerstest.CheckAPIError(t, res, data, []int{http.StatusConflict}, "", "")
		if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "paid" || got.Payment == nil {
			t.Errorf("checkout %+v", got)
		}
	})
	if n := e.CountRows("SELECT COUNT(*) FROM payments WHERE checkout_id = ?", c.ID); n != 1 {
		t.Errorf("%d payments", n)
	}
}

func TestLeaveEndsThePaymentAndGoesBackToTheShop(t *testing.T) {
	e, f := handlerstest.NewFaulty(t)
	c := e.CreateCheckout("")
	desktop := e.DesktopOn(c.ID)
	res, html := desktop.Get(c.URL)
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self' "+e.Shop.URL) || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("the checkout page's CSP %q does not let its leave form go back to the shop", csp)
	}
	if action := handlerstest.Page(t, html).Find(`form:has([data-testid="leave"])`).AttrOr("action", ""); action != "/c/"+c.ID+"/cancel" {
		t.Fatalf("leave form posts to %q", action)
	}
	mobileURL := e.AttemptMobileURL(c.ID)

	res, _ = desktop.Do(desktop.NoRedirect(), "POST", e.URL+"/c/"+c.ID+"/cancel", nil, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != e.Shop.URL+"/cart" {
		t.Fatalf("leave: %d to %q, want 303 to the failure URL", res.StatusCode, res.Header.Get("Location"))
	}
	if a := e.LatestAttempt(c.ID); a.Status != "canceled" || a.FailureCode != "SHOPPER_CANCELED" {
		t.Errorf("the attempt is %s %s", a.Status, a.FailureCode)
	}
	if st := e.Status(c.ID, ""); st.Status != "open" {
		t.Errorf("the checkout is %s: leaving a payment leaves the checkout open", st.Status)
	}
	// Leaving twice changes nothing more.
	desktop.Do(desktop.NoRedirect(), "POST", e.URL+"/c/"+c.ID+"/cancel", nil, nil)
	if n := handlerstest.Count(e.Events(c.ID), "attempt.canceled"); n != 1 {
		t.Errorf("%d attempt.canceled events", n)
	}
	// The shopper approves the left payment in KakaoTalk anyway: nothing is paid.
	phone := e.Browser(handlerstest.UAIPhone)
	res, _ = phone.WalletAct(mobileURL, "approve")
	if res.StatusCode != http.StatusConflict || e.Sandbox.Calls("approve") != 0 {
		t.Errorf("approving a left payment: %d, %d approve calls", res.StatusCode, e.Sandbox.Calls("approve"))
	}

	// An approval being confirmed cannot be left: the page says it is confirming.
	c2 := e.CreateCheckout("")
	phone.PayOn(c2.ID)
	f.Set("order", "fail", -1)
	phone.WalletAct(e.AttemptMobileURL(c2.ID), "approve")
	res, _ = phone.Do(phone.NoRedirect(), "POST", e.URL+"/c/"+c2.ID+"/cancel", nil, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/c/"+c2.ID {
		t.Errorf("leaving a payment being confirmed: %d to %q, want back to the page", res.StatusCode, res.Header.Get("Location"))
	}
	if a := e.LatestAttempt(c2.ID); a.Status == "canceled" {
		t.Error("an approval being confirmed was canceled")
	}
	f.Clear("order")

	res, _ = phone.Do(phone.NoRedirect(), "POST", e.URL+"/c/cs_nope/cancel", nil, nil)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("leaving an unknown checkout: %d", res.StatusCode)
	}
	res, _ = phone.Do(phone.NoRedirect(), "POST", e.URL+"/c/"+c.ID+"/cancel", nil, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site leave: %d", res.StatusCode)
	}
}

// A form whose body is dripped past the server's read deadline is cut with a 400, as the API
// answers the same (it was a 500: the page was rendered on the request's context, which the
// cut cancels).
func TestSlowFormBodyIsCutWith400(t *testing.T) {
	e := handlerstest.NewWith(t, handlerstest.Options{ReadTimeout: time.Second})
	c := e.CreateCheckout("")
	for _, tc := range []struct{ name, path, contentType, wantType string }{
		{"pay form", "/c/" + c.ID + "/pay", "application/x-www-form-urlencoded", "text/html"},
		{"sign-in form", "/dashboard/login", "application/x-www-form-urlencoded", "text/html"},
		{"API", "/v1/checkouts", "application/json", "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := dripBody(t, e, tc.path, tc.contentType)
			if res.StatusCode != http.StatusBadRequest || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.wantType) {
				t.Errorf("answered %d %s, want 400 %s", res.StatusCode, res.Header.Get("Content-Type"), tc.wantType)
			}
		})
	}
}

// dripBody POSTs to path a body announced as 1,000 bytes and sent a byte every 100 ms, until the
// server answers; it returns the answer.
func dripBody(t *testing.T, e *handlerstest.Env, path, contentType string) *http.Response {
	t.Helper()
	addr := strings.TrimPrefix(e.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: 1000\r\n\r\nd",
		path, addr, e.Key, contentType)
	answered := make(chan struct{})
	defer close(answered)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-answered:
				return
			case <-tick.C:
				conn.Write([]byte("e"))
			}
		}
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

package handlers_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// walletAct opens the sandbox wallet at walletURL in b, presses the button (approve, cancel or
// fail) and follows KakaoPay's redirect back to us.
func (b *browser) walletAct(walletURL, button string) (*http.Response, string) {
	b.e.t.Helper()
	res, html := b.get(walletURL)
	if res.StatusCode != http.StatusOK {
		b.e.t.Fatalf("wallet page: %d %s", res.StatusCode, html)
	}
	doc := page(b.e.t, html)
	action, ok := doc.Find(`[data-testid="wallet-` + button + `"]`).Closest("form").Attr("action")
	if !ok {
		b.e.t.Fatalf("no %s button on the wallet page", button)
	}
	return b.post(action, "")
}

// payOn starts an attempt in b and returns the checkout page that follows.
func (b *browser) payOn(id string) string {
	b.e.t.Helper()
	res, html := b.get("/c/" + id)
	if res.StatusCode != http.StatusOK {
		b.e.t.Fatalf("checkout page: %d", res.StatusCode)
	}
	doc := page(b.e.t, html)
	form := doc.Find(`[data-testid="pay-button"]`).Closest("form")
	action, _ := form.Attr("action")
	device, _ := form.Find(`input[name="device"]`).Attr("value")
	res, html = b.post(action, "device="+device)
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/c/"+id {
		b.e.t.Fatalf("pay: %d at %s", res.StatusCode, res.Request.URL)
	}
	return html
}

func TestDesktopPaysByQRWithPhone(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	desktop := e.browser(uaDesktop)

	res, html := desktop.get(c.URL)
	doc := page(t, html)
	if res.StatusCode != 200 || doc.Find("html").AttrOr("lang", "") != "ko" {
		t.Fatalf("page: %d lang=%q", res.StatusCode, doc.Find("html").AttrOr("lang", ""))
	}
	if got := testid(doc, "amount"); got != "11,000원" {
		t.Errorf("amount shows %q, want 11,000원", got)
	}
	if got := testid(doc, "merchant-name"); got != "테스트 카페" {
		t.Errorf("merchant shows %q", got)
	}
	if items := testid(doc, "items"); !strings.Contains(items, "아메리카노") || !strings.Contains(items, "9,000원") {
		t.Errorf("items show %q", items)
	}
	if testid(doc, "time-left") == "" || testid(doc, "test-mode") == "" {
		t.Error("no countdown or no TEST MODE banner")
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}

	doc = page(t, desktop.payOn(c.ID))
	if v := doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "qr" {
		t.Fatalf("after pay the desktop shows %q, want the QR view", v)
	}
	src := doc.Find(`[data-testid="qr"]`).AttrOr("src", "")
	if !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Fatalf("QR is not an inline PNG: %.40q", src)
	}
	if got := testid(doc, "status-text"); got != "QR 코드 스캔을 기다리고 있습니다" {
		t.Errorf("status text %q", got)
	}
	st := e.status(c.ID, "")
	if st.AttemptStatus == nil || *st.AttemptStatus != "ready" {
		t.Fatalf("status %+v", st)
	}
	mobileURL := e.attemptMobileURL(c.ID)

	// The desktop page waits on the status endpoint while the phone approves.
	type result struct {
		st  statusObj
		dur time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		s := e.status(c.ID, "?wait=30&known="+st.State)
		done <- result{s, time.Since(start)}
	}()

	phone := e.browser(uaIPhone)
	res, html = phone.walletAct(mobileURL, "approve")
	doc = page(t, html)
	if res.StatusCode != 200 || doc.Find(`[data-testid="phone-done"]`).Length() != 1 {
		t.Fatalf("phone after approving: %d %s", res.StatusCode, res.Request.URL)
	}
	if !strings.Contains(doc.Text(), "컴퓨터 화면으로 돌아가") {
		t.Error("the phone is not told to return to the computer")
	}

	// The first wake may be the wallet progress; wait on until paid.
	var got statusObj
	deadline := time.Now().Add(10 * time.Second)
	for r := range done {
		got = r.st
		if got.Status == "paid" || time.Now().After(deadline) {
			break
		}
		go func() { done <- result{e.status(c.ID, "?wait=10&known="+got.State), 0} }()
	}
	if got.Status != "paid" || got.RedirectURL == nil {
		t.Fatalf("desktop status %+v", got)
	}
	if want := e.shop.URL + "/thanks?checkout_id=" + c.ID + "&order=ORDER-1"; *got.RedirectURL != want {
		t.Errorf("redirect_url %q, want %q", *got.RedirectURL, want)
	}

	var obj checkoutObj
	e.api("GET", "/v1/checkouts/"+c.ID, "", &obj)
	if obj.Status != "paid" || obj.Payment == nil || obj.Payment.Amount != 11000 {
		t.Fatalf("API shows %+v", obj)
	}
	if info, _ := e.sb.Payment(e.attemptTID(c.ID)); info.Status != "SUCCESS_PAYMENT" {
		t.Errorf("sandbox says %q", info.Status)
	}
	ev := e.events(c.ID)
	if count(ev, "checkout.paid") != 1 || count(ev, "attempt.created") != 1 {
		t.Errorf("events %v", ev)
	}
	// The desktop page, reloaded, says paid and links on to the shop.
	_, html = desktop.get(c.URL)
	doc = page(t, html)
	if href := doc.Find(`[data-testid="continue"]`).AttrOr("href", ""); !strings.HasPrefix(href, e.shop.URL+"/thanks") {
		t.Errorf("continue link %q", href)
	}
}

func TestStatusFollowsWalletProgress(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	desktop := e.browser(uaDesktop)
	desktop.payOn(c.ID)
	st := e.status(c.ID, "")
	phone := e.browser(uaIPhone)
	phone.get(e.attemptMobileURL(c.ID)) // the phone scanned the QR code and opened the wallet
	got := e.status(c.ID, "?wait=10&known="+st.State)
	if got.AttemptStatus == nil || *got.AttemptStatus != "authenticating" {
		t.Fatalf("status after the wallet opened: %+v", got)
	}
	_, html := desktop.get(c.URL)
	if s := testid(page(t, html), "status-text"); s != "카카오톡에서 결제를 승인해 주세요" {
		t.Errorf("desktop status text %q", s)
	}
}

func TestLongPollAnswersAfterWait(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	start := time.Now()
	st := e.status(c.ID, "?wait=1")
	if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second || st.Status != "open" {
		t.Fatalf("wait=1 answered after %v with %+v", d, st)
	}
	if res, _ := http.Get(e.base + "/c/" + c.ID + "/status?wait=abc"); res.StatusCode != 400 {
		t.Errorf("wait=abc: %d", res.StatusCode)
	}
}

func TestPhonePaysInBrowser(t *testing.T) {
	for _, tc := range []struct{ name, ua string }{{"iphone", uaIPhone}, {"android", uaAndroid}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.createCheckout("")
			phone := e.browser(tc.ua)
			doc := page(t, phone.payOn(c.ID))
			if v := doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "handoff" {
				t.Fatalf("phone shows %q, want the KakaoTalk hand-off", v)
			}
			href := doc.Find(`[data-testid="open-kakaotalk"]`).AttrOr("href", "")
			if href != e.attemptMobileURL(c.ID) {
				t.Fatalf("hand-off link %q, want the attempt's mobile URL", href)
			}
			fb := doc.Find(`[data-testid="fallback"]`)
			if _, hidden := fb.Attr("hidden"); !hidden || fb.Find(`[data-testid="pay-qr"]`).Length() != 1 {
				t.Error("the fallback must be hidden until KakaoTalk fails to open, and offer QR")
			}
			store := map[string]string{"iphone": "app-store", "android": "play-store"}[tc.name]
			if fb.Find(`[data-testid="`+store+`"]`).Length() != 1 {
				t.Errorf("no %s link in the fallback", store)
			}
			res, _ := phone.walletAct(href, "approve")
			if !strings.HasPrefix(res.Request.URL.String(), e.shop.URL+"/thanks") || res.Request.URL.Query().Get("checkout_id") != c.ID {
				t.Fatalf("phone ended at %s", res.Request.URL)
			}
		})
	}
}

func TestKakaoTalkInAppBrowser(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	talk := e.browser(uaKakaoTalk)
	doc := page(t, talk.payOn(c.ID))
	if v := doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "handoff" {
		t.Fatalf("KakaoTalk shows %q", v)
	}
	if n := doc.Find(`[data-testid="app-store"], [data-testid="play-store"]`).Length(); n != 0 {
		t.Error("inside KakaoTalk the page must not advise installing KakaoTalk")
	}
	if doc.Find(`[target="_blank"]`).Length() != 0 {
		t.Error("in-app browsers get no pop-ups")
	}
	res, _ := talk.walletAct(doc.Find(`[data-testid="open-kakaotalk"]`).AttrOr("href", ""), "approve")
	if !strings.HasPrefix(res.Request.URL.String(), e.shop.URL+"/thanks") {
		t.Fatalf("ended at %s", res.Request.URL)
	}
}

func TestDeviceOverride(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	b := e.browser(uaDesktop)
	_, html := b.get(c.URL + "?device=mobile")
	if d := page(t, html).Find(`input[name="device"]`).AttrOr("value", ""); d != "mobile" {
		t.Errorf("?device=mobile gives %q", d)
	}
	b = e.browser(uaIPhone)
	_, html = b.get(c.URL + "?device=desktop")
	if d := page(t, html).Find(`input[name="device"]`).AttrOr("value", ""); d != "desktop" {
		t.Errorf("?device=desktop gives %q", d)
	}
	b = e.browser("Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0")
	b.header.Set("Sec-CH-UA-Mobile", "?1")
	_, html = b.get(c.URL)
	if d := page(t, html).Find(`input[name="device"]`).AttrOr("value", ""); d != "mobile" {
		t.Errorf("Sec-CH-UA-Mobile ?1 gives %q", d)
	}
}

func TestCancelThenRetryPays(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	phone := e.browser(uaIPhone)
	phone.payOn(c.ID)
	res, html := phone.walletAct(e.attemptMobileURL(c.ID), "cancel")
	doc := page(t, html)
	if res.Request.URL.Path != "/c/"+c.ID || doc.Find(`[data-outcome="canceled"]`).Length() != 1 {
		t.Fatalf("after cancel: %s outcome=%q", res.Request.URL, testid(doc, "outcome"))
	}
	if !strings.Contains(testid(doc, "outcome"), "결제를 취소하셨습니다") {
		t.Errorf("outcome text %q", testid(doc, "outcome"))
	}
	if href := doc.Find(`[data-testid="back-to-shop"]`).AttrOr("href", ""); href != e.shop.URL+"/cart" {
		t.Errorf("back to shop %q", href)
	}
	if got := testid(doc, "pay-button"); got != "다시 결제하기" {
		t.Errorf("retry button %q", got)
	}
	if ev := e.events(c.ID); count(ev, "attempt.canceled") != 1 {
		t.Errorf("events %v", ev)
	}
	phone.payOn(c.ID)
	res, _ = phone.walletAct(e.attemptMobileURL(c.ID), "approve")
	if !strings.HasPrefix(res.Request.URL.String(), e.shop.URL+"/thanks") {
		t.Fatalf("retry ended at %s", res.Request.URL)
	}
	if ev := e.events(c.ID); count(ev, "attempt.created") != 2 || count(ev, "checkout.paid") != 1 {
		t.Errorf("events %v", ev)
	}
}

func TestFailShowsReasonAndRetryPays(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	desktop := e.browser(uaDesktop)
	desktop.payOn(c.ID)
	phone := e.browser(uaIPhone)
	phone.walletAct(e.attemptMobileURL(c.ID), "fail")
	_, html := desktop.get(c.URL)
	doc := page(t, html)
	if doc.Find(`[data-outcome="failed"]`).Length() != 1 || !strings.Contains(testid(doc, "outcome"), "결제에 실패했습니다") {
		t.Fatalf("desktop after fail: %q", testid(doc, "outcome"))
	}
	if ev := e.events(c.ID); count(ev, "attempt.failed") != 1 {
		t.Errorf("events %v", ev)
	}
	desktop.payOn(c.ID)
	phone.walletAct(e.attemptMobileURL(c.ID), "approve")
	if st := e.status(c.ID, ""); st.Status != "paid" {
		t.Fatalf("after retry: %+v", st)
	}
}

func TestInsufficientBalanceFailsAtApprove(t *testing.T) {
	e := newEnv(t)
	c := e.amountCheckout("4444")
	phone := e.browser(uaIPhone)
	phone.payOn(c.ID)
	res, html := phone.walletAct(e.attemptMobileURL(c.ID), "approve")
	doc := page(t, html)
	if res.Request.URL.Path != "/c/"+c.ID || doc.Find(`[data-outcome="failed"]`).Length() != 1 {
		t.Fatalf("after 4444: %s %q", res.Request.URL, testid(doc, "outcome"))
	}
	if !strings.Contains(testid(doc, "outcome"), "잔액이 부족합니다") {
		t.Errorf("reason %q", testid(doc, "outcome"))
	}
	var obj checkoutObj
	e.api("GET", "/v1/checkouts/"+c.ID, "", &obj)
	if obj.Status != "open" || obj.Payment != nil {
		t.Errorf("checkout %+v", obj)
	}
}

func TestReadyRefusedShowsError(t *testing.T) {
	e := newEnv(t)
	c := e.amountCheckout("6666")
	b := e.browser(uaDesktop)
	res, html := b.post("/c/"+c.ID+"/pay", "device=desktop")
	if res.StatusCode != http.StatusBadGateway || !strings.Contains(html, "카카오페이와 연결하지 못했습니다") {
		t.Fatalf("ready refused: %d", res.StatusCode)
	}
	_, html = b.get(c.URL)
	if page(t, html).Find(`[data-outcome="failed"]`).Length() != 1 {
		t.Error("the page does not say the last try failed")
	}
}

func TestConcurrentApproveCallbacksPayOnce(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	phone := e.browser(uaIPhone)
	phone.payOn(c.ID)
	res, _ := phone.do(phone.noRedirect(), "GET", e.attemptMobileURL(c.ID), nil, map[string]string{"X-Sandbox-Auto": "approve"})
	approveURL := res.Header.Get("Location")
	if !strings.Contains(approveURL, "pg_token=") {
		t.Fatalf("sandbox answered %d %q", res.StatusCode, approveURL)
	}
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := phone.do(phone.noRedirect(), "GET", approveURL, nil, nil)
			codes[i] = r.StatusCode
		}()
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusSeeOther {
			t.Errorf("callback %d answered %d", i, code)
		}
	}
	if n := e.sb.Calls("approve"); n != 1 {
		t.Errorf("%d approve calls reached KakaoPay, want 1", n)
	}
	if ev := e.events(c.ID); count(ev, "checkout.paid") != 1 {
		t.Errorf("events %v", ev)
	}
	if n := e.count1("SELECT COUNT(*) FROM payments WHERE checkout_id = ?", c.ID); n != 1 {
		t.Errorf("%d payments", n)
	}
}

func TestEnglishPage(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	b := e.browser(uaDesktop)
	_, html := b.get(c.URL + "?lang=en")
	doc := page(t, html)
	if doc.Find("html").AttrOr("lang", "") != "en" || testid(doc, "amount") != "₩11,000" || testid(doc, "pay-button") != "Pay with KakaoPay" {
		t.Fatalf("English page: lang=%q amount=%q", doc.Find("html").AttrOr("lang", ""), testid(doc, "amount"))
	}
	_, html = b.get(c.URL) // remembered in the cookie
	if got := testid(page(t, html), "amount"); got != "₩11,000" {
		t.Errorf("language not remembered: %q", got)
	}
	other := e.browser(uaDesktop)
	other.header.Set("Accept-Language", "en-US,en;q=0.9")
	_, html = other.get(c.URL)
	if got := testid(page(t, html), "amount"); got != "₩11,000" {
		t.Errorf("Accept-Language en gives %q", got)
	}
	other.header.Set("Accept-Language", "ko-KR,ko;q=0.9,en;q=0.5")
	_, html = e.browser(uaDesktop).get(c.URL)
	if got := testid(page(t, html), "amount"); got != "11,000원" {
		t.Errorf("default gives %q", got)
	}
}

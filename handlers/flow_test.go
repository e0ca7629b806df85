package handlers_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDesktopPaysByQRWithPhone(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
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
	if got := handlerstest.TextOf(doc, "status-text"); got != "QR 코드 스캔을 기다리고 있습니다" {
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
	if !strings.Contains(doc.Text(), "컴퓨터 화면으로 돌아가") {
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
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	desktop := e.Browser(handlerstest.UADesktop)
	desktop.PayOn(c.ID)
	st := e.Status(c.ID, "")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.Get(e.AttemptMobileURL(c.ID)) // the phone scanned the QR code and opened the wallet
	got := e.Status(c.ID, "?wait=10&known="+st.State)
	if got.AttemptStatus == nil || *got.AttemptStatus != "authenticating" {
		t.Fatalf("status after the wallet opened: %+v", got)
	}
	_, html := desktop.Get(c.URL)
	if s := handlerstest.TextOf(handlerstest.Page(t, html), "status-text"); s != "카카오톡에서 결제를 승인해 주세요" {
		t.Errorf("desktop status text %q", s)
	}
}

func TestLongPollAnswersAfterWait(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	start := time.Now()
	st := e.Status(c.ID, "?wait=1")
	if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second || st.Status != "open" {
		t.Fatalf("wait=1 answered after %v with %+v", d, st)
	}
	if res, _ := http.Get(e.URL + "/c/" + c.ID + "/status?wait=abc"); res.StatusCode != 400 {
		t.Errorf("wait=abc: %d", res.StatusCode)
	}
}

func TestPhonePaysInBrowser(t *testing.T) {
	for _, tc := range []struct{ name, ua string }{{"iphone", handlerstest.UAIPhone}, {"android", handlerstest.UAAndroid}} {
		t.Run(tc.name, func(t *testing.T) {
			e := handlerstest.New(t)
			c := e.CreateCheckout("")
			phone := e.Browser(tc.ua)
			doc := handlerstest.Page(t, phone.PayOn(c.ID))
			if v := doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "handoff" {
				t.Fatalf("phone shows %q, want the KakaoTalk hand-off", v)
			}
			href := doc.Find(`[data-testid="open-kakaotalk"]`).AttrOr("href", "")
			if href != e.AttemptMobileURL(c.ID) {
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
			res, _ := phone.WalletAct(href, "approve")
			if !strings.HasPrefix(res.Request.URL.String(), e.Shop.URL+"/thanks") || res.Request.URL.Query().Get("checkout_id") != c.ID {
				t.Fatalf("phone ended at %s", res.Request.URL)
			}
		})
	}
}

func TestKakaoTalkInAppBrowser(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	talk := e.Browser(handlerstest.UAKakaoTalk)
	doc := handlerstest.Page(t, talk.PayOn(c.ID))
	if v := doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "handoff" {
		t.Fatalf("KakaoTalk shows %q", v)
	}
	if n := doc.Find(`[data-testid="app-store"], [data-testid="play-store"]`).Length(); n != 0 {
		t.Error("inside KakaoTalk the page must not advise installing KakaoTalk")
	}
	if doc.Find(`[target="_blank"]`).Length() != 0 {
		t.Error("in-app browsers get no pop-ups")
	}
	res, _ := talk.WalletAct(doc.Find(`[data-testid="open-kakaotalk"]`).AttrOr("href", ""), "approve")
	if !strings.HasPrefix(res.Request.URL.String(), e.Shop.URL+"/thanks") {
		t.Fatalf("ended at %s", res.Request.URL)
	}
}

func TestDeviceOverride(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	b := e.Browser(handlerstest.UADesktop)
	_, html := b.Get(c.URL + "?device=mobile")
	if d := handlerstest.Page(t, html).Find(`input[name="device"]`).AttrOr("value", ""); d != "mobile" {
		t.Errorf("?device=mobile gives %q", d)
	}
	b = e.Browser(handlerstest.UAIPhone)
	_, html = b.Get(c.URL + "?device=desktop")
	if d := handlerstest.Page(t, html).Find(`input[name="device"]`).AttrOr("value", ""); d != "desktop" {
		t.Errorf("?device=desktop gives %q", d)
	}
	b = e.Browser("Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0")
	b.Header.Set("Sec-CH-UA-Mobile", "?1")
	_, html = b.Get(c.URL)
	if d := handlerstest.Page(t, html).Find(`input[name="device"]`).AttrOr("value", ""); d != "mobile" {
		t.Errorf("Sec-CH-UA-Mobile ?1 gives %q", d)
	}
}

func TestCancelThenRetryPays(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(c.ID)
	res, html := phone.WalletAct(e.AttemptMobileURL(c.ID), "cancel")
	doc := handlerstest.Page(t, html)
	if res.Request.URL.Path != "/c/"+c.ID || doc.Find(`[data-outcome="canceled"]`).Length() != 1 {
		t.Fatalf("after cancel: %s outcome=%q", res.Request.URL, handlerstest.TextOf(doc, "outcome"))
	}
	if !strings.Contains(handlerstest.TextOf(doc, "outcome"), "결제를 취소하셨습니다") {
		t.Errorf("outcome text %q", handlerstest.TextOf(doc, "outcome"))
	}
	if href := doc.Find(`[data-testid="back-to-shop"]`).AttrOr("href", ""); href != e.Shop.URL+"/cart" {
		t.Errorf("back to shop %q", href)
	}
	if got := handlerstest.TextOf(doc, "pay-button"); got != "다시 결제하기" {
		t.Errorf("retry button %q", got)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "attempt.canceled") != 1 {
		t.Errorf("events %v", ev)
	}
	phone.PayOn(c.ID)
	res, _ = phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	if !strings.HasPrefix(res.Request.URL.String(), e.Shop.URL+"/thanks") {
		t.Fatalf("retry ended at %s", res.Request.URL)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "attempt.created") != 2 || handlerstest.Count(ev, "checkout.paid") != 1 {
		t.Errorf("events %v", ev)
	}
}

func TestFailShowsReasonAndRetryPays(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	desktop := e.Browser(handlerstest.UADesktop)
	desktop.PayOn(c.ID)
	phone := e.Browser(handlerstest.UAIPhone)
	phone.WalletAct(e.AttemptMobileURL(c.ID), "fail")
	_, html := desktop.Get(c.URL)
	doc := handlerstest.Page(t, html)
	if doc.Find(`[data-outcome="failed"]`).Length() != 1 || !strings.Contains(handlerstest.TextOf(doc, "outcome"), "결제에 실패했습니다") {
		t.Fatalf("desktop after fail: %q", handlerstest.TextOf(doc, "outcome"))
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "attempt.failed") != 1 {
		t.Errorf("events %v", ev)
	}
	desktop.PayOn(c.ID)
	phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	if st := e.Status(c.ID, ""); st.Status != "paid" {
		t.Fatalf("after retry: %+v", st)
	}
}

func TestInsufficientBalanceFailsAtApprove(t *testing.T) {
	e := handlerstest.New(t)
	c := e.AmountCheckout("4444")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(c.ID)
	res, html := phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	doc := handlerstest.Page(t, html)
	if res.Request.URL.Path != "/c/"+c.ID || doc.Find(`[data-outcome="failed"]`).Length() != 1 {
		t.Fatalf("after 4444: %s %q", res.Request.URL, handlerstest.TextOf(doc, "outcome"))
	}
	if !strings.Contains(handlerstest.TextOf(doc, "outcome"), "잔액이 부족합니다") {
		t.Errorf("reason %q", handlerstest.TextOf(doc, "outcome"))
	}
	var obj handlerstest.CheckoutObject
	e.API("GET", "/v1/checkouts/"+c.ID, "", &obj)
	if obj.Status != "open" || obj.Payment != nil {
		t.Errorf("checkout %+v", obj)
	}
}

func TestReadyRefusedShowsError(t *testing.T) {
	e := handlerstest.New(t)
	c := e.AmountCheckout("6666")
	b := e.Browser(handlerstest.UADesktop)
	res, html := b.Post("/c/"+c.ID+"/pay", "device=desktop")
	if res.StatusCode != http.StatusBadGateway || !strings.Contains(html, "카카오페이와 연결하지 못했습니다") {
		t.Fatalf("ready refused: %d", res.StatusCode)
	}
	_, html = b.Get(c.URL)
	if handlerstest.Page(t, html).Find(`[data-outcome="failed"]`).Length() != 1 {
		t.Error("the page does not say the last try failed")
	}
}

func TestConcurrentApproveCallbacksPayOnce(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(c.ID)
	res, _ := phone.Do(phone.NoRedirect(), "GET", e.AttemptMobileURL(c.ID), nil, map[string]string{"X-Sandbox-Auto": "approve"})
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
			r, _ := phone.Do(phone.NoRedirect(), "GET", approveURL, nil, nil)
			codes[i] = r.StatusCode
		}()
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusSeeOther {
			t.Errorf("callback %d answered %d", i, code)
		}
	}
	if n := e.Sandbox.Calls("approve"); n != 1 {
		t.Errorf("%d approve calls reached KakaoPay, want 1", n)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.paid") != 1 {
		t.Errorf("events %v", ev)
	}
	if n := e.CountRows("SELECT COUNT(*) FROM payments WHERE checkout_id = ?", c.ID); n != 1 {
		t.Errorf("%d payments", n)
	}
}

func TestEnglishPage(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	b := e.Browser(handlerstest.UADesktop)
	_, html := b.Get(c.URL + "?lang=en")
	doc := handlerstest.Page(t, html)
	if doc.Find("html").AttrOr("lang", "") != "en" || handlerstest.TextOf(doc, "amount") != "₩11,000" || handlerstest.TextOf(doc, "pay-button") != "Pay with KakaoPay" {
		t.Fatalf("English page: lang=%q amount=%q", doc.Find("html").AttrOr("lang", ""), handlerstest.TextOf(doc, "amount"))
	}
	_, html = b.Get(c.URL) // remembered in the cookie
	if got := handlerstest.TextOf(handlerstest.Page(t, html), "amount"); got != "₩11,000" {
		t.Errorf("language not remembered: %q", got)
	}
	other := e.Browser(handlerstest.UADesktop)
	other.Header.Set("Accept-Language", "en-US,en;q=0.9")
	_, html = other.Get(c.URL)
	if got := handlerstest.TextOf(handlerstest.Page(t, html), "amount"); got != "₩11,000" {
		t.Errorf("Accept-Language en gives %q", got)
	}
	other.Header.Set("Accept-Language", "ko-KR,ko;q=0.9,en;q=0.5")
	_, html = e.Browser(handlerstest.UADesktop).Get(c.URL)
	if got := handlerstest.TextOf(handlerstest.Page(t, html), "amount"); got != "11,000원" {
		t.Errorf("default gives %q", got)
	}
}

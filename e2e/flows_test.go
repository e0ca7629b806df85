package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// The shopper's flows in a real browser: Debian's Chromium, driven as shoppers would use it,
// against the app and the sandbox KakaoPay on 127.0.0.1. Each test fails on any console error,
// uncaught exception or failed request of any of its tabs (see tab.listen).

// sel selects by data-testid.
func sel(id string) string { return `[data-testid="` + id + `"]` }

// checkAnnounced checks that the page has the live regions a screen reader needs: the status
// (role=status, aria-live=polite) and the countdown announcer.
func checkAnnounced(tb *tab) {
	tb.t.Helper()
	if !tb.has(`[role="status"][aria-live="polite"]` + sel("status")) {
		tb.t.Errorf("%s: no role=status aria-live=polite region", tb.name)
	}
	if !tb.has(`[data-countdown-announce][aria-live]`) {
		tb.t.Errorf("%s: no [data-countdown-announce] aria-live region", tb.name)
	}
}

// checkView checks what every view of the checkout page must be: one h2 (the view's heading),
// no refresh link while JavaScript runs (it is the no-script way), and, on a view that ends a
// payment (paid, expired, canceled, an attempt's outcome), a link onward to the shop.
func checkView(tb *tab) {
	tb.t.Helper()
	view := eval[string](tb, `document.querySelector('[data-testid="checkout"]').dataset.view`)
	if n := eval[int](tb, `document.querySelectorAll('[data-testid="checkout"] h2').length`); n != 1 {
		tb.t.Errorf("%s: the %s view has %d h2 headings, want 1", tb.name, view, n)
	}
	if tb.has(sel("refresh")) {
		tb.t.Errorf("%s: the %s view shows the no-script refresh link with JavaScript on", tb.name, view)
	}
	switch {
	case view == "paid":
		if !tb.has(sel("continue")) {
			tb.t.Errorf("%s: the paid view has no link onward", tb.name)
		}
	case view == "expired" || view == "canceled" || tb.has(sel("outcome")):
		if !tb.has(sel("back-to-shop")) {
			tb.t.Errorf("%s: the %s view has no link back to the shop", tb.name, view)
		}
	case view == "qr" || view == "handoff":
		if !tb.has(sel("leave")) {
			tb.t.Errorf("%s: the %s view has no way out", tb.name, view)
		}
	}
}

// checkAboveFold checks that each element shows without scrolling.
func checkAboveFold(tb *tab, sels ...string) {
	tb.t.Helper()
	for _, s := range sels {
		if r, ok := tb.inViewport(s); !ok {
			tb.t.Errorf("%s: at %d×%d %s needs scrolling: %+v", tb.name, tb.dev.width, tb.dev.height, s, r)
		}
	}
}

// checkLang checks the page's language.
func checkLang(tb *tab, want string) {
	tb.t.Helper()
	if got := eval[string](tb, `document.documentElement.lang`); got != want {
		tb.t.Errorf("%s: html lang=%q, want %q", tb.name, got, want)
	}
}

// walletPress presses a button of the sandbox wallet (approve, cancel or fail) once the tab is
// there, and waits for the page that KakaoPay's return leads to.
func walletPress(tb *tab, e *handlerstest.Env, button string) {
	tb.t.Helper()
	tb.waitURL(e.SandboxURL+"/wallet/", 10*time.Second)
	if st := tb.pressAndLoad(sel("wallet-" + button)); st != 200 {
		tb.fail("after %s in the wallet: HTTP %d", button, st)
	}
}

// startPaying opens the checkout page at url and presses its pay button.
func (tb *tab) startPaying(url string) {
	tb.t.Helper()
	tb.navigate(url)
	tb.pressAndLoad(sel("pay-button"))
}

// scanAndPress scans desk's QR code (its screenshot named shot) with phone and presses button
// in the sandbox wallet it opens.
func scanAndPress(desk, phone *tab, e *handlerstest.Env, shot, button string) {
	desk.t.Helper()
	scanned, _ := desk.scanQR(shot)
	phone.navigate(scanned)
	walletPress(phone, e, button)
}

// checkPaid checks through the API that the checkout is paid, once.
func checkPaid(t *testing.T, e *handlerstest.Env, id string) {
	t.Helper()
	var obj handlerstest.CheckoutObject
	e.API("GET", "/v1/checkouts/"+id, "", &obj)
	if obj.Status != "paid" || obj.Payment == nil || obj.Payment.Amount != obj.Amount {
		t.Errorf("API shows %+v, want paid", obj)
	}
	if ev := e.Events(id); handlerstest.Count(ev, "checkout.paid") != 1 {
		t.Errorf("events %v, want one checkout.paid", ev)
	}
}

// checkAtSuccess checks the tab landed on the merchant's success_url for the checkout.
func checkAtSuccess(tb *tab, e *handlerstest.Env, id string) {
	tb.t.Helper()
	tb.waitURL(e.Shop.URL+"/thanks", 10*time.Second)
	u, err := url.Parse(tb.location())
	if err != nil || u.Query().Get("checkout_id") != id {
		tb.t.Errorf("%s ended at %s, want success_url with checkout_id=%s", tb.name, tb.location(), id)
	}
}

// checkPaidAt is how a flow that pays ends: tb landed on success_url (checkAtSuccess) and the
// API shows the checkout paid (checkPaid).
func checkPaidAt(tb *tab, e *handlerstest.Env, id string) {
	tb.t.Helper()
	checkAtSuccess(tb, e, id)
	checkPaid(tb.t, e, id)
}

// newFlow starts what most of the shopper's flows start with: the app and its sandbox KakaoPay,
// a checkout of 11,000 won, Chromium, and the shopper's tab (newTab's name, dev and o).
func newFlow(t *testing.T, name string, dev shopperDevice, o tabOptions) (*handlerstest.Env, handlerstest.CheckoutObject, *chrome, *tab) {
	t.Helper()
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	ch := newChrome(t)
	return e, c, ch, ch.newTab(name, dev, o)
}

// TestBrowserDesktopPaysWithPhone is the desktop flow: pay by keyboard, read the QR code off the
// screen, scan it with a phone, approve there, and watch the desktop go on to the shop by itself.
func TestBrowserDesktopPaysWithPhone(t *testing.T) {
	e, c, ch, desk := newFlow(t, "desktop", desktopDevice, tabOptions{})

	desk.navigate(c.URL)
	desk.waitVisible(sel("pay-button"))
	checkLang(desk, "ko")
	if got := desk.text(sel("amount")); got != "11,000원" {
		t.Errorf("amount shows %q", got)
	}
	checkAnnounced(desk)
	checkView(desk)
	checkAboveFold(desk, sel("pay-button"))
	desk.screenshot("checkout")
	desk.axe("the checkout page (desktop)")

	// Keyboard only: Tab to the pay button, Enter.
	desk.keyboardTo(sel("pay-button"))
	if st := desk.enterAndLoad(); st != 200 {
		t.Fatalf("pay: HTTP %d", st)
	}
	desk.waitVisible(sel("qr"))
	if v := eval[string](desk, `document.querySelector('[data-testid="checkout"]').dataset.view`); v != "qr" {
		t.Fatalf("after pay the desktop shows %q, want the QR view", v)
	}
	if r, ok := desk.inViewport(sel("qr")); !ok {
		t.Errorf("at 1366×768 the QR code is not all on screen: %+v", r)
	}
	desk.waitText(`[role="status"] `+sel("status-text"), "QR 코드 스캔을 기다리고 있어요")
	checkAnnounced(desk)
	checkView(desk)
	checkAboveFold(desk, sel("qr"), sel("steps"))
	if n := eval[int](desk, `document.querySelectorAll("time[data-countdown]").length`); n != 1 {
		t.Errorf("the QR view shows %d countdowns, want 1", n)
	}
	scanned, shot := desk.scanQR("qr")
	updateDocs(t, "desktop-qr.png", shot)
	if want := e.AttemptMobileURL(c.ID); scanned != want {
		t.Fatalf("the QR code on screen says %q, want the attempt's mobile URL %q", scanned, want)
	}
	desk.axe("the QR view")

	// The phone scans the code: KakaoPay's wallet opens there.
	phone := ch.newTab("phone", iPhoneDevice, tabOptions{})
	phone.navigate(scanned)
	phone.waitVisible(sel("wallet-approve"))
	phone.screenshot("wallet")
	phone.axe("the sandbox wallet page")

	// The desktop hears that the wallet opened and says so in its live region.
	desk.waitFor("the desktop to say: approve in KakaoTalk",
		`(document.querySelector('[role=status] [data-testid="status-text"]')||{}).textContent==="카카오톡에서 결제를 마쳐 주세요"`, 10*time.Second)
	checkAnnounced(desk)
	checkView(desk)
	if h := desk.text("#view-heading"); h != "카카오톡에서 결제를 마쳐 주세요" {
		t.Errorf("after the scan the heading says %q", h)
	}
	if step := desk.text(`[data-testid="steps"] [aria-current="step"]`); step != "휴대폰에 열린 카카오톡에서 결제해요." {
		t.Errorf("after the scan the current step is %q", step)
	}
	// The code has done its work: it folds away, and the page promises to move on by itself.
	// (checkVisibility: a closed <details> hides its content without taking its box away.)
	if eval[bool](desk, `document.querySelector('[data-testid="qr"]').checkVisibility()`) {
		t.Error("after the scan the QR code still shows")
	}
	if !eval[bool](desk, visibleJS("[data-live-only]")) {
		t.Error("with JavaScript the QR view does not say it moves on by itself")
	}
	desk.screenshot("after-scan")

	start := time.Now()
	if st := phone.pressAndLoad(sel("wallet-approve")); st != 200 {
		t.Fatalf("approve: HTTP %d", st)
	}
	phone.waitVisible(sel("phone-done"))
	if got := phone.text(sel("phone-done")); !strings.Contains(got, "컴퓨터 화면이 저절로 다음 단계로") {
		t.Errorf("the phone says %q, not to return to the computer", got)
	}
	for _, id := range []string{"receipt-reference", "receipt-paid-at", "receipt-method"} {
		if phone.text(sel(id)) == "" {
			t.Errorf("the phone's payment-complete page has no %s", id)
		}
	}
	phone.screenshot("return-to-computer")

	desk.waitURL(e.Shop.URL+"/thanks", 3*time.Second-time.Since(start))
	t.Logf("the desktop reached success_url %v after the phone approved", time.Since(start).Round(time.Millisecond))
	checkPaidAt(desk, e, c.ID)
	phone.axe("the phone's return-to-your-computer page")

	// Back on the checkout page, the desktop shows it paid.
	desk.navigate(c.URL)
	desk.waitVisible(sel("paid"))
	checkView(desk)
	if href := eval[string](desk, `document.querySelector('[data-testid="continue"]').href`); !strings.HasPrefix(href, e.Shop.URL+"/thanks") {
		t.Errorf("continue link %q", href)
	}
	if got := desk.text(sel("continue")); got != "테스트 카페로 돌아가기" {
		t.Errorf("the way back says %q, want it to name the merchant", got)
	}
	if got := desk.text(sel("receipt-method")); got == "" || desk.text(sel("receipt-paid-at")) == "" || desk.text(sel("receipt-reference")) == "" {
		t.Errorf("the paid page's receipt: %q", desk.text(sel("receipt")))
	}
	updateDocs(t, "paid.png", desk.screenshot("paid"))
	desk.axe("the paid page")
}

// TestBrowserPhonePays is the mobile flow on an iPhone and an Android phone: tap pay, KakaoPay's
// wallet opens, approve, land on success_url.
func TestBrowserPhonePays(t *testing.T) {
	for _, dev := range []shopperDevice{iPhoneDevice, androidDevice} {
		t.Run(dev.name, func(t *testing.T) {
			e, c, _, phone := newFlow(t, dev.name, dev, tabOptions{})
			phone.navigate(c.URL)
			phone.waitVisible(sel("pay-button"))
			if d := eval[string](phone, `document.querySelector('input[name="device"]').value`); d != "mobile" {
				t.Errorf("the phone's pay form says device=%q", d)
			}
			checkAnnounced(phone)
			checkView(phone)
			checkAboveFold(phone, sel("pay-button"))
			shot := phone.screenshot("checkout")
			if dev.name == "iphone" {
				updateDocs(t, "phone-checkout.png", shot)
			}
			phone.axe("the checkout page (phone)")

			phone.pressAndLoad(sel("pay-button"))
			// The page hands over to KakaoTalk by itself: the sandbox's wallet opens.
			walletPress(phone, e, "approve")
			checkPaidAt(phone, e, c.ID)
			phone.screenshot("success")
			phone.navigate(c.URL)
			phone.waitVisible(sel("paid"))
			checkView(phone)
			phone.screenshot("paid")
		})
	}
}

// TestBrowserKakaoTalkInApp pays inside KakaoTalk's own browser: the same path, no pop-up, and
// when KakaoPay does not open, no advice to install KakaoTalk.
func TestBrowserKakaoTalkInApp(t *testing.T) {
	e := handlerstest.New(t)
	ch := newChrome(t)
	pages := func() int {
		ts, err := chromedp.Targets(ch.ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range ts {
			if x.Type == "page" {
				n++
			}
		}
		return n
	}

	c := e.CreateCheckout("")
	talk := ch.newTab("kakaotalk", kakaoTalkDevice, tabOptions{})
	before := pages()
	talk.navigate(c.URL)
	talk.waitVisible(sel("pay-button"))
	if n := eval[int](talk, `document.querySelectorAll('[target="_blank"]').length`); n != 0 {
		t.Errorf("%d links open a new window inside KakaoTalk", n)
	}
	talk.pressAndLoad(sel("pay-button"))
	walletPress(talk, e, "approve")
	checkPaidAt(talk, e, c.ID)
	if after := pages(); after != before {
		t.Errorf("the flow opened %d new windows", after-before)
	}

	// KakaoPay's link opens nothing this time: the fallback shows, without store links.
	c2 := e.CreateCheckout("")
	stuck := ch.newTab("kakaotalk-stuck", kakaoTalkDevice, tabOptions{headers: map[string]string{"X-Sandbox-KakaoTalk": "absent"}})
	stuck.startPaying(c2.URL)
	stuck.waitVisible(sel("fallback"))
	if stuck.has(sel("app-store")) || stuck.has(sel("play-store")) {
		t.Error("inside KakaoTalk the fallback advises installing KakaoTalk")
	}
	if got := stuck.text(sel("open-kakaotalk")); got != "카카오페이로 결제하기" {
		t.Errorf("inside KakaoTalk the button says %q", got)
	}
	if got := stuck.text(sel("fallback")); !strings.Contains(got, "다른 브라우저로 열기") {
		t.Errorf("in-app fallback says %q", got)
	}
	if n := eval[int](stuck, `document.querySelectorAll('[target="_blank"]').length`); n != 0 {
		t.Errorf("%d links open a new window inside KakaoTalk", n)
	}
	stuck.screenshot("fallback")
}

// TestBrowserPhoneWithoutKakaoTalk: KakaoTalk does not open on a plain phone browser, so the page
// offers the app store and a QR code; the QR code, scanned by another phone, pays.
func TestBrowserPhoneWithoutKakaoTalk(t *testing.T) {
	e, c, ch, phone := newFlow(t, "android-without-kakaotalk", androidDevice, tabOptions{headers: map[string]string{"X-Sandbox-KakaoTalk": "absent"}})
	phone.startPaying(c.URL)
	start := time.Now()
	phone.waitVisible(sel("fallback"))
	t.Logf("the fallback showed %v after the hand-off page loaded", time.Since(start).Round(time.Millisecond))
	if !phone.has(sel("play-store")) || phone.has(sel("app-store")) {
		t.Error("an Android phone's fallback must link Google Play, not the App Store")
	}
	if got := phone.text(sel("fallback")); !strings.Contains(got, "카카오톡이 열리지 않나요?") {
		t.Errorf("fallback says %q", got)
	}
	if eval[bool](phone, `!document.querySelector("[data-opening]").hidden`) {
		t.Error("the page still says it is opening KakaoTalk beside the fallback")
	}
	checkView(phone)
	phone.screenshot("fallback")
	phone.axe("the hand-off page with its fallback")

	phone.pressAndLoad(sel("pay-qr"))
	if got := phone.text(`[data-testid="steps"] li`); !strings.Contains(got, "다른 휴대폰") {
		t.Errorf("a QR code on a phone says to scan it with %q", got)
	}
	scanned, _ := phone.scanQR("qr")
	if want := e.AttemptMobileURL(c.ID); scanned != want {
		t.Fatalf("the phone's QR code says %q, want the attempt's mobile URL %q", scanned, want)
	}

	other := ch.newTab("iphone-scanning", iPhoneDevice, tabOptions{})
	other.navigate(scanned)
	walletPress(other, e, "approve")
	other.waitVisible(sel("phone-done"))
	checkPaidAt(phone, e, c.ID)
}

// TestBrowserCancelThenRetryPays: the shopper cancels in the wallet, the page says so in Korean
// and offers to try again, which pays.
func TestBrowserCancelThenRetryPays(t *testing.T) {
	e, c, _, phone := newFlow(t, "iphone", iPhoneDevice, tabOptions{})
	phone.startPaying(c.URL)
	walletPress(phone, e, "cancel")
	phone.waitText(`[data-outcome="canceled"]`, "결제하지 않았어요.")
	if got := phone.text(sel("pay-button")); got != "다시 결제하기" {
		t.Errorf("retry button %q", got)
	}
	if href := eval[string](phone, `document.querySelector('[data-testid="back-to-shop"]').href`); href != e.Shop.URL+"/cart" {
		t.Errorf("back to shop %q", href)
	}
	checkView(phone)
	phone.screenshot("canceled")
	phone.axe("the canceled outcome")

	phone.pressAndLoad(sel("pay-button"))
	walletPress(phone, e, "approve")
	checkPaidAt(phone, e, c.ID)
}

// TestBrowserLeaveGoesBackToTheShop: on the QR view the shopper presses "결제하지 않고 돌아가기":
// the page goes back to the shop, the payment request ends, and the old QR code, approved in the
// wallet afterwards, pays nothing.
func TestBrowserLeaveGoesBackToTheShop(t *testing.T) {
	e, c, ch, desk := newFlow(t, "desktop", desktopDevice, tabOptions{})
	desk.startPaying(c.URL)
	desk.waitVisible(sel("qr"))
	scanned, _ := desk.scanQR("qr")
	if got := desk.text(sel("leave")); got != "결제하지 않고 돌아가기" {
		t.Errorf("the way out says %q", got)
	}
	desk.pressAndLoad(sel("leave"))
	desk.waitURL(e.Shop.URL+"/cart", 5*time.Second)
	if ev := e.Events(c.ID); handlerstest.Count(ev, "attempt.canceled") != 1 {
		t.Errorf("events %v, want one attempt.canceled", ev)
	}

	phone := ch.newTab("phone", iPhoneDevice, tabOptions{})
	phone.navigate(scanned)
	phone.waitVisible(sel("wallet-approve"))
	phone.expectErrorPage(http.StatusConflict)
	if st := phone.pressAndLoad(sel("wallet-approve")); st != http.StatusConflict {
		t.Errorf("approving the left payment: HTTP %d, want 409", st)
	}
	phone.waitVisible(sel("error"))
	if got := phone.text(sel("error")); !strings.Contains(got, "끝난 결제 요청이에요") {
		t.Errorf("approving the left payment says %q", got)
	}
	if href := eval[string](phone, `(document.querySelector('[data-testid="message-link"]')||{}).href||""`); href != c.URL {
		t.Errorf("the error page leads to %q, want the checkout page", href)
	}
	phone.screenshot("left-then-approved")
	phone.axe("an error page")
	if n := e.Sandbox.Calls("approve"); n != 0 {
		t.Errorf("%d approve calls reached KakaoPay", n)
	}

	// The checkout is still open: the shopper can come back and pay.
	desk.navigate(c.URL)
	desk.waitText(`[data-outcome="canceled"]`, "결제하지 않았어요.")
	checkView(desk)
}

// TestBrowserFailThenRetryPays: the wallet fails; the desktop learns it by itself and says why;
// trying again with a new QR code pays.
func TestBrowserFailThenRetryPays(t *testing.T) {
	e := handlerstest.New(t)
	c := e.AmountCheckout("4444") // the sandbox refuses it at approve: insufficient balance
	ch := newChrome(t)
	desk := ch.newTab("desktop", desktopDevice, tabOptions{})
	desk.startPaying(c.URL)
	scanned, _ := desk.scanQR("qr")
	phone := ch.newTab("phone", iPhoneDevice, tabOptions{})
	phone.navigate(scanned)
	walletPress(phone, e, "approve")

	desk.waitText(`[data-outcome="failed"]`, "결제하지 못했어요.")
	desk.waitText(`[data-outcome="failed"]`, "잔액이 부족해요") // and why
	checkAnnounced(desk)
	checkView(desk)
	updateDocs(t, "failed.png", desk.screenshot("failed"))
	desk.axe("the failed outcome")

	// The phone that approved is back on the checkout page, which says the same.
	phone.waitVisible(`[data-outcome="failed"]`)

	// Once more with a wallet that fails by hand, then pays.
	c2 := e.CreateCheckout("")
	desk.startPaying(c2.URL)
	scanAndPress(desk, phone, e, "qr-2", "fail")
	desk.waitVisible(`[data-outcome="failed"]`)
	desk.pressAndLoad(sel("pay-button"))
	retry, _ := desk.scanQR("qr-retry")
	if want := e.AttemptMobileURL(c2.ID); retry != want {
		t.Fatalf("the new QR code says %q, want the new attempt's %q", retry, want)
	}
	phone.navigate(retry)
	walletPress(phone, e, "approve")
	phone.waitVisible(sel("phone-done"))
	checkPaidAt(desk, e, c2.ID)
}

// TestBrowserExpiry: a checkout that runs out of time says so, and the countdown is announced.
func TestBrowserExpiry(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout(`{"amount":11000,"reference":"ORDER-EXP","expires_in":300,` +
		`"success_url":"` + e.Shop.URL + `/thanks","failure_url":"` + e.Shop.URL + `/cart"}`)
	ch := newChrome(t)
	desk := ch.newTab("desktop", desktopDevice, tabOptions{})
	desk.navigate(c.URL)
	desk.waitVisible(sel("pay-button"))
	// Five minutes left: the countdown says so to screen readers (once, not every second).
	desk.waitFor("the countdown announcement", `/5/.test(document.querySelector("[data-countdown-announce]").textContent)`, 5*time.Second)
	if got := desk.text(`[data-countdown-announce]`); !strings.Contains(got, "5") {
		t.Errorf("countdown announcement %q", got)
	}

	e.Clock.Add(301 * time.Second)
	desk.reload()
	desk.waitVisible(sel("expired"))
	if got := desk.text(sel("expired")); !strings.Contains(got, "결제 시간이 지났어요") {
		t.Errorf("expired page says %q", got)
	}
	if desk.has(sel("pay-button")) {
		t.Error("an expired checkout still offers to pay")
	}
	if href := eval[string](desk, `document.querySelector('[data-testid="back-to-shop"]').href`); href != e.Shop.URL+"/cart" {
		t.Errorf("back to shop %q", href)
	}
	checkView(desk)
	desk.screenshot("expired")
	desk.axe("the expired page")
}

// TestBrowserEnglish: the page in English, the shopper cancels on the phone, the desktop says so
// in English by itself, and trying again pays.
func TestBrowserEnglish(t *testing.T) {
	e, c, ch, desk := newFlow(t, "desktop", desktopDevice, tabOptions{})
	desk.navigate(c.URL + "?lang=en")
	desk.waitVisible(sel("pay-button"))
	checkLang(desk, "en")
	if got := desk.text(sel("amount")); got != "₩11,000" {
		t.Errorf("amount %q", got)
	}
	if got := desk.text(sel("pay-button")); got != "Pay ₩11,000" {
		t.Errorf("pay button %q", got)
	}
	desk.screenshot("checkout")
	desk.axe("the checkout page in English")
	desk.pressAndLoad(sel("pay-button"))
	desk.waitVisible(sel("qr"))
	checkLang(desk, "en")
	desk.waitText(`[role="status"] `+sel("status-text"), "Waiting for you to scan the QR code")

	phone := ch.newTab("phone", iPhoneDevice, tabOptions{lang: "en-US,en"})
	scanAndPress(desk, phone, e, "qr", "cancel")
	desk.waitText(`[data-outcome="canceled"]`, "You did not pay. No money was taken.")
	if got := desk.text(sel("pay-button")); got != "Try again" {
		t.Errorf("retry button %q", got)
	}
	desk.screenshot("canceled")
	desk.axe("the canceled outcome in English")

	// Try again from the keyboard, and approve in the wallet from the keyboard too.
	desk.keyboardTo(sel("pay-button"))
	desk.enterAndLoad()
	scanned, _ := desk.scanQR("qr-retry")
	phone.navigate(scanned)
	phone.waitVisible(sel("wallet-approve"))
	phone.keyboardTo(sel("wallet-approve"))
	phone.enterAndLoad()
	phone.waitVisible(sel("phone-done"))
	checkLang(phone, "en")
	if got := phone.text(sel("phone-done")); !strings.Contains(got, "moves on by itself") {
		t.Errorf("phone says %q", got)
	}
	checkPaidAt(desk, e, c.ID)
}

// TestBrowserWithoutJavaScript: with JavaScript off the shopper still pays and learns the result,
// on a computer (QR code, then the refresh link) and on a phone (plain links and forms).
func TestBrowserWithoutJavaScript(t *testing.T) {
	e, c, ch, desk := newFlow(t, "desktop-nojs", desktopDevice, tabOptions{noJS: true})
	desk.startPaying(c.URL)
	scanned, _ := desk.scanQR("qr")
	if want := e.AttemptMobileURL(c.ID); scanned != want {
		t.Fatalf("QR %q, want %q", scanned, want)
	}
	// Without JavaScript the page does not move by itself, and does not say it does.
	if eval[bool](desk, visibleJS("[data-live-only]")) || !strings.Contains(desk.text(`[data-testid="steps"]`), "새로고침") {
		t.Errorf("without JavaScript the steps say %q", desk.text(`[data-testid="steps"]`))
	}
	phone := ch.newTab("phone-nojs", iPhoneDevice, tabOptions{noJS: true})
	phone.navigate(scanned)
	walletPress(phone, e, "approve")
	phone.waitVisible(sel("phone-done"))

	if got := desk.location(); !strings.HasPrefix(got, e.URL+"/c/") {
		t.Fatalf("without JavaScript the desktop moved by itself to %s", got)
	}
	// The refresh link, from the keyboard, learns the result; the continue link goes on.
	desk.keyboardTo(sel("refresh"))
	desk.enterAndLoad()
	desk.waitVisible(sel("paid"))
	desk.screenshot("paid")
	desk.pressAndLoad(sel("continue"))
	checkPaidAt(desk, e, c.ID)

	// A phone: the hand-off is a plain link.
	c2 := e.CreateCheckout("")
	phone2 := ch.newTab("android-nojs", androidDevice, tabOptions{noJS: true})
	phone2.startPaying(c2.URL)
	phone2.waitVisible(sel("open-kakaotalk"))
	if !phone2.has(sel("refresh")) {
		t.Error("the hand-off page has no refresh link")
	}
	phone2.screenshot("handoff")
	phone2.pressAndLoad(sel("open-kakaotalk"))
	walletPress(phone2, e, "approve")
	checkPaidAt(phone2, e, c2.ID)

	// JavaScript was really off: no tab ever asked for the live status.
	for _, tb := range []*tab{desk, phone, phone2} {
		if u := tb.requested("/status"); u != "" {
			t.Errorf("%s ran the page's script: it asked %s", tb.name, u)
		}
	}
}

// TestBrowserSmallPhoneAndDarkMode: on a 320×568 phone the pay button shows without scrolling;
// in dark mode the page is dark, and the QR code keeps a white quiet zone and scans.
func TestBrowserSmallPhoneAndDarkMode(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	ch := newChrome(t)
	for _, dark := range []bool{false, true} {
		small := ch.newTab(fmt.Sprintf("small-phone-dark-%v", dark), smallPhone, tabOptions{dark: dark})
		small.navigate(c.URL)
		small.waitVisible(sel("pay-button"))
		checkAboveFold(small, sel("pay-button"))
		if !dark {
			// A QR code on a 320×568 screen (the page asked for the computer's view) fits too.
			c2 := e.CreateCheckout("")
			small.startPaying(c2.URL + "?device=desktop")
			small.waitVisible(sel("qr"))
			checkAboveFold(small, sel("qr"))
			small.screenshot("qr")
			small.navigate(c.URL)
			small.waitVisible(sel("pay-button"))
		}
		if w := eval[int](small, `document.documentElement.scrollWidth`); w > 320 {
			t.Errorf("at 320×568 (dark %v) the page is %d px wide: it scrolls sideways", dark, w)
		}
		small.screenshot("checkout")
	}

	desk := ch.newTab("desktop-dark", desktopDevice, tabOptions{dark: true})
	desk.navigate(c.URL)
	desk.waitVisible(sel("pay-button"))
	if l := eval[float64](desk, luminanceJS(`getComputedStyle(document.body).backgroundColor`)); l > 0.2 {
		t.Errorf("in dark mode the body's background has luminance %.2f: not dark", l)
	}
	desk.axe("the checkout page in dark mode")
	desk.pressAndLoad(sel("pay-button"))
	desk.waitVisible(sel("qr"))
	checkAboveFold(desk, sel("qr"))
	got, shot := desk.scanQR("qr")
	if want := e.AttemptMobileURL(c.ID); got != want {
		t.Fatalf("the dark-mode QR code says %q, want %q", got, want)
	}
	// The quiet zone: a ring from 6 px outside the image (in the frame's white padding, clear of
	// its rounded corners) to 8 px inside it (the image's own margin) is all white.
	img := desk.rect(sel("qr"))
	out := rect{img.Left - 6, img.Top - 6, img.Right + 6, img.Bottom + 6}
	for name, band := range map[string]rect{
		"top":    {out.Left, out.Top, out.Right, img.Top + 8},
		"bottom": {out.Left, img.Bottom - 8, out.Right, out.Bottom},
		"left":   {out.Left, out.Top, img.Left + 8, out.Bottom},
		"right":  {img.Right - 8, out.Top, out.Right, out.Bottom},
	} {
		if n := nonWhite(crop(t, shot, band, desktopDevice.scale)); n > 0 {
			t.Errorf("in dark mode the QR code's quiet zone (%s) has %d pixels that are not white", name, n)
		}
	}
	desk.axe("the QR view in dark mode")
}

// luminanceJS is the relative luminance (0 black … 1 white) of a CSS rgb() color expression.
func luminanceJS(colorExpr string) string {
	return `(function(c){var m=c.match(/[\d.]+/g).map(Number);var f=function(v){v/=255;return v<=0.03928?v/12.92:Math.pow((v+0.055)/1.055,2.4)};` +
		`return 0.2126*f(m[0])+0.7152*f(m[1])+0.0722*f(m[2])})(` + colorExpr + `)`
}

// TestBrowserPageWeight: the checkout page with its CSS, JS and QR code stays under 100 KB
// transferred, in a browser that has nothing cached.
func TestBrowserPageWeight(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	e.Browser(handlerstest.UADesktop).PayOn(c.ID) // the page now carries its QR code
	ch := newChrome(t)
	desk := ch.newTab("desktop-cold", desktopDevice, tabOptions{})
	desk.navigate(c.URL)
	desk.waitVisible(sel("qr"))

	var total float64
	var lines []string
	reqs := desk.finishedRequests()
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].url < reqs[j].url })
	for _, r := range reqs {
		if !strings.HasPrefix(r.url, e.URL+"/") { // data: URLs (the inline QR) are in the document
			continue
		}
		total += r.size
		lines = append(lines, fmt.Sprintf("  %-10s %7.0f B  %s", r.kind, r.size, strings.TrimPrefix(r.url, e.URL)))
	}
	kinds := map[string]bool{}
	for _, r := range reqs {
		kinds[string(r.kind)] = true
	}
	if !kinds["Document"] || !kinds["Stylesheet"] || !kinds["Script"] {
		t.Fatalf("the page load missed its document, CSS or JS: %v", lines)
	}
	report := fmt.Sprintf("checkout page (QR view) with its CSS, JS and QR code: %.0f bytes (%.1f KB) transferred, cold cache\n%s\n",
		total, total/1000, strings.Join(lines, "\n"))
	t.Log(report)
	writeOutput(t, "weight.txt", report)
	if total >= 100_000 {
		t.Errorf("the checkout page weighs %.0f bytes, over 100 KB", total)
	}
}

// TestBrowserEveryStateInBothLanguages walks each state a shopper can meet, in Korean and in
// English, checks each view's shape (one heading, a way on, no refresh link with JavaScript) and
// keeps a screenshot of each in test-output/screenshots.
func TestBrowserEveryStateInBothLanguages(t *testing.T) {
	for _, lang := range []string{"ko", "en"} {
		t.Run(lang, func(t *testing.T) {
			e := handlerstest.New(t)
			ch := newChrome(t)
			accept := map[string]string{"ko": "ko-KR,ko", "en": "en-US,en"}[lang]
			desk := ch.newTab("desktop", desktopDevice, tabOptions{lang: accept})
			phone := ch.newTab("phone", iPhoneDevice, tabOptions{lang: accept})
			shot := func(tb *tab, name string) {
				t.Helper()
				checkLang(tb, lang)
				tb.screenshot(lang + "-" + name)
			}
			// pay opens a checkout of amount on the desktop and has the phone scan its QR code.
			pay := func(amount string) handlerstest.CheckoutObject {
				t.Helper()
				c := e.AmountCheckout(amount)
				desk.startPaying(c.URL)
				scanned, _ := desk.scanQR(lang + "-" + amount)
				phone.navigate(scanned)
				phone.waitVisible(sel("wallet-approve"))
				desk.waitFor("the desktop to hear of the scan", `document.querySelector("[data-testid=steps] li:nth-child(2)").getAttribute("aria-current")==="step"`, 10*time.Second)
				return c
			}

			c := e.CreateCheckout("")
			desk.navigate(c.URL)
			desk.waitVisible(sel("pay-button"))
			checkView(desk)
			shot(desk, "checkout")
			c = pay("11000")
			checkView(desk)
			shot(desk, "after-scan")
			phone.pressAndLoad(sel("wallet-approve"))
			phone.waitVisible(sel("phone-done"))
			shot(phone, "phone-paid")
			desk.waitURL(e.Shop.URL+"/thanks", 10*time.Second)
			desk.navigate(c.URL)
			desk.waitVisible(sel("paid"))
			checkView(desk)
			shot(desk, "paid")

			for _, tc := range []struct{ amount, button, outcome, name string }{
				{"11001", "cancel", "canceled", "canceled"},
				{"11002", "fail", "failed", "failed"},
				{"11003", "wrong-password", "failed", "wrong-password"},
				{"4444", "approve", "failed", "insufficient-balance"},
			} {
				pay(tc.amount)
				phone.pressAndLoad(sel("wallet-" + tc.button))
				desk.waitVisible(`[data-outcome="` + tc.outcome + `"]`)
				checkView(desk)
				if strings.Contains(desk.text(sel("outcome")), "사유") || strings.Contains(desk.text(sel("outcome")), "거절") {
					t.Errorf("%s: the outcome says %q", tc.name, desk.text(sel("outcome")))
				}
				shot(desk, tc.name)
			}

			exp := e.CreateCheckout(`{"amount":11000,"expires_in":300,"success_url":"` + e.Shop.URL + `/thanks","failure_url":"` + e.Shop.URL + `/cart"}`)
			e.Clock.Add(301 * time.Second)
			desk.navigate(exp.URL)
			desk.waitVisible(sel("expired"))
			checkView(desk)
			shot(desk, "expired")

			inApp := ch.newTab("kakaotalk", kakaoTalkDevice, tabOptions{lang: accept, headers: map[string]string{"X-Sandbox-KakaoTalk": "absent"}})
			inApp.startPaying(e.CreateCheckout("").URL)
			inApp.waitVisible(sel("fallback"))
			checkView(inApp)
			shot(inApp, "in-app-fallback")

			noJS := ch.newTab("android-nojs", androidDevice, tabOptions{lang: accept, noJS: true, headers: map[string]string{"X-Sandbox-KakaoTalk": "absent"}})
			noJS.startPaying(e.CreateCheckout("").URL)
			noJS.waitVisible(sel("fallback-noscript"))
			if !noJS.has(sel("refresh")) || !noJS.has(sel("pay-qr")) {
				t.Error("without JavaScript the phone page has no refresh link or no QR way")
			}
			shot(noJS, "nojs-without-kakaotalk")

			lost := ch.newTab("lost", desktopDevice, tabOptions{lang: accept})
			lost.expectErrorPage(http.StatusNotFound)
			lost.navigate(e.URL + "/c/cs_doesnotexist")
			lost.waitVisible(sel("error"))
			shot(lost, "not-found")
		})
	}
}

// TestBrowserTestWalletPaysWithoutAPhone: on one computer, in test mode, the QR view's "테스트 지갑
// 열기" opens the wallet in a new tab; approving there sends the checkout page on to the shop.
func TestBrowserTestWalletPaysWithoutAPhone(t *testing.T) {
	e, c, _, desk := newFlow(t, "desktop", desktopDevice, tabOptions{})
	desk.startPaying(c.URL)
	desk.waitVisible(sel("test-wallet"))
	if got := desk.text(sel("test-unreachable")); !strings.Contains(got, "휴대폰에서 열 수 없어요") {
		t.Errorf("the loopback note says %q", got)
	}
	checkView(desk)
	desk.screenshot("test-tools")
	desk.axe("the QR view with the test tools")

	wallet := desk.pressForNewTab(sel("test-wallet"), "test-wallet")
	wallet.waitVisible(sel("wallet-approve"))
	if got := wallet.location(); got != e.AttemptMobileURL(c.ID) {
		t.Errorf("the test wallet opened %q, want the attempt's wallet", got)
	}
	wallet.pressAndLoad(sel("wallet-approve"))
	// The wallet's tab is this browser's: it goes on to the shop, and so does the checkout's tab.
	checkAtSuccess(wallet, e, c.ID)
	checkPaidAt(desk, e, c.ID)

	// The banner's link explains test mode.
	desk.navigate(c.URL)
	desk.press(sel("test-mode-help"))
	desk.waitVisible(sel("test-mode-page"))
	if got := desk.text(sel("test-amounts")); !strings.Contains(got, "4444") {
		t.Errorf("the test-mode page's amounts: %q", got)
	}
	desk.screenshot("test-mode-page")
	desk.axe("the test-mode page")
}

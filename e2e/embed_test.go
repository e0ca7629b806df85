package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// merchantPage serves a merchant's page (another loopback port: another origin) that opens the
// checkout in kpcheckout's modal with /static/embed.js and records what the checkout tells it.
func merchantPage(t *testing.T, e *handlerstest.Env, checkoutURL string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>테스트 카페</title>
<script src="%s/static/embed.js"></script></head><body><main><h1>테스트 카페</h1></main>
<script>window.kpEvents = []; KPCheckout.open(%q, {onStatus: function (d) { window.kpEvents.push(d.status); }});</script>
</body></html>`, e.URL, checkoutURL)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestBrowserEmbeddedCheckoutTellsItsMerchant: the checkout in a modal on the merchant's page
// (a registered origin) tells the page it is open, then, once a phone paid, that it is paid.
func TestBrowserEmbeddedCheckoutTellsItsMerchant(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	e.Browser(handlerstest.UADesktop).PayOn(c.ID) // the modal opens on the QR code
	shop := merchantPage(t, e, c.URL)
	if res := e.API("POST", "/v1/merchant", `{"embed_origins":["`+shop.URL+`"]}`, nil); res.StatusCode != 200 {
		t.Fatalf("embed origins: %d", res.StatusCode)
	}
	ch := newChrome(t)
	desk := ch.newTab("merchant-page", desktopDevice, tabOptions{})
	desk.navigate(shop.URL)
	desk.waitFor("the checkout to say it is open", `window.kpEvents.indexOf("open") >= 0`, 10*time.Second)
	desk.screenshot("embedded")
	desk.axe("the merchant's page with the checkout modal")

	e.Browser(handlerstest.UAIPhone).WalletAct(e.AttemptMobileURL(c.ID), "approve")
	desk.waitFor("the checkout to say it is paid", `window.kpEvents.indexOf("paid") >= 0`, 10*time.Second)
	if got := desk.location(); !strings.HasPrefix(got, shop.URL) {
		t.Errorf("the merchant's page navigated to %s: the parent decides where to go", got)
	}
	checkPaid(t, e, c.ID)
}

// TestBrowserUnregisteredOriginCannotFrameACheckout: a page of an origin the merchant did not
// register gets nothing: the browser refuses the frame, and no message reaches it.
func TestBrowserUnregisteredOriginCannotFrameACheckout(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	e.API("POST", "/v1/merchant", `{"embed_origins":["https://shop.example"]}`, nil)
	stranger := merchantPage(t, e, c.URL)
	ch := newChrome(t)
	desk := ch.newTab("stranger-page", desktopDevice, tabOptions{})
	desk.expectProblem("frame-ancestors")         // Chrome says why it refused the frame
	desk.expectProblem("ERR_BLOCKED_BY_RESPONSE") // and reports the frame's document as blocked
	desk.navigate(stranger.URL)
	time.Sleep(3 * time.Second)
	if n := eval[int](desk, `window.kpEvents.length`); n != 0 {
		t.Errorf("an unregistered page heard %d messages", n)
	}
	framed := eval[bool](desk, `(function(){try{return !!document.querySelector("iframe").contentDocument.querySelector("[data-testid=checkout]")}catch(e){return false}})()`)
	if framed {
		t.Error("the checkout rendered inside an unregistered page")
	}
}

// TestBrowserLinkPaysAndOpensAFreshCheckoutNextTime: a phone follows a payment link, presses its
// pay button and pays in one tap, and pressing it again opens a new checkout; the link's pages
// pass axe.
func TestBrowserLinkPaysAndOpensAFreshCheckoutNextTime(t *testing.T) {
	e := handlerstest.New(t)
	var l struct{ ID, URL string }
	body := `{"amount":11000,"items":[{"name":"아메리카노","quantity":2,"unit_price":4500},{"name":"크루아상","quantity":1,"unit_price":2000}],` +
		`"success_url":"` + e.Shop.URL + `/thanks","failure_url":"` + e.Shop.URL + `/cart"}`
	if res := e.API("POST", "/v1/links", body, &l); res.StatusCode != 201 {
		t.Fatalf("create link: %d", res.StatusCode)
	}
	ch := newChrome(t)
	phone := ch.newTab("iphone", iPhoneDevice, tabOptions{})
	phone.navigate(l.URL)
	phone.waitVisible(sel("link-pay"))
	phone.screenshot("link")
	phone.axe("the link's page")
	if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 0 {
		t.Errorf("visiting the link opened %d checkouts", n)
	}
	phone.pressAndLoad(sel("link-pay")) // opens a checkout and hands the phone over to KakaoTalk
	walletPress(phone, e, "approve")
	phone.waitURL(e.Shop.URL+"/thanks", 10*time.Second)
	phone.navigate(l.URL)
	phone.pressAndLoad(sel("link-pay"))
	phone.waitURL(e.SandboxURL+"/wallet/", 10*time.Second)
	if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 2 {
		t.Errorf("paying twice through the link opened %d checkouts, want 2", n)
	}

	phone.navigate(l.URL + "/poster")
	phone.waitVisible(sel("poster-qr"))
	phone.screenshot("poster")
	phone.axe("the link's poster")
	e.API("POST", "/v1/links/"+l.ID+"/deactivate", "", nil)
	phone.expectErrorPage(http.StatusGone)
	phone.navigate(l.URL)
	phone.waitVisible(sel("link-unavailable"))
	phone.screenshot("link-closed")
	phone.axe("a closed link's page")
}

// TestBrowserEmbeddedCheckoutOnAPhoneHandsOverAtTheTop: inside the merchant's modal on a phone,
// the hand-off to KakaoTalk moves the whole window (the merchant's embed script does it at the
// checkout's request), never only the frame.
func TestBrowserEmbeddedCheckoutOnAPhoneHandsOverAtTheTop(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	e.Browser(handlerstest.UAIPhone).PayOn(c.ID) // a phone attempt: the modal opens on the hand-off
	shop := merchantPage(t, e, c.URL)
	e.API("POST", "/v1/merchant", `{"embed_origins":["`+shop.URL+`"]}`, nil)
	ch := newChrome(t)
	phone := ch.newTab("iphone", iPhoneDevice, tabOptions{})
	phone.navigate(shop.URL)
	phone.waitURL(e.SandboxURL+"/wallet/", 10*time.Second)
	phone.waitVisible(sel("wallet-approve"))
	phone.pressAndLoad(sel("wallet-approve"))
	checkPaidAt(phone, e, c.ID)
}

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// The narrow phones every page must fit: an iPhone SE (1st generation) at 320 px and an iPhone
// 12–15 at 390 px. A page wider than its screen scrolls sideways; a word broken across two lines
// ("상/태", "3,0/00/원") reads as two words.
var narrowPhones = []shopperDevice{smallPhone, iPhoneDevice}

// widthJS measures the page against the window and the screen and, when it is wider, names the
// innermost elements that reach past the screen's right edge. Both: on a phone, Chromium widens
// the window (window.innerWidth) to a page that is too wide and zooms out, so the window alone
// would pass a 709 px page on a 320 px screen.
const widthJS = `(function(){var w=Math.min(window.innerWidth,screen.width),d=document.documentElement,out=[];
if(d.scrollWidth>w){document.querySelectorAll("body *").forEach(function(e){var r=e.getBoundingClientRect();
if(r.width===0||r.right<=w+0.5)return;for(var i=0;i<e.children.length;i++){if(e.children[i].getBoundingClientRect().right>w+0.5)return}
var id=e.getAttribute("data-testid");out.push(e.tagName.toLowerCase()+(e.className&&typeof e.className==="string"?"."+e.className.trim().replace(/\s+/g,"."):"")+
(id?"[data-testid="+id+"]":"")+" right="+Math.round(r.right)+" "+JSON.stringify((e.textContent||"").trim().slice(0,30)))})}
return {Scroll:d.scrollWidth,Inner:window.innerWidth,Screen:screen.width,Wide:out.slice(0,6)}})()`

// brokenWordsJS lists the words of the page's visible text that wrap inside themselves: the
// parts of one word on two lines. Code, inputs and long tokens (URLs, ids, e-mails) may break
// anywhere; a word of a sentence or a label may not.
const brokenWordsJS = `(function(){var out=[],tw=document.createTreeWalker(document.body,NodeFilter.SHOW_TEXT),n;
while((n=tw.nextNode())){var p=n.parentElement;if(!p||p.closest("code,pre,script,style,noscript,textarea,select,option,svg,.visually-hidden"))continue;
var re=/\S+/g,m;while((m=re.exec(n.data))){if(m[0].length>14)continue;var rg=document.createRange();rg.setStart(n,m.index);rg.setEnd(n,m.index+m[0].length);
var rs=rg.getClientRects(),tops=[];for(var i=0;i<rs.length;i++){if(rs[i].width<1)continue;var t=Math.round(rs[i].top);
if(tops.every(function(x){return Math.abs(x-t)>2}))tops.push(t)}
if(tops.length>1)out.push(JSON.stringify(m[0])+" in <"+p.tagName.toLowerCase()+(p.className&&typeof p.className==="string"?"."+p.className.trim().replace(/\s+/g,"."):"")+">")}}
return out.slice(0,8)})()`

// widthCheck is what a page measured.
type widthCheck struct {
	Scroll, Inner, Screen int
	Wide                  []string
}

// widths collects every page's measure for test-output/widths.txt.
type widths struct {
	mu    sync.Mutex
	lines []string
}

// fits checks that the tab's page is no wider than its screen and breaks no word, and keeps a
// screenshot of it.
func (ws *widths) fits(tb *tab, what string) {
	tb.t.Helper()
	tb.waitFor("the page to load", `document.readyState==="complete"`, 10*time.Second)
	got := eval[widthCheck](tb, widthJS)
	broken := eval[[]string](tb, brokenWordsJS)
	line := fmt.Sprintf("%-4s %-12s %4d px wide on a %d px screen (window %d px)  %s", tb.t.Name()[strings.LastIndex(tb.t.Name(), "/")+1:], tb.name,
		got.Scroll, got.Screen, got.Inner, what)
	if got.Scroll > got.Inner || got.Scroll > got.Screen {
		tb.t.Errorf("%s: %s is %d px wide on a %d px screen (window %d px); past the edge: %s", tb.name, what, got.Scroll, got.Screen, got.Inner, strings.Join(got.Wide, "; "))
		line += "  WIDER"
	}
	if len(broken) > 0 {
		tb.t.Errorf("%s: %s breaks words across lines: %s", tb.name, what, strings.Join(broken, ", "))
		line += "  broken: " + strings.Join(broken, ", ")
	}
	ws.mu.Lock()
	ws.lines = append(ws.lines, line)
	ws.mu.Unlock()
	// The whole page, for a reader to see what a phone's user scrolls through.
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		tb.save(strings.NewReplacer(" ", "-", "'", "", "/", "-").Replace(what), shot)
	}
}

// visit opens u on tb, waits for selector to show and checks that the page fits.
func (ws *widths) visit(tb *tab, u, selector, what string) {
	tb.t.Helper()
	tb.navigate(u)
	tb.waitVisible(selector)
	ws.fits(tb, what)
}

// write saves the measures under test-output/.
func (ws *widths) write(t *testing.T, file string) {
	t.Helper()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	t.Log("\n" + strings.Join(ws.lines, "\n"))
	writeOutput(t, file, strings.Join(ws.lines, "\n")+"\n")
}

// TestBrowserShopperPagesFitNarrowPhones walks every state a shopper can meet on a 320 px and a
// 390 px phone: the checkout before paying, handing over to KakaoTalk and its fallback (in a
// browser, in KakaoTalk, without JavaScript), the QR code before and after the scan, the wallet,
// the phone's done page, confirming, paid, each outcome, expired, a payment link, its poster,
// the test-mode page, an error page, and the English checkout. None is wider than the screen and
// none breaks a word.
func TestBrowserShopperPagesFitNarrowPhones(t *testing.T) {
	ws := &widths{}
	for _, dev := range narrowPhones {
		t.Run(fmt.Sprint(dev.width), func(t *testing.T) {
			e := handlerstest.NewWith(t, handlerstest.Options{ApproveDelay: 2 * time.Second, HTTPTimeout: time.Second})
			ch := newChrome(t)
			absent := map[string]string{"X-Sandbox-KakaoTalk": "absent"}

			// The pay view, with its order open; a long order; a subscription.
			c := e.CreateCheckout("")
			phone := ch.newTab("phone", dev, tabOptions{headers: absent})
			ws.visit(phone, c.URL, sel("pay-button"), "checkout")
			long := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{"amount": 1234000, "tax_free_amount": 34000, "reference": "ORDER-2026-12-07-000123",
				"items": []map[string]any{{"name": "에티오피아 예가체프 원두 1kg (홀빈, 로스팅 당일 발송)", "quantity": 2, "unit_price": 600000}, {"name": "드립 필터", "quantity": 17, "unit_price": 2000}}}))
			phone.navigate(long.URL)
			ws.fits(phone, "checkout with a long order")
			subOpen := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{"mode": "subscription", "amount": 9900, "items": nil}))
			phone.navigate(subOpen.URL)
			ws.fits(phone, "subscription checkout")

			// Hand-off: KakaoTalk does not open, the fallback shows; then the QR way.
			phone.startPaying(c.URL)
			phone.waitVisible(sel("open-kakaotalk"))
			ws.fits(phone, "handoff")
			phone.waitVisible(sel("fallback"))
			ws.fits(phone, "handoff fallback")
			phone.pressAndLoad(sel("pay-qr"))
			phone.waitVisible(sel("qr"))
			ws.fits(phone, "qr on a phone")

			// Another phone scans it: the wallet, and the page hears of the scan.
			other := ch.newTab("other-phone", dev, tabOptions{})
			ws.visit(other, e.AttemptMobileURL(c.ID), sel("wallet-approve"), "sandbox wallet")
			phone.waitFor("the page to hear of the scan", `(document.querySelector("[data-testid=steps] li:nth-child(2)")||{getAttribute:function(){}}).getAttribute("aria-current")==="step"`, 10*time.Second)
			ws.fits(phone, "qr after the scan")
			other.pressAndLoad(sel("wallet-approve"))
			other.waitVisible(sel("phone-done"))
			ws.fits(other, "phone done")
			phone.waitURL(e.Shop.URL+"/thanks", 10*time.Second)
			ws.visit(phone, c.URL, sel("paid"), "paid")
			e.Browser(handlerstest.UAIPhone).PayOn(subOpen.ID)
			e.Browser(handlerstest.UAIPhone).WalletAct(e.AttemptMobileURL(subOpen.ID), "approve")
			ws.visit(phone, subOpen.URL, sel("paid"), "subscription paid")

			// Each outcome of the wallet, back on the page.
			for _, tc := range []struct{ amount, button, name string }{
				{"11001", "cancel", "canceled in the wallet"},
				{"11002", "fail", "failed in the wallet"},
				{"4444", "approve", "insufficient balance"},
			} {
				oc := e.AmountCheckout(tc.amount)
				e.Browser(handlerstest.UAIPhone).PayOn(oc.ID)
				e.Browser(handlerstest.UAIPhone).WalletAct(e.AttemptMobileURL(oc.ID), tc.button)
				ws.visit(phone, oc.URL, sel("outcome"), tc.name)
			}

			// Confirming: KakaoPay's answer to the approval is late.
			slow := e.AmountCheckout("5555")
			e.Browser(handlerstest.UAIPhone).PayOn(slow.ID)
			e.Browser(handlerstest.UAIPhone).WalletAct(e.AttemptMobileURL(slow.ID), "approve")
			ws.visit(phone, slow.URL, `[data-view="confirming"]`, "confirming")

			// Expired by the merchant.
			exp := e.AmountCheckout("12000")
			e.API("POST", "/v1/checkouts/"+exp.ID+"/expire", "", nil)
			ws.visit(phone, exp.URL, sel("expired"), "expired")

			// Inside KakaoTalk, and without JavaScript.
			talk := ch.newTab("kakaotalk", shopperDevice{name: "kakaotalk", ua: kakaoTalkDevice.ua, platform: "iPhone", width: dev.width, height: dev.height, scale: 2, mobile: true},
				tabOptions{headers: absent})
			talk.startPaying(e.CreateCheckout("").URL)
			talk.waitVisible(sel("fallback"))
			ws.fits(talk, "kakaotalk fallback")
			noJS := ch.newTab("nojs", dev, tabOptions{noJS: true, headers: absent})
			noJS.startPaying(e.CreateCheckout("").URL)
			noJS.waitVisible(sel("fallback-noscript"))
			ws.fits(noJS, "no javascript handoff")

			// A payment link, its poster, a closed link; the test-mode page; an error page.
			var link struct{ ID, URL string }
			e.API("POST", "/v1/links", `{"amount":39000,"items":[{"name":"핸드드립 원두 200g","quantity":1,"unit_price":15000},{"name":"머그컵","quantity":2,"unit_price":12000}],`+
				`"success_url":"`+e.Shop.URL+`/thanks","failure_url":"`+e.Shop.URL+`/cart"}`, &link)
			ws.visit(phone, link.URL, sel("link-pay"), "payment link")
			ws.visit(phone, link.URL+"/poster", sel("poster"), "poster")
			e.API("POST", "/v1/links/"+link.ID+"/deactivate", "", nil)
			phone.expectErrorPage(http.StatusGone)
			ws.visit(phone, link.URL, sel("link-unavailable"), "closed link")
			ws.visit(phone, e.URL+"/test-mode", sel("test-mode-page"), "test-mode page")
			phone.expectErrorPage(http.StatusNotFound)
			ws.visit(phone, e.URL+"/c/cs_doesnotexist", sel("error"), "not found")

			// English words are longer.
			en := ch.newTab("english", dev, tabOptions{lang: "en-US,en"})
			ws.visit(en, e.CreateCheckout("").URL, sel("pay-button"), "checkout in English")
			ws.visit(en, c.URL, sel("paid"), "paid in English")
		})
	}
	ws.write(t, "widths-shopper.txt")
}

// TestBrowserDashboardPagesFitNarrowPhones opens every dashboard page an owner reaches, and what
// its forms answer with, on a 320 px and a 390 px phone: none is wider than the screen and none
// breaks a word. Lists become cards on a phone.
func TestBrowserDashboardPagesFitNarrowPhones(t *testing.T) {
	ws := &widths{}
	for _, dev := range narrowPhones {
		t.Run(fmt.Sprint(dev.width), func(t *testing.T) {
			e := handlerstest.New(t)
			paid := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{"customer": map[string]any{"name": "김하늘", "email": "sky@example.com"}}))
			e.PayByPhone(paid.ID)
			open := e.AmountCheckout("5000")
			failed := e.AmountCheckout("4444")
			e.Browser(handlerstest.UAIPhone).PayOn(failed.ID)
			e.Browser(handlerstest.UAIPhone).WalletAct(e.AttemptMobileURL(failed.ID), "approve")
			o := makeDashboardObjects(t, e)
			e.Browser(handlerstest.UAIPhone).PayLink(o.linkURL) // a checkout opened from the link
			e.API("POST", "/v1/webhook_endpoints/"+o.endpoint+"/test", "", nil)

			ch := newChrome(t)
			phone := ch.newTab("owner", dev, tabOptions{})
			phone.navigate(e.URL + "/dashboard/login")
			ws.fits(phone, "sign-in")
			signInToDashboard(phone, e, "owner@cafe.example", accounts.RoleOwner)
			ws.fits(phone, "home")
			pages := []struct{ path, what string }{
				{"/dashboard/checkouts", "checkouts"},
				{"/dashboard/checkouts?status=open&q=R-&from=2020-01-01", "checkouts filtered"},
				{"/dashboard/checkouts/" + paid.ID, "paid checkout"},
				{"/dashboard/checkouts/" + open.ID, "open checkout"},
				{"/dashboard/checkouts/" + failed.ID, "checkout with a failed try"},
				{"/dashboard/checkouts/" + open.ID + "/expire", "expire confirmation"},
				{"/dashboard/checkouts/" + o.sub, "subscription checkout"},
				{"/dashboard/agreements", "agreements"},
				{"/dashboard/agreements/" + o.agreement + "/deactivate", "deactivate confirmation"},
				{"/dashboard/charges/" + o.charge, "charge"},
				{"/dashboard/links", "links"},
				{"/dashboard/links/new", "new link form"},
				{"/dashboard/links/" + o.link, "link"},
				{"/dashboard/links/" + o.link + "/deactivate", "link deactivate confirmation"},
				{"/dashboard/webhooks", "webhooks"},
				{"/dashboard/webhooks/" + o.endpoint, "endpoint"},
				{"/dashboard/webhooks/" + o.endpoint + "/delete", "endpoint delete confirmation"},
				{"/dashboard/keys", "keys"},
				{"/dashboard/keys/" + o.keyID + "/revoke", "key revoke confirmation"},
				{"/dashboard/users", "users"},
				{"/dashboard/users/" + o.staffID + "/remove", "user remove confirmation"},
				{"/dashboard/account", "account"},
				{"/dashboard/settings", "settings"},
				{"/dashboard/checkouts?lang=en", "checkouts in English"},
				{"/dashboard/checkouts/" + paid.ID, "paid checkout in English"},
				{"/dashboard/webhooks/" + o.endpoint, "endpoint in English"},
				{"/dashboard?lang=ko", "home again in Korean"},
			}
			for _, p := range pages {
				ws.visit(phone, e.URL+p.path, "main h1", p.what)
				if p.what == "checkouts" && dev.width == 390 { // the list as a phone shows it: cards
					phone.do("scroll to the list", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="checkouts"]').scrollIntoView();void 0`))
					updateDocs(t, "dashboard-phone.png", phone.screenshot("checkouts-cards"))
				}
			}

			// What the forms answer with: a refund's confirmation, a key, a secret, a password.
			for _, f := range []struct{ path, field, value, submit, shows, what string }{
				{"/dashboard/checkouts/" + paid.ID, `[data-testid="refund-form"] [name="amount"]`, "3000", `[data-testid="refund-form"] button[type="submit"]`, sel("refund-confirm"), "refund confirmation"},
				{"/dashboard/keys", "#key-label", "주문 서버", sel("key-create"), sel("created-masked"), "new key"},
				{"/dashboard/webhooks", "#endpoint-url", e.Shop.URL + "/orders/hook", sel("endpoint-add"), "main h1", "new endpoint secret"},
				{"/dashboard/users", "#email", "new@cafe.example", sel("add-user"), sel("user-added"), "new user password"},
			} {
				phone.navigate(e.URL + f.path)
				phone.typeInto(f.field, f.value)
				phone.pressAndLoad(f.submit)
				phone.waitVisible(f.shows)
				ws.fits(phone, f.what)
			}

			st := ch.newTab("staff", dev, tabOptions{})
			st.navigate(e.URL + "/dashboard/login")
			submitSignIn(st, o.staffEmail, o.staffPassword)
			st.expectErrorPage(http.StatusForbidden)
			ws.visit(st, e.URL+"/dashboard/settings", sel("error-body"), "refusal")
		})
	}
	ws.write(t, "widths-dashboard.txt")
}

package shop_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestPagesEscapeMerchantInput(t *testing.T) {
	const script, img = `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`
	e := handlerstest.New(t)
	evil := e.NewMerchant(accounts.MerchantParams{Name: img + script})
	cases := []struct {
		name, key string
		change    map[string]any
		check     func(t *testing.T, c handlerstest.CheckoutObject, html string)
	}{
		{"item name and reference", e.Key, map[string]any{
			"amount": 1000, "reference": img, "description": script,
			"items": []map[string]any{{"name": script, "quantity": 1, "unit_price": 500}, {"name": img, "quantity": 1, "unit_price": 500}},
		}, func(t *testing.T, c handlerstest.CheckoutObject, html string) {
			doc := handlerstest.Page(t, html)
			if items := handlerstest.TextOf(doc, "items"); !strings.Contains(items, script) || !strings.Contains(items, img) {
				t.Errorf("items show %q", items)
			}
			if got := handlerstest.TextOf(doc, "reference"); got != img {
				t.Errorf("reference shows %q", got)
			}
		}},
		{"description", e.Key, map[string]any{"amount": 1000, "items": nil, "reference": script, "description": script + img},
			func(t *testing.T, c handlerstest.CheckoutObject, html string) {
				doc := handlerstest.Page(t, html)
				if got := strings.TrimSpace(doc.Find(".description").Text()); got != script+img {
					t.Errorf("description shows %q", got)
				}
				if got := handlerstest.TextOf(doc, "reference"); got != script {
					t.Errorf("reference shows %q", got)
				}
			}},
		{"merchant name", evil.APIKey, map[string]any{"reference": script},
			func(t *testing.T, c handlerstest.CheckoutObject, html string) {
				doc := handlerstest.Page(t, html)
				if got := handlerstest.TextOf(doc, "merchant-name"); got != img+script {
					t.Errorf("merchant shows %q", got)
				}
				if !strings.Contains(doc.Find("title").Text(), img+script) {
					t.Errorf("title %q", doc.Find("title").Text())
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := e.ValidCheckoutBody(tc.change)
			var c handlerstest.CheckoutObject
			if res := e.APIAs(tc.key, "POST", "/v1/checkouts", body, &c, nil); res.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d", res.StatusCode)
			}
			// The API answers what was sent, verbatim.
			var got map[string]any
			e.APIAs(tc.key, "GET", "/v1/checkouts/"+c.ID, "", &got, nil)
			var sent map[string]any
			json.Unmarshal([]byte(body), &sent)
			for _, k := range []string{"reference", "description", "items"} {
				if sent[k] == nil {
					continue
				}
				if fmt.Sprint(got[k]) != fmt.Sprint(sent[k]) {
					t.Errorf("API %s = %v, want %v", k, got[k], sent[k])
				}
			}
			for _, lang := range []string{"", "?lang=en"} {
				res, html := e.Browser(handlerstest.UADesktop).Get(c.URL + lang)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("page: %d", res.StatusCode)
				}
				for _, raw := range []string{"<script>alert", "<img src=x", "<img src=\"x\"", "onerror=alert(1)>"} {
					if strings.Contains(html, raw) {
						t.Errorf("the page holds %q unescaped", raw)
					}
				}
				tc.check(t, c, html)
			}
		})
	}
}

func TestCheckoutExpiresByTime(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{"expires_in": 300}))
	e.Clock.Add(299 * time.Second)
	_, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
	if v := handlerstest.Page(t, html).Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "pay" {
		t.Fatalf("at 299 s the page shows %q", v)
	}
	e.Clock.Add(2 * time.Second)
	for i := range 2 {
		res, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
		doc := handlerstest.Page(t, html)
		if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="expired"]`).Length() != 1 {
			t.Fatalf("GET %d at 301 s: %d view=%q", i, res.StatusCode, doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""))
		}
		if doc.Find(`[data-testid="back-to-shop"]`).Length() != 1 {
			t.Error("no back-to-shop link")
		}
	}
	// Many shoppers' and merchants' reads at once expire it once.
	handlerstest.AtOnce(8, func(i int) {
		path := []string{"/c/" + c.ID, "/c/" + c.ID + "/status", "/v1/checkouts/" + c.ID, "/v1/checkouts?status=open"}[i%4]
		res, _, err := handlerstest.APIRaw(e, e.Key, "GET", path, "", nil)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %v %v", path, res, err)
		}
	})
	if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "expired" {
		t.Errorf("API status %q", got.Status)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.expired") != 1 {
		t.Errorf("events %v, want one checkout.expired", ev)
	}
	b := e.Browser(handlerstest.UADesktop)
	res, html := b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay", strings.NewReader("device=desktop"), nil)
	handlerstest.CheckErrorPage(t, res, html, http.StatusConflict, "결제 시간이 지났어요")
}

func TestAttemptExpires(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	desktop := e.DesktopOn(c.ID)
	mobileURL := e.AttemptMobileURL(c.ID)
	e.Clock.Add(16 * time.Minute)
	_, html := desktop.Get(c.URL)
	doc := handlerstest.Page(t, html)
	if v := doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "pay" || doc.Find(`[data-outcome="expired"]`).Length() != 1 {
		t.Fatalf("after 16 minutes the page shows %q outcome=%q", v, doc.Find(`[data-testid="outcome"]`).AttrOr("data-outcome", ""))
	}
	if !strings.Contains(handlerstest.TextOf(doc, "outcome"), "결제 요청 시간이 지났어요") {
		t.Errorf("outcome text %q", handlerstest.TextOf(doc, "outcome"))
	}
	if doc.Find(`[data-testid="pay-button"]`).Length() != 1 {
		t.Error("no pay button to try again")
	}
	if got := e.LatestAttempt(c.ID); got.Status != "expired" {
		t.Errorf("attempt %s", got.Status)
	}
	if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "open" {
		t.Errorf("checkout %s", got.Status)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "attempt.expired") != 1 {
		t.Errorf("events %v", ev)
	}
	phone := e.Browser(handlerstest.UAIPhone)
	res, _ := phone.Do(phone.NoRedirect(), "GET", mobileURL, nil, map[string]string{"X-Sandbox-Auto": "approve"})
	if res.StatusCode < 400 {
		t.Errorf("the sandbox wallet answered %d for an expired tid", res.StatusCode)
	}
	// A new attempt pays.
	desktop.PayOn(c.ID)
	if e.AttemptMobileURL(c.ID) == mobileURL {
		t.Fatal("pay reused the expired attempt")
	}
	phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "paid" {
		t.Errorf("after a new attempt the checkout is %s", got.Status)
	}
}

// BenchmarkCheckoutPage measures serving the hosted page of an open checkout.
func BenchmarkCheckoutPage(b *testing.B) {
	e := handlerstest.New(b)
	c := e.CreateCheckout("")
	client := &http.Client{}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := client.Get(c.URL)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

func TestTestModeQRViewOffersTheTestWallet(t *testing.T) {
	for _, live := range []bool{false, true} {
		e := handlerstest.NewWith(t, handlerstest.Options{Live: live})
		c := e.CreateCheckout("")
		desktop := e.DesktopOn(c.ID)
		_, html := desktop.Get(c.URL)
		doc := handlerstest.Page(t, html)
		link := doc.Find(`[data-testid="test-wallet"]`)
		if live {
			if link.Length() != 0 || doc.Find(`[data-testid="test-tools"]`).Length() != 0 || doc.Find(`[data-testid="test-mode"]`).Length() != 0 {
				t.Error("a live page shows test tools")
			}
			continue
		}
		if href := link.AttrOr("href", ""); href != e.AttemptMobileURL(c.ID) || link.AttrOr("target", "") != "_blank" || !strings.Contains(link.AttrOr("rel", ""), "noopener") {
			t.Errorf("the test wallet link is %q target %q rel %q, want the attempt's wallet in a new tab", href, link.AttrOr("target", ""), link.AttrOr("rel", ""))
		}
		if got := strings.TrimSpace(link.Text()); got != "테스트 지갑 열기" {
			t.Errorf("the test wallet link says %q", got)
		}
		// The test server listens on 127.0.0.1: the page says no phone can open its QR code.
		if got := handlerstest.TextOf(doc, "test-unreachable"); !strings.Contains(got, "휴대폰에서 열 수 없어요") {
			t.Errorf("a loopback QR code is not explained: %q", got)
		}
		if href := doc.Find(`[data-testid="test-mode-help"]`).AttrOr("href", ""); href != "/test-mode?lang=ko" {
			t.Errorf("the banner links %q", href)
		}
		// The phone's hand-off page has no test wallet: it is the wallet's device.
		c2 := e.CreateCheckout("")
		phone := e.PhoneOn(c2.ID)
		if _, html := phone.Get(c2.URL); handlerstest.Page(t, html).Find(`[data-testid="test-wallet"]`).Length() != 0 {
			t.Error("the hand-off page offers the test wallet")
		}
	}
}

func TestTestModePageListsTheSandboxOutcomes(t *testing.T) {
	e := handlerstest.New(t)
	b := e.Browser(handlerstest.UADesktop)
	for lang, want := range map[string][]string{
		"ko": {"테스트 모드 안내", "잔액 부족", "X-Sandbox-Auto", "TC0ONETIME", "TCSUBSCRIP", "DEV_SECRET_KEY"},
		"en": {"Testing in test mode", "insufficient balance", "X-Sandbox-Auto", "TC0ONETIME", "TCSUBSCRIP", "DEV_SECRET_KEY"},
	} {
		res, html := b.Get(e.URL + "/test-mode?lang=" + lang)
		doc := handlerstest.Page(t, html)
		text := doc.Text()
		if res.StatusCode != 200 || doc.Find("html").AttrOr("lang", "") != lang {
			t.Fatalf("%s: %d lang %q", lang, res.StatusCode, doc.Find("html").AttrOr("lang", ""))
		}
		for _, w := range append(want, "4444", "5555", "6666") {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the test-mode page does not mention %q", lang, w)
			}
		}
	}
	live := handlerstest.NewWith(t, handlerstest.Options{Live: true})
	if res, _ := live.Browser(handlerstest.UADesktop).Get(live.URL + "/test-mode"); res.StatusCode != 404 {
		t.Errorf("live mode serves the test-mode page: %d", res.StatusCode)
	}
}

func TestDesktopQRViewOffersKakaoPaysPCPage(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	desktop := e.DesktopOn(c.ID)
	pcURL := e.LatestAttempt(c.ID).PCURL
	_, html := desktop.Get(c.URL)
	doc := handlerstest.Page(t, html)
	link := doc.Find(`[data-testid="pc-pay-link"]`)
	if href := link.AttrOr("href", ""); pcURL == "" || href != pcURL || link.AttrOr("target", "") != "_blank" || !strings.Contains(link.AttrOr("rel", ""), "noopener") {
		t.Errorf("the PC page link is %q target %q rel %q, want the attempt's pc_url %q in a new tab", href, link.AttrOr("target", ""), link.AttrOr("rel", ""), pcURL)
	}
	if got := strings.TrimSpace(link.Text()); got != "휴대폰 번호로 결제하기" {
		t.Errorf("the PC page link says %q", got)
	}
	if got := handlerstest.TextOf(doc, "pc-pay"); !strings.Contains(got, "새 탭에서 열려요") {
		t.Errorf("the PC page choice does not say it opens a new tab: %q", got)
	}
	for _, id := range []string{"qr", "steps", "time-left", "leave", "test-wallet"} {
		if doc.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("the QR view lost %s", id)
		}
	}
	if n := doc.Find("h2").Length(); n != 1 {
		t.Errorf("the QR view has %d h2, want 1", n)
	}
	_, html = desktop.Get(c.URL + "?lang=en")
	if got := handlerstest.TextOf(handlerstest.Page(t, html), "pc-pay-link"); got != "Pay with your phone number" {
		t.Errorf("in English the PC page link says %q", got)
	}

	// In the new tab the shopper sends the request to a phone number; the phone opens it and
	// approves; the checkout is paid.
	res, pc := desktop.Get(pcURL)
	action, ok := handlerstest.Page(t, pc).Find(`[data-testid="wallet-send-tms"]`).Closest("form").Attr("action")
	if res.StatusCode != http.StatusOK || !ok {
		t.Fatalf("KakaoPay's PC page: %d, send form %v", res.StatusCode, ok)
	}
	res, pc = desktop.Post(action, "phone=010-1234-5678")
	sent := handlerstest.Page(t, pc)
	if res.StatusCode != http.StatusOK || sent.Find(`[data-testid="wallet-tms-sent"]`).Length() != 1 {
		t.Fatalf("send to KakaoTalk: %d", res.StatusCode)
	}
	message := sent.Find(`[data-testid="wallet-open-mobile"]`).AttrOr("href", "")
	if message != e.AttemptMobileURL(c.ID) {
		t.Fatalf("after sending, the PC page links %q, want the payment screen", message)
	}
	e.Browser(handlerstest.UAIPhone).WalletAct(message, "approve")
	if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "paid" {
		t.Errorf("checkout %s after the phone approved, want paid", got.Status)
	}

	// A phone showing a QR code for another phone gets no PC page.
	c2 := e.CreateCheckout("")
	phone := e.PhoneOn(c2.ID)
	_, html = phone.Post("/c/"+c2.ID+"/pay", "device=desktop")
	if doc := handlerstest.Page(t, html); doc.Find(`[data-testid="qr"]`).Length() != 1 || doc.Find(`[data-testid="pc-pay"]`).Length() != 0 {
		t.Errorf("the phone's QR view: qr %d, pc-pay %d, want the QR code only", doc.Find(`[data-testid="qr"]`).Length(), doc.Find(`[data-testid="pc-pay"]`).Length())
	}
}

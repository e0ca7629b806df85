package handlers_test

import (
	"bytes"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestLinkVisitsOpenFreshCheckouts(t *testing.T) {
	e := handlerstest.New(t)
	l := createLink(t, e, linkBody(e)+`}`)
	shopper := e.Browser(handlerstest.UAIPhone)
	var ids []string
	for range 2 {
		res, _ := shopper.Do(shopper.NoRedirect(), "GET", l.URL, nil, nil)
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/c/cs_") {
			t.Fatalf("visit: %d to %q", res.StatusCode, loc)
		}
		ids = append(ids, strings.TrimPrefix(loc, "/c/"))
	}
	if ids[0] == ids[1] {
		t.Error("two visits share a checkout")
	}
	var c struct {
		Link   *string `json:"link"`
		Amount int64   `json:"amount"`
	}
	if e.API("GET", "/v1/checkouts/"+ids[0], "", &c); c.Link == nil || *c.Link != l.ID || c.Amount != 11000 {
		t.Errorf("the checkout a link opened: %+v", c)
	}

	// Link previews (KakaoTalk's crawler, any bot, a HEAD) open no checkout and get Open Graph tags.
	before := e.CountRows("SELECT COUNT(*) FROM checkouts")
	for _, ua := range []string{"facebookexternalhit/1.1;kakaotalk-scrap/1.0;", "Mozilla/5.0 (compatible; Googlebot/2.1)", "Slackbot-LinkExpanding 1.0"} {
		bot := e.Browser(ua)
		res, html := bot.Do(bot.NoRedirect(), "GET", l.URL, nil, nil)
		doc := handlerstest.Page(t, html)
		if res.StatusCode != 200 || !strings.Contains(doc.Find(`meta[property="og:title"]`).AttrOr("content", ""), "테스트 카페") ||
			!strings.Contains(doc.Find(`meta[property="og:description"]`).AttrOr("content", ""), "11,000원") {
			t.Errorf("%s: %d og %q", ua, res.StatusCode, doc.Find(`meta[property="og:title"]`).AttrOr("content", ""))
		}
	}
	// Shoppers whose browsers name themselves like crawlers' neighbours still get a checkout.
	for _, ua := range []string{"Mozilla/5.0 (Linux; Android 13; CUBOT KINGKONG 9) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 NAVER(inapp; search; 2000; 12.5.0)"} {
		b := e.Browser(ua)
		if res, _ := b.Do(b.NoRedirect(), "GET", l.URL, nil, nil); res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: %d, want a checkout", ua, res.StatusCode)
		}
		before++
	}
	// The preview page's own button opens a checkout, even for a crawler-like browser.
	bot := e.Browser("Slackbot-LinkExpanding 1.0")
	_, html := bot.Do(bot.NoRedirect(), "GET", l.URL, nil, nil)
	pay := handlerstest.Page(t, html).Find(`[data-testid="link-pay"]`).AttrOr("href", "")
	if res, _ := bot.Do(bot.NoRedirect(), "GET", e.URL+pay, nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the link page's pay button (%s): %d", pay, res.StatusCode)
	}
	before++
	if res, _ := shopper.Do(shopper.NoRedirect(), "HEAD", l.URL, nil, nil); res.StatusCode != 200 {
		t.Errorf("HEAD: %d", res.StatusCode)
	}
	if after := e.CountRows("SELECT COUNT(*) FROM checkouts"); after != before {
		t.Errorf("previews opened %d checkouts", after-before)
	}

	res, _ := shopper.Get(e.URL + "/l/doesnotexist00")
	if res.StatusCode != 404 {
		t.Errorf("an unknown slug: %d", res.StatusCode)
	}
}

func TestOneTimeLinkStopsAfterOnePaidCheckout(t *testing.T) {
	e := handlerstest.New(t)
	l := createLink(t, e, linkBody(e)+`,"reusable":false}`)
	shopper := e.Browser(handlerstest.UAIPhone)
	visit := func() (*http.Response, string) {
		t.Helper()
		return shopper.Do(shopper.NoRedirect(), "GET", l.URL, nil, nil)
	}
	res, _ := visit()
	first := strings.TrimPrefix(res.Header.Get("Location"), "/c/")
	res, _ = visit() // a visit is not a use: a second checkout opens
	second := strings.TrimPrefix(res.Header.Get("Location"), "/c/")
	if first == "" || second == "" || first == second {
		t.Fatalf("two visits: %q %q", first, second)
	}
	shopper.PayOn(first)
	shopper.WalletAct(e.AttemptMobileURL(first), "approve")
	if st := e.Status(first, ""); st.Status != "paid" {
		t.Fatalf("first checkout %s", st.Status)
	}
	res, html := visit()
	if res.StatusCode != http.StatusGone || !strings.Contains(html, "이미 결제가 끝난 링크입니다") {
		t.Errorf("a paid one-time link: %d", res.StatusCode)
	}
	var got linkObject
	if e.API("GET", "/v1/links/"+l.ID, "", &got); got.PaidCount != 1 {
		t.Errorf("paid_count %d", got.PaidCount)
	}

	// Deactivated and expired links say so too; the page leads back to the shop.
	d := createLink(t, e, linkBody(e)+`}`)
	e.API("POST", "/v1/links/"+d.ID+"/deactivate", "", nil)
	res, html = shopper.Do(shopper.NoRedirect(), "GET", d.URL, nil, nil)
	if res.StatusCode != http.StatusGone || !strings.Contains(html, "판매자가 이 결제 링크를 닫았습니다") || !strings.Contains(html, e.Shop.URL+"/cart") {
		t.Errorf("a deactivated link: %d", res.StatusCode)
	}
	x := createLink(t, e, linkBody(e)+`,"expires_at":"`+e.Clock.Now().Add(time.Hour).Format(time.RFC3339)+`"}`)
	e.Clock.Add(2 * time.Hour)
	if res, html := shopper.Do(shopper.NoRedirect(), "GET", x.URL, nil, nil); res.StatusCode != http.StatusGone || !strings.Contains(html, "사용 기간이 끝났습니다") {
		t.Errorf("an expired link: %d", res.StatusCode)
	}
}

func TestLinkQRCodeAndPoster(t *testing.T) {
	e := handlerstest.New(t)
	l := createLink(t, e, linkBody(e)+`}`)
	b := e.Browser(handlerstest.UADesktop)
	for size, want := range map[string]int{"": 512, "?size=2048": 2048, "?size=128": 128} {
		res, body := b.Get(l.URL + "/qr.png" + size)
		cfg, err := png.DecodeConfig(bytes.NewReader([]byte(body)))
		if res.StatusCode != 200 || err != nil || cfg.Width != want {
			t.Errorf("qr.png%s: %d %v %d px", size, res.StatusCode, err, cfg.Width)
		}
	}
	for _, bad := range []string{"?size=4096", "?size=12", "?size=big"} {
		if res, _ := b.Get(l.URL + "/qr.png" + bad); res.StatusCode != 400 {
			t.Errorf("qr.png%s: %d", bad, res.StatusCode)
		}
	}
	res, html := b.Get(l.URL + "/poster")
	doc := handlerstest.Page(t, html)
	if res.StatusCode != 200 || !strings.Contains(doc.Text(), "테스트 카페") || !strings.Contains(doc.Text(), "11,000원") ||
		!strings.HasPrefix(doc.Find(`[data-testid="poster-qr"]`).AttrOr("src", ""), "data:image/png;base64,") {
		t.Errorf("poster: %d", res.StatusCode)
	}
}

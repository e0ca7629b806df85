package shop_test

import (
	"bytes"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// unfurlAgents are the User-Agents of crawlers that fetch a URL pasted into a chat, a post or a
// search box to draw its preview or index it.
var unfurlAgents = []string{
	"facebookexternalhit/1.1;kakaotalk-scrap/1.0;",
	"kakaostory-og-reader/1.0",
	"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
	"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
	"Twitterbot/1.0",
	"Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
	"TelegramBot (like TwitterBot)",
	"WhatsApp/2.23.20.0 A",
	"LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
	"Iframely/1.3.1 (+https://iframely.com/docs/about)",
	"facebookexternalhit/1.1;line-poker/1.0",
	"Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
	"Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
	"Pinterest/0.2 (+https://www.pinterest.com/bot.html)",
	"Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
	"Mozilla/5.0 (compatible; Yeti/1.1; +http://naver.me/spd)",
	"Mozilla/5.0 (compatible; Daum/4.1; +http://cs.daum.net/faq/15/4118.html?faqId=28966)",
	"Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
	"Mastodon/4.2.0 (http.rb/5.1.1; +https://mastodon.social/)",
	"Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36 Viber/21.0",
}

// TestLinkVisitsCreateNothing: following a link, whoever follows it, shows its page and creates
// nothing: no checkout, no event, no webhook, no KakaoPay call. Only the page's pay button does.
func TestLinkVisitsCreateNothing(t *testing.T) {
	e := handlerstest.New(t)
	l := handlerstest.CreateLink(t, e, handlerstest.LinkBody(e)+`}`)
	e.API("POST", "/v1/webhook_endpoints", `{"url":"`+e.Shop.URL+`/hooks","enabled_events":["*"]}`, nil)
	events := e.CountRows("SELECT COUNT(*) FROM events")
	nothingMore := func(what string) {
		t.Helper()
		if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 0 {
			t.Errorf("%s: %d checkouts", what, n)
		}
		if n := e.CountRows("SELECT COUNT(*) FROM events") - events; n != 0 {
			t.Errorf("%s: %d events", what, n)
		}
		if n := e.CountRows("SELECT COUNT(*) FROM webhook_deliveries"); n != 0 {
			t.Errorf("%s: %d webhook deliveries", what, n)
		}
		if n := e.Sandbox.Calls("ready"); n != 0 {
			t.Errorf("%s: %d KakaoPay ready calls", what, n)
		}
	}
	anon := e.Browser(handlerstest.UAIPhone)
	for i := range 300 {
		res, html := anon.Do(anon.NoRedirect(), "GET", l.URL, nil, nil)
		if res.StatusCode != http.StatusOK || (i == 0 && handlerstest.Page(t, html).Find(`[data-testid="link-pay"]`).Length() != 1) {
			t.Fatalf("visit %d: %d", i, res.StatusCode)
		}
	}
	nothingMore("300 visits")

	// Link previews get the Open Graph tags of the merchant and the amount: a text card, not a
	// picture of the link's QR code inside the chat it was sent to.
	for _, ua := range unfurlAgents {
		bot := e.Browser(ua)
		res, html := bot.Do(bot.NoRedirect(), "GET", l.URL, nil, nil)
		doc := handlerstest.Page(t, html)
		if res.StatusCode != 200 || !strings.Contains(doc.Find(`meta[property="og:title"]`).AttrOr("content", ""), "테스트 카페") ||
			!strings.Contains(doc.Find(`meta[property="og:description"]`).AttrOr("content", ""), "11,000원") {
			t.Errorf("%s: %d og %q", ua, res.StatusCode, doc.Find(`meta[property="og:title"]`).AttrOr("content", ""))
		}
		if img := doc.Find(`meta[property="og:image"]`).AttrOr("content", ""); img != "" {
			t.Errorf("%s: the preview's image is %q", ua, img)
		}
	}
	if res, _ := anon.Do(anon.NoRedirect(), "HEAD", l.URL, nil, nil); res.StatusCode != 200 {
		t.Errorf("HEAD: %d", res.StatusCode)
	}
	// The former pay button's address, and a form posted from another site, create nothing.
	if res, _ := anon.Do(anon.NoRedirect(), "GET", l.URL+"?open=1", nil, nil); res.StatusCode != 200 {
		t.Errorf("?open=1: %d", res.StatusCode)
	}
	if res, _ := anon.OpenLink(l.URL, map[string]string{"Sec-Fetch-Site": "cross-site"}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site POST: %d", res.StatusCode)
	}
	nothingMore("previews")

	// The shopper's button opens a checkout and starts paying; pressed again, the same one.
	first := anon.PayLink(l.URL)
	if again := anon.PayLink(l.URL); again != first {
		t.Errorf("the same browser pressed twice: %s then %s", first, again)
	}
	res, html := anon.Get("/c/" + first)
	if view := handlerstest.Page(t, html).Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); res.StatusCode != 200 || view != "handoff" {
		t.Errorf("the checkout the link opened: %d, view %q", res.StatusCode, view)
	}
	var c struct {
		Link   *string `json:"link"`
		Amount int64   `json:"amount"`
	}
	if e.API("GET", "/v1/checkouts/"+first, "", &c); c.Link == nil || *c.Link != l.ID || c.Amount != 11000 {
		t.Errorf("the checkout a link opened: %+v", c)
	}
	if second := e.Browser(handlerstest.UADesktop).PayLink(l.URL); second == first {
		t.Error("two shoppers share a checkout")
	}
	if n, r := e.CountRows("SELECT COUNT(*) FROM checkouts"), e.Sandbox.Calls("ready"); n != 2 || r != 2 {
		t.Errorf("two shoppers made %d checkouts and %d ready calls", n, r)
	}

	for _, method := range []string{"GET", "POST"} {
		if res, _ := anon.Do(anon.NoRedirect(), method, "/l/doesnotexist00", nil, nil); res.StatusCode != 404 {
			t.Errorf("%s an unknown slug: %d", method, res.StatusCode)
		}
	}
}

func TestOneTimeLinkStopsAfterOnePaidCheckout(t *testing.T) {
	e := handlerstest.New(t)
	l := handlerstest.CreateLink(t, e, handlerstest.LinkBody(e)+`,"reusable":false}`)
	shopper := e.Browser(handlerstest.UAIPhone)
	first := shopper.PayLink(l.URL)
	shopper.WalletAct(e.AttemptMobileURL(first), "approve")
	if st := e.Status(first, ""); st.Status != "paid" {
		t.Fatalf("first checkout %s", st.Status)
	}
	res, html := shopper.Do(shopper.NoRedirect(), "GET", l.URL, nil, nil)
	if res.StatusCode != http.StatusGone || !strings.Contains(html, "판매가 끝난 링크예요") {
		t.Errorf("a paid one-time link: %d", res.StatusCode)
	}
	if res, _ := shopper.Do(shopper.NoRedirect(), "POST", l.URL, strings.NewReader("device=mobile"), nil); res.StatusCode != http.StatusGone {
		t.Errorf("pressing pay on a paid one-time link: %d", res.StatusCode)
	}
	var got handlerstest.LinkObject
	if e.API("GET", "/v1/links/"+l.ID, "", &got); got.PaidCount != 1 {
		t.Errorf("paid_count %d", got.PaidCount)
	}

	// Deactivated and expired links say so too; the page leads back to the shop.
	d := handlerstest.CreateLink(t, e, handlerstest.LinkBody(e)+`}`)
	e.API("POST", "/v1/links/"+d.ID+"/deactivate", "", nil)
	res, html = shopper.Do(shopper.NoRedirect(), "GET", d.URL, nil, nil)
	if res.StatusCode != http.StatusGone || !strings.Contains(html, "판매가 끝난 링크예요") || !strings.Contains(html, e.Shop.URL+"/cart") {
		t.Errorf("a deactivated link: %d", res.StatusCode)
	}
	x := handlerstest.CreateLink(t, e, handlerstest.LinkBody(e)+`,"expires_at":"`+e.Clock.Now().Add(time.Hour).Format(time.RFC3339)+`"}`)
	e.Clock.Add(2 * time.Hour)
	if res, html := shopper.Do(shopper.NoRedirect(), "GET", x.URL, nil, nil); res.StatusCode != http.StatusGone || !strings.Contains(html, "판매 기간이 끝난 링크예요") {
		t.Errorf("an expired link: %d", res.StatusCode)
	}
}

// TestLinkShoppersPastItsCapAreNotCharged: more shoppers approve in KakaoPay than a link allows;
// those past its cap are never charged (KakaoPay's approve is not called for them) and their
// page says why, without a button to pay again.
func TestLinkShoppersPastItsCapAreNotCharged(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want int
	}{
		{"one-time", `,"reusable":false}`, 1},
		{"max_uses 2", `,"max_uses":2}`, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := handlerstest.New(t)
			l := handlerstest.CreateLink(t, e, handlerstest.LinkBody(e)+tc.body)
			var shoppers []*handlerstest.Browser
			var ids []string
			for range 3 {
				b := e.Browser(handlerstest.UAIPhone)
				shoppers, ids = append(shoppers, b), append(ids, b.PayLink(l.URL))
			}
			for i, b := range shoppers {
				res, html := b.WalletAct(e.AttemptMobileURL(ids[i]), "approve")
				if i < tc.want {
					if !strings.HasPrefix(res.Request.URL.String(), e.Shop.URL+"/thanks") {
						t.Errorf("shopper %d ended at %s", i, res.Request.URL)
					}
					continue
				}
				doc := handlerstest.Page(t, html)
				if res.StatusCode != 200 || res.Request.URL.Path != "/c/"+ids[i] || doc.Find(`[data-testid="outcome"]`).AttrOr("data-outcome", "") != "failed" ||
					!strings.Contains(handlerstest.TextOf(doc, "outcome"), "다른 분이 먼저 결제해서") || !strings.Contains(handlerstest.TextOf(doc, "outcome"), "빠져나간 돈은 없어요") {
					t.Errorf("shopper %d: %d at %s: %q", i, res.StatusCode, res.Request.URL, handlerstest.TextOf(doc, "outcome"))
				}
				if doc.Find(`[data-testid="pay-button"]`).Length() != 0 || doc.Find(`[data-testid="back-to-shop"]`).Length() != 1 {
					t.Errorf("shopper %d is offered to pay again, or no way back to the shop", i)
				}
				if _, html := b.Get("/c/" + ids[i] + "?lang=en"); !strings.Contains(html, "Someone else paid this link first") {
					t.Errorf("shopper %d's page in English does not say why", i)
				}
				// A pay button from an earlier page is refused, and leads back to the shop.
				res, html = b.Do(b.NoRedirect(), "POST", "/c/"+ids[i]+"/pay?lang=ko", strings.NewReader("device=mobile"), nil)
				if doc := handlerstest.Page(t, html); res.StatusCode != http.StatusConflict || !strings.Contains(html, "판매가 끝난 링크예요") ||
					!strings.HasPrefix(doc.Find(`[data-testid="message-link"]`).AttrOr("href", ""), e.Shop.URL+"/cart") {
					t.Errorf("shopper %d paying again: %d, link %q", i, res.StatusCode, doc.Find(`[data-testid="message-link"]`).AttrOr("href", ""))
				}
			}
			if n := e.Sandbox.Calls("approve"); n != tc.want {
				t.Errorf("%d approve calls reached KakaoPay, want %d", n, tc.want)
			}
			if n := e.CountRows("SELECT COUNT(*) FROM payments"); n != tc.want {
				t.Errorf("%d payments, want %d", n, tc.want)
			}
		})
	}
}

func TestLinkQRCodeAndPoster(t *testing.T) {
	e := handlerstest.New(t)
	l := handlerstest.CreateLink(t, e, handlerstest.LinkBody(e)+`}`)
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

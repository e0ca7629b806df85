package shop_test

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/handlers/web"
)

// TestLinkCheckoutsAndPaymentsAreLimitedPerAddress: one client address opens at most so many
// checkouts from links, and starts at most so many payments, a minute; past that it gets a 429
// page in its language and nothing is created or asked of KakaoPay. Other addresses are not
// held back, and IPv6 clients count by their /64.
func TestLinkCheckoutsAndPaymentsAreLimitedPerAddress(t *testing.T) {
	e := handlerstest.NewWith(t, handlerstest.Options{LinkCheckoutsPerMinute: 3, PaymentStartsPerMinute: 5,
		Proxies: web.Proxies{netip.MustParsePrefix("127.0.0.0/8")}})
	l := handlerstest.CreateLink(t, e, handlerstest.LinkBody(e)+`}`)
	from := func(addr string) *handlerstest.Browser {
		b := e.Browser(handlerstest.UAIPhone)
		b.Header.Set("X-Forwarded-For", addr)
		return b
	}
	for range 3 {
		from("203.0.113.1").PayLink(l.URL)
	}
	wantLimited := func(what string, res *http.Response, html string) {
		t.Helper()
		if s, _ := strconv.Atoi(res.Header.Get("Retry-After")); res.StatusCode != http.StatusTooManyRequests || s < 1 || s > 60 ||
			!strings.Contains(html, "요청이 너무 많아요") {
			t.Errorf("%s: %d, Retry-After %q", what, res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
	checkouts, ready := e.CountRows("SELECT COUNT(*) FROM checkouts"), e.Sandbox.Calls("ready")
	res, html := from("203.0.113.1").OpenLink(l.URL, nil)
	wantLimited("a fourth checkout from links", res, html)
	if res, html := from("203.0.113.1").OpenLink(l.URL, map[string]string{"Accept-Language": "en"}); !strings.Contains(html, "Too many requests") {
		t.Errorf("in English: %d", res.StatusCode)
	}
	if n, r := e.CountRows("SELECT COUNT(*) FROM checkouts"), e.Sandbox.Calls("ready"); n != checkouts || r != ready {
		t.Errorf("a refused shopper made %d checkouts and %d ready calls", n-checkouts, r-ready)
	}
	from("203.0.113.2").PayLink(l.URL) // another address

	// Payments: two more on checkouts the API made, then the page refuses the sixth.
	b := from("203.0.113.1")
	for range 2 {
		b.PayOn(e.CreateCheckout("").ID)
	}
	c := e.CreateCheckout("")
	res, html = b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay", strings.NewReader("device=mobile"), nil)
	wantLimited("a sixth payment", res, html)
	if doc := handlerstest.Page(t, html); doc.Find(`[data-testid="message-link"]`).AttrOr("href", "") != "/c/"+c.ID {
		t.Errorf("the 429 page does not lead back to the payment page")
	}
	if r := e.Sandbox.Calls("ready"); r != ready+3 {
		t.Errorf("%d ready calls, want %d", r, ready+3)
	}

	// IPv6 addresses of one /64 are one client; another /64 is another.
	for i := range 3 {
		from("2001:db8:1:1::" + strconv.Itoa(i+1)).PayLink(l.URL)
	}
	res, html = from("2001:db8:1:1:ffff::9").OpenLink(l.URL, nil)
	wantLimited("a fourth checkout from one /64", res, html)
	from("2001:db8:1:2::1").PayLink(l.URL)

	// A minute later the address may again.
	e.Clock.Add(time.Minute)
	from("203.0.113.1").PayLink(l.URL)
	b.PayOn(c.ID)
}

package handlerstest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// User agents of the browsers the tests play.
const (
	UADesktop   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
	UAIPhone    = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	UAAndroid   = "Mozilla/5.0 (Linux; Android 14; SM-S921N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
	UAKakaoTalk = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 KAKAOTALK 10.8.5"
)

// Browser is one shopper's browser over HTTP: a cookie jar and a User-Agent.
type Browser struct {
	Env    *Env        // the app it browses
	Header http.Header // sent with every request
	ua     string
	client *http.Client
}

// Browser returns a new shopper's browser that sends the User-Agent ua.
func (e *Env) Browser(ua string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{Env: e, ua: ua, Header: http.Header{}, client: &http.Client{Jar: jar, Timeout: 40 * time.Second}}
}

// Copy returns another browser that holds, from now on, the cookies b sends to the dashboard:
// someone who copied b's session cookie.
func (b *Browser) Copy() *Browser {
	c := b.Env.Browser(b.ua)
	u, err := url.Parse(b.Env.URL + "/dashboard/")
	if err != nil {
		b.Env.t.Fatal(err)
	}
	cookies := b.client.Jar.Cookies(u)
	for _, k := range cookies {
		k.Path = "/" // the jar gives name and value only: send them everywhere
	}
	c.client.Jar.SetCookies(u, cookies)
	return c
}

// NoRedirect returns the browser's client that stops at the first redirect.
func (b *Browser) NoRedirect() *http.Client {
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// Do sends a request with client c (a path is on the app) and reads the whole answer.
func (b *Browser) Do(c *http.Client, method, url string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	b.Env.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = b.Env.URL + url
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		b.Env.t.Fatal(err)
	}
	req.Header.Set("User-Agent", b.ua)
	for k, v := range b.Header {
		req.Header[k] = v
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if method == http.MethodPost && body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.Do(req)
	if err != nil {
		b.Env.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res, string(data)
}

// Get follows redirects.
func (b *Browser) Get(url string) (*http.Response, string) {
	b.Env.t.Helper()
	return b.Do(b.client, http.MethodGet, url, nil, nil)
}

// Post submits a form and follows redirects.
func (b *Browser) Post(url, form string) (*http.Response, string) {
	b.Env.t.Helper()
	return b.Do(b.client, http.MethodPost, url, strings.NewReader(form), nil)
}

// PayOn presses the pay button of checkout id's page and returns the page that follows.
func (b *Browser) PayOn(id string) string {
	b.Env.t.Helper()
	res, html := b.Get("/c/" + id)
	if res.StatusCode != http.StatusOK {
		b.Env.t.Fatalf("checkout page: %d", res.StatusCode)
	}
	doc := Page(b.Env.t, html)
	form := doc.Find(`[data-testid="pay-button"]`).Closest("form")
	action, _ := form.Attr("action")
	device, _ := form.Find(`input[name="device"]`).Attr("value")
	res, html = b.Post(action, "device="+device)
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/c/"+id {
		b.Env.t.Fatalf("pay: %d at %s", res.StatusCode, res.Request.URL)
	}
	return html
}

// PhoneOn returns a new phone that pressed pay on each of the checkouts ids: the sandbox wallet
// holds an attempt for each.
func (e *Env) PhoneOn(ids ...string) *Browser {
	e.t.Helper()
	return e.payingOn(UAIPhone, ids)
}

// DesktopOn returns a new desktop browser that pressed pay on each of the checkouts ids: each
// shows its QR code.
func (e *Env) DesktopOn(ids ...string) *Browser {
	e.t.Helper()
	return e.payingOn(UADesktop, ids)
}

func (e *Env) payingOn(ua string, ids []string) *Browser {
	e.t.Helper()
	b := e.Browser(ua)
	for _, id := range ids {
		b.PayOn(id)
	}
	return b
}

// OpenLink presses the pay button of the payment link page at url and returns the answer
// (not followed) and its page.
func (b *Browser) OpenLink(url string, hdr map[string]string) (*http.Response, string) {
	b.Env.t.Helper()
	res, html := b.Get(url)
	if res.StatusCode != http.StatusOK {
		b.Env.t.Fatalf("link page %s: %d", url, res.StatusCode)
	}
	form := Page(b.Env.t, html).Find(`[data-testid="link-pay"]`).Closest("form")
	action, ok := form.Attr("action")
	if !ok {
		b.Env.t.Fatalf("link page %s has no pay button", url)
	}
	device, _ := form.Find(`input[name="device"]`).Attr("value")
	return b.Do(b.NoRedirect(), http.MethodPost, action, strings.NewReader("device="+device), hdr)
}

// PayLink presses the pay button of the payment link page at url, and returns the checkout it
// opened (or this browser's open one) once its payment has started.
func (b *Browser) PayLink(url string) string {
	b.Env.t.Helper()
	res, _ := b.OpenLink(url, nil)
	id, ok := strings.CutPrefix(res.Header.Get("Location"), "/c/")
	if res.StatusCode != http.StatusSeeOther || !ok {
		b.Env.t.Fatalf("link %s: %d to %q", url, res.StatusCode, res.Header.Get("Location"))
	}
	return id
}

// WalletAct opens the sandbox wallet at walletURL, presses the button (approve, cancel or
// fail) and follows KakaoPay's redirect back to the app.
func (b *Browser) WalletAct(walletURL, button string) (*http.Response, string) {
	b.Env.t.Helper()
	res, html := b.Get(walletURL)
	if res.StatusCode != http.StatusOK {
		b.Env.t.Fatalf("wallet page: %d %s", res.StatusCode, html)
	}
	doc := Page(b.Env.t, html)
	action, ok := doc.Find(`[data-testid="wallet-` + button + `"]`).Closest("form").Attr("action")
	if !ok {
		b.Env.t.Fatalf("no %s button on the wallet page", button)
	}
	return b.Post(action, "")
}

// AtOnce calls do(i) for each i from 0 to n-1, each in its own goroutine, all at once, and
// returns when every call has: a double click, a resent form, racing callbacks.
func AtOnce(n int, do func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { do(i) })
	}
	wg.Wait()
}

// Page parses HTML.
func Page(t testing.TB, html string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TextOf returns the trimmed text of the element whose data-testid is id.
func TextOf(doc *goquery.Document, id string) string {
	return strings.Join(strings.Fields(doc.Find(`[data-testid="`+id+`"]`).First().Text()), " ")
}

// SandboxApprovalURL asks the sandbox wallet to approve the checkout's latest attempt at once and
// returns the approval URL (with the real pg_token) that KakaoPay would send the browser to.
func SandboxApprovalURL(t *testing.T, b *Browser, id string) string {
	t.Helper()
	res, _ := b.Do(b.NoRedirect(), http.MethodGet, b.Env.AttemptMobileURL(id), nil, map[string]string{"X-Sandbox-Auto": "approve"})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "pg_token=") {
		t.Fatalf("sandbox wallet answered %d %q", res.StatusCode, loc)
	}
	return loc
}

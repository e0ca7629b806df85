package shop_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestEnglishPage(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	b := e.Browser(handlerstest.UADesktop)
	_, html := b.Get(c.URL + "?lang=en")
	doc := handlerstest.Page(t, html)
	if doc.Find("html").AttrOr("lang", "") != "en" || handlerstest.TextOf(doc, "amount") != "₩11,000" || handlerstest.TextOf(doc, "pay-button") != "Pay ₩11,000" {
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

func TestCheckoutURLTemplatesAndLocale(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{
		"success_url": e.Shop.URL + "/orders/{CHECKOUT_ID}/done",
		"failure_url": e.Shop.URL + "/cart?checkout={CHECKOUT_ID}",
		"locale":      "en",
	}))
	got := handlerstest.GetCheckout(t, e, c.ID)
	if got.URL != e.URL+"/c/"+c.ID {
		t.Errorf("url %q", got.URL)
	}
	res, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
	doc := handlerstest.Page(t, html)
	if res.StatusCode != http.StatusOK || doc.Find("html").AttrOr("lang", "") != "en" || handlerstest.TextOf(doc, "amount") != "₩11,000" {
		t.Errorf("locale en: %d lang=%q amount=%q", res.StatusCode, doc.Find("html").AttrOr("lang", ""), handlerstest.TextOf(doc, "amount"))
	}
	e.PayByPhone(c.ID)
	st := e.Status(c.ID, "")
	if want := e.Shop.URL + "/orders/" + c.ID + "/done"; st.RedirectURL == nil || *st.RedirectURL != want {
		t.Errorf("redirect_url %v, want %s", st.RedirectURL, want)
	}

	other := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{"failure_url": e.Shop.URL + "/cart?checkout={CHECKOUT_ID}"}))
	e.API("POST", "/v1/checkouts/"+other.ID+"/expire", "", nil)
	_, html = e.Browser(handlerstest.UADesktop).Get(other.URL)
	if href := handlerstest.Page(t, html).Find(`[data-testid="back-to-shop"]`).AttrOr("href", ""); href != e.Shop.URL+"/cart?checkout="+other.ID {
		t.Errorf("back to shop %q", href)
	}
}

func TestShopperBadInput(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	e.PhoneOn(c.ID)
	a := e.LatestAttempt(c.ID)
	ret := "/c/" + c.ID + "/return/approve?attempt=" + url.QueryEscape(a.ID)
	cases := []struct {
		name, method, path, body string
		status                   int
		page                     bool
	}{
		{"pay with a body over 64 KiB", "POST", "/c/" + c.ID + "/pay", "device=desktop&x=" + strings.Repeat("a", 70000), 0, true},
		{"pay with a bad form", "POST", "/c/" + c.ID + "/pay", "device=%zz", http.StatusBadRequest, true},
		{"pg_token too long", "GET", ret + "&pg_token=" + strings.Repeat("t", 101), "", http.StatusBadRequest, true},
		{"pg_token empty", "GET", ret + "&pg_token=", "", http.StatusBadRequest, true},
		{"approve without attempt", "GET", "/c/" + c.ID + "/return/approve?pg_token=abc", "", http.StatusNotFound, true},
		{"status wait negative", "GET", "/c/" + c.ID + "/status?wait=-1", "", http.StatusBadRequest, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			attempts := e.CountRows("SELECT COUNT(*) FROM attempts")
			b := e.Browser(handlerstest.UADesktop)
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			res, html := b.Do(b.NoRedirect(), tc.method, tc.path, body, nil)
			if tc.page {
				handlerstest.CheckErrorPage(t, res, html, tc.status, "")
			} else {
				handlerstest.CheckAPIError(t, res, []byte(html), []int{tc.status}, "", "wait")
			}
			if n := e.CountRows("SELECT COUNT(*) FROM attempts"); n != attempts {
				t.Errorf("attempts %d → %d", attempts, n)
			}
		})
	}
	if got := e.LatestAttempt(c.ID); got.ID != a.ID || got.PGToken != "" || got.Status != "ready" && got.Status != "authenticating" {
		t.Errorf("attempt after bad returns: %s %s token=%q", got.ID, got.Status, got.PGToken)
	}
	if n := e.Sandbox.Calls("approve"); n != 0 {
		t.Errorf("%d approve calls", n)
	}
	t.Run("query string on the page", func(t *testing.T) {
		res, html := e.Browser(handlerstest.UADesktop).Get(c.URL + "?device=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&x=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("page: %d", res.StatusCode)
		}
		for _, raw := range []string{"<script>alert", "<img src=x"} {
			if strings.Contains(html, raw) {
				t.Errorf("the page holds %q unescaped", raw)
			}
		}
	})
}

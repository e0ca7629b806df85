package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/store"
)

type merchantObject struct {
	ID           string   `json:"id"`
	EmbedOrigins []string `json:"embed_origins"`
}

func TestEmbedOriginsDecideWhoMayFrameACheckout(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	frameAncestors := func(query string) (string, string) {
		t.Helper()
		res, _ := e.Browser(handlerstest.UADesktop).Get(c.URL + query)
		csp := res.Header.Get("Content-Security-Policy")
		i := strings.Index(csp, "frame-ancestors ")
		if i < 0 {
			t.Fatalf("no frame-ancestors in %q", csp)
		}
		fa, _, _ := strings.Cut(csp[i:], ";")
		return fa, res.Header.Get("X-Frame-Options")
	}
	if fa, xfo := frameAncestors("?embed=1"); fa != "frame-ancestors 'none'" || xfo != "DENY" {
		t.Errorf("with no embed origins: %q, X-Frame-Options %q", fa, xfo)
	}
	var m merchantObject
	if res := e.API("POST", "/v1/merchant", `{"embed_origins":["https://Shop.Example","http://127.0.0.1:8081","https://shop.example/"]}`, &m); res.StatusCode != 200 ||
		strings.Join(m.EmbedOrigins, " ") != "http://127.0.0.1:8081 https://shop.example" {
		t.Fatalf("set embed origins: %d %+v", res.StatusCode, m)
	}
	if fa, xfo := frameAncestors("?embed=1"); fa != "frame-ancestors http://127.0.0.1:8081 https://shop.example" || xfo != "" {
		t.Errorf("embedded: %q, X-Frame-Options %q", fa, xfo)
	}
	if fa, xfo := frameAncestors(""); fa != "frame-ancestors 'none'" || xfo != "DENY" {
		t.Errorf("not embedded: %q, X-Frame-Options %q", fa, xfo)
	}
	_, html := e.Browser(handlerstest.UADesktop).Get(c.URL + "?embed=1")
	if got := handlerstest.Page(t, html).Find(`[data-testid="checkout"]`).AttrOr("data-embed-origins", ""); got != "http://127.0.0.1:8081 https://shop.example" {
		t.Errorf("the page tells its script %q", got)
	}
	if e.API("GET", "/v1/merchant", "", &m); len(m.EmbedOrigins) != 2 {
		t.Errorf("get: %+v", m)
	}
	for _, bad := range []string{"https://shop.example/pay", "ftp://shop.example", "http://shop.example", "shop.example", "https://shop.example?x=1", "https://user@shop.example"} {
		var ae handlerstest.APIError
		if res := e.API("POST", "/v1/merchant", `{"embed_origins":["`+bad+`"]}`, &ae); res.StatusCode != 400 || ae.Error.Param == nil || *ae.Error.Param != "embed_origins[0]" {
			t.Errorf("%s: %d %+v", bad, res.StatusCode, ae)
		}
	}
	if res := e.API("POST", "/v1/merchant", `{"embed_origins":[]}`, &m); res.StatusCode != 200 || len(m.EmbedOrigins) != 0 {
		t.Errorf("clearing: %d %+v", res.StatusCode, m)
	}
}

// frameAncestorsOf is the frame-ancestors directive of the checkout page at url embedded, with
// the X-Frame-Options header, and what the page tells its script to post messages to.
func frameAncestorsOf(t *testing.T, e *handlerstest.Env, url string) (fa, xfo, posts string) {
	t.Helper()
	res, html := e.Browser(handlerstest.UADesktop).Get(url + "?embed=1")
	csp := res.Header.Get("Content-Security-Policy")
	i := strings.Index(csp, "frame-ancestors ")
	if i < 0 {
		t.Fatalf("no frame-ancestors in %q", csp)
	}
	fa, _, _ = strings.Cut(csp[i:], ";")
	posts = handlerstest.Page(t, html).Find(`[data-testid="checkout"]`).AttrOr("data-embed-origins", "")
	return fa, res.Header.Get("X-Frame-Options"), posts
}

// An embed origin is scheme://host[:port] and nothing else: no wildcard, path, query, quote,
// space, comma or semicolon (each of which would change the frame-ancestors directive it is
// joined into), a port that exists; it is stored normalized (lower case, no default port,
// international names in punycode).
func TestEmbedOriginsAreOriginsOnly(t *testing.T) {
	e := handlerstest.New(t)
	for _, bad := range []string{"https://*", "https://*.com", "*", "https://a.com;sandbox", "https://a.com; script-src *",
		"https://'unsafe-inline'", "'self'", "https://a.com:99999", "https://a.com:0", "https://a.com:", "https://a.com:https",
		"https://a b.com", "https://a.com,https://b.com", "https://a.com https://b.com", `https://"a.com"`, "https://a.com/x",
		"https://a.com?x", "https://a.com#x", "https://u:p@a.com", "https://a..com", "https://-a.com", "https://a.com.",
		"https://a_b.com", "https://a.com\t", "data:", "blob:https://a.com", "https://[::1", "https://[fe80::1%25eth0]",
		"https://999.1.1.1", "https://" + strings.Repeat("a", 64) + ".com", "//a.com", "https:///a.com", "https://a.com\\b",
		"javascript://a.com", "https://xn--a.com"} {
		var ae handlerstest.APIError
		body, _ := json.Marshal(map[string][]string{"embed_origins": {bad}})
		if res := e.API("POST", "/v1/merchant", string(body), &ae); res.StatusCode != 400 || ae.Error.Param == nil || *ae.Error.Param != "embed_origins[0]" {
			t.Errorf("%q: %d %+v, want 400 on embed_origins[0]", bad, res.StatusCode, ae)
		}
	}
	var m merchantObject
	origins := []string{"HTTPS://Shop.Example:443", "https://shop.example:8443/", "https://bücher.example", "http://LOCALHOST:80",
		"https://[2001:DB8::1]:443", "https://192.0.2.7"}
	body, _ := json.Marshal(map[string][]string{"embed_origins": origins})
	if res := e.API("POST", "/v1/merchant", string(body), &m); res.StatusCode != 200 {
		t.Fatalf("%d %+v", res.StatusCode, m)
	}
	want := "http://localhost https://192.0.2.7 https://[2001:db8::1] https://shop.example https://shop.example:8443 https://xn--bcher-kva.example"
	if got := strings.Join(m.EmbedOrigins, " "); got != want {
		t.Errorf("stored %q, want %q", got, want)
	}
	if fa, _, _ := frameAncestorsOf(t, e, e.CreateCheckout("").URL); fa != "frame-ancestors "+want {
		t.Errorf("page: %q", fa)
	}
}

// http is for trying embedding on one's own computer: loopback hosts in sandbox mode only. With
// real KakaoPay credentials every merchant's origins are https, whatever the merchant.
func TestEmbedOriginsOverHTTPOnlyInSandboxMode(t *testing.T) {
	sandbox := handlerstest.New(t)
	live := handlerstest.NewWith(t, handlerstest.Options{Live: true})
	for _, tc := range []struct {
		env    *handlerstest.Env
		origin string
		ok     bool
	}{
		{sandbox, "http://127.0.0.1:8081", true},
		{sandbox, "http://localhost:3000", true},
		{sandbox, "http://[::1]:3000", true},
		{sandbox, "http://192.168.0.5:3000", false},
		{sandbox, "http://shop.example", false},
		{live, "http://127.0.0.1:8081", false},
		{live, "http://localhost:3000", false},
		{live, "https://localhost:3000", true},
		{live, "https://shop.example", true},
	} {
		res := tc.env.API("POST", "/v1/merchant", `{"embed_origins":["`+tc.origin+`"]}`, nil)
		if (res.StatusCode == 200) != tc.ok {
			t.Errorf("%s on a %s server: %d", tc.origin, map[bool]string{true: "sandbox", false: "live"}[tc.env == sandbox], res.StatusCode)
		}
	}
}

// A stored origin is checked again each time the page's policy is made: one stored before
// today's rule (or by hand, or on a sandbox server now live) never widens who may frame it.
func TestStoredEmbedOriginsAreCheckedAgain(t *testing.T) {
	for _, live := range []bool{false, true} {
		e := handlerstest.NewWith(t, handlerstest.Options{Live: live})
		ctx := t.Context()
		m := e.Merchant()
		store := func(origins ...string) {
			t.Helper()
			m.EmbedOrigins = origins
			if err := e.DB.Transact(ctx, func(tx store.Tx) error { return tx.UpdateMerchantEmbedOrigins(ctx, m) }); err != nil {
				t.Fatal(err)
			}
		}
		c := e.CreateCheckout("")
		store("https://*", "https://a.com;sandbox", "'unsafe-inline'", "https://b.com:99999", "http://127.0.0.1:8081", "https://shop.example")
		want := "https://shop.example"
		if !live {
			want = "http://127.0.0.1:8081 https://shop.example"
		}
		if fa, xfo, posts := frameAncestorsOf(t, e, c.URL); fa != "frame-ancestors "+want || xfo != "" || posts != want {
			t.Errorf("live %v: %q, X-Frame-Options %q, posts to %q; want %s", live, fa, xfo, posts, want)
		}
		store("https://*", "https://a.com;sandbox")
		if fa, xfo, posts := frameAncestorsOf(t, e, c.URL); fa != "frame-ancestors 'none'" || xfo != "DENY" || posts != "" {
			t.Errorf("live %v, nothing valid stored: %q, X-Frame-Options %q, posts to %q", live, fa, xfo, posts)
		}
	}
}

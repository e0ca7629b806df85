package handlers_test

import (
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

type merchantObject struct {
	ID           string   `json:"id"`
	EmbedOrigins []string `json:"embed_origins"`
}

func TestEmbedOriginsDecideWhoMayFrameACheckout(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
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

package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/handlers/web"
)

func TestSecurityHeaders(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	_, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
	css := handlerstest.Page(t, html).Find(`link[rel="stylesheet"]`).AttrOr("href", "")
	cases := []struct {
		name, method, path, key string
		page                    bool // an HTML page: CSP and nosniff
	}{
		{"checkout page", "GET", "/c/" + c.ID, "", true},
		{"checkout page in English", "GET", "/c/" + c.ID + "?lang=en", "", true},
		{"not found page", "GET", "/c/cs_nope", "", true},
		{"unknown path", "GET", "/nope", "", true},
		{"status", "GET", "/c/" + c.ID + "/status", "", false},
		{"status not found", "GET", "/c/cs_nope/status", "", false},
		{"API", "GET", "/v1/checkouts/" + c.ID, e.Key, false},
		{"API without key", "GET", "/v1/checkouts/" + c.ID, "", false},
		{"API unknown route", "GET", "/v1/bogus", e.Key, false},
		{"stylesheet", "GET", css, "", false},
		{"healthz", "GET", "/healthz", "", false},
		{"readyz", "GET", "/readyz", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, data := handlerstest.APIMust(t, e, tc.key, tc.method, tc.path, "", nil)
			if res.StatusCode >= 500 {
				t.Fatalf("%d: %s", res.StatusCode, data)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", res.Header.Get("X-Content-Type-Options"))
			}
			if tc.page {
				csp := res.Header.Get("Content-Security-Policy")
				if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
					t.Errorf("CSP = %q", csp)
				}
			}
		})
	}
	t.Run("request id", func(t *testing.T) {
		res, _ := handlerstest.APIMust(t, e, "", "GET", "/healthz", "", map[string]string{"X-Request-Id": "trace-42_A"})
		if got := res.Header.Get("X-Request-Id"); got != "trace-42_A" {
			t.Errorf("a valid incoming request id becomes %q", got)
		}
		res, _ = handlerstest.APIMust(t, e, "", "GET", "/healthz", "", map[string]string{"X-Request-Id": "<script>"})
		if got := res.Header.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, "<>") {
			t.Errorf("an invalid incoming request id becomes %q", got)
		}
		a, _ := handlerstest.APIMust(t, e, "", "GET", "/healthz", "", nil)
		b, _ := handlerstest.APIMust(t, e, "", "GET", "/healthz", "", nil)
		if a.Header.Get("X-Request-Id") == b.Header.Get("X-Request-Id") {
			t.Error("two requests share a request id")
		}
	})
	t.Run("pay redirect", func(t *testing.T) {
		for _, device := range []string{"desktop", "mobile"} {
			b := e.Browser(handlerstest.UADesktop)
			res, _ := b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay", strings.NewReader("device="+device), nil)
			loc, err := res.Location()
			if res.StatusCode != http.StatusSeeOther || err != nil || loc.String() != e.URL+"/c/"+c.ID {
				t.Errorf("pay (%s) answered %d Location %v, want the checkout's own page", device, res.StatusCode, loc)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id on the redirect")
			}
		}
	})
}

// BenchmarkMiddleware measures what the middleware adds to a request that does nothing, with
// the log at warn as a server under load runs it.
func BenchmarkMiddleware(b *testing.B) {
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h := web.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), log, web.NewMetrics())
	req := httptest.NewRequest("GET", "/c/cs_x/status", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

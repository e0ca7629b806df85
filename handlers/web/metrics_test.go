package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/handlers/web"
)

func TestMetrics(t *testing.T) {
	e := handlerstest.New(t)
	c, _ := e.PaidCheckout()
	e.Browser(handlerstest.UADesktop).Get(c.URL)
	res, err := http.Get(e.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	text := string(body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`kpcheckout_http_requests_total{route="POST /v1/checkouts",status="201"} 1`,
		`kpcheckout_http_requests_total{route="GET /c/{id}",status="200"}`,
		`kpcheckout_http_request_duration_seconds_bucket{route="GET /c/{id}/return/{kind}"`,
		`kpcheckout_kakaopay_calls_total{endpoint="approve",outcome="ok"} 1`,
		`kpcheckout_kakaopay_calls_total{endpoint="ready",outcome="ok"} 1`,
		`kpcheckout_kakaopay_call_duration_seconds_count{endpoint="approve"} 1`,
		"kpcheckout_status_waiting 0", "kpcheckout_watchers 0", "go_goroutines", "process_resident_memory_bytes",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestMetricsAreServedToAllowedNetworksOnly: /metrics tells every merchant's traffic and
// KakaoPay outcomes, so by default only this computer reads it; anyone else gets the 404 of a
// path that does not exist, so that nothing says it is there.
func TestMetricsAreServedToAllowedNetworksOnly(t *testing.T) {
	e := handlerstest.New(t)
	checkMetricsAccess(t, e, []metricsAccess{
		{"loopback", "127.0.0.1:40000", nil, true},
		{"IPv6 loopback", "[::1]:40000", nil, true},
		{"a public address", "203.0.113.9:40000", nil, false},
		{"a private address", "10.1.2.3:40000", nil, false},
		// No proxy is trusted: the header is the client's own word and changes nothing.
		{"a public address claiming loopback", "203.0.113.9:40000", map[string]string{"X-Forwarded-For": "127.0.0.1"}, false},
		// A proxy on this computer nobody declared: its requests are not this computer's.
		{"forwarded by an undeclared local proxy", "127.0.0.1:40000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, false},
		{"forwarded (RFC 7239) by an undeclared local proxy", "127.0.0.1:40000", map[string]string{"Forwarded": "for=203.0.113.9"}, false},
	})
}

// With allowed networks given, the clients there read the metrics, also behind trusted
// proxies, and loopback no longer does unless it is listed.
func TestMetricsAllowedNetworksBehindTrustedProxies(t *testing.T) {
	proxies, err := web.ParseProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	allowed, err := web.ParseNetworks("192.0.2.0/24, 2001:db8::7")
	if err != nil {
		t.Fatal(err)
	}
	e := handlerstest.NewWith(t, handlerstest.Options{Proxies: proxies, MetricsNetworks: allowed})
	checkMetricsAccess(t, e, []metricsAccess{
		{"an allowed network", "192.0.2.7:40000", nil, true},
		{"an allowed address", "[2001:db8::7]:40000", nil, true},
		{"an allowed client behind a trusted proxy", "10.1.2.3:40000", map[string]string{"X-Forwarded-For": "192.0.2.50"}, true},
		{"another client behind a trusted proxy", "10.1.2.3:40000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, false},
		{"a client naming an allowed one through a trusted proxy", "10.1.2.3:40000", map[string]string{"X-Forwarded-For": "192.0.2.50, 203.0.113.9"}, false},
		{"the trusted proxy itself", "10.1.2.3:40000", nil, false},
		{"loopback, not listed", "127.0.0.1:40000", nil, false},
	})
}

// metricsAccess is a request for /metrics from peer with headers hdr, and whether it may read them.
type metricsAccess struct {
	name, peer string
	hdr        map[string]string
	ok         bool
}

// checkMetricsAccess sends each request straight to e's handler (which takes any peer address)
// and checks that it gets the metrics, or the 404 page of a missing path.
func checkMetricsAccess(t *testing.T, e *handlerstest.Env, cases []metricsAccess) {
	t.Helper()
	get := func(path, peer string, hdr map[string]string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = peer
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		e.Handler.ServeHTTP(w, r)
		return w
	}
	missing := get("/no-such-page", "203.0.113.9:40000", nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := get("/metrics", tc.peer, tc.hdr)
			if tc.ok {
				if w.Code != 200 || !strings.Contains(w.Body.String(), "kpcheckout_http_requests_total") {
					t.Errorf("%d %.200s", w.Code, w.Body.String())
				}
				return
			}
			if w.Code != http.StatusNotFound || w.Header().Get("Content-Type") != missing.Header().Get("Content-Type") ||
				strings.Contains(w.Body.String(), "kpcheckout_") {
				t.Errorf("%d %s %.200s, want the 404 of a missing page (%d %s)", w.Code, w.Header().Get("Content-Type"), w.Body.String(),
					missing.Code, missing.Header().Get("Content-Type"))
			}
		})
	}
}

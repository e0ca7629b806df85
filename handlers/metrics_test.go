package handlers_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestMetrics(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	e.PayByPhone(c.ID)
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

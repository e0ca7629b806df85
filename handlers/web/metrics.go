package web

import (
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kpcheckout/kpcheckout/checkout"
)

// Metrics are what GET /metrics tells in Prometheus' text format: requests by route and
// status with their latency, waiting long-polls, watchers, and KakaoPay calls by endpoint and
// outcome. Make one with NewMetrics, give its ObserveKakaoPay to the KakaoPay client and the
// Metrics to handlers.New.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	kakaoPay  *prometheus.CounterVec
	kakaoTime *prometheus.HistogramVec
}

// NewMetrics returns empty metrics with the Go runtime's and the process's own.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kpcheckout_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kpcheckout_http_request_duration_seconds", Help: "HTTP request latency by route (long-polls include their wait).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		kakaoPay: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kpcheckout_kakaopay_calls_total", Help: "KakaoPay API calls by endpoint and outcome (ok, refused, unknown).",
		}, []string{"endpoint", "outcome"}),
		kakaoTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kpcheckout_kakaopay_call_duration_seconds", Help: "KakaoPay API call latency by endpoint.",
			Buckets: prometheus.DefBuckets,
		}, []string{"endpoint"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.kakaoPay, m.kakaoTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveKakaoPay counts one KakaoPay call; it is the kakaopay client's Observe hook.
func (m *Metrics) ObserveKakaoPay(endpoint, outcome string, d time.Duration) {
	m.kakaoPay.WithLabelValues(endpoint, outcome).Inc()
	m.kakaoTime.WithLabelValues(endpoint).Observe(d.Seconds())
}

// Watch adds the service's live gauges.
func (m *Metrics) Watch(svc *checkout.Service) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kpcheckout_status_waiting", Help: "Status long-polls waiting now."},
			func() float64 { return float64(svc.Notifier().Waiting()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kpcheckout_watchers", Help: "Watched checkouts whose attempt is looked up at KakaoPay."},
			func() float64 { return float64(svc.Watchers()) }),
	)
}

// Handler serves the metrics to the clients of the allowed networks (loopback when none),
// judged behind the trusted proxies, and answers anyone else with hidden: a path that does not
// exist, so that nothing says the metrics are there. A request a proxy nobody declared
// forwarded is refused: its peer address is the proxy's, not its client's.
func (m *Metrics) Handler(allowed []netip.Prefix, proxies Proxies, hidden http.Handler) http.Handler {
	if len(allowed) == 0 {
		allowed = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	serve := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, err := netip.ParseAddr(proxies.Client(r))
		if err != nil || proxies.forwardedByStranger(r) ||
			!slices.ContainsFunc(allowed, func(p netip.Prefix) bool { return p.Contains(client.Unmap()) }) {
			hidden.ServeHTTP(w, r)
			return
		}
		serve.ServeHTTP(w, r)
	})
}

// observe counts a request once it is answered; route is the pattern it matched.
func (m *Metrics) observe(route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

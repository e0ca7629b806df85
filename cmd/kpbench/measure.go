package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Browsers the load plays.
const (
	uaDesktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
	uaPhone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// measure runs every scenario and returns the table's rows.
func measure(ctx context.Context, o options) ([]row, error) {
	dir, err := os.MkdirTemp("", "kpbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var rows []row

	insert, err := sqliteInserts(ctx, filepath.Join(dir, "bare.db"), o.duration)
	if err != nil {
		return nil, err
	}
	bare, bareAddr, err := startProcess(ctx, "listening ", nil, os.Args[0], "-bare", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer bare.stop()
	bareHTTP := hammerOn(ctx, bare, 64, o.duration, func(ctx context.Context) bool {
		_, ok := get(ctx, statusClient, "http://"+bareAddr+"/status", 200)
		return ok
	})

	srv, s, err := startServer(ctx, o, "sqlite:"+filepath.Join(dir, "kpcheckout.db"))
	if err != nil {
		return nil, err
	}
	defer srv.stop()

	profiled := profileCPU(ctx, o, "cpu-create.pprof")
	create := hammerOn(ctx, srv, 16, o.duration, func(ctx context.Context) bool { _, ok := s.create(ctx); return ok })
	<-profiled
	rows = append(rows, row{"create a checkout (`POST /v1/checkouts`, 16 clients)", perSec(create) + cpuEach(create), "SQLite insert loop, same pragmas: " + fmt.Sprintf("%.0f/s", insert),
		ratio(create.rate(), insert), "≥ 3,000/s and ≥ 0.5×"})

	for _, p := range []struct{ name, ua, device, target string }{
		{"desktop page with QR (`GET /c/{id}`, 64 clients)", uaDesktop, "desktop", "≥ 8,000/s, p99 ≤ 20 ms"},
		{"phone page (`GET /c/{id}`, 64 clients)", uaPhone, "mobile", ""},
	} {
		page, bare, err := s.pageAndBare(ctx, srv, bare, bareAddr, p.ua, p.device, o)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row{p.name, perSec(page) + ", p99 " + ms(page.p99) + cpuEach(page),
			"bare net/http HTML page, same bytes: " + perSec(bare) + ", p99 " + ms(bare.p99) + cpuEach(bare), ratio(page.rate(), bare.rate()), p.target})
	}

	id, _, err := s.payable(ctx, uaDesktop, "desktop")
	if err != nil {
		return nil, err
	}
	status := hammerOn(ctx, srv, 64, o.duration, func(ctx context.Context) bool {
		_, ok := get(ctx, statusClient, s.base+"/c/"+id+"/status", 200)
		return ok
	})
	rows = append(rows, row{"status poll (`GET /c/{id}/status`, 64 clients)", perSec(status) + ", p99 " + ms(status.p99) + cpuEach(status),
		"bare net/http JSON: " + perSec(bareHTTP) + cpuEach(bareHTTP), ratio(status.rate(), bareHTTP.rate()), "≥ 0.4×"})

	w, err := s.waiters(ctx, srv, o)
	if err != nil {
		return nil, err
	}
	bw := bareWaiters(ctx, bare, bareAddr, o)
	rows = append(rows,
		row{fmt.Sprintf("RSS while %d long-polls wait (as the last arrived; %v later → after 5 s idle)", o.waiters, o.settle),
			mb(w.arrived) + "; " + mb(w.rss1) + " → " + mb(w.rss2),
			"bare long-poll server: " + mb(bw.arrived) + "; " + mb(bw.rss1) + " → " + mb(bw.rss2), ratio(float64(w.rss2), float64(bw.rss2)), "≤ 1.25×, flat"},
		row{"live heap right after a collection, the same waits", mb(w.live), "bare: " + mb(bw.live), ratio(float64(w.live), float64(bw.live)), ""},
		row{fmt.Sprintf("CPU while %d long-polls wait and nothing happens", o.waiters), fmt.Sprintf("%.3f cores", w.cores),
			fmt.Sprintf("bare: %.3f cores", bw.cores), "", "≤ 0.1 core"},
		row{fmt.Sprintf("approve return → its waiting poll answers (%d phones, 200/s)", o.approvals), "p50 " + ms(w.p50) + ", p99 " + ms(w.p99) + w.note,
			"bare wake: p50 " + ms(bw.p50) + ", p99 " + ms(bw.p99), "", "p99 ≤ 50 ms"},
		row{"KakaoPay order look-ups while shoppers only wait", fmt.Sprintf("%.1f/s", w.orders), "", "", "≤ --order-lookups (50/s)"},
	)

	profiled = profileCPU(ctx, o, "cpu-flows.pprof")
	flows := hammerOn(ctx, srv, 16, o.duration, func(ctx context.Context) bool { return s.flow(ctx) })
	<-profiled
	rows = append(rows, row{"whole sandbox flows (create, pay, approve in the wallet, return; 16 clients)", perSec(flows) + cpuEach(flows), "", "", "≥ 800/s"})
	return rows, nil
}

// pageAndBare measures a checkout's page for a device with 64 clients, and right before it the
// bare server sending the same bytes with as many clients of the same kind.
func (s *shop) pageAndBare(ctx context.Context, srv, bareSrv *process, bareAddr, ua, device string, o options) (page, bare result, err error) {
	d := o.duration
	id, _, err := s.payable(ctx, ua, device)
	if err != nil {
		return page, bare, err
	}
	body, ok := get(ctx, s.c, s.base+"/c/"+id, 200, "User-Agent", ua)
	if !ok {
		return page, bare, fmt.Errorf("the %s page of %s did not answer", device, id)
	}
	bareURL := "http://" + bareAddr + "/page/" + device
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, bareURL, bytes.NewReader(body))
	if _, ok := do(s.c, req, 200); !ok {
		return page, bare, fmt.Errorf("the bare server did not take the %s page", device)
	}
	bc := newClient(256)
	defer bc.CloseIdleConnections()
	bare = hammerOn(ctx, bareSrv, 64, d, func(ctx context.Context) bool {
		_, ok := get(ctx, bc, bareURL, 200, "User-Agent", ua)
		return ok
	})
	profiled := profileCPU(ctx, o, "cpu-page-"+device+".pprof")
	page = hammerOn(ctx, srv, 64, d, func(ctx context.Context) bool {
		_, ok := get(ctx, s.c, s.base+"/c/"+id, 200, "User-Agent", ua)
		return ok
	})
	<-profiled
	return page, bare, nil
}

// statusClient keeps 64 connections for the status scenarios.
var statusClient = newClient(64)

// shop is the server under test as a merchant and its shoppers see it.
type shop struct {
	base, key string
	c         *http.Client
	pprof     string // the server's profiles' address, for its heap
}

// startServer starts kpcheckout in sandbox mode on the database at databaseURL. Its demo
// merchant's test key is new: an instance started before on the same database has had its revoked.
func startServer(ctx context.Context, o options, databaseURL string) (*process, *shop, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	env := []string{"KPCHECKOUT_ADDR=" + addr, "KPCHECKOUT_DATABASE_URL=" + databaseURL,
		"KPCHECKOUT_LOG_LEVEL=warn", "KPCHECKOUT_KAKAOPAY_SECRET_KEY="}
	// Every shopper of the load comes from loopback: the per-address limits must not hold them.
	args := []string{"serve", "--max-waiting", strconv.Itoa(o.waiters * 2), "--max-waiting-per-ip", strconv.Itoa(o.waiters * 2),
		"--payment-starts-per-minute", "1000000000", "--link-checkouts-per-minute", "1000000000"}
	// The profiles' listener is always on: the long-poll scenario reads the live heap from it.
	pprof := o.pprof
	if pprof == "" {
		if pprof, err = freeAddr(); err != nil {
			return nil, nil, err
		}
	}
	args = append(args, "--pprof-addr", pprof)
	p, key, err := startProcess(ctx, "test API key:", env, o.server, args...)
	if err != nil {
		return nil, nil, err
	}
	{
		// The profiles' listener starts beside the server's: the first profile must not miss it.
		for i := 0; i < 100; i++ {
			if _, ok := get(ctx, newClient(1), "http://"+pprof+"/debug/pprof/", 200); ok {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return p, &shop{base: "http://" + addr, key: key, c: newClient(256), pprof: pprof}, nil
}

// create makes an 11,000-won checkout and returns its id.
func (s *shop) create(ctx context.Context) (string, bool) {
	id, err := s.createChecked(ctx)
	return id, err == nil
}

// createChecked creates a checkout, or says what the server answered instead.
func (s *shop) createChecked(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/v1/checkouts", strings.NewReader(
		`{"amount":11000,"reference":"BENCH","success_url":"http://127.0.0.1/ok","failure_url":"http://127.0.0.1/no"}`))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Content-Type", "application/json")
	body, status, err := doStatus(s.c, req)
	if err != nil {
		return "", err
	}
	m := checkoutID.FindSubmatch(body)
	if status != http.StatusCreated || m == nil {
		return "", fmt.Errorf("%d %.300s", status, body)
	}
	return string(m[1]), nil
}

var (
	checkoutID = regexp.MustCompile(`"id":"(cs_[A-Za-z0-9]+)"`)
	walletLink = regexp.MustCompile(`href="([^"]+)"[^>]*data-testid="open-kakaotalk"`)
	stateField = regexp.MustCompile(`"state":"([^"]+)"`)
)

// payable makes a checkout with a live attempt for a device; for a phone it also returns the
// wallet URL KakaoTalk would open.
func (s *shop) payable(ctx context.Context, ua, device string) (id, wallet string, err error) {
	id, err = s.createChecked(ctx)
	if err != nil {
		return "", "", fmt.Errorf("creating a checkout failed: %w", err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/c/"+id+"/pay", strings.NewReader(url.Values{"device": {device}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", ua)
	if _, ok := do(s.c, req, http.StatusSeeOther); !ok {
		return "", "", fmt.Errorf("paying %s failed", id)
	}
	if device != "mobile" {
		return id, "", nil
	}
	page, ok := get(ctx, s.c, s.base+"/c/"+id, 200, "User-Agent", ua)
	m := walletLink.FindSubmatch(page)
	if !ok || m == nil {
		return "", "", fmt.Errorf("no wallet link on %s", id)
	}
	return id, strings.ReplaceAll(string(m[1]), "&amp;", "&"), nil
}

// approve approves in the sandbox wallet and returns the URL KakaoPay sends the phone back to.
func (s *shop) approve(ctx context.Context, wallet string) (string, bool) {
	loc, ok := get(ctx, s.c, wallet, http.StatusSeeOther, "X-Sandbox-Auto", "approve", "User-Agent", uaPhone)
	return string(loc), ok
}

// flow is one whole sandbox payment.
func (s *shop) flow(ctx context.Context) bool {
	_, wallet, err := s.payable(ctx, uaPhone, "mobile")
	if err != nil {
		return false
	}
	back, ok := s.approve(ctx, wallet)
	if !ok {
		return false
	}
	loc, ok := get(ctx, s.c, back, http.StatusSeeOther, "User-Agent", uaPhone)
	return ok && strings.HasPrefix(string(loc), "http://127.0.0.1/ok")
}

// waitResult is what the long-poll scenario measured.
type waitResult struct {
	arrived    int64 // the RSS as the last wait arrived
	rss1, rss2 int64 // settle later, and after the 5 s idle
	live       int64 // the heap's bytes in use right after a collection
	cores      float64
	p50, p99   time.Duration
	orders     float64
	note       string
}

// waiters holds o.waiters long-polls on as many checkouts with live attempts, measures the
// server at rest, then approves o.approvals of them at 200/s and times each wake.
func (s *shop) waiters(ctx context.Context, srv *process, o options) (waitResult, error) {
	type waiting struct{ id, wallet, state string }
	list := make([]waiting, o.waiters)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	next := make(chan int)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id, wallet, err := s.payable(ctx, uaPhone, "mobile")
				if err == nil {
					body, _ := get(ctx, s.c, s.base+"/c/"+id+"/status", 200)
					if m := stateField.FindSubmatch(body); m != nil {
						list[i] = waiting{id, wallet, string(m[1])}
						continue
					}
					err = fmt.Errorf("no state for %s", id)
				}
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		}()
	}
	for i := range list {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return waitResult{}, firstErr
	}
	answered := make([]atomic.Int64, len(list)) // unix nanoseconds of each poll's answer
	polls := newClient(len(list) + 16)
	defer polls.CloseIdleConnections()
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var pw sync.WaitGroup
	for i, w := range list {
		pw.Add(1)
		go func() {
			defer pw.Done()
			if _, ok := get(pctx, polls, s.base+"/c/"+w.id+"/status?wait=30&known="+url.QueryEscape(w.state), 200); ok {
				answered[i].Store(time.Now().UnixNano())
			}
		}()
		if i%200 == 199 {
			time.Sleep(20 * time.Millisecond) // within the listen backlog
		}
	}
	if err := s.awaitMetric(ctx, "kpcheckout_status_waiting", float64(len(list))); err != nil {
		return waitResult{}, err
	}
	var r waitResult
	r.arrived = srv.rss()
	time.Sleep(o.settle)
	orders0, ordersFrom := s.metric(ctx, `kpcheckout_kakaopay_calls_total{endpoint="order",outcome="ok"}`), time.Now()
	r.rss1 = srv.rss()
	profiled := profileCPU(ctx, options{pprof: o.pprof, duration: 5 * time.Second}, "cpu-waiting.pprof")
	r.cores = srv.cores(5 * time.Second)
	<-profiled
	r.rss2 = srv.rss()
	// Per second of the time between the two readings, which is more than the 5 s measured.
	r.orders = (s.metric(ctx, `kpcheckout_kakaopay_calls_total{endpoint="order",outcome="ok"}`) - orders0) / time.Since(ordersFrom).Seconds()
	r.live = liveHeap(ctx, s.pprof)
	if o.pprof != "" {
		// Metrics first: the heap profile runs a GC (gc=1), so that it shows the live heap only.
		saveProfile(ctx, s.base+"/metrics", "metrics-waiting.txt")
		saveProfile(ctx, "http://"+o.pprof+"/debug/pprof/heap?gc=1", "heap-waiting.pprof")
		saveProfile(ctx, "http://"+o.pprof+"/debug/pprof/heap?debug=1", "memstats-waiting.txt")
		saveProfile(ctx, "http://"+o.pprof+"/debug/pprof/goroutine", "goroutine-waiting.pprof")
	}

	sent := make([]time.Time, o.approvals)
	tick := time.NewTicker(time.Second / 200)
	var aw sync.WaitGroup
	for k := range sent {
		<-tick.C
		aw.Add(1)
		go func() {
			defer aw.Done()
			back, ok := s.approve(ctx, list[k].wallet)
			if !ok {
				return
			}
			sent[k] = time.Now()
			get(ctx, s.c, back, http.StatusSeeOther, "User-Agent", uaPhone)
		}()
	}
	tick.Stop()
	aw.Wait()
	deadline := time.Now().Add(10 * time.Second)
	var lat []time.Duration
	for k := range sent {
		for answered[k].Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if at := answered[k].Load(); !sent[k].IsZero() && at != 0 {
			lat = append(lat, max(time.Unix(0, at).Sub(sent[k]), 0))
		}
	}
	if len(lat) < len(sent) {
		r.note = fmt.Sprintf(" (%d of %d woke)", len(lat), len(sent))
	}
	r.p50, r.p99 = percentile(lat, 0.5), percentile(lat, 0.99)
	cancel()
	pw.Wait()
	return r, nil
}

// profileCPU saves the server's CPU profile over the next scenario to file when -pprof is set;
// the channel closes when it is saved.
func profileCPU(ctx context.Context, o options, file string) <-chan struct{} {
	done := make(chan struct{})
	if o.pprof == "" {
		close(done)
		return done
	}
	secs := max(1, int(o.duration.Seconds()))
	go func() {
		defer close(done)
		saveProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", o.pprof, secs), file)
	}()
	return done
}

// saveProfile saves a profile of the server to file, for go tool pprof.
func saveProfile(ctx context.Context, url, file string) {
	if body, ok := get(ctx, newClient(1), url, 200); ok {
		os.WriteFile(file, body, 0o644)
	}
}

// liveHeap has the process whose profiles listen on addr collect its garbage, and returns the
// heap's bytes in use then (runtime.MemStats.HeapAlloc), or 0. With the resident set it tells
// what is held from what the collector lets the heap grow to between collections.
func liveHeap(ctx context.Context, addr string) int64 {
	body, ok := get(ctx, newClient(1), "http://"+addr+"/debug/pprof/heap?gc=1&debug=1", 200)
	if !ok {
		return 0
	}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, "# HeapAlloc = "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
			return n
		}
	}
	return 0
}

// metric reads one sample of the server's /metrics, or 0.
func (s *shop) metric(ctx context.Context, name string) float64 {
	body, ok := get(ctx, s.c, s.base+"/metrics", 200)
	if !ok {
		return 0
	}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return 0
}

// awaitMetric waits up to 60 s for a metric to reach want.
func (s *shop) awaitMetric(ctx context.Context, name string, want float64) error {
	deadline := time.Now().Add(60 * time.Second)
	for s.metric(ctx, name) < want {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s never reached %.0f (at %.0f)", name, want, s.metric(ctx, name))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// bareWaiters holds as many long-polls on the bare server and measures it the same way.
func bareWaiters(ctx context.Context, bare *process, addr string, o options) waitResult {
	answered := make([]atomic.Int64, o.waiters) // unix nanoseconds of each poll's answer
	polls := newClient(o.waiters + 16)
	defer polls.CloseIdleConnections()
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var pw sync.WaitGroup
	for i := range answered {
		pw.Add(1)
		go func() {
			defer pw.Done()
			if _, ok := get(pctx, polls, fmt.Sprintf("http://%s/wait?id=%d", addr, i), 200); ok {
				answered[i].Store(time.Now().UnixNano())
			}
		}()
		if i%200 == 199 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	time.Sleep(2 * time.Second) // the bare server has no gauge: let the last ones arrive
	var r waitResult
	r.arrived = bare.rss()
	time.Sleep(o.settle)
	r.rss1 = bare.rss()
	r.cores = bare.cores(5 * time.Second)
	r.rss2 = bare.rss()
	r.live = liveHeap(ctx, addr)
	if o.pprof != "" {
		saveProfile(ctx, "http://"+addr+"/debug/pprof/heap?gc=1", "heap-waiting-bare.pprof")
		saveProfile(ctx, "http://"+addr+"/debug/pprof/heap?debug=1", "memstats-waiting-bare.txt")
	}
	c := newClient(16)
	sent := make([]time.Time, o.approvals)
	tick := time.NewTicker(time.Second / 200)
	for k := range sent {
		<-tick.C
		sent[k] = time.Now()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://%s/wake?id=%d", addr, k), nil)
		do(c, req, 200)
	}
	tick.Stop()
	time.Sleep(200 * time.Millisecond)
	var lat []time.Duration
	for k := range sent {
		if at := answered[k].Load(); at != 0 {
			lat = append(lat, max(time.Unix(0, at).Sub(sent[k]), 0))
		}
	}
	r.p50, r.p99 = percentile(lat, 0.5), percentile(lat, 0.99)
	cancel()
	pw.Wait()
	return r
}

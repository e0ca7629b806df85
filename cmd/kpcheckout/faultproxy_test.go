package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultKind is how the proxy misbehaves on a call.
type faultKind int

// Fault kinds: whether KakaoPay acts on the call, and what kpcheckout sees.
const (
	faultDelay        faultKind = iota + 1 // wait, then forward and answer: KakaoPay acts, late
	faultDrop                              // forward, then close the connection: KakaoPay acts, no answer
	faultFail500                           // answer 500 without forwarding: KakaoPay does not act
	faultFail500After                      // forward, then answer 500: KakaoPay acts
	faultCut                               // close the connection without forwarding: KakaoPay does not act
)

// fault is one misbehaviour.
type fault struct {
	kind  faultKind
	delay time.Duration // for faultDelay
}

// faultProxy stands between kpcheckout and the sandbox as a flaky network would, so that the
// tests can lose KakaoPay's answers after KakaoPay acted, or before it did.
type faultProxy struct {
	t      *testing.T
	target string
	srv    *httptest.Server
	mu     sync.Mutex
	rules  map[string]*faultRule
	counts map[string]int // forwarded calls per endpoint
}

type faultRule struct {
	f fault
	n int // calls left; < 0: every call
}

// newFaultProxy starts a proxy on 127.0.0.1 in front of target; it closes at the test's end.
func newFaultProxy(t *testing.T, target string) *faultProxy {
	p := &faultProxy{t: t, target: target, rules: map[string]*faultRule{}, counts: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the base URL kpcheckout should take for KakaoPay's.
func (p *faultProxy) URL() string { return p.srv.URL }

// set makes the next n calls to endpoint ("cancel", "manage/subscription/inactive", …)
// misbehave as f; n < 0 means every call until clear.
func (p *faultProxy) set(endpoint string, f fault, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules[endpoint] = &faultRule{f: f, n: n}
}

// clear ends the faults of endpoint.
func (p *faultProxy) clear(endpoint string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.rules, endpoint)
}

// forwarded counts the calls to endpoint that reached the sandbox.
func (p *faultProxy) forwarded(endpoint string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[endpoint]
}

func (p *faultProxy) take(endpoint string) *fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.rules[endpoint]
	if r == nil || r.n == 0 {
		return nil
	}
	if r.n > 0 {
		r.n--
	}
	f := r.f
	return &f
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	endpoint := strings.TrimPrefix(r.URL.Path, "/online/v1/payment/")
	f := p.take(endpoint)
	if f == nil {
		p.relay(w, r, endpoint)
		return
	}
	switch f.kind {
	case faultDelay:
		time.Sleep(f.delay)
		p.relay(w, r, endpoint)
	case faultDrop:
		if res := p.forward(r, endpoint); res != nil {
			res.Body.Close()
		}
		hangUp(w)
	case faultFail500:
		fail500(w)
	case faultFail500After:
		if res := p.forward(r, endpoint); res != nil {
			res.Body.Close()
		}
		fail500(w)
	case faultCut:
		hangUp(w)
	}
}

// relay forwards the call and copies the sandbox's answer back.
func (p *faultProxy) relay(w http.ResponseWriter, r *http.Request, endpoint string) {
	res := p.forward(r, endpoint)
	if res == nil {
		hangUp(w)
		return
	}
	defer res.Body.Close()
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	io.Copy(w, res.Body)
}

// forward sends the call on to the sandbox, whatever became of the client meanwhile.
func (p *faultProxy) forward(r *http.Request, endpoint string) *http.Response {
	body, _ := io.ReadAll(r.Body)
	req, err := http.NewRequest(r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		p.t.Errorf("proxy: %v", err)
		return nil
	}
	for _, h := range []string{"Authorization", "Content-Type", "Accept", "X-Request-Id"} {
		req.Header.Set(h, r.Header.Get(h))
	}
	p.mu.Lock()
	p.counts[endpoint]++
	p.mu.Unlock()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Logf("proxy: forwarding %s: %v", endpoint, err)
		return nil
	}
	return res
}

// hangUp closes the client's connection without an answer.
func hangUp(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

func fail500(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	io.WriteString(w, `{"error_code":-9999,"error_message":"proxy: internal error"}`)
}

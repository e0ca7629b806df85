package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultKind is how a call through the faultProxy misbehaves. The kinds differ in the one thing
// that matters to a payment system: whether KakaoPay acted, and what we are told about it.
type faultKind int

const (
	faultDelay        faultKind = iota // wait, then forward and answer normally (a slow KakaoPay)
	faultDrop                          // forward (KakaoPay acts), then close the connection unanswered
	faultFail500                       // answer 500 without forwarding (KakaoPay did not act)
	faultFail500After                  // forward (KakaoPay acts), then answer 500 in place of its answer
	faultCut                           // close the connection without forwarding (KakaoPay did not act)
	faultHang                          // forward (KakaoPay acts), then never answer: the client times out
)

// fault is one misbehaviour; delay is used by faultDelay only. The zero fault passes calls through.
type fault struct {
	kind  faultKind
	delay time.Duration
}

// proxyError is what a failing gateway in front of KakaoPay answers, in KakaoPay's error shape.
const proxyError = `{"error_code":-9999,"error_message":"proxy: internal error"}`

// faultProxy stands between kpcheckout and the sandbox as a flaky network would, so tests can
// lose requests and answers at will and check that money moves exactly once.
type faultProxy struct {
	target string
	srv    *httptest.Server
	client *http.Client
	done   chan struct{} // closed at cleanup, so held calls let the server shut down

	mu     sync.Mutex
	faults map[string]*armed
	nSeen  map[string]int
	nFwd   map[string]int
}

// armed is a fault with the number of calls it still applies to (< 0: until cleared).
type armed struct {
	f    fault
	left int
}

// newFaultProxy starts a proxy on 127.0.0.1 in front of target (e.g. "http://127.0.0.1:1234");
// it is closed at t.Cleanup.
func newFaultProxy(t *testing.T, target string) *faultProxy {
	p := &faultProxy{
		target: strings.TrimSuffix(target, "/"),
		client: &http.Client{Timeout: 30 * time.Second},
		done:   make(chan struct{}),
		faults: map[string]*armed{},
		nSeen:  map[string]int{},
		nFwd:   map[string]int{},
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		close(p.done)
		p.srv.Close()
		p.client.CloseIdleConnections()
	})
	return p
}

// URL is the base URL to give the server as KPCHECKOUT_KAKAOPAY_API_BASE.
func (p *faultProxy) URL() string { return p.srv.URL }

// set makes the next n calls to endpoint (e.g. "approve", "manage/subscription/inactive")
// misbehave as f; n < 0 means every call until clear. Endpoints are independent.
func (p *faultProxy) set(endpoint string, f fault, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n == 0 {
		delete(p.faults, endpoint)
		return
	}
	p.faults[endpoint] = &armed{f: f, left: n}
}

// clear makes calls to endpoint pass through again.
func (p *faultProxy) clear(endpoint string) { p.set(endpoint, fault{}, 0) }

// seen is how many requests for endpoint the proxy received from the server.
func (p *faultProxy) seen(endpoint string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nSeen[endpoint]
}

// forwarded is how many requests for endpoint the proxy passed on to the sandbox.
func (p *faultProxy) forwarded(endpoint string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nFwd[endpoint]
}

// take counts a request for endpoint and consumes one use of its fault, if any.
func (p *faultProxy) take(endpoint string) (fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nSeen[endpoint]++
	a := p.faults[endpoint]
	if a == nil {
		return fault{}, false
	}
	if a.left > 0 {
		if a.left--; a.left == 0 {
			delete(p.faults, endpoint)
		}
	}
	return a.f, true
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	endpoint := strings.TrimPrefix(r.URL.Path, "/online/v1/payment/")
	f, faulty := p.take(endpoint)
	if faulty {
		switch f.kind {
		case faultFail500:
			writeProxyError(w)
			return
		case faultCut:
			hangUp(w)
			return
		case faultDelay:
			select {
			case <-time.After(f.delay):
			case <-p.done:
			}
		}
	}
	// A request on the wire reaches KakaoPay whether or not our caller is still waiting.
	res, body, err := p.forward(context.WithoutCancel(r.Context()), endpoint, r)
	if err != nil {
		http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	switch {
	case !faulty || f.kind == faultDelay:
	case f.kind == faultDrop:
		hangUp(w)
		return
	case f.kind == faultFail500After:
		writeProxyError(w)
		return
	case f.kind == faultHang:
		select {
		case <-r.Context().Done():
		case <-p.done:
		}
		hangUp(w)
		return
	}
	for k, vs := range res.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(res.StatusCode)
	w.Write(body)
}

// forward sends r to the target at the same path, and reads the whole answer.
func (p *faultProxy) forward(ctx context.Context, endpoint string, r *http.Request) (*http.Response, []byte, error) {
	in, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, err
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(in))
	if err != nil {
		return nil, nil, err
	}
	out.Header = r.Header.Clone()
	out.Header.Del("Connection")
	p.mu.Lock()
	p.nFwd[endpoint]++
	p.mu.Unlock()
	res, err := p.client.Do(out)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res, body, err
}

func writeProxyError(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	io.WriteString(w, proxyError)
}

// hangUp closes the client's connection without a byte of answer, as a broken network does.
func hangUp(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

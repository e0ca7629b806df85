// Package kakaopaytest helps test code that talks to KakaoPay (or its sandbox peer): a clock the
// service and the sandbox share, and a flaky network between the client and KakaoPay.
package kakaopaytest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Faults plays a flaky network between kpcheckout and KakaoPay (an http.Client's Transport): per endpoint,
// the next calls can be dropped after KakaoPay acted ("drop"), answered 500 without reaching
// KakaoPay ("fail"), cut before reaching it ("cut"), or left unanswered after KakaoPay acted
// until the caller gives up ("hang": the caller's deadline passes).
type Faults struct {
	mu    sync.Mutex
	rules map[string]*faultRule
}

type faultRule struct {
	kind string
	n    int // calls left; < 0: every call
}

// NewFaults returns a network without faults.
func NewFaults() *Faults { return &Faults{rules: map[string]*faultRule{}} }

// Set makes the next n calls to endpoint ("cancel", "manage/subscription/inactive", …) fail as
// kind; n < 0 means every call until Clear.
func (f *Faults) Set(endpoint, kind string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules[endpoint] = &faultRule{kind: kind, n: n}
}

// Clear lets the calls to endpoint through again.
func (f *Faults) Clear(endpoint string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.rules, endpoint)
}

func (f *Faults) take(endpoint string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rules[endpoint]
	if r == nil || r.n == 0 {
		return ""
	}
	if r.n > 0 {
		r.n--
	}
	return r.kind
}

// RoundTrip sends req to KakaoPay unless a fault is set for its endpoint.
func (f *Faults) RoundTrip(req *http.Request) (*http.Response, error) {
	switch f.take(strings.TrimPrefix(req.URL.Path, "/online/v1/payment/")) {
	case "drop":
		res, err := http.DefaultTransport.RoundTrip(req)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		return nil, errors.New("fault: connection reset after KakaoPay acted")
	case "fail":
		return &http.Response{StatusCode: 500, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
			Body: io.NopCloser(strings.NewReader(`{"error_code":-9999,"error_message":"fault: internal error"}`))}, nil
	case "cut":
		return nil, errors.New("fault: connection refused")
	case "hang":
		res, err := http.DefaultTransport.RoundTrip(req.WithContext(context.WithoutCancel(req.Context())))
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	return http.DefaultTransport.RoundTrip(req)
}

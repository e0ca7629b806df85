package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestFaultProxy checks each fault against a backend that counts what reaches it, since the
// hostile tests trust the proxy to say truthfully whether KakaoPay acted.
func TestFaultProxy(t *testing.T) {
	var hits atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Backend", "yes")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+" "+r.Header.Get("X-Request-Id")+" "+string(body))
	}))
	t.Cleanup(backend.Close)
	p := newFaultProxy(t, backend.URL)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)

	// call posts to endpoint through the proxy; err is the client's.
	call := func(endpoint string) (int, string, error) {
		req, _ := http.NewRequest("POST", p.URL()+"/online/v1/payment/"+endpoint, strings.NewReader("cid=1"))
		req.Header.Set("Authorization", "SECRET_KEY k")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-Id", "rq-1")
		res, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if res.Header.Get("X-Backend") == "" && res.StatusCode != 500 {
			t.Errorf("%s: backend headers not copied back", endpoint)
		}
		return res.StatusCode, string(b), err
	}
	// expect calls endpoint once and checks the outcome and how many calls reached the backend.
	expect := func(what, endpoint string, wantCode int, wantHits int64) error {
		t.Helper()
		before := hits.Load()
		code, body, err := call(endpoint)
		if wantCode == 0 && err == nil {
			t.Errorf("%s: answered %d %q, want a broken connection", what, code, body)
		}
		if wantCode != 0 && (err != nil || code != wantCode) {
			t.Errorf("%s: %d %q %v, want %d", what, code, body, err, wantCode)
		}
		if wantCode == 500 && !strings.Contains(body, `"error_code":-9999`) {
			t.Errorf("%s: body %q", what, body)
		}
		if wantCode == 201 && body != "POST /online/v1/payment/"+endpoint+" SECRET_KEY k rq-1 cid=1" {
			t.Errorf("%s: body %q not forwarded faithfully", what, body)
		}
		if got := hits.Load() - before; got != wantHits {
			t.Errorf("%s: %d calls reached the backend, want %d", what, got, wantHits)
		}
		return err
	}

	expect("normal", "approve", 201, 1)

	p.set("approve", fault{kind: faultDrop}, 1)
	expect("drop", "approve", 0, 1)
	p.set("approve", fault{kind: faultCut}, 1)
	expect("cut", "approve", 0, 0)
	p.set("approve", fault{kind: faultFail500}, 1)
	expect("fail500", "approve", 500, 0)
	p.set("approve", fault{kind: faultFail500After}, 1)
	expect("fail500After", "approve", 500, 1)

	p.set("approve", fault{kind: faultDelay, delay: 300 * time.Millisecond}, 1)
	start := time.Now()
	expect("delay", "approve", 201, 1)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("delay: answered after %v", d)
	}

	p.set("approve", fault{kind: faultHang}, 1)
	start = time.Now()
	var ne net.Error
	if err := expect("hang", "approve", 0, 1); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("hang: %v, want a client timeout", err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("hang: gave up after %v", d)
	}

	// n counts down, then calls pass again; other endpoints are untouched meanwhile.
	p.set("cancel", fault{kind: faultCut}, 2)
	expect("cut 1/2", "cancel", 0, 0)
	expect("another endpoint", "manage/subscription/inactive", 201, 1)
	expect("cut 2/2", "cancel", 0, 0)
	expect("after the count", "cancel", 201, 1)

	// n < 0 lasts until clear.
	p.set("order", fault{kind: faultFail500}, -1)
	for range 3 {
		expect("fail500 until clear", "order", 500, 0)
	}
	p.clear("order")
	expect("cleared", "order", 201, 1)

	for endpoint, want := range map[string][2]int{
		"approve":                      {7, 5},
		"cancel":                       {3, 1},
		"manage/subscription/inactive": {1, 1},
		"order":                        {4, 1},
		"status":                       {0, 0},
	} {
		if s, f := p.seen(endpoint), p.forwarded(endpoint); s != want[0] || f != want[1] {
			t.Errorf("%s: seen %d forwarded %d, want %d %d", endpoint, s, f, want[0], want[1])
		}
	}
}

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/webhook"
)

// TestWebhooksSurviveASIGKILL: 100 events wait in the outbox while the merchant's endpoint is
// down; the server is killed (SIGKILL) and started again; once the endpoint is back, each event
// arrives exactly once, verified, and a checkout's events in order.
func TestWebhooksSurviveASIGKILL(t *testing.T) {
	t.Parallel()
	r := newCrashRig(t)
	var up atomic.Bool
	var mu sync.Mutex
	seen := map[string]int{}       // event id → deliveries
	order := map[string][]string{} // checkout → event types in arrival order
	var secret atomic.Value
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if !up.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if err := webhook.Verify(secret.Load().(string), req.Header.Get(webhook.SignatureHeader), body, 0); err != nil {
			t.Errorf("a delivery does not verify: %v", err)
			http.Error(w, "bad signature", 400)
			return
		}
		var p struct {
			ID, Type string
			Data     struct{ Object struct{ ID string } }
		}
		json.Unmarshal(body, &p)
		mu.Lock()
		seen[p.ID]++
		order[p.Data.Object.ID] = append(order[p.Data.Object.ID], p.Type)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hooks.Close()

	r.start("")
	var ep struct{ Secret string }
	if code := r.api("POST", "/v1/webhook_endpoints", `{"url":"`+hooks.URL+`/hooks","enabled_events":["checkout.created","checkout.expired"]}`, &ep); code != 201 {
		t.Fatalf("create endpoint: %d", code)
	}
	secret.Store(ep.Secret)
	for range 50 {
		var c struct{ ID string }
		if code := r.api("POST", "/v1/checkouts", `{"amount":1000,"success_url":"http://127.0.0.1/ok","failure_url":"http://127.0.0.1/no"}`, &c); code != 201 {
			t.Fatalf("create: %d", code)
		}
		if code := r.api("POST", "/v1/checkouts/"+c.ID+"/expire", "", nil); code != 200 {
			t.Fatalf("expire: %d", code)
		}
	}
	time.Sleep(1500 * time.Millisecond) // the first tries meet the 503
	r.proc.Process.Signal(syscall.SIGKILL)
	<-r.exited
	r.proc = nil

	up.Store(true)
	r.start("")
	r.waitFor("100 deliveries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == 100
	})
	time.Sleep(time.Second) // nothing more may come
	mu.Lock()
	defer mu.Unlock()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s arrived %d times", id, n)
		}
	}
	if len(order) != 50 {
		t.Errorf("events of %d checkouts, want 50", len(order))
	}
	for c, types := range order {
		if strings.Join(types, ",") != "checkout.created,checkout.expired" {
			t.Errorf("checkout %s: events arrived as %v", c, types)
		}
	}
}

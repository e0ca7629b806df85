package handlerstest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kpcheckout/kpcheckout/webhook"
)

// Receiver is a merchant's webhook endpoint: it verifies each delivery with the Standard
// Webhooks library (not our code) and with webhook.Verify, and answers as told.
type Receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string

	mu     sync.Mutex
	answer []func(w http.ResponseWriter) // one per request, then 204
	got    []webhook.Payload             // verified deliveries, in arrival order
	tries  int
}

// NewReceiver starts a receiver that stops when the test ends.
func NewReceiver(t *testing.T) *Receiver {
	rc := &Receiver{t: t}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.tries++
	var answer func(w http.ResponseWriter)
	if len(rc.answer) > 0 {
		answer, rc.answer = rc.answer[0], rc.answer[1:]
	}
	secret := rc.secret
	rc.mu.Unlock()
	if answer != nil {
		answer(w)
		return
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		rc.t.Errorf("standard webhooks: %v", err)
	}
	if err := wh.Verify(body, r.Header); err != nil {
		rc.t.Errorf("the Standard Webhooks library refuses a delivery: %v", err)
		http.Error(w, "bad signature", 400)
		return
	}
	if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, 0); err != nil {
		rc.t.Errorf("webhook.Verify refuses a delivery: %v", err)
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil || r.Header.Get("Webhook-Id") != p.ID {
		rc.t.Errorf("delivery %s: %v, webhook-id %q", body, err, r.Header.Get("Webhook-Id"))
	}
	rc.mu.Lock()
	rc.got = append(rc.got, p)
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Then queues answers for the next requests.
func (rc *Receiver) Then(answers ...func(w http.ResponseWriter)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = append(rc.answer, answers...)
}

// Received are the verified deliveries, in arrival order.
func (rc *Receiver) Received() []webhook.Payload {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]webhook.Payload(nil), rc.got...)
}

// AnswerStatus is an answer of the receiver: status code.
func AnswerStatus(code int) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) { http.Error(w, fmt.Sprintf("answer %d", code), code) }
}

// EndpointObject is the API's webhook endpoint object.
type EndpointObject struct {
	ID            string   `json:"id"`
	URL           string   `json:"url"`
	EnabledEvents []string `json:"enabled_events"`
	Disabled      bool     `json:"disabled"`
	Secret        string   `json:"secret"`
}

// Endpoint registers rc for events and keeps its secret.
func (rc *Receiver) Endpoint(e *Env, events ...string) EndpointObject {
	rc.t.Helper()
	b, _ := json.Marshal(map[string]any{"url": rc.URL(), "enabled_events": events})
	var ep EndpointObject
	if res := e.API("POST", "/v1/webhook_endpoints", string(b), &ep); res.StatusCode != 201 || !strings.HasPrefix(ep.Secret, "whsec_") {
		rc.t.Fatalf("create endpoint: %d %+v", res.StatusCode, ep)
	}
	rc.mu.Lock()
	rc.secret = ep.Secret
	rc.mu.Unlock()
	return ep
}

// Deliver runs the deliverer until nothing is due (the app's own background Deliverer may take
// some of them: this waits for those too).
func Deliver(t *testing.T, e *Env) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, err := e.Deliverer.DeliverDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		inFlight := e.CountRows(`SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending' AND locked_until > ?`, e.Clock.Now().UnixMilli())
		if n == 0 && inFlight == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("deliveries still due after 10 s")
}

// URL is the receiver's endpoint URL.
func (rc *Receiver) URL() string { return rc.srv.URL + "/hooks" }

// SetSecret makes rc verify what it receives with secret (a rotated one, one a page showed).
func (rc *Receiver) SetSecret(secret string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = secret
}

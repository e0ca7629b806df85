package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/kpcheckout/kpcheckout/webhook"
)

// A merchant's handler for kpcheckout's deliveries: read the raw body, verify
// it, and only then parse it.
func Example() {
	// The endpoint's secret, from kpcheckout; read it from the environment in real code.
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, 0); err != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		var event struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(body, &event); err != nil {
			http.Error(w, "bad JSON", http.StatusBadRequest)
			return
		}
		// Deliveries come at least once: skip an event.ID already handled.
		fmt.Println("received", event.Type, event.ID)
		w.WriteHeader(http.StatusNoContent)
	})

	// What kpcheckout sends, then a forgery with the same headers.
	body := []byte(`{"id":"evt_1","type":"checkout.paid","livemode":false,"data":{"object":{"amount":12000}}}`)
	forged := bytes.Replace(body, []byte("12000"), []byte("120000"), 1)
	header, err := webhook.Sign("evt_1", time.Now(), body, secret)
	if err != nil {
		panic(err)
	}
	for _, b := range [][]byte{body, forged} {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/kpcheckout", bytes.NewReader(b))
		maps.Copy(req.Header, header)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// received checkout.paid evt_1
	// 204
	// 400
}

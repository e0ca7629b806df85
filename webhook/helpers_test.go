package webhook

import (
	"testing"
	"time"
)

// Two fixed secrets: the Standard Webhooks test vector's (24 bytes) and one of
// 32 bytes, as NewSecret makes.
const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
)

var (
	testBody = []byte(`{"id":"evt_1","type":"checkout.paid","created_at":"2026-12-01T15:00:00Z","livemode":false,"data":{"object":{"amount":12000}}}`)
	testNow  = time.Unix(1_700_000_000, 0)
)

// signature signs testBody at t and returns the Kpcheckout-Signature header.
func signature(t *testing.T, at time.Time, secrets ...string) string {
	t.Helper()
	h, err := Sign("evt_1", at, testBody, secrets...)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return h.Get(SignatureHeader)
}

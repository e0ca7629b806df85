package main

// A Standard Webhooks 1.0 verifier in the standard library only: copy this file into your own
// code as it is (https://www.standardwebhooks.com). Any Standard Webhooks library verifies
// kpcheckout's deliveries the same way.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// errSignature refuses a delivery that kpcheckout did not sign with the endpoint's secret now.
var errSignature = errors.New("webhook: bad or stale signature")

// verifyWebhook checks a delivery's raw body against its webhook-id, webhook-timestamp and
// webhook-signature headers: one of the space-separated "v1,<base64>" signatures must be the
// HMAC-SHA256, keyed with the base64 after "whsec_" in the secret, of "{id}.{timestamp}.{body}",
// and the timestamp within tolerance of now (a replayed old delivery is refused).
func verifyWebhook(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return errors.New("webhook: the secret is not whsec_ and base64")
	}
	id, ts := header.Get("webhook-id"), header.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || err != nil {
		return errSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errSignature
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(header.Get("webhook-signature")) {
		version, value, _ := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(value)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errSignature
}

package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the name of kpcheckout's own signature header, the one
// [Verify] checks.
const SignatureHeader = "Kpcheckout-Signature"

// The Standard Webhooks 1.0 headers.
const (
	standardID        = "webhook-id"
	standardTimestamp = "webhook-timestamp"
	standardSignature = "webhook-signature"
)

// Sign signs body, a delivery of the event with the given id sent at t, with each of the
// endpoint's live secrets, and returns the Kpcheckout-Signature header and
// the three Standard Webhooks headers. t is kept to the second.
func Sign(id string, t time.Time, body []byte, secrets ...string) (http.Header, error) {
	if id == "" || strings.ContainsAny(id, " \t\r\n") {
		return nil, errors.New("webhook: empty id or id with white space")
	}
	if len(secrets) == 0 {
		return nil, errors.New("webhook: no secret to sign with")
	}
	ts := strconv.FormatInt(t.Unix(), 10)
	ours := []string{"t=" + ts}
	var standard []string
	for _, secret := range secrets {
		key, err := standardKey(secret)
		if err != nil {
			return nil, err
		}
		ours = append(ours, "v1="+hex.EncodeToString(mac([]byte(secret), ts, body)))
		standard = append(standard, "v1,"+base64.StdEncoding.EncodeToString(mac(key, id+"."+ts, body)))
	}
	h := http.Header{}
	h.Set(SignatureHeader, strings.Join(ours, ","))
	h.Set(standardID, id)
	h.Set(standardTimestamp, ts)
	h.Set(standardSignature, strings.Join(standard, " "))
	return h, nil
}

// mac returns HMAC-SHA256(key, prefix + "." + body).
func mac(key []byte, prefix string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(prefix))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

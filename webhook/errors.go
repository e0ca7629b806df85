package webhook

import "errors"

// Errors returned by [Sign] and [Verify]; test for them with errors.Is.
var (
	// ErrSecret means a secret is not "whsec_" and the standard base64 of 24 to 64 bytes.
	ErrSecret = errors.New("webhook: malformed secret")
	// ErrBadHeader means the Kpcheckout-Signature header is missing, has no t
	// or no v1, or cannot be parsed.
	ErrBadHeader = errors.New("webhook: missing or malformed Kpcheckout-Signature header")
	// ErrSignature means no v1 signature matches the body and the secret.
	ErrSignature = errors.New("webhook: no matching signature")
	// ErrTimestamp means the signature matches but its time is outside the
	// tolerance: an old delivery replayed, or a clock far off.
	ErrTimestamp = errors.New("webhook: timestamp outside tolerance")
)

package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// secretPrefix starts every secret so it is recognisable in config and logs.
const secretPrefix = "whsec_"

// Key lengths Standard Webhooks 1.0 allows for the decoded secret.
const (
	minKeyLen = 24
	maxKeyLen = 64
)

// NewSecret returns a new signing secret: "whsec_" and the standard base64
// of 32 random bytes.
func NewSecret() string {
	key := make([]byte, 32)
	rand.Read(key) // never returns an error; it crashes the program if the system has no randomness
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// standardKey returns the Standard Webhooks key of secret: the decoded base64
// after "whsec_". It also checks the secret's shape for Kpcheckout-Signature,
// which keys with the whole string.
func standardKey(secret string) ([]byte, error) {
	enc, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: does not start with %q", ErrSecret, secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSecret, err)
	}
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return nil, fmt.Errorf("%w: %d bytes after decoding, want %d to %d", ErrSecret, len(key), minKeyLen, maxKeyLen)
	}
	return key, nil
}

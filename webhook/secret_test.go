package webhook

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b {
		t.Fatalf("two secrets are equal: %s", a)
	}
	enc, ok := strings.CutPrefix(a, "whsec_")
	if !ok {
		t.Fatalf("secret %q does not start with whsec_", a)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(key) != 32 {
		t.Fatalf("secret %q: %d bytes, %v; want 32 bytes of standard base64", a, len(key), err)
	}
	if _, err := standardKey(a); err != nil {
		t.Fatalf("standardKey(NewSecret()): %v", err)
	}
}

func TestStandardKeyRejects(t *testing.T) {
	for name, secret := range map[string]string{
		"empty":          "",
		"no prefix":      "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"other prefix":   "sk_test_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"prefix only":    "whsec_",
		"not base64":     "whsec_not base64 at all!",
		"url base64":     "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-_",
		"missing pad":    "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		"16 bytes":       "whsec_AAECAwQFBgcICQoLDA0ODw==",
		"65 bytes":       "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)),
		"trailing space": secretB + " ",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := standardKey(secret); !errors.Is(err, ErrSecret) {
				t.Fatalf("standardKey(%q) = %v, want ErrSecret", secret, err)
			}
		})
	}
}

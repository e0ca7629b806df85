package webhook

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestSignHeaders(t *testing.T) {
	h, err := Sign("evt_1", testNow.Add(900*time.Millisecond), testBody, secretA, secretB)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Kpcheckout-Signature": `^t=1700000000,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$`,
		"webhook-id":           `^evt_1$`,
		"webhook-timestamp":    `^1700000000$`,
		"webhook-signature":    `^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$`,
	}
	for name, pattern := range want {
		if got := h.Values(name); len(got) != 1 || !regexp.MustCompile(pattern).MatchString(got[0]) {
			t.Errorf("%s = %q, want one value matching %s", name, got, pattern)
		}
	}
	if len(h) != len(want) {
		t.Errorf("%d headers, want %d: %v", len(h), len(want), h)
	}
}

// The test vector of the Standard Webhooks libraries.
func TestSignStandardVector(t *testing.T) {
	h, err := Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`), secretA)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Get("webhook-signature"), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("webhook-signature = %q, want %q", got, want)
	}
}

// Secrets must differ in both signatures, in the same order as given.
func TestSignRotationOrder(t *testing.T) {
	ab, _ := Sign("evt_1", testNow, testBody, secretA, secretB)
	a, _ := Sign("evt_1", testNow, testBody, secretA)
	b, _ := Sign("evt_1", testNow, testBody, secretB)
	if got, want := ab.Get(SignatureHeader), a.Get(SignatureHeader)+b.Get(SignatureHeader)[len("t=1700000000"):]; got != want {
		t.Errorf("Kpcheckout-Signature = %q, want %q", got, want)
	}
	if got, want := ab.Get("webhook-signature"), a.Get("webhook-signature")+" "+b.Get("webhook-signature"); got != want {
		t.Errorf("webhook-signature = %q, want %q", got, want)
	}
	if a.Get(SignatureHeader) == b.Get(SignatureHeader) {
		t.Error("two secrets give the same signature")
	}
}

func TestSignErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		id      string
		secrets []string
		is      error
	}{
		{"no secret", "evt_1", nil, nil},
		{"empty id", "", []string{secretA}, nil},
		{"id with a space", "evt 1", []string{secretA}, nil},
		{"id with a newline", "evt_1\r\nX-Evil: 1", []string{secretA}, nil},
		{"malformed secret", "evt_1", []string{"whsec_short"}, ErrSecret},
		{"one malformed of two", "evt_1", []string{secretA, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, ErrSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Sign(tc.id, testNow, testBody, tc.secrets...)
			if err == nil || h != nil {
				t.Fatalf("Sign = %v, %v; want an error", h, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("Sign: %v, want %v", err, tc.is)
			}
		})
	}
}

// The official Standard Webhooks Go library verifies what Sign sends, with
// each secret of a rotation, and signs exactly as Sign does.
func TestSignStandardWebhooksLibrary(t *testing.T) {
	fresh := NewSecret()
	now := time.Now() // the library checks its tolerance against the clock
	h, err := Sign("msg_2Zb3gBHS3GvMLKtrGiyN5tJ6MMi", now, testBody, secretA, secretB, fresh)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{secretA, secretB, fresh} {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatalf("NewWebhook(%q): %v", secret, err)
		}
		if err := wh.Verify(testBody, h); err != nil {
			t.Errorf("library Verify with %q: %v", secret, err)
		}
		if err := wh.Verify(append(bytes.Clone(testBody), ' '), h); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
			t.Errorf("library Verify of a changed body with %q = %v, want ErrNoMatchingSignature", secret, err)
		}
		sig, err := wh.Sign("msg_2Zb3gBHS3GvMLKtrGiyN5tJ6MMi", now, testBody)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(" "+h.Get(standardwebhooks.HeaderWebhookSignature)+" ", " "+sig+" ") {
			t.Errorf("library signature %q not among %q", sig, h.Get(standardwebhooks.HeaderWebhookSignature))
		}
	}
	other, err := standardwebhooks.NewWebhook(NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Verify(testBody, h); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Errorf("library Verify with another secret = %v, want ErrNoMatchingSignature", err)
	}
}

// The shell recipes of the package doc and docs/webhooks.md compute the same v1 as
// Sign, the body given in a file or in a variable.
func TestSignOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	file := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(file, testBody, 0o600); err != nil {
		t.Fatal(err)
	}
	recipes := []string{
		`{ printf '%s.' "$t"; cat "$file"; } | openssl dgst -sha256 -hmac "$secret"`,
		`printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$secret"`,
	}
	for _, secret := range []string{secretA, secretB, NewSecret()} {
		for _, recipe := range recipes {
			openSSL(t, recipe, secret, file)
		}
	}
}

// openSSL runs recipe in sh and compares its HMAC with Sign's v1.
func openSSL(t *testing.T, recipe, secret, file string) {
	t.Helper()
	h, err := Sign("evt_1", testNow, testBody, secret)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", recipe)
	cmd.Env = append(os.Environ(), "t="+strconv.FormatInt(testNow.Unix(), 10), "body="+string(testBody), "file="+file, "secret="+secret)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", recipe, err)
	}
	// OpenSSL 3 prints "SHA2-256(stdin)= <hex>", older ones "(stdin)= <hex>".
	_, hex, ok := strings.Cut(strings.TrimSpace(string(out)), "= ")
	if !ok {
		t.Fatalf("%s printed %q", recipe, out)
	}
	if got, want := h.Get(SignatureHeader), "t=1700000000,v1="+hex; got != want {
		t.Errorf("Sign with %q: %s; %s: %s", secret, got, recipe, want)
	}
}

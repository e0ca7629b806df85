package webhook

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	good := signature(t, testNow, secretA)
	goodV1 := strings.TrimPrefix(good, "t=1700000000,")
	otherV1 := strings.TrimPrefix(signature(t, testNow, secretB), "t=1700000000,")
	for _, tc := range []struct {
		name      string
		secret    string
		header    string
		body      []byte
		tolerance time.Duration
		want      error
	}{
		{name: "good", header: good},
		{name: "tampered body", header: good, body: []byte(strings.Replace(string(testBody), "12000", "1200", 1)), want: ErrSignature},
		{name: "empty body", header: good, body: []byte{}, want: ErrSignature},
		{name: "wrong secret", secret: secretB, header: good, want: ErrSignature},
		{name: "t changed", header: "t=1700000001," + goodV1, want: ErrSignature},
		{name: "signature of the other secret", header: "t=1700000000," + otherV1, want: ErrSignature},
		{name: "uppercase hex", header: "t=1700000000,v1=" + strings.ToUpper(goodV1[3:])},
		{name: "5 minutes old", header: signature(t, testNow.Add(-5*time.Minute), secretA)},
		{name: "old timestamp", header: signature(t, testNow.Add(-5*time.Minute-time.Second), secretA), want: ErrTimestamp},
		{name: "day old", header: signature(t, testNow.Add(-24*time.Hour), secretA), want: ErrTimestamp},
		{name: "5 minutes ahead", header: signature(t, testNow.Add(5*time.Minute), secretA)},
		{name: "future timestamp", header: signature(t, testNow.Add(6*time.Minute), secretA), want: ErrTimestamp},
		{name: "old within a given tolerance", header: signature(t, testNow.Add(-time.Hour), secretA), tolerance: 2 * time.Hour},
		{name: "old beyond a given tolerance", header: signature(t, testNow.Add(-2*time.Minute), secretA), tolerance: time.Minute, want: ErrTimestamp},
		{name: "negative tolerance is the default", header: signature(t, testNow.Add(-4*time.Minute), secretA), tolerance: -time.Second},
		{name: "t of 0", header: signature(t, time.Unix(0, 0), secretA), want: ErrTimestamp},
		{name: "several v1, first matches", header: signature(t, testNow, secretA, secretB)},
		{name: "several v1, second matches", secret: secretB, header: signature(t, testNow, secretA, secretB)},
		{name: "several v1, none matches", secret: NewSecret(), header: signature(t, testNow, secretA, secretB), want: ErrSignature},
		{name: "v1 before t", header: goodV1 + ",t=1700000000"},
		{name: "header with spaces", header: " t=1700000000 ,  " + goodV1 + " "},
		{name: "header with spaces, several v1", header: "t=1700000000, " + otherV1 + ", " + goodV1},
		{name: "unknown scheme skipped", header: "t=1700000000,v0=abc," + goodV1},
		{name: "unknown scheme only", header: "t=1700000000,v2=" + goodV1[3:], want: ErrBadHeader},
		{name: "empty header", header: "", want: ErrBadHeader},
		{name: "blank header", header: "   ", want: ErrBadHeader},
		{name: "garbage header", header: "garbage", want: ErrBadHeader},
		{name: "Standard Webhooks header by mistake", header: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", want: ErrBadHeader},
		{name: "missing t", header: goodV1, want: ErrBadHeader},
		{name: "missing v1", header: "t=1700000000", want: ErrBadHeader},
		{name: "empty t", header: "t=," + goodV1, want: ErrBadHeader},
		{name: "empty v1", header: "t=1700000000,v1=", want: ErrBadHeader},
		{name: "t not a number", header: "t=yesterday," + goodV1, want: ErrBadHeader},
		{name: "t negative", header: "t=-1," + goodV1, want: ErrBadHeader},
		{name: "t in milliseconds overflowing", header: "t=99999999999999999999," + goodV1, want: ErrBadHeader},
		{name: "two t", header: "t=1700000000,t=1700000000," + goodV1, want: ErrBadHeader},
		{name: "v1 not hex", header: "t=1700000000,v1=" + strings.Repeat("zz", 32), want: ErrBadHeader},
		{name: "v1 too short", header: "t=1700000000," + goodV1[:len(goodV1)-2], want: ErrBadHeader},
		{name: "trailing comma", header: good + ",", want: ErrBadHeader},
		{name: "malformed secret", secret: "topsecret", header: good, want: ErrSecret},
		{name: "prefix-only secret", secret: "whsec_", header: good, want: ErrSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret := tc.secret
			if secret == "" {
				secret = secretA
			}
			body := tc.body
			if body == nil {
				body = testBody
			}
			err := VerifyAt(secret, tc.header, body, tc.tolerance, testNow)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("VerifyAt(%q) = %v, want nil", tc.header, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("VerifyAt(%q) = %v, want %v", tc.header, err, tc.want)
			}
			for _, other := range []error{ErrSecret, ErrBadHeader, ErrSignature, ErrTimestamp} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("error %v is also %v", err, other)
				}
			}
		})
	}
}

// Verify itself uses the clock: a header signed now passes, one signed an hour ago does not.
func TestVerifyNow(t *testing.T) {
	if err := Verify(secretA, signature(t, time.Now(), secretA), testBody, 0); err != nil {
		t.Errorf("signed now: %v", err)
	}
	if err := Verify(secretA, signature(t, time.Now().Add(-time.Hour), secretA), testBody, 0); !errors.Is(err, ErrTimestamp) {
		t.Errorf("signed an hour ago: %v, want ErrTimestamp", err)
	}
}

// Every fresh secret verifies what it signed.
func TestVerifyNewSecret(t *testing.T) {
	s := NewSecret()
	if err := VerifyAt(s, signature(t, testNow, s), testBody, 0, testNow); err != nil {
		t.Fatal(err)
	}
}

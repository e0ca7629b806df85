package checkout_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/kakaopay"
)

func TestSignInLocksAfterFiveFailuresOnEveryInstance(t *testing.T) {
	h := newHarness(t)
	cu, err := h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: h.m.ID, Email: "owner@cafe.example"})
	if err != nil {
		t.Fatal(err)
	}
	other := h.anotherInstance()
	// Twenty wrong guesses sent together, half to each instance: five are checked, the rest
	// are refused unchecked.
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[error]int{}
	for i := range 20 {
		svc := h.svc
		if i%2 == 1 {
			svc = other
		}
		wg.Go(func() {
			_, err := svc.SignIn(h.ctx, "owner@cafe.example", "wrong password!", "192.0.2.1")
			mu.Lock()
			got[err]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got[checkout.ErrBadLogin] != checkout.MaxLoginFailures || got[checkout.ErrLoginLocked] != 20-checkout.MaxLoginFailures {
		t.Fatalf("answers: %v", got)
	}
	// The right password from another address: the account is locked, on both instances.
	for _, svc := range []*checkout.Service{h.svc, other} {
		if _, err := svc.SignIn(h.ctx, "OWNER@cafe.example", cu.Password, "198.51.100.7"); !errors.Is(err, checkout.ErrLoginLocked) {
			t.Errorf("the right password while locked: %v", err)
		}
	}
	// Another account from the locked address is locked too.
	if _, err := other.SignIn(h.ctx, "nobody@cafe.example", "whatever it is", "192.0.2.1"); !errors.Is(err, checkout.ErrLoginLocked) {
		t.Errorf("the locked address: %v", err)
	}
	h.clock.Add(checkout.LoginLockout)
	u, err := other.SignIn(h.ctx, "owner@cafe.example", cu.Password, "198.51.100.7")
	if err != nil || u.ID != cu.User.ID {
		t.Fatalf("after the lockout: %v", err)
	}
	// A success forgets the account's failures: four more are allowed before a lock again.
	for range checkout.MaxLoginFailures - 1 {
		h.svc.SignIn(h.ctx, "owner@cafe.example", "wrong password!", "203.0.113.9")
	}
	if _, err := h.svc.SignIn(h.ctx, "owner@cafe.example", cu.Password, "203.0.113.9"); err != nil {
		t.Errorf("the fifth try, right: %v", err)
	}
}

func TestSharedSecretIsMadeOnceForEveryInstance(t *testing.T) {
	h := newHarness(t)
	other := h.anotherInstance()
	var wg sync.WaitGroup
	secrets := make([][]byte, 10)
	for i := range secrets {
		svc := h.svc
		if i%2 == 1 {
			svc = other
		}
		wg.Go(func() {
			v, err := svc.SharedSecret(h.ctx, "session")
			if err != nil {
				t.Error(err)
			}
			secrets[i] = v
		})
	}
	wg.Wait()
	for _, v := range secrets {
		if len(v) != 32 || string(v) != string(secrets[0]) {
			t.Fatalf("secrets differ: %x", secrets)
		}
	}
}

// anotherInstance is a second service over h's database: what another kpcheckout process sees.
func (h *harness) anotherInstance() *checkout.Service {
	h.t.Helper()
	kp, err := kakaopay.New(kakaopay.Options{BaseURL: h.sbURL, SecretKey: "test-secret"})
	if err != nil {
		h.t.Fatal(err)
	}
	svc, err := checkout.New(checkout.Config{Store: h.db, KakaoPay: kp, ReturnURL: returnURL("http://127.0.0.1:1"), Now: h.clock.Now})
	if err != nil {
		h.t.Fatal(err)
	}
	return svc
}

package accounts_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app/apptest"
)

func TestSignInLocksAfterFiveFailuresOnEveryInstance(t *testing.T) {
	h := apptest.New(t)
	cu := addUser(h, accounts.UserParams{MerchantID: h.M.ID, Email: "owner@cafe.example"})
	other := anotherInstance(h)
	// Twenty wrong guesses sent together, half to each instance: five are checked, the rest
	// are refused unchecked.
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[error]int{}
	for i := range 20 {
		svc := h.Users
		if i%2 == 1 {
			svc = other
		}
		wg.Go(func() {
			_, err := svc.SignIn(h.Ctx, "owner@cafe.example", "wrong password!", "192.0.2.1")
			if errors.Is(err, accounts.ErrLoginLocked) {
				err = accounts.ErrLoginLocked
			}
			mu.Lock()
			got[err]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got[accounts.ErrBadLogin] != accounts.MaxLoginFailures || got[accounts.ErrLoginLocked] != 20-accounts.MaxLoginFailures {
		t.Fatalf("answers: %v", got)
	}
	// The right password from another address, at once: the account must wait, on both instances.
	for _, svc := range []*accounts.Users{h.Users, other} {
		if _, err := svc.SignIn(h.Ctx, "OWNER@cafe.example", cu.Password, "198.51.100.7"); !errors.Is(err, accounts.ErrLoginLocked) {
			t.Errorf("the right password while locked: %v", err)
		}
	}
	// Another account from the locked address is locked too, for LoginLockout.
	var locked *accounts.LoginLockedError
	if _, err := other.SignIn(h.Ctx, "nobody@cafe.example", "whatever it is", "192.0.2.1"); !errors.As(err, &locked) || locked.Wait != accounts.LoginLockout {
		t.Errorf("the locked address: %v", err)
	}
	h.Clock.Add(accounts.LoginLockout)
	res, err := other.SignIn(h.Ctx, "owner@cafe.example", cu.Password, "198.51.100.7")
	if err != nil || res.User == nil || res.User.ID != cu.User.ID {
		t.Fatalf("after the lockout: %v", err)
	}
	// A success takes back its own attempt only: the account keeps its five failures, so that
	// one more makes the next attempt wait 2 s.
	if _, err := h.Users.SignIn(h.Ctx, "owner@cafe.example", "wrong password!", "203.0.113.9"); !errors.Is(err, accounts.ErrBadLogin) {
		t.Fatalf("a failure after the success: %v", err)
	}
	if _, err := h.Users.SignIn(h.Ctx, "owner@cafe.example", cu.Password, "203.0.113.9"); !errors.As(err, &locked) || locked.Wait != 2*time.Second {
		t.Errorf("the right password at once: %v", err)
	}
	h.Clock.Add(2 * time.Second)
	if _, err := h.Users.SignIn(h.Ctx, "owner@cafe.example", cu.Password, "203.0.113.9"); err != nil {
		t.Errorf("the right password 2 s later: %v", err)
	}
}

func TestSharedSecretIsMadeOnceForEveryInstance(t *testing.T) {
	h := apptest.New(t)
	other := anotherInstance(h)
	var wg sync.WaitGroup
	secrets := make([][]byte, 10)
	for i := range secrets {
		svc := h.Users
		if i%2 == 1 {
			svc = other
		}
		wg.Go(func() {
			v, err := svc.SharedSecret(h.Ctx, "session")
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

// anotherInstance is the users of a second instance over h's database: what another
// kpcheckout process sees.
func anotherInstance(h *apptest.Harness) *accounts.Users {
	h.T.Helper()
	return h.Another(apptest.Options{}).Users
}

func TestSignInWaitsGrowPerAccountInsteadOfLockingTheOwnerOut(t *testing.T) {
	h := apptest.New(t)
	const email = "owner@cafe.example"
	cu := addUser(h, accounts.UserParams{MerchantID: h.M.ID, Email: email})
	// The attacker guesses from a new address each time, so that no address is locked.
	n := 0
	guess := func() error {
		n++
		_, err := h.Users.SignIn(h.Ctx, email, "wrong password!", fmt.Sprintf("192.0.2.%d", n))
		return err
	}
	for i := range accounts.MaxLoginFailures {
		if err := guess(); !errors.Is(err, accounts.ErrBadLogin) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	if err := guess(); !errors.Is(err, accounts.ErrLoginLocked) {
		t.Fatalf("a sixth guess at once: %v", err)
	}
	// The owner, from an address of its own, gets in once a second has passed, not 15 minutes.
	h.Clock.Add(time.Second)
	if _, err := h.Users.SignIn(h.Ctx, email, cu.Password, "198.51.100.7"); err != nil {
		t.Fatalf("the owner a second later: %v", err)
	}
	// The owner's sign-in neither starts a wait nor clears what the guesses counted: the next
	// guess goes at once, and each one after it waits twice as long as the one before, up to
	// LoginLockout.
	if err := guess(); !errors.Is(err, accounts.ErrBadLogin) {
		t.Fatalf("the guess after the owner's sign-in: %v", err)
	}
	wait := 2 * time.Second
	for i := range 12 {
		h.Clock.Add(wait - time.Millisecond)
		var locked *accounts.LoginLockedError
		if err := guess(); !errors.As(err, &locked) || locked.Wait != time.Millisecond {
			t.Fatalf("guess %d, a millisecond before its %s: %v", accounts.MaxLoginFailures+2+i, wait, err)
		}
		h.Clock.Add(time.Millisecond)
		if err := guess(); !errors.Is(err, accounts.ErrBadLogin) {
			t.Fatalf("guess %d after %s: %v", accounts.MaxLoginFailures+2+i, wait, err)
		}
		wait = min(2*wait, accounts.LoginLockout)
	}
	if wait != accounts.LoginLockout {
		t.Fatalf("the wait grew to %s", wait)
	}
}

func TestSignInCountsAnIPv6ClientByItsSlash64(t *testing.T) {
	h := apptest.New(t)
	try := func(i int, addr string) error {
		_, err := h.Users.SignIn(h.Ctx, fmt.Sprintf("user%d@cafe.example", i), "wrong password!", addr)
		return err
	}
	// Each failure on an account of its own, from another address of one /64.
	for i := range accounts.MaxLoginFailures {
		if err := try(i, fmt.Sprintf("2001:db8:1:2::%x", i+1)); !errors.Is(err, accounts.ErrBadLogin) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if err := try(10, "2001:db8:1:2:ffff:ffff:ffff:ffff"); !errors.Is(err, accounts.ErrLoginLocked) {
		t.Errorf("another address of the /64: %v", err)
	}
	if err := try(11, "2001:db8:1:3::1"); !errors.Is(err, accounts.ErrBadLogin) {
		t.Errorf("the next /64: %v", err)
	}
	// IPv4 counts by the whole address, and an IPv4-mapped IPv6 address is that IPv4 address.
	for i := range accounts.MaxLoginFailures {
		addr := "192.0.2.1"
		if i%2 == 1 {
			addr = "::ffff:192.0.2.1"
		}
		if err := try(20+i, addr); !errors.Is(err, accounts.ErrBadLogin) {
			t.Fatalf("IPv4 failure %d: %v", i+1, err)
		}
	}
	if err := try(30, "192.0.2.1"); !errors.Is(err, accounts.ErrLoginLocked) {
		t.Errorf("the IPv4 address after five failures: %v", err)
	}
	if err := try(31, "192.0.2.2"); !errors.Is(err, accounts.ErrBadLogin) {
		t.Errorf("its neighbour: %v", err)
	}
}

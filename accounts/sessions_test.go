package accounts_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/store"
)

// signedIn makes a user of h's merchant and signs it in on svc; it answers the user, its
// password and the session's token.
func signedIn(h *apptest.Harness, svc *accounts.Users, email string) (*store.User, string, string) {
	h.T.Helper()
	cu := addUser(h, accounts.UserParams{MerchantID: h.M.ID, Email: email})
	token, err := svc.StartSession(h.Ctx, cu.User, "")
	if err != nil {
		h.T.Fatal(err)
	}
	return cu.User, cu.Password, token
}

func TestSessionEndsOnEveryInstance(t *testing.T) {
	h := apptest.New(t)
	other := anotherInstance(h)
	u, _, token := signedIn(h, h.Users, "owner@cafe.example")
	if got, err := other.SessionUser(h.Ctx, token); err != nil || got.ID != u.ID {
		t.Fatalf("the session on the other instance: %v %v", got, err)
	}
	if err := other.EndSession(h.Ctx, token); err != nil {
		t.Fatal(err)
	}
	for i, svc := range []*accounts.Users{h.Users, other} {
		if _, err := svc.SessionUser(h.Ctx, token); !errors.Is(err, accounts.ErrSignedOut) {
			t.Errorf("instance %d after signing out on the other: %v", i, err)
		}
	}
	if err := h.Users.EndSession(h.Ctx, token); err != nil {
		t.Errorf("signing out twice: %v", err)
	}
	if _, err := h.Users.SessionUser(h.Ctx, "not-a-token"); !errors.Is(err, accounts.ErrSignedOut) {
		t.Errorf("a made-up token: %v", err)
	}
}

func TestPasswordChangeEndsEverySessionOfTheUser(t *testing.T) {
	h := apptest.New(t)
	u, password, first := signedIn(h, h.Users, "owner@cafe.example")
	second, err := h.Users.StartSession(h.Ctx, u, "")
	if err != nil {
		t.Fatal(err)
	}
	_, _, someoneElse := signedIn(h, h.Users, "staff@cafe.example")
	changed, err := h.Users.ChangePassword(h.Ctx, u.ID, password, "a much longer secret 42")
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{first, second} {
		if _, err := h.Users.SessionUser(h.Ctx, token); !errors.Is(err, accounts.ErrSignedOut) {
			t.Errorf("a session from before the change: %v", err)
		}
	}
	if _, err := h.Users.SessionUser(h.Ctx, someoneElse); err != nil {
		t.Errorf("another user's session: %v", err)
	}
	// A sign-in whose password was checked before the change cannot begin after it.
	if _, err := h.Users.StartSession(h.Ctx, u, ""); !errors.Is(err, accounts.ErrBadLogin) {
		t.Errorf("a session for the old password: %v", err)
	}
	if token, err := h.Users.StartSession(h.Ctx, changed, ""); err != nil {
		t.Errorf("a session for the new password: %v", err)
	} else if _, err := h.Users.SessionUser(h.Ctx, token); err != nil {
		t.Errorf("the new session: %v", err)
	}
}

func TestSignInReplacesThisBrowsersSession(t *testing.T) {
	h := apptest.New(t)
	u, _, earlier := signedIn(h, h.Users, "owner@cafe.example")
	token, err := h.Users.StartSession(h.Ctx, u, earlier)
	if err != nil || token == earlier {
		t.Fatalf("a new session: %q %v", token, err)
	}
	if _, err := h.Users.SessionUser(h.Ctx, earlier); !errors.Is(err, accounts.ErrSignedOut) {
		t.Errorf("the replaced session: %v", err)
	}
	if n := h.Number(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
}

func TestReconcileDropsEndedSessions(t *testing.T) {
	h := apptest.New(t)
	_, _, idle := signedIn(h, h.Users, "idle@cafe.example")
	_, _, busy := signedIn(h, h.Users, "busy@cafe.example")
	for range 2 { // 58 minutes of a request every 29: the busy one lives, the idle one lapses
		h.Clock.Add(29 * time.Minute)
		if _, err := h.Users.SessionUser(h.Ctx, busy); err != nil {
			t.Fatalf("the busy session: %v", err)
		}
	}
	h.Reconcile()
	if n := h.Number(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Errorf("%d sessions after the idle one lapsed, want 1", n)
	}
	if _, err := h.Users.SessionUser(h.Ctx, idle); !errors.Is(err, accounts.ErrSignedOut) {
		t.Errorf("the idle session: %v", err)
	}
	h.Clock.Add(accounts.SessionLifetime)
	h.Reconcile()
	if n := h.Number(`SELECT COUNT(*) FROM sessions`); n != 0 {
		t.Errorf("%d sessions after 12 hours, want none", n)
	}
}

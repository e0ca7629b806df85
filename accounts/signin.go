package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Sign-in throttle, on two counts of failed sign-ins kept in the database, so that every
// instance over it counts the same failures and a restart forgets none:
//   - an account's: the e-mail typed, whether or not it has accounts. MaxLoginFailures failures
//     are free; then each further attempt must wait, after the last failure, twice as long as
//     the one before: 1 s, 2 s, 4 s … up to LoginLockout. Guessing stays slow, while whoever
//     knows the address cannot lock its owner out for long: the owner, from another address,
//     waits the current step. The count is forgotten LoginFailureMemory after its last failure.
//   - a client address's (an IPv6 address by its /64, the least a subscriber is given):
//     MaxLoginFailures failures lock it for LoginLockout.
//
// A right password takes back only its own attempt: a success lowers no count below what
// failures made, so that someone who can sign in to an account of their own (at their own
// shop, under another's e-mail) cannot buy more guesses at the other accounts of that e-mail, or
// from that address.
const (
	MaxLoginFailures = 5
	LoginLockout     = 15 * time.Minute
	// From 3.5 h on, waiting for a count to be forgotten and starting over (15 guesses in 17
	// minutes) is no faster than a guess every LoginLockout.
	LoginFailureMemory = 4 * time.Hour
)

// ErrLoginLocked means too many sign-ins failed lately for this account or this address; the
// error is a *LoginLockedError, which says how long to wait.
var ErrLoginLocked = errors.New("accounts: too many failed sign-ins; try again later")

// LoginLockedError is ErrLoginLocked with the time left before an attempt is checked again.
type LoginLockedError struct {
	Wait time.Duration
}

// Error says that sign-ins are throttled.
func (e *LoginLockedError) Error() string { return ErrLoginLocked.Error() }

// Unwrap makes errors.Is(err, ErrLoginLocked) hold.
func (e *LoginLockedError) Unwrap() error { return ErrLoginLocked }

// SignInResult is a sign-in whose password was right.
type SignInResult struct {
	// User is the user signed in, when the password is that of one account.
	User *store.User
	// Choices, when the password is that of the e-mail's accounts at several merchants, are
	// those merchants, oldest account first: nobody is signed in until one is chosen
	// (ChooseSignIn). Accounts whose password this is not are never offered.
	Choices []SignInChoice
}

// SignInChoice is one merchant a sign-in may open.
type SignInChoice struct {
	Merchant string // its display name
	Token    string // for ChooseSignIn: signed, valid for LoginChoiceTTL
}

// SignIn checks a dashboard user's e-mail and password, throttled per account and per client
// address. It answers ErrBadLogin for an unknown e-mail and a wrong password alike, and a
// *LoginLockedError, without checking the password, while the account or the address must wait.
func (s *Users) SignIn(ctx context.Context, email, password, addr string) (*SignInResult, error) {
	var users []*store.User
	err := s.throttled(ctx, email, addr, func() error {
		var err error
		users, err = s.Authenticate(ctx, email, password)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(users) == 1 {
		return &SignInResult{User: users[0]}, nil
	}
	return s.signInChoices(ctx, users)
}

// CheckPassword tells whether password is u's (nil) or not (ErrBadLogin), counted by the
// sign-in throttle as a sign-in with u's e-mail from addr, so that a stolen session cannot guess
// it faster than the sign-in form could.
func (s *Users) CheckPassword(ctx context.Context, u *store.User, password, addr string) error {
	return s.throttled(ctx, u.Email, addr, func() error {
		if !checkPassword(u.PasswordHash, password) {
			return ErrBadLogin
		}
		return nil
	})
}

// throttled runs check, a password check, as one attempt of the sign-in throttle. The attempt
// is counted as a failure before check runs, so that guesses sent in parallel cannot pass the
// limits, and taken back when check passes.
func (s *Users) throttled(ctx context.Context, email, addr string, check func() error) error {
	a, err := s.countAttempt(ctx, email, addr)
	if err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	if err := s.takeBack(ctx, a); err != nil {
		return wrapf("sign in", err)
	}
	return nil
}

// loginAttempt is one counted attempt: its keys (the account's, then the address's) and what
// they counted before it.
type loginAttempt struct {
	keys   [2]string
	before [2]store.LoginFailures
	at     time.Time // to the millisecond the store keeps
}

// countAttempt counts an attempt as a failure of its account and its address, or refuses it,
// uncounted, with a *LoginLockedError while either must wait.
func (s *Users) countAttempt(ctx context.Context, email, addr string) (*loginAttempt, error) {
	// The account's key is a hash of what was typed: bounded in size whatever is sent, and no
	// e-mail address is kept for a failed sign-in.
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	a := &loginAttempt{keys: [2]string{"email:" + hex.EncodeToString(sum[:]), addressKey(addr)},
		at: s.clock.Now().Truncate(time.Millisecond)}
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		var wait time.Duration
		for i, k := range a.keys {
			f, err := tx.LoginFailures(ctx, k)
			if err != nil {
				return err
			}
			f = loginCount(i == 0, f, a.at)
			a.before[i], wait = f, max(wait, loginWait(i == 0, f, a.at))
		}
		if wait > 0 {
			return &LoginLockedError{Wait: wait}
		}
		for i, k := range a.keys {
			if err := tx.PutLoginFailures(ctx, k, store.LoginFailures{Count: a.before[i].Count + 1, Last: a.at}); err != nil {
				return err
			}
		}
		return nil
	})
	var locked *LoginLockedError
	if errors.As(err, &locked) {
		return nil, locked
	}
	if err != nil {
		return nil, wrapf("sign in", err)
	}
	return a, nil
}

// loginCount is f, an account's count (account) or an address's, as it counts at now: nothing
// once forgotten.
func loginCount(account bool, f store.LoginFailures, now time.Time) store.LoginFailures {
	memory := LoginLockout
	if account {
		memory = LoginFailureMemory
	}
	if now.Sub(f.Last) >= memory {
		return store.LoginFailures{}
	}
	return f
}

// loginWait is how long an attempt at now must still wait for a live count f of an account's
// failures (account) or an address's; zero or less when it may go ahead.
func loginWait(account bool, f store.LoginFailures, now time.Time) time.Duration {
	if f.Count < MaxLoginFailures {
		return 0
	}
	wait := LoginLockout
	if account {
		wait = min(time.Second<<min(f.Count-MaxLoginFailures, 30), LoginLockout)
	}
	return wait - now.Sub(f.Last)
}

// takeBack takes a right password's attempt off its counts. Where no attempt came since, each
// count is as it was before (its last failure too, so that no new wait starts); otherwise it
// loses one.
func (s *Users) takeBack(ctx context.Context, a *loginAttempt) error {
	return s.store.Transact(ctx, func(tx store.Tx) error {
		for i, k := range a.keys {
			f, err := tx.LoginFailures(ctx, k)
			if err != nil {
				return err
			}
			switch {
			case f.Count == a.before[i].Count+1 && f.Last.Equal(a.at):
				f = a.before[i]
			case f.Count > 0:
				f.Count--
			}
			if err := tx.PutLoginFailures(ctx, k, f); err != nil {
				return err
			}
		}
		return nil
	})
}

// addressKey is the throttle's key of a client address: an IPv4 address (an IPv4-mapped IPv6
// one too) by itself, an IPv6 address by its /64, since a subscriber is given a whole /64 (often
// more) and would otherwise have 2^64 addresses to guess from.
func addressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return "ip:" + addr
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return "ip:" + a.String()
	}
	return "ip:" + netip.PrefixFrom(a, 64).Masked().String()
}

// LoginChoiceTTL is how long the choice of merchant that a sign-in offers stays valid.
const LoginChoiceTTL = 5 * time.Minute

// ErrChoiceExpired means a sign-in's choice of merchant is not one SignIn made, is older than
// LoginChoiceTTL, or its user is gone or has another password since.
var ErrChoiceExpired = errors.New("accounts: the sign-in choice is no longer valid; sign in again")

// choiceSecret names the shared secret that signs the choices.
const choiceSecret = "signin_choice"

// signInChoices offers the merchants of users, whose password was just checked.
func (s *Users) signInChoices(ctx context.Context, users []*store.User) (*SignInResult, error) {
	key, err := s.SharedSecret(ctx, choiceSecret)
	if err != nil {
		return nil, err
	}
	expires := s.clock.Now().Add(LoginChoiceTTL).UnixMilli()
	res := &SignInResult{}
	for _, u := range users {
		m, err := s.store.Merchant(ctx, u.MerchantID)
		if err != nil {
			return nil, wrapf("sign in", err)
		}
		payload := u.ID + "." + strconv.FormatInt(expires, 10)
		res.Choices = append(res.Choices, SignInChoice{Merchant: m.Name,
			Token: payload + "." + base64.RawURLEncoding.EncodeToString(choiceMAC(key, payload, u))})
	}
	return res, nil
}

// ChooseSignIn signs in the user of a choice that SignIn offered. The choice names the user and
// when it expires, signed with a secret every instance shares over the user's password hash as
// well, so that it ends with a new password.
func (s *Users) ChooseSignIn(ctx context.Context, token string) (*store.User, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, ErrChoiceExpired
	}
	expires, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !s.clock.Now().Before(time.UnixMilli(expires)) {
		return nil, ErrChoiceExpired
	}
	mac, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, ErrChoiceExpired
	}
	key, err := s.SharedSecret(ctx, choiceSecret)
	if err != nil {
		return nil, err
	}
	u, err := s.store.User(ctx, parts[0])
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrChoiceExpired
	}
	if err != nil {
		return nil, wrapf("choose sign-in", err)
	}
	if !hmac.Equal(mac, choiceMAC(key, parts[0]+"."+parts[1], u)) {
		return nil, ErrChoiceExpired
	}
	return u, nil
}

// choiceMAC signs a choice's payload for u as it is now.
func choiceMAC(key []byte, payload string, u *store.User) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kpcheckout sign-in choice\x00" + payload + "\x00" + u.PasswordHash))
	return m.Sum(nil)
}

// SharedSecret returns the secret of this name that every instance over the database shares
// (the dashboard's session key when none is configured), making a random 32 bytes the first
// time.
func (s *Users) SharedSecret(ctx context.Context, name string) ([]byte, error) {
	for range 2 {
		v, err := s.store.Secret(ctx, name)
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, wrapf("shared secret", err)
		}
		v = make([]byte, 32)
		rand.Read(v)
		err = s.store.Transact(ctx, func(tx store.Tx) error { return tx.CreateSecret(ctx, name, v) })
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, store.ErrConflict) { // another instance made it first: read that one
			return nil, wrapf("shared secret", err)
		}
	}
	return nil, wrapf("shared secret", errors.New("made and lost twice"))
}

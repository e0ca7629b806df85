package checkout

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Sign-in throttle: after MaxLoginFailures failures an account (by the e-mail typed, whether it
// exists or not) or a client address is locked for LoginLockout. The counts are rows in the
// database, so every instance over it counts the same failures and a restart forgets none.
const (
	MaxLoginFailures = 5
	LoginLockout     = 15 * time.Minute
)

// ErrLoginLocked means too many sign-ins failed lately for this account or this address.
var ErrLoginLocked = errors.New("checkout: too many failed sign-ins; try again later")

// SignIn checks a dashboard user's e-mail and password, throttled per account and per client
// address. The attempt is counted as a failure before the password is checked, so that guesses
// sent in parallel cannot pass the limit; a right password takes the count back. It answers
// ErrBadLogin for an unknown e-mail and a wrong password alike, and ErrLoginLocked, without
// checking the password, while a lock lasts.
func (s *Service) SignIn(ctx context.Context, email, password, addr string) (*store.User, error) {
	// The account's key is a hash of what was typed: bounded in size whatever is sent, and no
	// e-mail address is kept for a failed sign-in.
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	keys := []string{"email:" + hex.EncodeToString(sum[:]), "ip:" + addr}
	now := s.clock()
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		counts := make([]store.LoginFailures, len(keys))
		for i, k := range keys {
			f, err := tx.LoginFailures(ctx, k)
			if err != nil {
				return err
			}
			if now.Sub(f.Last) >= LoginLockout {
				f = store.LoginFailures{}
			}
			if f.Count >= MaxLoginFailures {
				return ErrLoginLocked
			}
			counts[i] = f
		}
		for i, k := range keys {
			if err := tx.PutLoginFailures(ctx, k, store.LoginFailures{Count: counts[i].Count + 1, Last: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrLoginLocked) {
		return nil, err
	}
	if err != nil {
		return nil, wrapf("sign in", err)
	}
	u, err := s.AuthenticateUser(ctx, email, password)
	if err != nil {
		return nil, err
	}
	// The account's failures are forgotten; the address keeps its earlier ones (one good
	// password does not clear an address that guesses at other accounts).
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		if err := tx.PutLoginFailures(ctx, keys[0], store.LoginFailures{}); err != nil {
			return err
		}
		f, err := tx.LoginFailures(ctx, keys[1])
		if err != nil || f.Count == 0 {
			return err
		}
		f.Count--
		return tx.PutLoginFailures(ctx, keys[1], f)
	})
	if err != nil {
		return nil, wrapf("sign in", err)
	}
	return u, nil
}

// SharedSecret returns the secret of this name that every instance over the database shares
// (the dashboard's session key when none is configured), making a random 32 bytes the first
// time.
func (s *Service) SharedSecret(ctx context.Context, name string) ([]byte, error) {
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

package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Dashboard session limits: idle since the last request, and since signing in.
const (
	SessionIdle     = 30 * time.Minute
	SessionLifetime = 12 * time.Hour
)

// ErrSignedOut means a dashboard session token names no live session: signed out, ended by a
// password change or the user's removal, idle or expired, or never made here.
var ErrSignedOut = errors.New("accounts: not signed in")

// StartSession signs u in with a new session and answers its token, which only the browser
// keeps (the database keeps its hash). The session of replaces, this browser's earlier one if
// any, ends in the same transaction: a sign-in never carries a session over. u is as it was
// when its password was checked; when the password has changed since, the sign-in is refused
// with ErrBadLogin, so that a sign-in racing a password change cannot outlive it.
func (s *Users) StartSession(ctx context.Context, u *store.User, replaces string) (string, error) {
	token := rand.Text()
	now := s.clock.Now()
	se := &store.Session{ID: sessionID(token), UserID: u.ID, CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(SessionLifetime)}
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		cur, err := tx.User(ctx, u.ID)
		if errors.Is(err, store.ErrNotFound) || err == nil && cur.PasswordHash != u.PasswordHash {
			return ErrBadLogin
		}
		if err != nil {
			return err
		}
		if replaces != "" {
			if err := tx.DeleteSession(ctx, sessionID(replaces)); err != nil {
				return err
			}
		}
		return tx.CreateSession(ctx, se)
	})
	if errors.Is(err, ErrBadLogin) {
		return "", err
	}
	if err != nil {
		return "", wrapf("start session", err)
	}
	return token, nil
}

// SessionUser answers the user whose live session token is, read now: a role changed since
// signing in applies at once. A session idle for SessionIdle or older than SessionLifetime
// ends (ErrSignedOut). It records the request, at most once a minute per session.
func (s *Users) SessionUser(ctx context.Context, token string) (*store.User, error) {
	if token == "" {
		return nil, ErrSignedOut
	}
	id := sessionID(token)
	se, err := s.store.Session(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSignedOut
	}
	if err != nil {
		return nil, wrapf("session", err)
	}
	now := s.clock.Now()
	if now.After(se.ExpiresAt) || now.Sub(se.SeenAt) > SessionIdle {
		if err := s.EndSession(ctx, token); err != nil {
			s.log.WarnContext(ctx, "ending a lapsed session", "err", err)
		}
		return nil, ErrSignedOut
	}
	u, err := s.store.User(ctx, se.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSignedOut
	}
	if err != nil {
		return nil, wrapf("session", err)
	}
	s.touchSession(ctx, se, now)
	return u, nil
}

// touchSession records that se was used at now when its recorded use is a minute old or more,
// so that most requests write nothing; idle time is thus counted from a request at most a
// minute older than the last one. A failed write fails no request.
func (s *Users) touchSession(ctx context.Context, se *store.Session, now time.Time) {
	if now.Sub(se.SeenAt) < touchEvery {
		return
	}
	err := s.store.Transact(ctx, func(tx store.Tx) error { return tx.TouchSession(ctx, se.ID, now, now.Add(-touchEvery)) })
	if err != nil {
		s.log.WarnContext(ctx, "recording a session's use", "err", err)
	}
}

// EndSession signs the session of token out, on every instance and for every copy of its
// cookie; a session already ended is no error.
func (s *Users) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	err := s.store.Transact(ctx, func(tx store.Tx) error { return tx.DeleteSession(ctx, sessionID(token)) })
	if err != nil {
		return wrapf("end session", err)
	}
	return nil
}

// sessionID is the stored id of a session token: its SHA-256, so that what the database holds
// cannot be sent as a cookie.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Sweep forgets what sign-in keeps only for a while: the dashboard sessions that expired or went
// idle without signing out, and the failed sign-ins that no longer count (so that sign-ins with
// ever new e-mails do not grow the table for ever). The server runs it with the reconciliation.
func (s *Users) Sweep(ctx context.Context) error {
	now := s.clock.Now()
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		if _, err := tx.DropEndedSessions(ctx, now, now.Add(-SessionIdle)); err != nil {
			return err
		}
		_, err := tx.ForgetLoginFailures(ctx, now.Add(-LoginFailureMemory))
		return err
	})
	if err != nil {
		return wrapf("sweep", err)
	}
	return nil
}

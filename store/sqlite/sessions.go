package sqlite

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const sessionColumns = `id, user_id, created_at, seen_at, expires_at`

// CreateSession inserts a dashboard session.
func (t txQueries) CreateSession(ctx context.Context, s *store.Session) error {
	_, err := t.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (`+placeholders(5)+`)`,
		s.ID, s.UserID, ms(s.CreatedAt), ms(s.SeenAt), ms(s.ExpiresAt))
	return wrap("create session", err)
}

// TouchSession records a request unless one at or after notBefore is recorded already.
func (t txQueries) TouchSession(ctx context.Context, id string, at, notBefore time.Time) error {
	_, err := t.exec(ctx, `UPDATE sessions SET seen_at = ? WHERE id = ? AND seen_at < ?`, ms(at), id, ms(notBefore))
	return wrap("touch session", err)
}

// DeleteSession ends a session, if it is still there.
func (t txQueries) DeleteSession(ctx context.Context, id string) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return wrap("delete session", err)
}

// DeleteUserSessions ends every session of a user.
func (t txQueries) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return t.deleteSessions(ctx, "delete user sessions", `DELETE FROM sessions WHERE user_id = ?`, userID)
}

// DropEndedSessions deletes expired and idle sessions.
func (t txQueries) DropEndedSessions(ctx context.Context, now, idleSince time.Time) (int, error) {
	return t.deleteSessions(ctx, "drop ended sessions", `DELETE FROM sessions WHERE expires_at <= ? OR seen_at < ?`, ms(now), ms(idleSince))
}

func (t txQueries) deleteSessions(ctx context.Context, op, query string, args ...any) (int, error) {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return 0, wrap(op, err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(op, err)
}

// Session reads a dashboard session by id.
func (q queries) Session(ctx context.Context, id string) (*store.Session, error) {
	var s store.Session
	var created, seen, expires int64
	err := q.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id).Scan(&s.ID, &s.UserID, &created, &seen, &expires)
	if err != nil {
		return nil, wrap("session", err)
	}
	s.CreatedAt, s.SeenAt, s.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return &s, nil
}

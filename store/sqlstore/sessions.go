package sqlstore

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const sessionColumns = `id, user_id, created_at, seen_at, expires_at`

// CreateSession inserts a dashboard session.
func (t accountWrites) CreateSession(ctx context.Context, s *store.Session) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (`+placeholders(5)+`)`,
		s.ID, s.UserID, ms(s.CreatedAt), ms(s.SeenAt), ms(s.ExpiresAt))
	return t.wrap("create session", err)
}

// TouchSession records a request unless one at or after notBefore is recorded already.
func (t accountWrites) TouchSession(ctx context.Context, id string, at, notBefore time.Time) error {
	_, err := t.conn.Exec(ctx, `UPDATE sessions SET seen_at = ? WHERE id = ? AND seen_at < ?`, ms(at), id, ms(notBefore))
	return t.wrap("touch session", err)
}

// DeleteSession ends a session, if it is still there.
func (t accountWrites) DeleteSession(ctx context.Context, id string) error {
	_, err := t.conn.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return t.wrap("delete session", err)
}

// DeleteUserSessions ends every session of a user.
func (t accountWrites) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return t.count(ctx, "delete user sessions", `DELETE FROM sessions WHERE user_id = ?`, userID)
}

// DropEndedSessions deletes expired and idle sessions.
func (t accountWrites) DropEndedSessions(ctx context.Context, now, idleSince time.Time) (int, error) {
	return t.count(ctx, "drop ended sessions", `DELETE FROM sessions WHERE expires_at <= ? OR seen_at < ?`, ms(now), ms(idleSince))
}

// Session reads a dashboard session by id.
func (q accountReads) Session(ctx context.Context, id string) (*store.Session, error) {
	return one(ctx, q.runner, "session", scanSession, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id)
}

func scanSession(r Row) (*store.Session, error) {
	var s store.Session
	var created, seen, expires int64
	if err := r.Scan(&s.ID, &s.UserID, &created, &seen, &expires); err != nil {
		return nil, err
	}
	s.CreatedAt, s.SeenAt, s.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return &s, nil
}

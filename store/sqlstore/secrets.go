package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Secret reads a named secret.
func (q accountReads) Secret(ctx context.Context, name string) ([]byte, error) {
	return one(ctx, q.runner, "secret", scanBytes, `SELECT value FROM secrets WHERE name = ?`, name)
}

func scanBytes(s Row) ([]byte, error) {
	var v []byte
	err := s.Scan(&v)
	return v, err
}

// CreateSecret stores a named secret; ErrConflict when the name has one.
func (t accountWrites) CreateSecret(ctx context.Context, name string, value []byte) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?)`, name, value, ms(time.Now()))
	return t.wrap("create secret", err)
}

// LoginFailures reads the failed sign-ins counted against key; none is a zero count.
func (q accountReads) LoginFailures(ctx context.Context, key string) (store.LoginFailures, error) {
	f, err := one(ctx, q.runner, "login failures", scanLoginFailures, `SELECT count, last_at FROM login_failures WHERE key = ?`, key)
	if errors.Is(err, store.ErrNotFound) {
		return store.LoginFailures{}, nil
	}
	return f, err
}

func scanLoginFailures(s Row) (store.LoginFailures, error) {
	var f store.LoginFailures
	var last int64
	err := s.Scan(&f.Count, &last)
	f.Last = fromMS(last)
	return f, err
}

// PutLoginFailures sets the failed sign-ins counted against key; a zero count deletes the row.
func (t accountWrites) PutLoginFailures(ctx context.Context, key string, f store.LoginFailures) error {
	if f.Count <= 0 {
		_, err := t.conn.Exec(ctx, `DELETE FROM login_failures WHERE key = ?`, key)
		return t.wrap("forget login failures", err)
	}
	_, err := t.conn.Exec(ctx, `INSERT INTO login_failures (key, count, last_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET count = excluded.count, last_at = excluded.last_at`, key, f.Count, ms(f.Last))
	return t.wrap("put login failures", err)
}

// ForgetLoginFailures deletes the counts whose last failure was before before.
func (t accountWrites) ForgetLoginFailures(ctx context.Context, before time.Time) (int, error) {
	return t.count(ctx, "forget login failures", `DELETE FROM login_failures WHERE last_at < ?`, ms(before))
}

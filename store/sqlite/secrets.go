package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Secret reads a named secret.
func (q queries) Secret(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	if err := q.queryRow(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, wrap("secret", err)
	}
	return v, nil
}

// CreateSecret stores a named secret; ErrConflict when the name has one.
func (t txQueries) CreateSecret(ctx context.Context, name string, value []byte) error {
	_, err := t.exec(ctx, `INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?)`, name, value, ms(time.Now()))
	return wrap("create secret", err)
}

// LoginFailures reads the failed sign-ins counted against key.
func (q queries) LoginFailures(ctx context.Context, key string) (store.LoginFailures, error) {
	var f store.LoginFailures
	var last int64
	err := q.queryRow(ctx, `SELECT count, last_at FROM login_failures WHERE key = ?`, key).Scan(&f.Count, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return store.LoginFailures{}, nil
	}
	if err != nil {
		return f, wrap("login failures", err)
	}
	f.Last = fromMS(last)
	return f, nil
}

// PutLoginFailures sets the failed sign-ins counted against key; a zero count deletes the row.
func (t txQueries) PutLoginFailures(ctx context.Context, key string, f store.LoginFailures) error {
	if f.Count <= 0 {
		_, err := t.exec(ctx, `DELETE FROM login_failures WHERE key = ?`, key)
		return wrap("forget login failures", err)
	}
	_, err := t.exec(ctx, `INSERT INTO login_failures (key, count, last_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET count = excluded.count, last_at = excluded.last_at`, key, f.Count, ms(f.Last))
	return wrap("put login failures", err)
}

// ForgetLoginFailures deletes the counts whose last failure was before before.
func (t txQueries) ForgetLoginFailures(ctx context.Context, before time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM login_failures WHERE last_at < ?`, ms(before))
	if err != nil {
		return 0, wrap("forget login failures", err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap("forget login failures", err)
}

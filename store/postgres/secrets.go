package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kpcheckout/kpcheckout/store"
)

// Secret reads a named secret.
func (q queries) Secret(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	if err := q.db.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, q.wrap("secret", err)
	}
	return v, nil
}

// CreateSecret stores a named secret; ErrConflict when the name has one.
func (t txQueries) CreateSecret(ctx context.Context, name string, value []byte) error {
	_, err := t.db.Exec(ctx, `INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3)`, name, value, ms(time.Now()))
	return t.wrap("create secret", err)
}

// LoginFailures reads the failed sign-ins counted against key.
func (q queries) LoginFailures(ctx context.Context, key string) (store.LoginFailures, error) {
	var f store.LoginFailures
	var last int64
	err := q.db.QueryRow(ctx, `SELECT count, last_at FROM login_failures WHERE key = $1`, key).Scan(&f.Count, &last)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.LoginFailures{}, nil
	}
	if err != nil {
		return f, q.wrap("login failures", err)
	}
	f.Last = fromMS(last)
	return f, nil
}

// PutLoginFailures sets the failed sign-ins counted against key; a zero count deletes the row.
func (t txQueries) PutLoginFailures(ctx context.Context, key string, f store.LoginFailures) error {
	if f.Count <= 0 {
		_, err := t.db.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
		return t.wrap("forget login failures", err)
	}
	_, err := t.db.Exec(ctx, `INSERT INTO login_failures (key, count, last_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET count = excluded.count, last_at = excluded.last_at`, key, f.Count, ms(f.Last))
	return t.wrap("put login failures", err)
}

// ForgetLoginFailures deletes the counts whose last failure was before before.
func (t txQueries) ForgetLoginFailures(ctx context.Context, before time.Time) (int, error) {
	tag, err := t.db.Exec(ctx, `DELETE FROM login_failures WHERE last_at < $1`, ms(before))
	if err != nil {
		return 0, t.wrap("forget login failures", err)
	}
	return int(tag.RowsAffected()), nil
}

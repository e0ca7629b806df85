package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kpcheckout/kpcheckout/store"
)

// Raise runs a statement in tx that fails with the SQLSTATE code, as PostgreSQL fails one.
func Raise(ctx context.Context, tx store.Tx, code string) error {
	t := tx.(txQueries)
	_, err := t.c.Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'raised by a test' USING ERRCODE = '`+code+`'; END $$`)
	return t.c.Wrap("raise", err)
}

// MigrateTo brings the empty database at url to schema version n, as an older kpcheckout left it,
// and writes into it through fill (if not nil), whose exec takes ? placeholders.
func MigrateTo(ctx context.Context, url string, n int, fill func(exec func(query string, args ...any) error) error) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	for i, m := range migrations[:n] {
		if _, err := migrateOne(ctx, conn, i+1, m); err != nil {
			return err
		}
	}
	if fill == nil {
		return nil
	}
	return fill(func(query string, args ...any) error {
		_, err := conn.Exec(ctx, rebind(query), args...)
		return err
	})
}

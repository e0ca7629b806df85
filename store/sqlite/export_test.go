package sqlite

import (
	"context"
	"database/sql"
)

// Wrap is wrap, for tests of how driver errors are told apart.
var Wrap = wrap

// Moved is db.moved, for its benchmark.
func (db *DB) Moved() error { return db.moved() }

// MigrateTo brings a new database at path to schema version n, as an older kpcheckout left it,
// and writes into it through fill (if not nil), whose exec takes ? placeholders.
func MigrateTo(ctx context.Context, path string, n int, fill func(exec func(query string, args ...any) error) error) error {
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	for i, m := range migrations[:n] {
		if _, err := migrateOne(ctx, raw, i+1, m); err != nil {
			return err
		}
	}
	if fill == nil {
		return nil
	}
	return fill(func(query string, args ...any) error {
		_, err := raw.ExecContext(ctx, query, args...)
		return err
	})
}

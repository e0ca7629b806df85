package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlstore"
)

// schema is SQLite's words for the shared migrations (sqlstore.Schema).
var schema = sqlstore.Schema{
	Types:       []string{"BIGINT", "INTEGER", "BOOLEAN", "INTEGER", "BYTEA", "BLOB"},
	Serial:      "INTEGER PRIMARY KEY AUTOINCREMENT",
	RandomKeyID: "upper(hex(randomblob(13)))",
	// Followers read a merchant's events in rowid order, which is the order of commits (one
	// connection writes): an index on the merchant ends in the rowid.
	CommitOrder: `CREATE INDEX events_merchant_order ON events (merchant_id);`,
}

// migrations are the steps of the schema, oldest first.
var migrations = schema.Migrations()

// Migrations lists the steps of the schema this kpcheckout knows, oldest first.
func Migrations() []store.Migration { return store.Migrations(migrations) }

// Pending lists the steps the database at path lacks, changing nothing (and creating no file
// when there is none); store.NewerSchemaError when a newer kpcheckout migrated it.
func Pending(ctx context.Context, path string) ([]store.Migration, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return Migrations(), nil
	}
	// Read-write though it only reads: a read-only connection would leave behind the -wal and
	// -shm files it made.
	db, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer db.Close()
	return pending(ctx, db)
}

// migrate brings the schema up to date and answers the steps it applied. A database a newer
// kpcheckout migrated is refused before anything is written.
func migrate(ctx context.Context, db *sql.DB) ([]store.Migration, error) {
	todo, err := pending(ctx, db)
	if err != nil || len(todo) == 0 {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	return store.ApplyMigrations(todo, func(m store.Migration) (bool, error) {
		// Another process may have applied it meanwhile: migrateOne looks again in its transaction.
		return migrateOne(ctx, db, m.Version, migrations[m.Version-1])
	})
}

// pending lists the steps the database has not applied; store.NewerSchemaError when it has
// applied one this kpcheckout does not know.
func pending(ctx context.Context, db *sql.DB) ([]store.Migration, error) {
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return nil, wrap("migrate", err)
	}
	if tables == 0 {
		return Migrations(), nil
	}
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, wrap("migrate", err)
	}
	defer rows.Close()
	have := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, wrap("migrate", err)
		}
		have[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("migrate", err)
	}
	return store.PendingMigrations(Migrations(), have)
}

// migrateOne applies one step in its own transaction, unless the database has it; applied
// tells which.
func migrateOne(ctx context.Context, db *sql.DB, version int, stmt string) (applied bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))`, version); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

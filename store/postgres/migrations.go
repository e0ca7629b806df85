package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlstore"
)

// schema is PostgreSQL's words for the shared migrations (sqlstore.Schema): its own types, and
// a seq identity column where SQLite orders the rows of one millisecond by rowid.
var schema = sqlstore.Schema{
	Seq:    "seq BIGINT GENERATED ALWAYS AS IDENTITY",
	Serial: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
	// gen_random_uuid is core PostgreSQL (13+), gen_random_bytes needs pgcrypto.
	RandomKeyID: "upper(substr(md5(gen_random_uuid()::text), 1, 26))",
	// An event's seq is taken at insert, so a transaction that commits later may hold a smaller
	// one: followers read in the order of xid, then seq. Rows from before have xid 0 (a constant
	// default rewrites nothing); new ones get their transaction's id.
	CommitOrder: `ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT '0';
	ALTER TABLE events ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
	CREATE INDEX events_merchant_xid ON events (merchant_id, xid, seq);`,
}

// migrations are the steps of the schema, oldest first; version n here is version n in SQLite,
// with the same name.
var migrations = schema.Migrations()

// migrateLock is the key of the session-level advisory lock held while migrating, so that
// instances starting together migrate one after another (the later ones find nothing to do).
const migrateLock = 0x6b70636865636b6f // "kpchecko"

// Migrations lists the steps of the schema this kpcheckout knows, oldest first.
func Migrations() []store.Migration { return store.Migrations(migrations) }

// Pending lists the steps the database at url lacks, changing nothing; store.NewerSchemaError
// when a newer kpcheckout migrated it.
func Pending(ctx context.Context, url string) ([]store.Migration, error) {
	pool, err := pgxpool.New(ctx, url) // a pool, as url may hold pool_* parameters
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	defer conn.Release()
	return pending(ctx, conn.Conn())
}

// migrate brings the schema up to date under the advisory lock and answers the steps it
// applied. A database a newer kpcheckout migrated is refused before anything is written.
func migrate(ctx context.Context, pool *pgxpool.Pool) ([]store.Migration, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
		return nil, fmt.Errorf("store: migrate: lock: %w", err)
	}
	// The lock ends with the session too: a process that dies here leaves no lock behind.
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLock))
	todo, err := pending(ctx, conn.Conn())
	if err != nil || len(todo) == 0 {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	return store.ApplyMigrations(todo, func(m store.Migration) (bool, error) {
		return migrateOne(ctx, conn.Conn(), m.Version, migrations[m.Version-1])
	})
}

// pending lists the steps the database has not applied; store.NewerSchemaError when it has
// applied one this kpcheckout does not know.
func pending(ctx context.Context, conn *pgx.Conn) ([]store.Migration, error) {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	if !exists {
		return Migrations(), nil
	}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	have := map[int]bool{}
	for _, v := range versions {
		have[v] = true
	}
	return store.PendingMigrations(Migrations(), have)
}

// migrateOne applies one step in its own transaction, unless the database has it; applied
// tells which.
func migrateOne(ctx context.Context, conn *pgx.Conn, version int, stmt string) (applied bool, err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	// Several statements in one string: the simple protocol runs them all, in the transaction.
	if _, err := tx.Exec(ctx, stmt, pgx.QueryExecModeSimpleProtocol); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, extract(epoch FROM now())::bigint)`, version); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

// Package postgres is kpcheckout's store for several instances sharing one PostgreSQL database,
// over pgx's connection pool. It keeps the schema and behaviour of store/sqlite: times are Unix
// milliseconds in BIGINT columns, JSON is kept as text, and the queries are store/sqlstore's,
// their ? placeholders rebound to $n.
//
// SQLite runs one write transaction at a time, and the callers of Transact rely on that: they
// read, decide and write (an Idempotency-Key still free, a refund still pending, a failure
// count). Here every write transaction is SERIALIZABLE, so PostgreSQL gives the same guarantee,
// and one that loses a serialization race runs again: fn may run more than once, so it must do
// nothing but read and write through its Tx and set its own results.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlstore"
)

// maxTries bounds how many times Transact runs a transaction that keeps losing serialization
// races; each loss means another transaction committed, so this takes heavy contention.
const maxTries = 64

// defaultMaxConns is how many connections one instance opens at most, unless its URL says.
const defaultMaxConns = 16

// DB is a PostgreSQL-backed store.Store.
type DB struct {
	sqlstore.Queries
	pool   *pgxpool.Pool
	sql    *rebinder
	origin string // tags this DB's announcements, so that its own listener skips them
	// migrated are the steps Open applied.
	migrated []store.Migration
}

var (
	_ store.Store       = (*DB)(nil)
	_ store.Broadcaster = (*DB)(nil)
)

// Open connects to the database at url (postgres://…, with pgx's pool_* parameters if wanted),
// and brings its schema up to date; when several instances start together one of them migrates
// and the others wait for it. A database a newer kpcheckout migrated is store.NewerSchemaError,
// and left as it was.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: database URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default, the number of CPUs but at least 4, is less than SQLite's 8 readers and
		// its writer; pool_max_conns in the URL sets another.
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	migrated, err := migrate(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	rb := &rebinder{}
	return &DB{Queries: sqlstore.NewQueries(conn{db: pool, sql: rb}, &dialect), pool: pool, sql: rb,
		origin: strconv.FormatUint(rand.Uint64(), 36), migrated: migrated}, nil
}

// Transact runs fn in one SERIALIZABLE transaction, again when it loses a serialization race
// or a deadlock (see the package comment). It rolls back on an error or a panic.
func (db *DB) Transact(ctx context.Context, fn func(store.Tx) error) error {
	wait := time.Millisecond
	for try := 1; ; try++ {
		again, err := db.transactOnce(ctx, fn)
		if !again || try == maxTries {
			return err
		}
		// A jittered, growing pause lets the transaction that won commit and the losers spread.
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: retry: %w (after %w)", ctx.Err(), err)
		case <-time.After(wait/2 + rand.N(wait)):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// transactOnce runs fn once; again tells whether the transaction failed only because it lost
// a race, so that running it again may succeed.
func (db *DB) transactOnce(ctx context.Context, fn func(store.Tx) error) (again bool, err error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return false, wrap("begin", err)
	}
	st := &txState{}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
	}()
	c := conn{db: tx, tx: st, sql: db.sql}
	if err := fn(txQueries{Tx: sqlstore.NewTx(c, &dialect, st.touch), c: c}); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return st.lostRace, err
	}
	// Announced inside the transaction: PostgreSQL delivers it at commit, and never from a try
	// that rolled back.
	if err := st.announce(ctx, tx, db.origin); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return lostRace(err), err
	}
	if err := tx.Commit(ctx); err != nil {
		return st.lostRace || lostRace(err), wrap("commit", err)
	}
	return false, nil
}

// View runs fn in a REPEATABLE READ, read-only transaction: one snapshot, taken at its first
// read, however many commits land meanwhile.
func (db *DB) View(ctx context.Context, fn func(store.Reader) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return wrap("view", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(sqlstore.NewQueries(conn{db: tx, sql: db.sql}, &dialect)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return wrap("view", err)
	}
	return nil
}

// Ping checks that the database answers and its schema is current.
func (db *DB) Ping(ctx context.Context) error {
	var v int
	if err := db.pool.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return wrap("ping", err)
	}
	return store.SchemaCurrent(v, len(migrations))
}

// Migrated lists the steps Open applied, oldest first; none when the schema was current.
func (db *DB) Migrated() []store.Migration { return db.migrated }

// Close closes the pool, waiting for the connections in use to come back.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// dbtx is what the pool and a transaction share.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// conn runs the shared queries, their placeholders rebound, over the pool or inside one
// transaction.
type conn struct {
	db  dbtx
	tx  *txState // nil outside a write transaction
	sql *rebinder
}

// Exec implements sqlstore.Conn.
func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.db.Exec(ctx, c.sql.rebind(query), args...)
	return tag.RowsAffected(), err
}

// Query implements sqlstore.Conn.
func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := c.db.Query(ctx, c.sql.rebind(query), args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// QueryRow implements sqlstore.Conn.
func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return c.db.QueryRow(ctx, c.sql.rebind(query), args...)
}

// Wrap turns driver errors into the store's sentinels, and notes in a write transaction that a
// statement lost a race.
func (c conn) Wrap(op string, err error) error {
	if c.tx != nil && err != nil && lostRace(err) {
		c.tx.lostRace = true
	}
	return wrap(op, err)
}

// txState is what a write transaction learns from its statements' errors.
type txState struct {
	// lostRace: a statement failed with a serialization failure or a deadlock. PostgreSQL has
	// aborted the transaction then, whatever fn makes of the error, and a new try may succeed.
	lostRace bool
	// changed holds the checkouts whose state the transaction wrote, announced at commit.
	changed map[string]bool
}

// txQueries are the shared writes of one transaction, and PostgreSQL's own.
type txQueries struct {
	sqlstore.Tx
	c conn
}

// PostgreSQL's error codes that the store tells apart.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// lostRace tells whether err is a serialization failure or a deadlock.
func lostRace(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == serializationFailure || pe.Code == deadlockDetected)
}

// wrap turns driver errors into the store's sentinels.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == uniqueViolation {
		return fmt.Errorf("store: %s: %w: %v", op, store.ErrConflict, err)
	}
	if unavailable(err) {
		return fmt.Errorf("store: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// unavailable tells whether err means that the database cannot be used for now, rather than
// that the statement or the data is wrong: no connection could be made (refused, or the server
// starting up, shutting down or out of connections), the server ended the session (57P01 when
// it shuts down), or the connection broke. A caller's own cancellation is not one.
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 53300: too many connections; 57P0x: the server is
		// shutting down, restarting, starting up, or dropped the database or the session.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "53300" || strings.HasPrefix(pe.Code, "57P")
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed)
}

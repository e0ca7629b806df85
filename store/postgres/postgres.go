// Package postgres is kpcheckout's store for several instances sharing one PostgreSQL database,
// over pgx's connection pool. It keeps the schema and behaviour of store/sqlite: times are Unix
// milliseconds in BIGINT columns, JSON is kept as text.
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
)

// maxTries bounds how many times Transact runs a transaction that keeps losing serialization
// races; each loss means another transaction committed, so this takes heavy contention.
const maxTries = 64

// defaultMaxConns is how many connections one instance opens at most, unless its URL says.
const defaultMaxConns = 16

// DB is a PostgreSQL-backed store.Store.
type DB struct {
	queries
	pool   *pgxpool.Pool
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
	return &DB{queries: queries{db: pool}, pool: pool, origin: strconv.FormatUint(rand.Uint64(), 36), migrated: migrated}, nil
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
	if err := fn(txQueries{queries{db: tx, tx: st}}); err != nil {
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
	if err := fn(queries{db: tx}); err != nil {
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
	if v > len(migrations) {
		return &store.NewerSchemaError{Database: v, Known: len(migrations)}
	}
	if v != len(migrations) {
		return fmt.Errorf("store: schema at version %d, want %d", v, len(migrations))
	}
	return nil
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

// queries runs the SQL of every table, over the pool or inside one transaction.
type queries struct {
	db dbtx
	tx *txState // nil outside a write transaction
}

// txState is what a write transaction learns from its statements' errors.
type txState struct {
	// lostRace: a statement failed with a serialization failure or a deadlock. PostgreSQL has
	// aborted the transaction then, whatever fn makes of the error, and a new try may succeed.
	lostRace bool
	// changed holds the checkouts whose state the transaction wrote, announced at commit.
	changed map[string]bool
}

// txQueries adds the writes to the queries of one transaction.
type txQueries struct{ queries }

// LockCheckout reads a checkout and locks its row until the transaction ends.
func (t txQueries) LockCheckout(ctx context.Context, id string) (*store.Checkout, error) {
	c, err := scanCheckout(t.db.QueryRow(ctx, `SELECT `+checkoutColumns+` FROM checkouts WHERE id = $1 FOR UPDATE`, id))
	return c, t.wrap("lock checkout", err)
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

// wrap turns driver errors into the store's sentinels, and notes in a write transaction that a
// statement lost a race.
func (q queries) wrap(op string, err error) error {
	if q.tx != nil && err != nil && lostRace(err) {
		q.tx.lostRace = true
	}
	return wrap(op, err)
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

// params collects a query's arguments as it is built, and names each one's placeholder.
type params []any

// add appends v and returns its placeholder ($1, $2, …).
func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// placeholders returns "$1, $2, …, $n".
func placeholders(n int) string {
	list := make([]string, n)
	for i := range list {
		list[i] = "$" + strconv.Itoa(i+1)
	}
	return strings.Join(list, ", ")
}

// oneRow turns a write that matched no row into pgx.ErrNoRows.
func oneRow(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return pgx.ErrNoRows
	}
	return nil
}

// guarded turns a guarded update that matched no row into store.ErrConflict: the row is no
// longer in the state the update was guarded on.
func guarded(tag pgconn.CommandTag, err error) error {
	if err := oneRow(tag, err); errors.Is(err, pgx.ErrNoRows) {
		return store.ErrConflict
	} else if err != nil {
		return err
	}
	return nil
}

// nullable stores "" as NULL so that a UNIQUE column holds many unset values.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// str reads a nullable text column; NULL is "".
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ms stores times as Unix milliseconds, the same in both backends.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// msOrZero stores an unset time as 0.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

type scanner interface{ Scan(dest ...any) error }

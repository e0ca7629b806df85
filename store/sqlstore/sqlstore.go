// Package sqlstore is the SQL that store/sqlite and store/postgres share: the queries of every
// table, written once with ? placeholders, the row decoding, the JSON columns and the times
// kept as Unix milliseconds. A backend adapts its driver to Conn (PostgreSQL's rebinds ? to
// $n) and says in a Dialect the few things its SQL says its own way, in a Schema those of its
// migrations; its transactions, connections, migrating and error codes stay in its own package.
package sqlstore

import (
	"context"
	"errors"
	"strings"

	"github.com/kpcheckout/kpcheckout/store"
)

// Conn runs statements: a backend's pool, or one of its transactions. Queries are written with
// ? placeholders, or ?1, ?2… where one argument is used twice (never both in one query).
type Conn interface {
	// Exec runs a statement and answers how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a query of one row; its Scan says when there is none (Wrap makes that
	// store.ErrNotFound).
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Wrap turns a driver's error into the store's: store.ErrNotFound, ErrConflict,
	// ErrUnavailable, or an error naming op.
	Wrap(op string, err error) error
}

// Row is one row of an answer; database/sql's and pgx's rows are.
type Row interface{ Scan(dest ...any) error }

// Rows is an answer read a row at a time.
type Rows interface {
	Row
	Next() bool
	Err() error
	Close()
}

// Dialect is what a backend's SQL says its own way.
type Dialect struct {
	// RowOrder is the column that orders the rows of one millisecond as they were written:
	// SQLite's rowid, PostgreSQL's seq.
	RowOrder string
	// Like is LIKE that ignores the case of ASCII letters, as SQLite's LIKE does (ILIKE in
	// PostgreSQL).
	Like string
	// ForUpdate ends a SELECT whose rows the transaction locks until it ends; empty in SQLite,
	// whose write transaction holds the database's one write lock from its start.
	ForUpdate string
	// EnqueueMatching inserts the outbox rows of an event (CreateEvent), as EnqueueMatching
	// writes it in the dialect's words.
	EnqueueMatching string
	// CommitOrder orders a merchant's events as they were committed, for followers: SQLite's
	// rowid (one connection writes); PostgreSQL's writing transaction id, then seq.
	CommitOrder string
	// Committed keeps the events whose place in CommitOrder is final: on PostgreSQL, those of
	// transactions older than every one still running; empty in SQLite.
	Committed string
	// ClaimDeliveries takes due deliveries for a worker and answers their DeliveryColumns
	// (see store.Tx). Its arguments: the lease's end, now, the limit, the cap per endpoint.
	ClaimDeliveries string
}

// Queries are the reads, over a Conn: one part per aggregate of store.Reader, each in the files
// of its tables.
type Queries struct {
	checkoutReads
	paymentReads
	accountReads
	linkReads
	webhookReads
	idempotencyReads
	leaseReads
}

var _ store.Reader = Queries{}

// NewQueries reads through c in dialect d.
func NewQueries(c Conn, d *Dialect) Queries {
	r := runner{conn: c, dialect: d}
	return Queries{checkoutReads{r}, paymentReads{r}, accountReads{r}, linkReads{r}, webhookReads{r},
		idempotencyReads{r}, leaseReads{r}}
}

// Tx adds the writes of one transaction to its reads, one part per aggregate of store.Tx.
type Tx struct {
	Queries
	checkoutWrites
	paymentWrites
	accountWrites
	linkWrites
	webhookWrites
	idempotencyWrites
	leaseWrites
}

// NewTx writes through c, a transaction, in dialect d; changed (if not nil) is told of every
// checkout whose state the transaction writes: the checkout, its attempts, payment, agreement
// or events.
func NewTx(c Conn, d *Dialect, changed func(checkoutID string)) Tx {
	w := writer{runner: runner{conn: c, dialect: d}, changed: changed}
	return Tx{NewQueries(c, d), checkoutWrites{w}, paymentWrites{w}, accountWrites{w}, linkWrites{w},
		webhookWrites{w}, idempotencyWrites{w}, leaseWrites{w}}
}

// The reads and the writes of each aggregate.
type (
	checkoutReads     struct{ runner }
	paymentReads      struct{ runner }
	accountReads      struct{ runner }
	linkReads         struct{ runner }
	webhookReads      struct{ runner }
	idempotencyReads  struct{ runner }
	leaseReads        struct{ runner }
	checkoutWrites    struct{ writer }
	paymentWrites     struct{ writer }
	accountWrites     struct{ writer }
	linkWrites        struct{ writer }
	webhookWrites     struct{ writer }
	idempotencyWrites struct{ writer }
	leaseWrites       struct{ writer }
)

// runner is a Conn in a Dialect: what every query runs through.
type runner struct {
	conn    Conn
	dialect *Dialect
}

// writer runs the writes of a transaction and tells changed of the checkouts they touch.
type writer struct {
	runner
	changed func(checkoutID string)
}

// touch tells changed that the transaction writes a checkout's state.
func (w writer) touch(checkoutID string) {
	if w.changed != nil && checkoutID != "" {
		w.changed(checkoutID)
	}
}

// wrap names op in a driver's error; a missing row (oneRow) is store.ErrNotFound as it is.
func (r runner) wrap(op string, err error) error {
	if err == nil || err == store.ErrNotFound {
		return err
	}
	return r.conn.Wrap(op, err)
}

// one runs a query of one row and decodes it with scan.
func one[T any](ctx context.Context, q runner, op string, scan func(Row) (T, error), query string, args ...any) (T, error) {
	v, err := scan(q.conn.QueryRow(ctx, query, args...))
	if err != nil {
		var zero T
		return zero, q.wrap(op, err)
	}
	return v, nil
}

// scanValue decodes a row of one column.
func scanValue[T any](s Row) (T, error) {
	var v T
	err := s.Scan(&v)
	return v, err
}

// list runs a query and decodes each row with scan.
func list[T any](ctx context.Context, q runner, op string, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, q.wrap(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, q.wrap(op, err)
		}
		out = append(out, v)
	}
	return out, q.wrap(op, rows.Err())
}

// count runs a statement and answers how many rows it changed.
func (q runner) count(ctx context.Context, op, query string, args ...any) (int, error) {
	n, err := q.conn.Exec(ctx, query, args...)
	return int(n), q.wrap(op, err)
}

// exec runs a statement that changes one row; none is store.ErrNotFound.
func (q runner) exec(ctx context.Context, op, query string, args ...any) error {
	return q.wrap(op, oneRow(q.conn.Exec(ctx, query, args...)))
}

// oneRow turns a write that matched no row into store.ErrNotFound.
func oneRow(n int64, err error) error {
	if err == nil && n == 0 {
		return store.ErrNotFound
	}
	return err
}

// guarded turns a guarded update that matched no row into store.ErrConflict: the row is no
// longer in the state the update was guarded on.
func guarded(n int64, err error) error {
	if err := oneRow(n, err); errors.Is(err, store.ErrNotFound) {
		return store.ErrConflict
	} else if err != nil {
		return err
	}
	return nil
}

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// nullable stores "" as NULL so that a UNIQUE column holds many unset values.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// where builds the conditions of a list's query and their arguments.
type where struct {
	conds []string
	args  []any
}

// and adds cond on args when when is true.
func (w *where) and(when bool, cond string, args ...any) {
	if when {
		w.conds = append(w.conds, cond)
		w.args = append(w.args, args...)
	}
}

// newestFirst ends the query of a page of a merchant's rows of table, newest first (by
// created_at, then by the column order), and answers it with its arguments: the conditions, and
// of the rows they keep the first limit past the row cursor (none: from the newest).
func (w *where) newestFirst(table, order, cursor, merchantID string, limit int) (string, []any) {
	w.and(cursor != "", `(created_at, `+order+`) < (SELECT created_at, `+order+` FROM `+table+` WHERE id = ? AND merchant_id = ?)`,
		cursor, merchantID)
	return `WHERE ` + w.String() + ` ORDER BY created_at DESC, ` + order + ` DESC LIMIT ?`, append(w.args, limit)
}

// String is the conditions joined by AND.
func (w *where) String() string { return strings.Join(w.conds, " AND ") }

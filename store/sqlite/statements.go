package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/kpcheckout/kpcheckout/store/sqlstore"
)

// maxStatements bounds each statement cache; queries beyond it run unprepared.
const maxStatements = 256

// statements caches prepared statements of one connection pool. SQLite parses a statement on
// every unprepared call, which was a fifth of the CPU of creating a checkout.
type statements struct {
	db *sql.DB

	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]struct{} // met inside a transaction, prepared once it ends
}

func newStatements(db *sql.DB) *statements {
	return &statements{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]struct{}{}}
}

func (s *statements) get(query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stmts[query]
}

// prepare prepares query on the pool and caches it; it returns nil when the cache is full or the
// statement does not prepare (the caller then runs it unprepared and sees the error itself).
func (s *statements) prepare(ctx context.Context, query string) *sql.Stmt {
	s.mu.Lock()
	if st, ok := s.stmts[query]; ok || len(s.stmts) >= maxStatements {
		s.mu.Unlock()
		return st
	}
	s.mu.Unlock()
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.stmts[query]; ok {
		st.Close()
		return prev
	}
	s.stmts[query] = st
	return st
}

// want remembers a query met inside a transaction: the writer's only connection is busy then.
func (s *statements) want(query string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.stmts)+len(s.wanted) < maxStatements {
		s.wanted[query] = struct{}{}
	}
}

// prepareWanted prepares the queries met inside transactions; call it with no transaction open.
func (s *statements) prepareWanted(ctx context.Context) {
	s.mu.Lock()
	if len(s.wanted) == 0 {
		s.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(s.wanted))
	for q := range s.wanted {
		qs = append(qs, q)
	}
	clear(s.wanted)
	s.mu.Unlock()
	for _, q := range qs {
		s.prepare(ctx, q)
	}
}

func (s *statements) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q, st := range s.stmts {
		st.Close()
		delete(s.stmts, q)
	}
}

// conn runs the shared queries over the reader pool or inside one write transaction, each
// prepared once per pool.
type conn struct {
	reads  *statements // the reader pool's statements; used when tx is nil
	writes *statements // the writer's statements, bound to tx
	tx     *sql.Tx
}

// prepare returns what runs query: its prepared statement when there is one (stmt), else the
// pool or transaction that runs it unprepared (raw). Inside a transaction ctx loses its
// cancellation: an interrupted write would roll back the whole group commit (see runBatch).
func (c conn) prepare(ctx context.Context, query string) (_ context.Context, stmt *sql.Stmt, raw dbtx) {
	if c.tx == nil {
		if st := c.reads.prepare(ctx, query); st != nil {
			return ctx, st, nil
		}
		return ctx, nil, c.reads.db
	}
	ctx = context.WithoutCancel(ctx)
	if st := c.writes.get(query); st != nil {
		return ctx, c.tx.StmtContext(ctx, st), nil
	}
	c.writes.want(query)
	return ctx, nil, c.tx
}

// dbtx is what *sql.DB and *sql.Tx share.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, st, raw := c.prepare(ctx, query)
	if st != nil {
		return st.ExecContext(ctx, args...)
	}
	return raw.ExecContext(ctx, query, args...)
}

// Exec implements sqlstore.Conn.
func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Query implements sqlstore.Conn.
func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	ctx, st, raw := c.prepare(ctx, query)
	var rows *sql.Rows
	var err error
	if st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = raw.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// QueryRow implements sqlstore.Conn.
func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	ctx, st, raw := c.prepare(ctx, query)
	if st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return raw.QueryRowContext(ctx, query, args...)
}

// Wrap implements sqlstore.Conn.
func (c conn) Wrap(op string, err error) error { return wrap(op, err) }

// sqlRows are database/sql's rows as sqlstore reads them: what Close says comes from Err.
type sqlRows struct{ *sql.Rows }

// Close implements sqlstore.Rows.
func (r sqlRows) Close() { r.Rows.Close() }

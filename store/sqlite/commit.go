package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlstore"
)

// maxBatch bounds how many transactions share one SQLite commit.
const maxBatch = 64

// ErrClosed is what Transact answers once the store is closed.
var ErrClosed = errors.New("store: closed")

// job is one Transact waiting for the committer.
type job struct {
	ctx  context.Context
	fn   func(store.Tx) error
	done chan outcome
}

type outcome struct {
	err      error
	panicked any
}

// Transact runs fn in one immediate write transaction. Transactions that arrive while another
// commits are grouped: each runs inside its own savepoint of one SQLite transaction, so a failing
// fn undoes only its own writes, and they share one commit (the WAL frames of the pages they
// touched are written once). Transact returns once its writes are committed.
func (db *DB) Transact(ctx context.Context, fn func(store.Tx) error) error {
	j := &job{ctx: ctx, fn: fn, done: make(chan outcome, 1)}
	select {
	case db.jobs <- j:
	case <-db.closing:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("store: begin: %w", ctx.Err())
	}
	o := <-j.done
	if o.panicked != nil {
		panic(o.panicked)
	}
	return o.err
}

// commit runs the jobs, grouping those that queue up while a commit is under way.
func (db *DB) commit() {
	defer close(db.committed)
	for {
		var first *job
		select {
		case first = <-db.jobs:
		case <-db.closing:
			return
		}
		batch := []*job{first}
	more:
		for len(batch) < maxBatch {
			select {
			case j := <-db.jobs:
				batch = append(batch, j)
			default:
				break more
			}
		}
		db.runBatch(batch)
		// Statements first met in the batch are prepared now that the writer's connection is free.
		db.writes.prepareWanted(context.WithoutCancel(first.ctx))
	}
}

// runBatch runs the jobs in one transaction and answers each of them.
func (db *DB) runBatch(batch []*job) {
	// Statements ignore the callers' cancellation: an interrupted write would roll back the whole
	// transaction, other callers' writes included. A caller already gone is skipped instead.
	ctx := context.WithoutCancel(batch[0].ctx)
	outcomes := make([]outcome, len(batch))
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		for _, j := range batch {
			j.done <- outcome{err: wrap("begin", err)}
		}
		return
	}
	c := conn{reads: db.reads, writes: db.writes, tx: tx}
	q := txQueries{Tx: sqlstore.NewTx(c, &dialect, nil), c: c}
	savepoints := len(batch) > 1
	var broken error
	for i, j := range batch {
		if broken != nil {
			outcomes[i].err = broken
			continue
		}
		if err := j.ctx.Err(); err != nil {
			outcomes[i].err = fmt.Errorf("store: begin: %w", err)
			continue
		}
		if savepoints {
			if _, err := c.exec(ctx, "SAVEPOINT job"); err != nil {
				broken = fmt.Errorf("store: savepoint: %w", err)
				outcomes[i].err = broken
				continue
			}
		}
		outcomes[i] = run(j, q)
		if !savepoints {
			break
		}
		if outcomes[i].err != nil {
			if _, err := c.exec(ctx, "ROLLBACK TO job"); err != nil {
				broken = fmt.Errorf("store: rollback to savepoint: %w", err)
			}
		}
		if _, err := c.exec(ctx, "RELEASE job"); err != nil && broken == nil {
			broken = fmt.Errorf("store: release savepoint: %w", err)
		}
	}
	switch {
	case broken != nil, !savepoints && outcomes[0].err != nil:
		tx.Rollback()
		for i := range outcomes {
			if outcomes[i].err == nil {
				outcomes[i].err = broken
			}
		}
	default:
		if err := db.commitUnmoved(tx); err != nil {
			for i := range outcomes {
				if outcomes[i].err == nil {
					outcomes[i].err = err
				}
			}
		}
	}
	for i, j := range batch {
		j.done <- outcomes[i]
	}
}

// commitUnmoved commits tx, unless the database file was deleted or replaced meanwhile: then
// it rolls tx back rather than commit into a file that is gone (see moved).
func (db *DB) commitUnmoved(tx *sql.Tx) error {
	if err := db.moved(); err != nil {
		tx.Rollback()
		return err
	}
	return wrap("commit", tx.Commit())
}

// run calls the job's fn, turning a panic into an outcome for its caller.
func run(j *job, q txQueries) (o outcome) {
	defer func() {
		if p := recover(); p != nil {
			o = outcome{err: fmt.Errorf("store: transaction panicked: %v", p), panicked: p}
		}
	}()
	return outcome{err: j.fn(q)}
}

// Package sqlite is kpcheckout's embedded store: one SQLite file in WAL mode, written through one
// connection and read through a pool. The queries are store/sqlstore's; this package holds the
// connections, the group commit, SQLite's dialect, schema and errors, and backups.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlstore"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DB is a SQLite-backed store.Store.
type DB struct {
	sqlstore.Queries // over the reader pool
	reads            *statements
	writes           *statements
	writer           *sql.DB
	reader           *sql.DB
	path             string
	file             os.FileInfo // the database file as opened, to tell when path names another or none
	// migrated are the steps Open applied.
	migrated []store.Migration

	jobs      chan *job     // Transact calls waiting for the committer
	closing   chan struct{} // closed by Close
	committed chan struct{} // closed when the committer has stopped
	closeOnce sync.Once
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the SQLite file at path and runs the migrations. A directory
// that is missing, or where the file cannot be created or written, is said in words; a database
// a newer kpcheckout migrated is store.NewerSchemaError, and left as it was.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := checkPlace(path); err != nil {
		return nil, err
	}
	if err := create(path); err != nil {
		return nil, err
	}
	// mode=rw: a connection opened later (the pool grows, or replaces one) fails on a file that
	// was deleted instead of quietly making an empty database beside the old -wal and -shm.
	pragmas := url.Values{"mode": {"rw"}}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		pragmas.Add("_pragma", p)
	}
	writer, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	migrated, err := migrate(ctx, writer)
	if err != nil {
		writer.Close()
		return nil, err
	}
	file, err := os.Stat(path)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode())
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	reader.SetMaxOpenConns(8)
	reader.SetMaxIdleConns(8) // the default of 2 closed and reopened connections under load
	reads, writes := newStatements(reader), newStatements(writer)
	db := &DB{
		Queries: sqlstore.NewQueries(conn{reads: reads, writes: writes}, &dialect),
		reads:   reads, writes: writes,
		writer: writer, reader: reader, path: path, file: file, migrated: migrated,
		jobs: make(chan *job), closing: make(chan struct{}), committed: make(chan struct{}),
	}
	go db.commit()
	return db, nil
}

// checkPlace tells, before SQLite would say "unable to open database file (14)", why the file at
// path cannot be opened for writing: its directory is missing or not a directory, or the file or
// its directory is read-only.
func checkPlace(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: the database directory %s does not exist; create it or choose another path", dir)
	case err != nil:
		return fmt.Errorf("store: the database directory %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("store: %s is not a directory, so the database %s cannot be kept in it", dir, path)
	}
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: the database file %s cannot be opened for writing: %w", path, err)
	}
	// SQLite creates the file, and keeps its -wal and -shm files, in the directory.
	probe, err := os.CreateTemp(dir, ".kpcheckout-probe-*")
	if err != nil {
		return fmt.Errorf("store: the database directory %s is not writable (SQLite keeps %s and its -wal and -shm files there): %w", dir, filepath.Base(path), err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// create makes an empty database file at path when there is none (SQLite takes an empty file
// for an empty database). An existing file is not opened: closing a descriptor of a file drops
// every lock this process holds on it, SQLite's included.
func create(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil
	case err != nil:
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	return f.Close()
}

// moved tells, as an error wrapping store.ErrUnavailable, that the file at the database's path
// is no longer the one opened: deleted, renamed away or replaced. SQLite would go on writing
// into the file it holds open, gone from view and lost at the next start (in WAL mode it does
// not answer SQLITE_READONLY_DBMOVED). A stat costs 2 µs (BenchmarkMoved), the commit it guards
// 80 µs (BenchmarkCommit), so every commit asks.
func (db *DB) moved() error {
	fi, err := os.Stat(db.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: the database file %s was deleted or renamed away; writes are refused until it is back: %w", db.path, store.ErrUnavailable)
	case err != nil:
		return fmt.Errorf("store: the database file %s: %w: %w", db.path, store.ErrUnavailable, err)
	case !os.SameFile(fi, db.file):
		return fmt.Errorf("store: the database file %s was replaced by another file; writes are refused until the opened one is back: %w", db.path, store.ErrUnavailable)
	}
	return nil
}

// View runs fn in a read transaction on the reader pool: in WAL mode it sees one snapshot, taken
// at its first read, however many commits land meanwhile.
func (db *DB) View(ctx context.Context, fn func(store.Reader) error) error {
	tx, err := db.reader.BeginTx(ctx, nil)
	if err != nil {
		return wrap("view", err)
	}
	defer tx.Rollback()
	// The reader pool's statements, bound to tx: a read transaction holds one pooled connection.
	if err := fn(sqlstore.NewQueries(conn{reads: db.reads, writes: db.reads, tx: tx}, &dialect)); err != nil {
		return err
	}
	err = tx.Commit()
	db.reads.prepareWanted(ctx) // what ran unprepared in the transaction runs prepared next time
	return err
}

// Ping checks that the database answers and its schema is current.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.moved(); err != nil {
		return err
	}
	var v int
	if err := db.reader.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return wrap("ping", err)
	}
	return store.SchemaCurrent(v, len(migrations))
}

// Migrated lists the steps Open applied, oldest first; none when the schema was current.
func (db *DB) Migrated() []store.Migration { return db.migrated }

// Close stops the committer (a Transact after it answers ErrClosed) and closes both pools.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.closing) })
	<-db.committed
	db.reads.close()
	db.writes.close()
	return errors.Join(db.reader.Close(), db.writer.Close())
}

// txQueries are the shared writes of one transaction, and SQLite's own.
type txQueries struct {
	sqlstore.Tx
	c conn
}

// wrap turns driver errors into the store's sentinels.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("store: %s: %w: %v", op, store.ErrConflict, err)
		}
		if unavailable(se.Code()) {
			return fmt.Errorf("store: %s: %w: %w", op, store.ErrUnavailable, err)
		}
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// unavailable tells whether an (extended) SQLite result code means the database cannot be used
// for now, rather than that the statement or the data is wrong: its lock held past the busy
// timeout, its file gone (a connection opened after it was deleted) or moved, the disk failing
// or full.
func unavailable(code int) bool {
	switch code & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
		return true
	}
	return code == sqlite3.SQLITE_READONLY_DBMOVED
}

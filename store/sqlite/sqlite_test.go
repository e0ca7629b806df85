package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
	"github.com/kpcheckout/kpcheckout/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, _ := openTemp(t)
		return db
	})
}

// openTemp opens a new database in the test's temporary folder, closed when the test ends, and
// says where it is.
func openTemp(tb testing.TB) (*sqlite.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "kp.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, path
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kp.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path) // migrations run again and change nothing
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestOpenSaysWhyTheFileCannotBeOpened(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(notDir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing", "kp.db"), "does not exist"},
		{filepath.Join(notDir, "kp.db"), "is not a directory"},
		{"/sys/kp.db", "is not writable"}, // read-only even for root
	} {
		db, err := sqlite.Open(context.Background(), tc.path)
		if err == nil {
			db.Close()
			t.Errorf("%s: opened", tc.path)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "(14)") {
			t.Errorf("%s: %v, want it to say %q", tc.path, err, tc.want)
		}
	}
}

// A database file deleted, renamed away or replaced under the running store is noticed: Ping
// and every write answer store.ErrUnavailable, saying why, instead of committing into a file
// that is gone after a restart. Once the file is back, writes go on.
func TestFileGoneRefusesWrites(t *testing.T) {
	for _, tc := range []struct {
		name string
		away func(t *testing.T, path string) // takes the file away
		back func(t *testing.T, path string) // puts it back, when that can be done
	}{
		{name: "deleted", away: func(t *testing.T, path string) { mustDo(t, os.Remove(path)) }},
		{
			name: "renamed away",
			away: func(t *testing.T, path string) { mustDo(t, os.Rename(path, path+".old")) },
			back: func(t *testing.T, path string) { mustDo(t, os.Rename(path+".old", path)) },
		},
		{name: "replaced", away: func(t *testing.T, path string) {
			other := filepath.Join(filepath.Dir(path), "other.db")
			db, err := sqlite.Open(context.Background(), other)
			mustDo(t, err)
			mustDo(t, db.Close())
			mustDo(t, os.Rename(other, path))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "kp.db")
			db, err := sqlite.Open(ctx, path)
			mustDo(t, err)
			defer db.Close()
			mustDo(t, createMerchant(ctx, db, "mer_1"))
			tc.away(t, path)
			err = db.Ping(ctx)
			if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), path) {
				t.Errorf("Ping after the file was %s: %v, want store.ErrUnavailable naming %s", tc.name, err, path)
			}
			if err := createMerchant(ctx, db, "mer_2"); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("a write after the file was %s: %v, want store.ErrUnavailable", tc.name, err)
			}
			if tc.back == nil {
				return
			}
			tc.back(t, path)
			mustDo(t, db.Ping(ctx))
			if _, err := db.Merchant(ctx, "mer_2"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the refused write was committed: %v", err)
			}
			mustDo(t, createMerchant(ctx, db, "mer_3"))
		})
	}
}

func createMerchant(ctx context.Context, db store.Store, id string) error {
	return db.Transact(ctx, func(tx store.Tx) error {
		return tx.CreateMerchant(ctx, &store.Merchant{ID: id, Name: id, CreatedAt: time.Now()})
	})
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A write lock held past the busy timeout is an outage, not a bug: store.ErrUnavailable.
func TestBusyIsUnavailable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kp.db")
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(0)"
	holder, err := sql.Open("sqlite", dsn)
	mustDo(t, err)
	defer holder.Close()
	hold, err := holder.Conn(ctx)
	mustDo(t, err)
	defer hold.Close()
	_, err = hold.ExecContext(ctx, "BEGIN IMMEDIATE")
	mustDo(t, err)
	defer hold.ExecContext(ctx, "ROLLBACK")
	other, err := sql.Open("sqlite", dsn)
	mustDo(t, err)
	defer other.Close()
	_, err = other.ExecContext(ctx, "BEGIN IMMEDIATE")
	if err == nil {
		t.Fatal("a second writer got the lock")
	}
	if err := sqlite.Wrap("begin", err); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("SQLITE_BUSY became %v, want store.ErrUnavailable", err)
	}
	if err := sqlite.Wrap("insert", errors.New("some other failure")); errors.Is(err, store.ErrUnavailable) {
		t.Errorf("any error became store.ErrUnavailable: %v", err)
	}
}

// BenchmarkMoved is what telling a deleted or replaced file costs each commit (a stat),
// against BenchmarkCommit, one small write transaction.
func BenchmarkMoved(b *testing.B) {
	db, _ := openTemp(b)
	for b.Loop() {
		if err := db.Moved(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCommit(b *testing.B) {
	ctx := context.Background()
	db, _ := openTemp(b)
	i := 0
	for b.Loop() {
		i++
		if err := createMerchant(ctx, db, fmt.Sprintf("mer_%d", i)); err != nil {
			b.Fatal(err)
		}
	}
}

// A row whose JSON columns no kpcheckout wrote reads as an error naming it.
func TestDamagedRows(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	storetest.CheckDamagedRows(t, db, func(q string) error { _, err := raw.ExecContext(ctx, q); return err })
}

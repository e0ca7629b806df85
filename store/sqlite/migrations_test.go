package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
	"github.com/kpcheckout/kpcheckout/store/storetest"
)

// A database written by the first schema, with a record of each kind in it, is migrated to the
// newest when opened, and every record reads back through the store.
func TestUpgradeFromTheFirstSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	storetest.CheckUpgradeFromOldSchema(t,
		func(ctx context.Context) error {
			return sqlite.MigrateTo(ctx, path, storetest.OldSchema, storetest.FillOldSchema)
		},
		func(ctx context.Context) (store.Store, error) { return sqlite.Open(ctx, path) })
}

// A database that a newer kpcheckout migrated further than this one knows is refused, with both
// versions named, and left as it was.
func TestOpenRefusesANewerDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kp.db")
	running, err := sqlite.Open(ctx, path) // this kpcheckout, running when a newer one migrates
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	var known int
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&known); err != nil {
		t.Fatal(err)
	}
	// What a newer kpcheckout would have done: one more step, with a table this one does not know.
	if _, err := raw.ExecContext(ctx, `CREATE TABLE from_the_future (id TEXT PRIMARY KEY);
		INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, known+1); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	// The running one is no longer ready: its /readyz says why.
	if err := running.Ping(ctx); !errors.As(err, new(*store.NewerSchemaError)) {
		t.Errorf("Ping of the running store: %v, want a NewerSchemaError", err)
	}
	running.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	storetest.CheckNewerRefused(t, known, func(ctx context.Context) (store.Store, error) { return sqlite.Open(ctx, path) })
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(before, after) {
		t.Errorf("the refused database changed (%v)", err)
	}
}

// Pending lists what a database lacks without creating or changing it; Open applies it and
// says so once.
func TestPendingAndMigrated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kp.db")
	if todo, err := sqlite.Pending(t.Context(), path); err != nil || len(todo) != len(sqlite.Migrations()) {
		t.Fatalf("pending of no database: %d %v", len(todo), err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Pending made a file: %v", err)
	}
	storetest.CheckPendingAndMigrated(t, sqlite.Migrations(),
		func(ctx context.Context) ([]store.Migration, error) { return sqlite.Pending(ctx, path) },
		func(ctx context.Context) (storetest.Migrator, error) { return sqlite.Open(ctx, path) })
}

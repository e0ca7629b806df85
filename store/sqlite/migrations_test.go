package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		func(ctx context.Context) error { return sqlite.MigrateTo(ctx, path, storetest.OldSchema) },
		func(ctx context.Context) {
			raw, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			storetest.FillOldSchema(t, false, func(q string, args ...any) error {
				_, err := raw.ExecContext(ctx, q, args...)
				return err
			})
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

	db, err := sqlite.Open(ctx, path)
	if err == nil {
		db.Close()
		t.Fatal("a database newer than this kpcheckout was opened")
	}
	for _, want := range []string{fmt.Sprintf("version %d", known+1), fmt.Sprintf("up to %d", known), "newer kpcheckout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(before, after) {
		t.Errorf("the refused database changed (%v)", err)
	}
}

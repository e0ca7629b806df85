package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/postgres"
	"github.com/kpcheckout/kpcheckout/store/storetest"
)

// A database written by the first schema, with a record of each kind in it, is migrated to the
// newest when opened, and every record reads back through the store.
func TestUpgradeFromTheFirstSchema(t *testing.T) {
	url := pg.EmptyDatabase(t)
	storetest.CheckUpgradeFromOldSchema(t,
		func(ctx context.Context) error {
			return postgres.MigrateTo(ctx, url, storetest.OldSchema, storetest.FillOldSchema)
		},
		func(ctx context.Context) (store.Store, error) { return postgres.Open(ctx, url) })
}

// A database that a newer kpcheckout migrated further than this one knows is refused, with both
// versions named, and left as it was.
func TestOpenRefusesANewerDatabase(t *testing.T) {
	ctx := context.Background()
	url := pg.Database(t)
	running := openURL(t, url) // this kpcheckout, running when a newer one migrates
	conn := connect(t, url)
	var known int
	if err := conn.QueryRow(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&known); err != nil {
		t.Fatal(err)
	}
	// What a newer kpcheckout would have done: one more step, with a table this one does not know.
	if _, err := conn.Exec(ctx, `CREATE TABLE from_the_future (id TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)`, known+1); err != nil {
		t.Fatal(err)
	}

	// The running one is no longer ready: its /readyz says why.
	if err := running.Ping(ctx); !errors.As(err, new(*store.NewerSchemaError)) {
		t.Errorf("Ping of the running store: %v, want a NewerSchemaError", err)
	}
	storetest.CheckNewerRefused(t, known, func(ctx context.Context) (store.Store, error) { return postgres.Open(ctx, url) })
	var rows, max int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&rows, &max); err != nil || rows != known+1 || max != known+1 {
		t.Errorf("schema_migrations after the refusal: %d rows up to %d (%v)", rows, max, err)
	}
}

// Pending lists what a database lacks without changing it; Open applies it and says so once.
func TestPendingAndMigrated(t *testing.T) {
	url := pg.EmptyDatabase(t)
	storetest.CheckPendingAndMigrated(t, postgres.Migrations(),
		func(ctx context.Context) ([]store.Migration, error) { return postgres.Pending(ctx, url) },
		func(ctx context.Context) (storetest.Migrator, error) { return postgres.Open(ctx, url) })
}

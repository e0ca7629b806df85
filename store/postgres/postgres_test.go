package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/postgres"
	"github.com/kpcheckout/kpcheckout/store/postgres/pgtest"
	"github.com/kpcheckout/kpcheckout/store/storetest"
)

// pg is the PostgreSQL server of this test binary, started by the first test that needs it.
var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// open opens a store over a new database, closed when the test ends.
func open(t *testing.T) *postgres.DB {
	t.Helper()
	return openURL(t, pg.Database(t))
}

// openURL opens a store over the database at url, closed when the test ends.
func openURL(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// connect opens a plain connection to the database at url, for what the store does not do,
// closed when the test ends.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// Instances starting together on an empty database migrate it once, one after another under
// the advisory lock, and each finds the schema current.
func TestOpenTogetherMigratesOnce(t *testing.T) {
	ctx := context.Background()
	url := pg.EmptyDatabase(t)
	const n = 6
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			db, err := postgres.Open(ctx, url)
			if err == nil {
				err = db.Ping(ctx)
				db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	conn := connect(t, url)
	var rows, versions int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&rows, &versions); err != nil {
		t.Fatal(err)
	}
	if rows != versions || rows == 0 {
		t.Errorf("schema_migrations holds %d rows of %d versions", rows, versions)
	}
}

// A transaction whose statement fails with a serialization failure runs again, even when fn
// turns the error into one of its own; one that fails otherwise runs once.
func TestTransactRunsALostRaceAgain(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	tries := 0
	err := db.Transact(ctx, func(tx store.Tx) error {
		if tries++; tries == 1 {
			return fmt.Errorf("fn's own error, not wrapping: %v", postgres.Raise(ctx, tx, "40001"))
		}
		return tx.CreateSecret(ctx, "s", []byte("v"))
	})
	if err != nil || tries != 2 {
		t.Errorf("Transact: %v after %d tries; want success on the second", err, tries)
	}
	tries = 0
	err = db.Transact(ctx, func(tx store.Tx) error {
		tries++
		return postgres.Raise(ctx, tx, "22012") // division by zero
	})
	if err == nil || tries != 1 {
		t.Errorf("Transact: %v after %d tries; want the error of the only one", err, tries)
	}
}

// A merchant's one API key from before api_keys moves there unchanged, so it keeps working.
func TestMigrationMovesTheMerchantKey(t *testing.T) {
	ctx := context.Background()
	url := pg.EmptyDatabase(t)
	const before = 7 // the schema up to the secrets and login failures
	err := postgres.MigrateTo(ctx, url, before, func(exec func(query string, args ...any) error) error {
		return exec(`INSERT INTO merchants (id, name, api_key_prefix, api_key_hash, livemode, webhook_url,
		webhook_secret, cid, subscription_cid, min_amount, max_amount, created_at) VALUES
		('mer_old', '오래된 상점', 'sk_test_OLDOLDOL', '\x0102', false, '', 'whsec_x', 'TC0ONETIME', 'TCSUBSCRIP', 100, 2000000, 1764147600000)`)
	})
	if err != nil {
		t.Fatal(err)
	}

	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.CheckMovedMerchantKey(t, db)
}

// A restart of PostgreSQL (its sessions ended with 57P01, then connections refused) answers
// store.ErrUnavailable to every kind of call, in flight or new, and the store works again once
// the server is back.
func TestRestartIsUnavailable(t *testing.T) {
	ctx := context.Background()
	proxy := pgtest.NewProxy(t, pg.Database(t))
	db, err := postgres.Open(ctx, proxy.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := createMerchant(ctx, db, "mer_1"); err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(r store.Reader) error {
		if _, err := r.Merchant(ctx, "mer_1"); err != nil {
			return err
		}
		proxy.Down()
		_, err := r.Merchant(ctx, "mer_1")
		return err
	})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("a read whose session ended under it: %v, want store.ErrUnavailable", err)
	}
	for name, call := range map[string]func() error{
		"Transact": func() error { return createMerchant(ctx, db, "mer_2") },
		"View": func() error {
			return db.View(ctx, func(r store.Reader) error { _, err := r.Merchant(ctx, "mer_1"); return err })
		},
		"a read": func() error { _, err := db.Merchant(ctx, "mer_1"); return err },
		"Ping":   func() error { return db.Ping(ctx) },
	} {
		if err := call(); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s while the server is down: %v, want store.ErrUnavailable", name, err)
		}
	}
	proxy.Up()
	// Connections the pool kept from before may each fail once more, as unavailable too.
	for try := 1; ; try++ {
		err := createMerchant(ctx, db, "mer_3")
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrUnavailable) || try > 20 {
			t.Fatalf("try %d after the server came back: %v", try, err)
		}
	}
}

// PostgreSQL's errors that mean "not now" (shutting down, starting up, out of connections,
// the connection lost) are store.ErrUnavailable; the others are not.
func TestServerErrorsThatAreUnavailable(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	for code, want := range map[string]bool{
		"57P01": true, "57P02": true, "57P03": true, "53300": true, "08006": true,
		"23505": false, "22012": false, "42P01": false,
	} {
		err := db.Transact(ctx, func(tx store.Tx) error { return postgres.Raise(ctx, tx, code) })
		if errors.Is(err, store.ErrUnavailable) != want {
			t.Errorf("SQLSTATE %s: %v; unavailable: %v, want %v", code, err, !want, want)
		}
	}
}

func createMerchant(ctx context.Context, db store.Store, id string) error {
	return db.Transact(ctx, func(tx store.Tx) error {
		return tx.CreateMerchant(ctx, &store.Merchant{ID: id, Name: id, CreatedAt: time.Now()})
	})
}

// A row whose JSON columns no kpcheckout wrote reads as an error naming it.
func TestDamagedRows(t *testing.T) {
	ctx := context.Background()
	url := pg.Database(t)
	db, conn := openURL(t, url), connect(t, url)
	storetest.CheckDamagedRows(t, db, func(q string) error { _, err := conn.Exec(ctx, q); return err })
}

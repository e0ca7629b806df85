package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/postgres"
	"github.com/kpcheckout/kpcheckout/store/postgres/pgtest"
	"github.com/kpcheckout/kpcheckout/store/storetest"
)

// pg is the PostgreSQL server of this test binary, started by the first test that needs it.
var pg pgtest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Stop(); err != nil {
		os.Stderr.WriteString("pgtest: " + err.Error() + "\n")
	}
	os.Exit(code)
}

func open(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

package web_test

import (
	"os"
	"testing"

	"github.com/kpcheckout/kpcheckout/store/postgres/pgtest"
)

// pg is the PostgreSQL server of this test binary, started by the first test that runs the app
// on PostgreSQL (handlerstest.Options.PostgresURL).
var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

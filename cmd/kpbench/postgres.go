package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kpcheckout/kpcheckout/store/postgres/pgtest"
)

// runPostgres measures the throughput scenarios on PostgreSQL with one instance and then with two
// on one database, each time a fresh one warmed up first, beside a pgx insert loop on the same
// server, and prints the table (and with -out writes the report).
func runPostgres(ctx context.Context, o options, args []string, stdout io.Writer) error {
	if o.pprof != "" {
		return errors.New("-pprof profiles the SQLite run only: two instances cannot share its address")
	}
	var pg pgtest.Server
	defer pg.Stop()
	tb := &programTB{}
	defer tb.cleanup() // before pg.Stop: the databases are dropped through its connection
	var runs [2]instancesResult
	var version string
	for i := range runs {
		url, err := tb.database(&pg)
		if err != nil {
			return err
		}
		if version == "" {
			version = serverVersion(ctx, url)
		}
		if runs[i], err = measureInstances(ctx, o, url, i+1); err != nil {
			return fmt.Errorf("%d instance(s) on PostgreSQL: %w", i+1, err)
		}
	}
	table := renderPostgresTable(runs[0], runs[1])
	fmt.Fprint(stdout, table)
	if o.out != "" {
		return writePostgresReport(o, args, version, table)
	}
	return nil
}

// instancesResult is what the throughput scenarios measured against some instances.
type instancesResult struct {
	load                                  string  // the 1-minute load average as the run began
	inserts                               float64 // the pgx insert loop, a second
	create, desktop, phone, status, flows result
	createXids, flowXids                  int64 // write transactions PostgreSQL began during create and flows
}

// nextXid is the id PostgreSQL's next write transaction takes: the difference of two readings is
// how many write transactions began between them (read-only ones take none), with no delay,
// unlike pg_stat_database's counters.
func nextXid(ctx context.Context, url string) int64 {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0
	}
	defer conn.Close(ctx)
	var x int64
	conn.QueryRow(ctx, "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint").Scan(&x)
	return x
}

// measureInstances starts n servers on the database at databaseURL and runs the throughput
// scenarios of measure across them, round robin.
func measureInstances(ctx context.Context, o options, databaseURL string, n int) (instancesResult, error) {
	r := instancesResult{load: loadAverage()}
	var c cluster
	for range n {
		srv, s, err := startServer(ctx, o, databaseURL)
		if err != nil {
			return r, err
		}
		defer srv.stop()
		c.shops = append(c.shops, s)
	}
	// Each start rotated the demo merchant's test key: the last one printed is the one in force.
	for _, s := range c.shops {
		s.key = c.shops[n-1].key
	}
	// A fresh database and fresh instances: caches, pools and plans fill before anything counts.
	warm := max(o.duration/2, 300*time.Millisecond)
	hammer(ctx, 16, warm, func(ctx context.Context) bool { _, ok := c.next().create(ctx); return ok })
	hammer(ctx, 16, warm, func(ctx context.Context) bool { return c.next().flow(ctx) })
	var err error
	if r.inserts, err = pgxInserts(ctx, databaseURL, 16, o.duration); err != nil {
		return r, fmt.Errorf("the pgx insert loop: %w", err)
	}
	x0 := nextXid(ctx, databaseURL)
	r.create = hammer(ctx, 16, o.duration, func(ctx context.Context) bool { _, ok := c.next().create(ctx); return ok })
	r.createXids = nextXid(ctx, databaseURL) - x0
	for _, p := range []struct {
		ua, device string
		into       *result
	}{{uaDesktop, "desktop", &r.desktop}, {uaPhone, "mobile", &r.phone}} {
		id, _, err := c.shops[0].payable(ctx, p.ua, p.device)
		if err != nil {
			return r, err
		}
		*p.into = hammer(ctx, 64, o.duration, func(ctx context.Context) bool {
			s := c.next()
			_, ok := get(ctx, s.c, s.base+"/c/"+id, 200, "User-Agent", p.ua)
			return ok
		})
	}
	id, _, err := c.shops[0].payable(ctx, uaDesktop, "desktop")
	if err != nil {
		return r, err
	}
	r.status = hammer(ctx, 64, o.duration, func(ctx context.Context) bool {
		_, ok := get(ctx, statusClient, c.next().base+"/c/"+id+"/status", 200)
		return ok
	})
	// A whole flow stays on one instance: the built-in sandbox keeps its payments in memory.
	x0 = nextXid(ctx, databaseURL)
	r.flows = hammer(ctx, 16, o.duration, func(ctx context.Context) bool { return c.next().flow(ctx) })
	r.flowXids = nextXid(ctx, databaseURL) - x0
	return r, nil
}

// cluster is several instances over one database, taken in turn.
type cluster struct {
	shops []*shop
	turn  atomic.Uint64
}

func (c *cluster) next() *shop {
	return c.shops[(c.turn.Add(1)-1)%uint64(len(c.shops))]
}

func renderPostgresTable(one, two instancesResult) string {
	var b strings.Builder
	b.WriteString("| scenario | one instance | two instances | two/one | target |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range []struct {
		scenario, target string
		pick             func(instancesResult) result
		p99              bool
	}{
		{"create a checkout (`POST /v1/checkouts`, 16 clients)", "", func(r instancesResult) result { return r.create }, false},
		{"desktop page with QR (`GET /c/{id}`, 64 clients)", "", func(r instancesResult) result { return r.desktop }, true},
		{"phone page (`GET /c/{id}`, 64 clients)", "", func(r instancesResult) result { return r.phone }, true},
		{"status poll (`GET /c/{id}/status`, 64 clients)", "", func(r instancesResult) result { return r.status }, true},
		{"whole sandbox flows (create, pay, approve in the wallet, return; 16 clients)", "≥ 800/s", func(r instancesResult) result { return r.flows }, false},
	} {
		a, z := r.pick(one), r.pick(two)
		fa, fz := perSec(a), perSec(z)
		if r.p99 {
			fa, fz = fa+", p99 "+ms(a.p99), fz+", p99 "+ms(z.p99)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.scenario, fa, fz, ratio(z.rate(), a.rate()), r.target)
	}
	vsLoop := func(r instancesResult) string {
		return fmt.Sprintf("%s (loop %.0f/s)", ratio(r.create.rate(), r.inserts), r.inserts)
	}
	fmt.Fprintf(&b, "| create ÷ pgx insert loop (same run, same server: 16 clients, one checkout-sized `INSERT` per SERIALIZABLE transaction) | %s | %s |  | ≥ 0.5× |\n",
		vsLoop(one), vsLoop(two))
	xids := func(r instancesResult) string {
		per := func(x int64, op result) string {
			if op.n == 0 {
				return "–"
			}
			return fmt.Sprintf("%.1f", float64(x)/float64(op.n))
		}
		return fmt.Sprintf("%s a create, %s a flow; %.0f/s during flows", per(r.createXids, r.create), per(r.flowXids, r.flows),
			float64(r.flowXids)/r.flows.elapsed.Seconds())
	}
	fmt.Fprintf(&b, "| PostgreSQL write transactions (xids taken; each one that writes a checkout also `NOTIFY`s) | %s | %s |  |  |\n", xids(one), xids(two))
	fmt.Fprintf(&b, "| load average (1 min) as the run began, other jobs included | %s | %s |  |  |\n", one.load, two.load)
	return b.String()
}

// pgxInserts is PostgreSQL's create baseline: workers goroutines on a pgx pool of as many
// connections, each inserting a checkout-sized row per SERIALIZABLE transaction (the isolation
// the store writes with) for d, into a table of its own. It answers inserts a second.
func pgxInserts(ctx context.Context, url string, workers int, d time.Duration) (float64, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return 0, err
	}
	cfg.MaxConns = int32(workers)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_checkouts (id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL,
		mode TEXT NOT NULL, status TEXT NOT NULL, amount BIGINT NOT NULL, tax_free_amount BIGINT NOT NULL, currency TEXT NOT NULL,
		reference TEXT NOT NULL, description TEXT NOT NULL, items TEXT NOT NULL, customer_name TEXT NOT NULL,
		customer_email TEXT NOT NULL, success_url TEXT NOT NULL, failure_url TEXT NOT NULL, locale TEXT NOT NULL,
		metadata TEXT NOT NULL, expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`); err != nil {
		return 0, err
	}
	var seq atomic.Int64
	r := hammer(ctx, workers, d, func(ctx context.Context) bool {
		now := time.Now().UnixMilli()
		err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO bench_checkouts VALUES ($1, 'mer_bench', 'payment', 'open', 11000, 0, 'KRW', 'BENCH', '', '[]',
				'', '', 'http://127.0.0.1/ok', 'http://127.0.0.1/no', 'ko', '{}', $2, $3, $4)`,
				fmt.Sprintf("cs_%022d", seq.Add(1)), now+3600000, now, now)
			return err
		})
		return err == nil
	})
	if r.failed > 0 && r.n == 0 {
		return 0, fmt.Errorf("every insert failed")
	}
	return r.rate(), nil
}

// writePostgresReport writes the table with how it was made to o.out.
func writePostgresReport(o options, args []string, version, table string) error {
	var b strings.Builder
	b.WriteString("# Benchmarks on PostgreSQL\n\nThe latest `make bench BENCH_DB=postgres` on the development machine: the throughput scenarios of\n" +
		"[benchmarks.md](benchmarks.md) against one and then two `kpcheckout serve` instances on one PostgreSQL\n" +
		"database, and the ratio two/one. Everything runs on one machine: the second instance shares its cores\n" +
		"with the first, PostgreSQL and the load generator, so the ratio shows what a second instance costs or\n" +
		"gains here, not what a second machine would add.\n\n")
	fmt.Fprintf(&b, "- command: `make bench BENCH_DB=postgres` (`go run ./cmd/kpbench %s`)\n", strings.Join(args, " "))
	fmt.Fprintf(&b, "- machine: %s, %d cores, %s, %s; other jobs may have been running (see the load average)\n",
		cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"))
	where := "a private server that kpbench starts as the tests do (`store/postgres/pgtest`), on loopback, with fsync,\n" +
		"  `full_page_writes` and `synchronous_commit` off"
	if os.Getenv(pgtest.EnvURL) != "" {
		where = "the server " + pgtest.EnvURL + " names"
	}
	fmt.Fprintf(&b, "- database: PostgreSQL %s, %s; a fresh migrated database for each\n"+
		"  configuration, warmed up by half a scenario's time of creates and of whole flows that are not counted;\n"+
		"  up to 16 connections per instance (the store's default); create's baseline is a pgx insert loop on the\n"+
		"  same database right before it\n", version, where)
	b.WriteString("- servers: `kpcheckout serve` in sandbox mode on loopback, log level warn; requests alternate between the\n" +
		"  instances, except that each whole flow stays on one, since the built-in sandbox keeps its payments in\n" +
		"  memory; the load generator runs on the same machine\n")
	b.WriteString("- what the figures mean for several instances and bigger shops: [scaling.md](scaling.md)\n\n")
	b.WriteString(table)
	b.WriteString(earlierRuns(o.out))
	return os.WriteFile(o.out, []byte(b.String()), 0o644)
}

// serverVersion is the PostgreSQL server's version, or "" when it cannot be read.
func serverVersion(ctx context.Context, url string) string {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return ""
	}
	defer conn.Close(ctx)
	var v string
	conn.QueryRow(ctx, "SHOW server_version").Scan(&v)
	return v
}

// loadAverage is the machine's 1-minute load average, as /proc/loadavg says.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// programTB lets a program take databases from pgtest, whose API is made for tests: pgtest calls
// only the methods below, and the embedded testing.TB stays nil.
type programTB struct {
	testing.TB
	cleanups []func()
	errs     []error
}

// fatal carries a Fatalf out of pgtest to database.
type fatal struct{ err error }

// database is a fresh, migrated database on pg's server, dropped by cleanup.
func (tb *programTB) database(pg *pgtest.Server) (url string, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(fatal)
			if !ok {
				panic(r)
			}
			err = f.err
		}
	}()
	return pg.Database(tb), nil
}

// cleanup runs the cleanups pgtest registered, last first, and reports what they complained of.
func (tb *programTB) cleanup() error {
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
	tb.cleanups = nil
	return errors.Join(tb.errs...)
}

func (tb *programTB) Helper()          {}
func (tb *programTB) Cleanup(f func()) { tb.cleanups = append(tb.cleanups, f) }
func (tb *programTB) Errorf(format string, args ...any) {
	tb.errs = append(tb.errs, fmt.Errorf(format, args...))
}
func (tb *programTB) Fatalf(format string, args ...any) {
	panic(fatal{fmt.Errorf(format, args...)})
}

// Command kpbench measures kpcheckout on this machine: it builds nothing itself, starts the
// given server binary on loopback with a fresh SQLite file in sandbox mode, drives it with the
// load generator below, and prints a Markdown table whose every figure has a baseline measured
// in the same run (a bare net/http server, a bare loop of SQLite inserts) and their ratio.
// With -db postgres it runs the throughput scenarios on a private PostgreSQL server instead, with
// one and with two instances of the server on one database, and prints the ratio two/one.
//
//	go run ./cmd/kpbench -server bin/kpcheckout -out docs/benchmarks.md
//	go run ./cmd/kpbench -server bin/kpcheckout -db postgres -out docs/benchmarks-postgres.md
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/kpcheckout/kpcheckout/store/postgres/pgtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kpbench:", err)
		os.Exit(1)
	}
}

// options are kpbench's flags.
type options struct {
	server    string
	db        string
	duration  time.Duration
	waiters   int
	approvals int
	out       string
	bare      string
	pprof     string
	// settle is how long both servers hold their waits before their memory and CPU are
	// measured: 10,000 polls arriving within a second or two are a burst that a real crowd of
	// shoppers, arriving over minutes, does not make, and the collector gives the burst's memory
	// back to the system over the following seconds. The RSS as the last one arrived is reported
	// beside.
	settle time.Duration
	load   string // the 1-minute load average as the run began
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("kpbench", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.server, "server", "bin/kpcheckout", "the kpcheckout binary to measure")
	fs.StringVar(&o.db, "db", "sqlite", "sqlite, or postgres: one and two instances on a private PostgreSQL server (or on "+pgtest.EnvURL+"'s)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long each throughput scenario runs")
	fs.IntVar(&o.waiters, "waiters", 10000, "status long-polls held open at once")
	fs.IntVar(&o.approvals, "approvals", 300, "waiting checkouts approved by phones, 200 a second")
	fs.DurationVar(&o.settle, "settle", 10*time.Second, "how long both servers hold their waits before their memory and CPU are measured")
	fs.StringVar(&o.out, "out", "", "also write the table, with the command and the machine, to this Markdown file")
	short := fs.Bool("short", false, "a smoke run of a few seconds: 1 s scenarios, 200 waiters, 20 approvals")
	fs.StringVar(&o.pprof, "pprof", "", "run the server with --pprof-addr on this address and save its CPU profiles (create, pages, waits, flows) and its heap and goroutine profiles while the long-polls wait")
	fs.StringVar(&o.bare, "bare", "", "internal: serve the bare baseline on this address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.bare != "" {
		return serveBare(ctx, o.bare, stdout)
	}
	if *short {
		o.duration, o.waiters, o.approvals, o.settle = time.Second, 200, 20, time.Second
	}
	o.load = loadAverage()
	if o.db == "postgres" {
		return runPostgres(ctx, o, args, stdout)
	}
	if o.db != "sqlite" {
		return fmt.Errorf("-db %q: sqlite or postgres", o.db)
	}
	rows, err := measure(ctx, o)
	if err != nil {
		return err
	}
	table := renderTable(rows)
	fmt.Fprint(stdout, table)
	if o.out != "" {
		return writeReport(o, args, table)
	}
	return nil
}

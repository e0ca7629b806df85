package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/store/postgres"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
)

// `kpcheckout migrate --dry-run` lists the steps a database lacks and changes nothing;
// `kpcheckout migrate` says which steps it applied, and that there was nothing to do next time.
func TestMigrateSaysWhatItApplied(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	vars := env(map[string]string{"KPCHECKOUT_DATABASE_URL": "sqlite:" + path})
	steps := sqlite.Migrations()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"migrate", "--dry-run"}, vars, &out, io.Discard); err != nil {
		t.Fatalf("migrate --dry-run: %v", err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("%d steps to apply", len(steps))) || !strings.Contains(out.String(), "  4  payment links\n") {
		t.Errorf("migrate --dry-run on no database printed:\n%s", out.String())
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("migrate --dry-run made the database file")
	}
	out.Reset()
	if err := run(t.Context(), []string{"migrate"}, vars, &out, io.Discard); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("applied %d steps", len(steps))) || !strings.Contains(out.String(), "  4  payment links\n") ||
		strings.Contains(out.String(), "current") {
		t.Errorf("migrate on a new database printed:\n%s", out.String())
	}
	for _, args := range [][]string{{"migrate"}, {"migrate", "--dry-run"}} {
		out.Reset()
		if err := run(t.Context(), args, vars, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if want := fmt.Sprintf("nothing to apply: the database has all %d steps", len(steps)); !strings.Contains(out.String(), want) {
			t.Errorf("%v on a current database printed %q, want %q", args, out.String(), want)
		}
	}
	if n := len(postgres.Migrations()); n != len(steps) {
		t.Errorf("PostgreSQL knows %d steps, SQLite %d: the lists must mirror each other", n, len(steps))
	}
}

// An older kpcheckout refuses a database a newer one migrated: every command that opens it
// says which version it knows and which the database has, and writes nothing.
func TestOlderBinaryRefusesANewerDatabase(t *testing.T) {
	known := len(sqlite.Migrations())
	path := filepath.Join(t.TempDir(), "new.db")
	vars := env(map[string]string{"KPCHECKOUT_DATABASE_URL": "sqlite:" + path, "KPCHECKOUT_ADDR": freeAddr(t)})
	if err := run(t.Context(), []string{"migrate"}, vars, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, known+1); err != nil {
		t.Fatal(err)
	}
	pgURL := pg.Database(t)
	conn, err := pgx.Connect(t.Context(), pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)`, known+1); err != nil {
		t.Fatal(err)
	}
	pgVars := env(map[string]string{"KPCHECKOUT_DATABASE_URL": pgURL, "KPCHECKOUT_ADDR": freeAddr(t)})

	want := fmt.Sprintf("the database is at schema version %d, but this kpcheckout knows versions up to %d", known+1, known)
	for _, args := range [][]string{{"serve"}, {"migrate"}, {"migrate", "--dry-run"}, {"merchant", "create", "--name", "새 상점"},
		{"checkout", "create", "--amount", "1000"}, {"user", "list", "--merchant", "새 상점"}} {
		for name, vars := range map[string]func(string) string{"SQLite": vars, "PostgreSQL": pgVars} {
			err := run(t.Context(), args, vars, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v: %v, want %q", name, args, err, want)
			}
		}
	}
	var merchants int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM merchants`).Scan(&merchants); err != nil || merchants != 0 {
		t.Errorf("SQLite: %d merchants after the refusals (%v)", merchants, err)
	}
	if err := conn.QueryRow(t.Context(), `SELECT COUNT(*) FROM merchants`).Scan(&merchants); err != nil || merchants != 0 {
		t.Errorf("PostgreSQL: %d merchants after the refusals (%v)", merchants, err)
	}
}

// migrateLock is store/postgres's advisory lock key, which the test holds to start two
// instances into it at once.
const migrateLock = 0x6b70636865636b6f

// Two `kpcheckout serve` processes starting at once on one empty PostgreSQL database migrate it
// once: one applies every step and says so, the other waits for it and finds nothing to do.
func TestTwoInstancesMigrateOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	bin := binary(t)
	dbURL := pg.EmptyDatabase(t)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Held here, the lock keeps both instances waiting for it until both are.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
		t.Fatal(err)
	}
	type proc struct {
		addr   string
		cmd    *exec.Cmd
		stderr *handlerstest.LogBuffer
	}
	var procs []*proc
	for range 2 {
		p := &proc{addr: freeAddr(t), stderr: &handlerstest.LogBuffer{}}
		p.cmd = exec.Command(bin, "serve")
		p.cmd.Env = append(os.Environ(), "KPCHECKOUT_ADDR="+p.addr, "KPCHECKOUT_DATABASE_URL="+dbURL,
			"KPCHECKOUT_KAKAOPAY_SECRET_KEY=unused", "KPCHECKOUT_KAKAOPAY_API_BASE=http://127.0.0.1:1")
		p.cmd.Stderr = p.stderr
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			p.cmd.Process.Signal(syscall.SIGTERM)
			p.cmd.Wait()
			if t.Failed() {
				t.Logf("instance %s said:\n%s", p.addr, p.stderr)
			}
		})
		procs = append(procs, p)
	}
	deadline := time.Now().Add(time.Minute) // only so that a broken start fails instead of hanging
	for waiting := 0; waiting < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d instances wait for the migration lock, want 2", waiting)
		}
		err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(migrateLock)); err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		if !waitReady(t, p.addr) {
			t.Fatalf("instance %s did not start: %s", p.addr, p.stderr)
		}
	}
	var rows, versions int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&rows, &versions); err != nil {
		t.Fatal(err)
	}
	if known := len(postgres.Migrations()); rows != known || versions != known {
		t.Errorf("schema_migrations holds %d rows of %d versions, want %d", rows, versions, known)
	}
	migrated := 0
	for _, p := range procs {
		if strings.Contains(p.stderr.String(), `"msg":"database migrated"`) {
			migrated++
		}
	}
	if migrated != 1 {
		t.Errorf("%d instances say they migrated the database, want 1", migrated)
	}
}

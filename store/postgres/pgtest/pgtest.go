// Package pgtest gives tests real PostgreSQL databases: a fresh, migrated database for each test,
// on a private server that the test binary starts on first use and stops at its end, or on the
// server KPCHECKOUT_TEST_DATABASE_URL names.
//
//	var pg pgtest.Server
//
//	func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		db, err := postgres.Open(ctx, pg.Database(t))
//		…
package pgtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kpcheckout/kpcheckout/store/postgres"
)

// EnvURL names the variable that points the tests at a PostgreSQL server of one's own, by the
// URL of a database there whose user may create databases. Unset, a private server is started.
const EnvURL = "KPCHECKOUT_TEST_DATABASE_URL"

// Server is the PostgreSQL server of a test binary. Its zero value is ready: the first Database
// starts it. Stop it in TestMain once the tests have run.
type Server struct {
	mu       sync.Mutex
	started  bool
	err      error          // why it could not start; every later Database fails with it
	private  *privateServer // nil when EnvURL names the server
	admin    *pgxpool.Pool  // where databases are created and dropped
	url      string         // the admin database's URL, whose database name each test's replaces
	template string         // a migrated database each test's is copied from
}

// Database creates a fresh database, migrated to the current schema, and returns its URL; it is
// dropped when the test ends. The test fails when no server can be had.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	return s.create(t, true)
}

// EmptyDatabase is Database with no schema at all, for tests of the migrations.
func (s *Server) EmptyDatabase(t testing.TB) string {
	t.Helper()
	return s.create(t, false)
}

func (s *Server) create(t testing.TB, migrated bool) string {
	t.Helper()
	ctx := context.Background()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.started = true
		s.err = s.start(ctx)
	}
	if s.err != nil {
		t.Fatalf("pgtest: %v", s.err)
	}
	name := "kpt_" + strings.ToLower(rand.Text()[:12])
	// CREATE DATABASE takes no parameters; the names are ours, made of [a-z0-9_].
	create := "CREATE DATABASE " + name
	if migrated {
		create += " TEMPLATE " + s.template
	}
	if _, err := s.admin.Exec(ctx, create); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.urlOf(name)
}

// start reaches or starts the server and makes the template database.
func (s *Server) start(ctx context.Context) error {
	s.url = os.Getenv(EnvURL)
	if s.url == "" {
		p, err := startPrivate(ctx)
		if err != nil {
			return err
		}
		s.private, s.url = p, p.url
	}
	admin, err := pgxpool.New(ctx, s.url)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(s.url), err)
	}
	s.admin = admin
	s.template = "kpt_template_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+s.template); err != nil {
		return fmt.Errorf("create the template database on %s: %w", redact(s.url), err)
	}
	db, err := postgres.Open(ctx, s.urlOf(s.template))
	if err != nil {
		return fmt.Errorf("migrate the template database: %w", err)
	}
	return db.Close() // a template with a connection open cannot be copied
}

// urlOf is the server's URL with another database name.
func (s *Server) urlOf(name string) string {
	if u, err := url.Parse(s.url); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		return u.String()
	}
	return s.url + " dbname=" + name // a key=value connection string, where the last dbname counts
}

// Run runs a test binary's tests, then stops the server (a failure to stop is told on stderr,
// and does not fail the tests), and returns the tests' exit code for os.Exit.
func (s *Server) Run(m *testing.M) int {
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
	}
	return code
}

// Stop drops the template and stops a private server, removing its files.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if s.admin != nil {
		if s.private == nil {
			_, err := s.admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+s.template+" WITH (FORCE)")
			errs = append(errs, err)
		}
		s.admin.Close()
		s.admin = nil
	}
	if s.private != nil {
		errs = append(errs, s.private.stop())
		s.private = nil
	}
	return errors.Join(errs...)
}

// redact hides a URL's password in messages.
func redact(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil || cfg.Password == "" {
		return url
	}
	return strings.ReplaceAll(url, cfg.Password, "xxxxx")
}

// privateServer is a PostgreSQL server of this process's own, in a temporary directory.
type privateServer struct {
	dir    string
	url    string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the server process has ended
}

// installHint ends the messages about missing or broken PostgreSQL binaries.
const installHint = "`make test` installs Debian's postgresql package when it is missing (or set " + EnvURL +
	" to a database on a server of your own)"

// startPrivate initdbs a data directory in a temporary folder and starts a server on it, on
// 127.0.0.1 at a free port, with its unix socket in that folder and no fsync: its data lives as
// long as the test binary. TMPDIR chooses the folder's place when /dev/shm cannot be written.
func startPrivate(ctx context.Context) (*privateServer, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tempBase(), "kpcheckout-pg-*")
	if err != nil {
		return nil, err
	}
	p := &privateServer{dir: dir, exited: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	// PostgreSQL refuses to run as root: as root, run it as the postgres user the package made.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, the server must run as the postgres user, and there is none (%v); %s", err, installHint)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	for range 3 { // a free port can be taken between finding it and the server binding it
		if err = p.run(ctx, bin, data, cred); err == nil {
			ok = true
			return p, nil
		}
	}
	return nil, err
}

// run starts the server process on a free port and waits until it takes connections.
func (p *privateServer) run(ctx context.Context, bin, data string, cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	logPath := filepath.Join(p.dir, "postgres.log")
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer log.Close()
	p.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", p.dir,
		"-F", "-c", "full_page_writes=off", "-c", "synchronous_commit=off", "-c", "max_connections=300")
	p.cmd.Stdout, p.cmd.Stderr = log, log
	// Pdeathsig: a test binary killed outright takes its server with it.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	p.exited = make(chan struct{})
	go func() { p.cmd.Wait(); close(p.exited) }()
	p.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(cctx, p.url)
		cancel()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-p.exited:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres exited at start: %s", out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres did not take connections within 30 s: %v\n%s", err, out)
		}
	}
}

// stop shuts the server down fast (SIGINT: no waiting for clients) and removes its files.
func (p *privateServer) stop() error {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	}
	return os.RemoveAll(p.dir)
}

// tempBase is where the server's folder goes: /dev/shm when it can be written and has room (a
// container's is often 64 MB, less than one server and its databases need), as a database kept
// in memory is created in a tenth of the time (40 ms against 300 ms); else the usual place.
func tempBase() string {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || uint64(st.Bavail)*uint64(st.Bsize) < shmRoom {
		return ""
	}
	probe, err := os.MkdirTemp("/dev/shm", "kpcheckout-probe-*")
	if err != nil {
		return ""
	}
	os.Remove(probe)
	return "/dev/shm"
}

// shmRoom is the space /dev/shm must have free to hold the test servers of the test binaries
// that run at once.
const shmRoom = 2 << 30

// freePort asks the kernel for a loopback port nobody listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// findBinaries finds the directory of initdb and postgres: initdb's on PATH (following links,
// as Debian's /usr/bin has neither), else the newest /usr/lib/postgresql/*/bin.
func findBinaries() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(found, func(a, b string) int { return version(b) - version(a) })
	dirs = append(dirs, found...)
	for _, d := range dirs {
		if executable(filepath.Join(d, "initdb")) && executable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb and postgres) on PATH or in /usr/lib/postgresql/*/bin; %s", installHint)
}

// version reads the major version of a /usr/lib/postgresql/N/bin directory.
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

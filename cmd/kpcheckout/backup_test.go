package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// binDir holds what kpcheckoutBin built; TestMain removes it.
var binDir string

// kpcheckoutBin is this package built once, for tests that run it as another process would.
var kpcheckoutBin = sync.OnceValues(func() (string, error) {
	var err error
	if binDir, err = os.MkdirTemp("", "kpcheckout-bin-"); err != nil {
		return "", err
	}
	bin := filepath.Join(binDir, "kpcheckout")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", errors.New(string(out))
	}
	return bin, nil
})

// removeBinary removes what kpcheckoutBin built, if it built anything.
func removeBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// binary is kpcheckoutBin, failing the test when it cannot be built.
func binary(t *testing.T) string {
	t.Helper()
	bin, err := kpcheckoutBin()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return bin
}

// apiCall calls the merchant API at addr with key; it answers the status and decodes the body
// into out.
func apiCall(t *testing.T, addr, key, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer res.Body.Close()
	if out != nil {
		json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

// payInSandbox pays a checkout through the server's built-in sandbox, as a phone would.
func payInSandbox(t *testing.T, addr, checkoutID string) {
	t.Helper()
	res, err := noRedirects().Get(approveInWallet(t, addr, checkoutID))
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approval return: %v %v", err, res)
	}
	res.Body.Close()
}

// urls are the return URLs of the checkouts tests make.
const urls = `"success_url":"https://shop.example/ok","failure_url":"https://shop.example/no"`

type checkoutOut struct {
	ID      string
	Status  string
	Amount  int64
	Payment *struct{ ID string }
}

// `kpcheckout backup FILE`, run as its own process while the server takes checkouts from
// several clients, writes a copy that passes SQLite's integrity check, and a server started on
// the copy serves every merchant, checkout and payment made before the backup began.
func TestBackupWhileServing(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "live.db")
	srv := startServeOn(t, "sqlite:"+src)
	demoID := srv.checkoutURL[strings.LastIndex(srv.checkoutURL, "/")+1:]
	payInSandbox(t, srv.addr, demoID)
	var paid checkoutOut
	if code := apiCall(t, srv.addr, srv.key, "GET", "/v1/checkouts/"+demoID, "", &paid); code != 200 || paid.Payment == nil {
		t.Fatalf("the paid checkout: %d %+v", code, paid)
	}
	before := []string{demoID}
	for range 20 {
		var c checkoutOut
		if code := apiCall(t, srv.addr, srv.key, "POST", "/v1/checkouts", `{"amount":4500,"reference":"before",`+urls+`}`, &c); code != 201 {
			t.Fatalf("create: %d", code)
		}
		before = append(before, c.ID)
	}

	// Writers keep creating checkouts before, during and after the backup.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	written, failed := 0, 0
	started := make(chan struct{}, 4)
	for range 4 {
		wg.Go(func() {
			for first := true; ; first = false {
				select {
				case <-stop:
					return
				default:
				}
				code := apiCall(t, srv.addr, srv.key, "POST", "/v1/checkouts", `{"amount":1000,"reference":"during",`+urls+`}`, nil)
				mu.Lock()
				if code == 201 {
					written++
				} else {
					failed++
				}
				mu.Unlock()
				if first {
					started <- struct{}{}
				}
			}
		})
	}
	for range 4 {
		<-started
	}
	copyPath := filepath.Join(dir, "copy.db")
	cmd := exec.Command(bin, "backup", copyPath)
	cmd.Env = append(os.Environ(), "KPCHECKOUT_DATABASE_URL=sqlite:"+src)
	out, err := cmd.CombinedOutput()
	mu.Lock()
	during := written
	mu.Unlock()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if failed > 0 || written == during {
		t.Errorf("the writers made %d checkouts, %d after the backup, and %d failed", written, written-during, failed)
	}
	for _, want := range []string{"wrote " + copyPath, "1 merchant", "1 payment", "checkouts", "integrity ok"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("backup printed %q, want %q in it", out, want)
		}
	}

	raw, err := sql.Open("sqlite", "file:"+copyPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var check string
	err = raw.QueryRow(`PRAGMA integrity_check`).Scan(&check)
	raw.Close()
	if err != nil || check != "ok" {
		t.Fatalf("integrity_check of the copy: %q %v", check, err)
	}
	restored := startServeOn(t, "sqlite:"+copyPath)
	if !strings.Contains(restored.banner, paidMerchantLine(srv.banner)) {
		t.Errorf("the copy's demo merchant is not the original's:\n%s\n%s", srv.banner, restored.banner)
	}
	for _, id := range before {
		var c checkoutOut
		if code := apiCall(t, restored.addr, restored.key, "GET", "/v1/checkouts/"+id, "", &c); code != 200 || c.ID != id {
			t.Errorf("checkout %s on the copy: %d %+v", id, code, c)
		}
	}
	var p struct{ ID, Status string }
	if code := apiCall(t, restored.addr, restored.key, "GET", "/v1/payments/"+paid.Payment.ID, "", &p); code != 200 || p.ID != paid.Payment.ID {
		t.Errorf("payment %s on the copy: %d %+v", paid.Payment.ID, code, p)
	}
}

// paidMerchantLine is the "demo merchant:" line of a serve banner.
func paidMerchantLine(banner string) string {
	for line := range strings.SplitSeq(banner, "\n") {
		if strings.Contains(line, "demo merchant:") {
			return line
		}
	}
	return "no demo merchant line"
}

// `kpcheckout backup` refuses, in a sentence, what it cannot do: a FILE that exists (unless
// --force), a place it cannot write, a disk that fills up, a database that is not there, and
// PostgreSQL, which has its own tools.
func TestBackupRefusals(t *testing.T) {
	dir := t.TempDir()
	src := "sqlite:" + filepath.Join(dir, "live.db")
	cliMerchant(t, "상점", src)
	backup := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), append([]string{"backup"}, args...), env(map[string]string{"KPCHECKOUT_DATABASE_URL": src}), &out, io.Discard)
		return out.String(), err
	}
	exists := filepath.Join(dir, "exists.db")
	if err := os.WriteFile(exists, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{exists}, "--force"},
		{[]string{filepath.Join(dir, "missing", "b.db")}, "does not exist"},
		{[]string{"/sys/kp-backup.db"}, "cannot write"},
		{nil, "usage: kpcheckout backup"},
		{[]string{"--force", filepath.Join(dir, "live.db")}, "the database itself"},
	} {
		if _, err := backup(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("backup %v: %v, want %q", tc.args, err, tc.want)
		}
	}
	if b, _ := os.ReadFile(exists); string(b) != "keep me" {
		t.Errorf("the refused FILE was changed: %q", b)
	}
	if out, err := backup(exists, "--force"); err != nil || !strings.Contains(out, "wrote "+exists) {
		t.Errorf("backup --force over a file: %v %q", err, out)
	}
	err := run(t.Context(), []string{"backup", filepath.Join(dir, "b.db")},
		env(map[string]string{"KPCHECKOUT_DATABASE_URL": "sqlite:" + filepath.Join(dir, "none.db")}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no database at") {
		t.Errorf("backup of no database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
		t.Error("backup of no database made one")
	}
	err = run(t.Context(), []string{"backup", filepath.Join(dir, "pg.db")},
		env(map[string]string{"KPCHECKOUT_DATABASE_URL": "postgres://kp@127.0.0.1:1/kp"}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup of PostgreSQL: %v", err)
	}

	// A disk that fills up: the copy's file may grow to 16 KiB only.
	full := filepath.Join(dir, "full.db")
	cmd := exec.Command("bash", "-c", `ulimit -f 16 && exec "$0" backup "$1"`, binary(t), full)
	cmd.Env = append(os.Environ(), "KPCHECKOUT_DATABASE_URL="+src)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "could not write") {
		t.Errorf("backup onto a full disk: %v %s", err, out)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "*full.db*")); len(leftovers) > 0 {
		t.Errorf("a failed backup left %v", leftovers)
	}
}

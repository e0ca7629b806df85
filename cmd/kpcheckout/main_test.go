package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store/postgres/pgtest"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// noRedirects returns a client that hands back a redirect instead of following it.
func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// pg is the PostgreSQL server of this test binary, started by the first test that needs it.
var pg pgtest.Server

func TestMain(m *testing.M) {
	code := pg.Run(m)
	removeBinary()
	os.Exit(code)
}

func TestMerchantCreatePrintsKeyOnce(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "k.db")
	var out, errb bytes.Buffer
	err := run(t.Context(), []string{"merchant", "create", "--name", "내 상점", "--webhook-url", "https://shop.example/hooks"},
		env(map[string]string{"KPCHECKOUT_DATABASE_URL": db}), &out, &errb)
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	var got map[string]string
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if !strings.HasPrefix(got["id"], "mer_") || !strings.HasPrefix(got["api_key"], "sk_test_") || !strings.HasPrefix(got["webhook_secret"], "whsec_") {
		t.Fatalf("merchant create printed %v", got)
	}
	err = run(t.Context(), []string{"merchant", "create"}, env(map[string]string{"KPCHECKOUT_DATABASE_URL": db}), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "name") {
		t.Errorf("no name: %v", err)
	}
	err = run(t.Context(), []string{"merchant", "create", "--name", "x", "--cid", "short"}, env(map[string]string{"KPCHECKOUT_DATABASE_URL": db}), &out, &errb)
	if err == nil {
		t.Error("a 5-character CID was accepted")
	}
}

func TestCommands(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"version"}, env(nil), &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "kpcheckout ") {
		t.Errorf("version: %v %q", err, out.String())
	}
	if err := run(t.Context(), []string{"bogus"}, env(nil), &out, io.Discard); err == nil {
		t.Error("an unknown command was accepted")
	}
	if err := run(t.Context(), []string{"migrate"}, env(map[string]string{"KPCHECKOUT_DATABASE_URL": "mysql://x"}), &out, io.Discard); err == nil {
		t.Error("mysql was accepted")
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "m.db")
	out.Reset()
	if err := run(t.Context(), []string{"migrate"}, env(map[string]string{"KPCHECKOUT_DATABASE_URL": db}), &out, io.Discard); err != nil {
		t.Errorf("migrate: %v", err)
	}
	if err := run(t.Context(), []string{"serve"}, env(map[string]string{"KPCHECKOUT_BASE_URL": "ftp://x"}), &out, io.Discard); err == nil {
		t.Error("a bad base URL was accepted")
	}
}

// serving is `kpcheckout serve` running in this process on its embedded defaults, as `make run`
// starts it: the key and demo checkout it printed, and how to stop it.
type serving struct {
	addr, key, checkoutURL string
	databaseURL            string
	banner                 string       // what it printed, up to its advice for phones
	stop                   func() error // cancels serve and waits for it to return
}

func startServe(t *testing.T) *serving {
	t.Helper()
	return startServeOn(t, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
}

// startServeOn is startServe over the database at databaseURL.
func startServeOn(t *testing.T, databaseURL string) *serving {
	t.Helper()
	return startServeEnv(t, map[string]string{"KPCHECKOUT_DATABASE_URL": databaseURL})
}

// startServeEnv is startServe with the KPCHECKOUT_* variables vars, on a free address unless
// they give one.
func startServeEnv(t *testing.T, vars map[string]string) *serving {
	t.Helper()
	addr := vars["KPCHECKOUT_ADDR"] // a restart's: the same address
	if addr == "" {
		addr = freeAddr(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	s := &serving{addr: addr, databaseURL: vars["KPCHECKOUT_DATABASE_URL"]}
	vars = maps.Clone(vars)
	vars["KPCHECKOUT_ADDR"] = addr
	go func() {
		done <- run(ctx, []string{"serve"}, env(vars), pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() && !strings.Contains(sc.Text(), "KPCHECKOUT_ADDR=0.0.0.0") {
		s.banner += sc.Text() + "\n"
		f := strings.Fields(sc.Text())
		switch {
		case strings.HasPrefix(sc.Text(), "  test API key:"):
			s.key = f[len(f)-1]
		case strings.HasPrefix(sc.Text(), "  demo checkout:"):
			s.checkoutURL = f[len(f)-1]
		}
	}
	go io.Copy(io.Discard, pr)
	stopped := false
	s.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("serve did not shut down")
		}
	}
	t.Cleanup(func() { s.stop() })
	if s.key == "" || !strings.HasPrefix(s.checkoutURL, "http://"+addr+"/c/cs_") {
		t.Fatalf("serve printed key %q and checkout %q", s.key, s.checkoutURL)
	}
	return s
}

// TestServeSandbox starts the real server in sandbox mode, reads the printed key and checkout,
// pays it through the built-in sandbox, and shuts down on cancel.
func TestServeSandbox(t *testing.T) {
	srv := startServe(t)
	addr, key, checkoutURL := srv.addr, srv.key, srv.checkoutURL
	res, err := http.Get(checkoutURL)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("demo checkout: %v %v", err, res)
	}
	res.Body.Close()
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/checkouts", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err = http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("API with the printed key: %v %v", err, res)
	}
	res.Body.Close()
	// Pay the demo checkout through the mounted sandbox, as a phone would.
	id := checkoutURL[strings.LastIndex(checkoutURL, "/")+1:]
	res, err = http.PostForm("http://"+addr+"/c/"+id+"/pay", map[string][]string{"device": {"mobile"}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("pay: %v %v", err, res)
	}
	res.Body.Close()
	for _, path := range []string{"/healthz", "/readyz"} {
		if res, err := http.Get("http://" + addr + path); err != nil || res.StatusCode != 200 {
			t.Errorf("%s: %v %v", path, err, res)
		}
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// TestServeOnPostgres migrates an empty PostgreSQL database with `kpcheckout migrate`, starts two
// instances of `kpcheckout serve` on it, and pays the demo checkout as a phone would: it starts
// paying on one instance, KakaoPay's return lands on the other, and the first answers it paid.
func TestServeOnPostgres(t *testing.T) {
	dbURL := pg.EmptyDatabase(t)
	var out bytes.Buffer
	if err := run(t.Context(), []string{"migrate"}, env(map[string]string{"KPCHECKOUT_DATABASE_URL": dbURL}), &out, io.Discard); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	a := startServeOn(t, dbURL)
	// b asks a's sandbox, as both instances would ask KakaoPay: the built-in sandbox keeps its
	// payments in its own process. The demo merchant is there already: b gives it a new key.
	b := startServeEnv(t, map[string]string{"KPCHECKOUT_DATABASE_URL": dbURL, "KPCHECKOUT_KAKAOPAY_API_BASE": "http://" + a.addr + "/sandbox"})
	id := a.checkoutURL[strings.LastIndex(a.checkoutURL, "/")+1:]

	approveURL := strings.Replace(approveInWallet(t, a.addr, id), a.addr, b.addr, 1)
	res, err := noRedirects().Get(approveURL)
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the approval return on b: %v %v", err, res)
	}
	res.Body.Close()

	req, _ := http.NewRequest("GET", "http://"+a.addr+"/v1/checkouts/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+b.key)
	res, err = http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the checkout on a: %v %v", err, res)
	}
	var c struct{ Status string }
	err = json.NewDecoder(res.Body).Decode(&c)
	res.Body.Close()
	if err != nil || c.Status != "paid" {
		t.Errorf("a says the checkout is %q (%v), want paid", c.Status, err)
	}
	for _, srv := range []*serving{a, b} {
		if res, err := http.Get("http://" + srv.addr + "/readyz"); err != nil || res.StatusCode != 200 {
			t.Errorf("readyz: %v %v", err, res)
		}
		if err := srv.stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}

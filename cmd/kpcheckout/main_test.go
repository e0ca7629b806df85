package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestMerchantCreatePrintsKeyOnce(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "k.db")
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"merchant", "create", "--name", "내 상점", "--webhook-url", "https://shop.example/hooks"},
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
	err = run(context.Background(), []string{"merchant", "create"}, env(map[string]string{"KPCHECKOUT_DATABASE_URL": db}), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "name") {
		t.Errorf("no name: %v", err)
	}
	err = run(context.Background(), []string{"merchant", "create", "--name", "x", "--cid", "short"}, env(map[string]string{"KPCHECKOUT_DATABASE_URL": db}), &out, &errb)
	if err == nil {
		t.Error("a 5-character CID was accepted")
	}
}

func TestCommands(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, env(nil), &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "kpcheckout ") {
		t.Errorf("version: %v %q", err, out.String())
	}
	if err := run(context.Background(), []string{"bogus"}, env(nil), &out, io.Discard); err == nil {
		t.Error("an unknown command was accepted")
	}
	if err := run(context.Background(), []string{"migrate"}, env(map[string]string{"KPCHECKOUT_DATABASE_URL": "postgres://x"}), &out, io.Discard); err == nil {
		t.Error("postgres was accepted")
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "m.db")
	out.Reset()
	if err := run(context.Background(), []string{"migrate"}, env(map[string]string{"KPCHECKOUT_DATABASE_URL": db}), &out, io.Discard); err != nil {
		t.Errorf("migrate: %v", err)
	}
	if err := run(context.Background(), []string{"serve"}, env(map[string]string{"KPCHECKOUT_BASE_URL": "ftp://x"}), &out, io.Discard); err == nil {
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	s := &serving{addr: addr, databaseURL: databaseURL}
	go func() {
		done <- run(ctx, nil, env(map[string]string{"KPCHECKOUT_ADDR": addr, "KPCHECKOUT_DATABASE_URL": s.databaseURL}), pw, io.Discard)
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

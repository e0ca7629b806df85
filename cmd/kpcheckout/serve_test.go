package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store/postgres/pgtest"
)

func TestServePrintsHowToPayWithoutAPhone(t *testing.T) {
	srv := startServe(t)
	if !strings.Contains(srv.banner, "테스트 지갑 열기") || !strings.Contains(srv.banner, "Phones cannot open http://"+srv.addr) {
		t.Errorf("serve on a loopback address printed:\n%s", srv.banner)
	}
}

// TestServeRefusesToStartInWords: each mistake gets one line naming what to change, a non-zero
// exit (an error from run), and nothing half-started: no database file, the port left free.
func TestServeRefusesToStartInWords(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free := freeAddr(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "kp.db")
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"port in use", map[string]string{"KPCHECKOUT_ADDR": busy.Addr().String()}, []string{"already in use", "KPCHECKOUT_ADDR"}},
		{"short session key", map[string]string{"KPCHECKOUT_ADDR": free, "KPCHECKOUT_SESSION_KEY": "short"}, []string{"at least 32", "KPCHECKOUT_SESSION_KEY"}},
		{"missing directory", map[string]string{"KPCHECKOUT_ADDR": free, "KPCHECKOUT_DATABASE_URL": "sqlite:" + filepath.Join(dir, "nope", "kp.db")}, []string{"does not exist", "KPCHECKOUT_DATABASE_URL"}},
		{"read-only directory", map[string]string{"KPCHECKOUT_ADDR": free, "KPCHECKOUT_DATABASE_URL": "sqlite:/sys/kp.db"}, []string{"not writable", "KPCHECKOUT_DATABASE_URL"}},
		{"events kept too short", map[string]string{"KPCHECKOUT_ADDR": free, "KPCHECKOUT_RETAIN_EVENTS": "3d"}, []string{"at least 7 days", "KPCHECKOUT_RETAIN_EVENTS"}},
		// HTTPS on one box.
		{"missing certificate", map[string]string{"KPCHECKOUT_ADDR": free, "KPCHECKOUT_TLS_CERT": filepath.Join(dir, "none.pem"), "KPCHECKOUT_TLS_KEY": filepath.Join(dir, "none.key"),
			"KPCHECKOUT_BASE_URL": "https://pay.example.kr"}, []string{"no such file", "KPCHECKOUT_TLS_CERT"}},
		{"plain HTTP port in use", map[string]string{"KPCHECKOUT_ADDR": free, "KPCHECKOUT_TLS_DOMAIN": "pay.example.kr", "KPCHECKOUT_ACME_CACHE_DIR": filepath.Join(dir, "certs"),
			"KPCHECKOUT_HTTP_ADDR": busy.Addr().String()}, []string{"already in use", "KPCHECKOUT_HTTP_ADDR"}},
		{"unwritable certificate cache", map[string]string{"KPCHECKOUT_ADDR": free, "KPCHECKOUT_TLS_DOMAIN": "pay.example.kr", "KPCHECKOUT_ACME_CACHE_DIR": "/sys/kpcheckout-certs"},
			[]string{"certificate cache", "KPCHECKOUT_ACME_CACHE_DIR"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"KPCHECKOUT_DATABASE_URL": "sqlite:" + db}
			for k, v := range tc.vars {
				vars[k] = v
			}
			err := run(t.Context(), []string{"serve"}, env(vars), io.Discard, io.Discard)
			if err == nil {
				t.Fatal("serve started")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q does not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "(14)") {
				t.Errorf("not one clear line: %q", msg)
			}
			if _, err := os.Stat(db); err == nil {
				t.Error("the database file was created")
			}
			if ln, err := net.Listen("tcp", free); err != nil {
				t.Errorf("the port was left taken: %v", err)
			} else {
				ln.Close()
			}
		})
	}
}

// TestPostgresRestartAnswers503: while PostgreSQL restarts (its sessions ended with 57P01, then
// connections refused) under a steady stream of requests, the API, the shopper's pages and the
// status endpoint answer 503 with Retry-After or succeed, never another 5xx (a restart gave 44
// × 500 in 3.2 s), /readyz fails, and checkouts are made again once the server is back.
func TestPostgresRestartAnswers503(t *testing.T) {
	proxy := pgtest.NewProxy(t, pg.Database(t))
	// The stream of payments is one client's: let it past the per-address limit to the database.
	srv := startServeEnv(t, map[string]string{"KPCHECKOUT_DATABASE_URL": proxy.URL(), "KPCHECKOUT_PAYMENT_STARTS_PER_MINUTE": "1000000"})
	id := srv.checkoutURL[strings.LastIndex(srv.checkoutURL, "/")+1:]
	base := "http://" + srv.addr
	calls := map[string]func() (*http.Response, error){
		"create": func() (*http.Response, error) {
			req, _ := http.NewRequest("POST", base+"/v1/checkouts",
				strings.NewReader(`{"amount":11000,"success_url":"http://127.0.0.1/ok","failure_url":"http://127.0.0.1/no"}`))
			req.Header.Set("Authorization", "Bearer "+srv.key)
			req.Header.Set("Content-Type", "application/json")
			return http.DefaultClient.Do(req)
		},
		"page":   func() (*http.Response, error) { return http.Get(base + "/c/" + id) },
		"status": func() (*http.Response, error) { return http.Get(base + "/c/" + id + "/status") },
		"pay": func() (*http.Response, error) {
			return http.PostForm(base+"/c/"+id+"/pay", url.Values{"device": {"desktop"}})
		},
	}
	var mu sync.Mutex
	seen := map[string]map[int]int{} // call → status → count
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for name, call := range calls {
		seen[name] = map[int]int{}
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := call()
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				status := res.StatusCode
				if status == 503 && res.Header.Get("Retry-After") == "" {
					status = -503 // told apart, to be reported
				}
				mu.Lock()
				seen[name][status]++
				mu.Unlock()
			}
		})
	}
	stopCalls := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopCalls()
	count := func(name string, status int) int {
		mu.Lock()
		defer mu.Unlock()
		return seen[name][status]
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("%s never happened; answers by status: %v", what, seen)
			}
		}
	}
	waitFor("a checkout made before the restart", func() bool { return count("create", 201) > 0 })
	proxy.Down()
	waitFor("a create refused", func() bool { return count("create", 503)+count("create", -503)+count("create", 500) > 0 })
	if res, err := http.Get(base + "/readyz"); err != nil || res.StatusCode != 503 {
		t.Errorf("/readyz while PostgreSQL is down: %v %v", err, res)
	}
	made := count("create", 201)
	proxy.Up()
	up := time.Now()
	waitFor("a checkout made after the restart", func() bool { return count("create", 201) > made })
	t.Logf("the first checkout after the restart came %v after it", time.Since(up).Round(time.Millisecond))
	stopCalls()
	if res, err := http.Get(base + "/readyz"); err != nil || res.StatusCode != 200 {
		t.Errorf("/readyz once PostgreSQL is back: %v %v", err, res)
	}
	for name, statuses := range seen {
		for status, n := range statuses {
			if status >= 500 && status != 503 || status < 0 {
				t.Errorf("%s answered %d × %d (-503: a 503 without Retry-After)", name, n, status)
			}
		}
	}
	t.Logf("answers by status: %v", seen)
}

// TestDeletedDatabaseFileIsNoticed: `serve` on a SQLite file that is then deleted stops saying
// it is ready and refuses checkouts with 503 and Retry-After, instead of answering 201 for
// checkouts written into a file that a restart no longer finds.
func TestDeletedDatabaseFileIsNoticed(t *testing.T) {
	srv := startServe(t)
	if err := os.Remove(strings.TrimPrefix(srv.databaseURL, "sqlite:")); err != nil {
		t.Fatal(err)
	}
	if res, err := http.Get("http://" + srv.addr + "/readyz"); err != nil || res.StatusCode != 503 {
		t.Errorf("/readyz with the database file deleted: %v %v", err, res)
	}
	req, _ := http.NewRequest("POST", "http://"+srv.addr+"/v1/checkouts",
		strings.NewReader(`{"amount":11000,"success_url":"http://127.0.0.1/ok","failure_url":"http://127.0.0.1/no"}`))
	req.Header.Set("Authorization", "Bearer "+srv.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" || !strings.Contains(string(body), `"storage_unavailable"`) {
		t.Errorf("a checkout with the database file deleted: %d Retry-After %q %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
}

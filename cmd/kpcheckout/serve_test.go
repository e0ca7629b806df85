package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"KPCHECKOUT_DATABASE_URL": "sqlite:" + db}
			for k, v := range tc.vars {
				vars[k] = v
			}
			err := run(context.Background(), nil, env(vars), io.Discard, io.Discard)
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

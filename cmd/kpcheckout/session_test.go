package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestDashboardSessionOutlivesARestart signs in to the dashboard of `kpcheckout serve` on its
// defaults (no KPCHECKOUT_SESSION_KEY), restarts it over the same database, and is still signed
// in: the key it made is kept in the database. The cookie reads as nothing: it is encrypted.
func TestDashboardSessionOutlivesARestart(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	first := startServeOn(t, dbURL)
	var out bytes.Buffer
	err := run(context.Background(), []string{"user", "create", "--merchant", demoMerchantName, "--email", "owner@cafe.example"},
		env(map[string]string{"KPCHECKOUT_DATABASE_URL": dbURL}), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var u struct{ ID, Password string }
	if err := json.Unmarshal(out.Bytes(), &u); err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.PostForm("http://"+first.addr+"/dashboard/login", url.Values{"email": {"owner@cafe.example"}, "password": {u.Password}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %v %v", err, res)
	}
	res.Body.Close()
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "kpcheckout_dash" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no dashboard cookie")
	}
	raw, _ := base64.URLEncoding.DecodeString(cookie.Value)
	if strings.Contains(string(raw), u.ID) || strings.Contains(cookie.Value, u.ID) {
		t.Errorf("the cookie shows the user's id: %s", raw)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	second := startServeOn(t, dbURL)
	req, _ := http.NewRequest("GET", "http://"+second.addr+"/dashboard", nil)
	req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	res, err = noRedirect.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the dashboard after a restart: %v %v", err, res)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "owner@cafe.example") {
		t.Errorf("signed in as someone else: %.300s", body)
	}
}

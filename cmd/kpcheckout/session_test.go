package main

import (
	"bytes"
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
	userID, cookie := signInAsNewOwner(t, dbURL, demoMerchantName, first.addr)
	raw, _ := base64.URLEncoding.DecodeString(cookie.Value)
	if strings.Contains(string(raw), userID) || strings.Contains(cookie.Value, userID) {
		t.Errorf("the cookie shows the user's id: %s", raw)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	second := startServeOn(t, dbURL)
	req, _ := http.NewRequest("GET", "http://"+second.addr+"/dashboard", nil)
	req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	res, err := noRedirects().Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the dashboard after a restart: %v %v", err, res)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "owner@cafe.example") {
		t.Errorf("signed in as someone else: %.300s", body)
	}
}

// TestDashboardSessionEndsOnEveryInstance signs in on one of two instances over one PostgreSQL
// database, uses the session on the other, and signs out there: the cookie, and a copy of it,
// no longer open the dashboard on either instance.
func TestDashboardSessionEndsOnEveryInstance(t *testing.T) {
	t.Parallel()
	f := newFleet(t, 2)
	_, cookie := signInAsNewOwner(t, f.dbURL, "여러 인스턴스 상점", f.insts[0].addr)
	noRedirect := noRedirects()
	send := func(i int, method, path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+f.insts[i].addr+path, nil)
		req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for i := range 2 {
		if res := send(i, "GET", "/dashboard"); res.StatusCode != http.StatusOK {
			t.Fatalf("the session on instance %d: %d", i, res.StatusCode)
		}
	}
	if res := send(1, "POST", "/dashboard/logout"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out on instance 1: %d", res.StatusCode)
	}
	for i := range 2 {
		if res := send(i, "GET", "/dashboard"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/login" {
			t.Errorf("the cookie on instance %d after signing out on instance 1: %d to %q", i, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

// signInAsNewOwner creates an owner of merchant with `kpcheckout user create` on the database at
// dbURL, signs in as them on the server at addr, and returns the user's id and dashboard cookie.
func signInAsNewOwner(t *testing.T, dbURL, merchant, addr string) (string, *http.Cookie) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), []string{"user", "create", "--merchant", merchant, "--email", "owner@cafe.example"},
		env(map[string]string{"KPCHECKOUT_DATABASE_URL": dbURL}), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var u struct{ ID, Password string }
	if err := json.Unmarshal(out.Bytes(), &u); err != nil {
		t.Fatal(err)
	}
	res, err := noRedirects().PostForm("http://"+addr+"/dashboard/login", url.Values{"email": {"owner@cafe.example"}, "password": {u.Password}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in on %s: %v %v", addr, err, res)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "kpcheckout_dash" {
			return u.ID, c
		}
	}
	t.Fatal("no dashboard cookie")
	return "", nil
}

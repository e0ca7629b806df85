package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestWrongMethodOnARouteIs405WithAllow(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	for _, tc := range []struct {
		method, path, allow string
		page                bool // a shopper path answers a page, the API JSON
	}{
		{"PUT", "/v1/checkouts", "GET, HEAD, POST", false},
		{"DELETE", "/v1/checkouts/" + c.ID, "GET, HEAD", false},
		{"OPTIONS", "/v1/checkouts/" + c.ID + "/expire", "POST", false},
		{"GET", "/v1/checkouts/" + c.ID + "/expire", "POST", false},
		{"PUT", "/c/" + c.ID, "GET, HEAD", true},
		{"DELETE", "/c/" + c.ID + "/pay", "POST", true},
		{"POST", "/c/" + c.ID + "/status", "GET, HEAD", true},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res, data := apiMust(t, e, e.key, tc.method, tc.path, "", nil)
			if got := res.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
			if tc.page {
				checkErrorPage(t, res, string(data), http.StatusMethodNotAllowed, "")
				return
			}
			if ae := checkAPIError(t, res, data, []int{http.StatusMethodNotAllowed}, "invalid_request_error", ""); ae.Error.Code != "method_not_allowed" {
				t.Errorf("code %q", ae.Error.Code)
			}
		})
	}
	for _, path := range []string{"/v1/bogus", "/c/" + c.ID + "/bogus"} {
		if res, _ := apiMust(t, e, e.key, "PUT", path, "", nil); res.StatusCode != http.StatusNotFound || res.Header.Get("Allow") != "" {
			t.Errorf("PUT %s: %d Allow %q, want 404 without Allow", path, res.StatusCode, res.Header.Get("Allow"))
		}
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	e := newEnv(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		res, data := apiMust(t, e, "", "GET", "/v1/checkouts", "", map[string]string{"Authorization": scheme + " " + e.key})
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", scheme, res.StatusCode, data)
		}
	}
	for _, h := range []string{"Basic " + e.key, "Bearer", "Bearer ", e.key, "Bearer" + e.key} {
		res, data := apiMust(t, e, "", "GET", "/v1/checkouts", "", map[string]string{"Authorization": h})
		checkAPIError(t, res, data, []int{http.StatusUnauthorized}, "authentication_error", "")
	}
}

func TestAPIAnswersAreNeverCached(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	for _, tc := range []struct{ method, path, key string }{
		{"GET", "/v1/checkouts/" + c.ID, e.key},
		{"GET", "/v1/checkouts", e.key},
		{"GET", "/v1/checkouts", ""},
		{"GET", "/v1/checkouts/cs_nope", e.key},
		{"GET", "/v1/bogus", e.key},
		{"PUT", "/v1/checkouts", e.key},
		{"POST", "/v1/checkouts", e.key},
	} {
		res, _ := apiMust(t, e, tc.key, tc.method, tc.path, "", nil)
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s %s (%d): Cache-Control %q", tc.method, tc.path, res.StatusCode, cc)
		}
	}
}

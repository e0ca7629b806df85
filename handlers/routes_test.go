package handlers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kpcheckout/kpcheckout/docs"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestHealthAndUnknownRoutes(t *testing.T) {
	e := handlerstest.New(t)
	for _, tc := range []struct{ path, body string }{{"/healthz", "ok"}, {"/readyz", "ready"}} {
		t.Run(tc.path, func(t *testing.T) {
			res, data := handlerstest.APIMust(t, e, "", "GET", tc.path, "", nil)
			if res.StatusCode != http.StatusOK || !strings.Contains(string(data), tc.body) {
				t.Errorf("%d %q", res.StatusCode, data)
			}
		})
	}
	c := e.CreateCheckout("")
	for _, tc := range []struct{ name, method, path, key string }{
		{"bogus", "GET", "/v1/bogus", e.Key},
		{"bogus without key", "GET", "/v1/bogus", ""},
		{"bogus POST", "POST", "/v1/bogus", e.Key},
		{"nested bogus", "GET", "/v1/checkouts/" + c.ID + "/bogus", e.Key},
		{"DELETE checkout", "DELETE", "/v1/checkouts/" + c.ID, e.Key},
		{"GET expire", "GET", "/v1/checkouts/" + c.ID + "/expire", e.Key},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, data := handlerstest.APIMust(t, e, tc.key, tc.method, tc.path, "", nil)
			handlerstest.CheckAPIError(t, res, data, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, "", "")
		})
	}
	if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "open" {
		t.Errorf("checkout %s", got.Status)
	}
}

func TestUnknownCheckoutIDs(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	const ko, en = "결제 페이지를 찾을 수 없어요", "We could not find this payment"
	cases := []struct {
		name, method, path string
		page               bool   // a localized page, else JSON
		text               string // what the page says
	}{
		{"API checkout", "GET", "/v1/checkouts/cs_nope", false, ""},
		{"API expire", "POST", "/v1/checkouts/cs_nope/expire", false, ""},
		{"page", "GET", "/c/cs_nope", true, ko},
		{"page in English", "GET", "/c/cs_nope?lang=en", true, en},
		{"status", "GET", "/c/cs_nope/status", false, ""},
		{"status long-poll", "GET", "/c/cs_nope/status?wait=1", false, ""},
		{"pay", "POST", "/c/cs_nope/pay", true, ko},
		{"qr", "GET", "/c/cs_nope/qr.png", true, ko},
		{"approve return", "GET", "/c/cs_nope/return/approve?attempt=x&pg_token=y", true, ko},
		{"cancel return", "GET", "/c/cs_nope/return/cancel?attempt=x", true, ko},
		{"unknown return kind", "GET", "/c/" + c.ID + "/return/bogus?attempt=x&pg_token=y", true, ko},
		{"unknown attempt", "GET", "/c/" + c.ID + "/return/approve?attempt=att_nope&pg_token=y", true, ko},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.page {
				key := ""
				if strings.HasPrefix(tc.path, "/v1/") {
					key = e.Key
				}
				res, data := handlerstest.APIMust(t, e, key, tc.method, tc.path, "", nil)
				handlerstest.CheckAPIError(t, res, data, []int{http.StatusNotFound}, "invalid_request_error", "")
				return
			}
			b := e.Browser(handlerstest.UADesktop)
			var body io.Reader
			if tc.method == "POST" {
				body = strings.NewReader("device=desktop")
			}
			res, html := b.Do(b.NoRedirect(), tc.method, tc.path, body, nil)
			handlerstest.CheckErrorPage(t, res, html, http.StatusNotFound, tc.text)
		})
	}
	if n := e.CountRows("SELECT COUNT(*) FROM attempts"); n != 0 || e.Sandbox.Calls("ready") != 0 {
		t.Errorf("%d attempts, %d ready calls after unknown ids", n, e.Sandbox.Calls("ready"))
	}
	if st := handlerstest.GetCheckout(t, e, c.ID); st.Status != "open" {
		t.Errorf("checkout %s after bad returns", st.Status)
	}
}

func TestWrongMethodOnARouteIs405WithAllow(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
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
			res, data := handlerstest.APIMust(t, e, e.Key, tc.method, tc.path, "", nil)
			if got := res.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
			if tc.page {
				handlerstest.CheckErrorPage(t, res, string(data), http.StatusMethodNotAllowed, "")
				return
			}
			if ae := handlerstest.CheckAPIError(t, res, data, []int{http.StatusMethodNotAllowed}, "invalid_request_error", ""); ae.Error.Code != "method_not_allowed" {
				t.Errorf("code %q", ae.Error.Code)
			}
		})
	}
	for _, path := range []string{"/v1/bogus", "/c/" + c.ID + "/bogus"} {
		if res, _ := handlerstest.APIMust(t, e, e.Key, "PUT", path, "", nil); res.StatusCode != http.StatusNotFound || res.Header.Get("Allow") != "" {
			t.Errorf("PUT %s: %d Allow %q, want 404 without Allow", path, res.StatusCode, res.Header.Get("Allow"))
		}
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	e := handlerstest.New(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		res, data := handlerstest.APIMust(t, e, "", "GET", "/v1/checkouts", "", map[string]string{"Authorization": scheme + " " + e.Key})
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", scheme, res.StatusCode, data)
		}
	}
	for _, h := range []string{"Basic " + e.Key, "Bearer", "Bearer ", e.Key, "Bearer" + e.Key} {
		res, data := handlerstest.APIMust(t, e, "", "GET", "/v1/checkouts", "", map[string]string{"Authorization": h})
		handlerstest.CheckAPIError(t, res, data, []int{http.StatusUnauthorized}, "authentication_error", "")
	}
}

func TestAPIAnswersAreNeverCached(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	for _, tc := range []struct{ method, path, key string }{
		{"GET", "/v1/checkouts/" + c.ID, e.Key},
		{"GET", "/v1/checkouts", e.Key},
		{"GET", "/v1/checkouts", ""},
		{"GET", "/v1/checkouts/cs_nope", e.Key},
		{"GET", "/v1/bogus", e.Key},
		{"PUT", "/v1/checkouts", e.Key},
		{"POST", "/v1/checkouts", e.Key},
	} {
		res, _ := handlerstest.APIMust(t, e, tc.key, tc.method, tc.path, "", nil)
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s %s (%d): Cache-Control %q", tc.method, tc.path, res.StatusCode, cc)
		}
	}
}

// TestOpenAPIDocumentsEveryAPIRoute checks docs/openapi.json against the routes: every /v1
// pattern routes.go registers is an operation of the document, and every operation of the
// document is served (it answers 401 without a key, or 200 for the document itself).
func TestOpenAPIDocumentsEveryAPIRoute(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	registered := apiPatterns(t)
	for _, p := range registered {
		if !documented[p] {
			t.Errorf("routes.go registers %q; docs/openapi.json does not have it", p)
		}
	}
	e := handlerstest.New(t)
	for op := range documented {
		if !slices.Contains(registered, op) {
			t.Errorf("docs/openapi.json has %q; routes.go does not register it", op)
		}
		method, path, _ := strings.Cut(op, " ")
		res, data := handlerstest.APIMust(t, e, "", method, strings.ReplaceAll(path, "{id}", "x_1"), "", nil)
		if want := http.StatusUnauthorized; res.StatusCode != want && !(path == "/v1/openapi.json" && res.StatusCode == http.StatusOK) {
			t.Errorf("%s without a key: %d %s, want %d", op, res.StatusCode, data, want)
		}
	}
}

// apiPatterns reads the "METHOD /v1/…" patterns routes.go gives mux.Handle and mux.HandleFunc.
func apiPatterns(t *testing.T) []string {
	t.Helper()
	return handlerstest.RoutePatterns(t, "/v1/")
}

func TestOpenAPIIsServed(t *testing.T) {
	e := handlerstest.New(t)
	res, data := handlerstest.APIMust(t, e, "", "GET", "/v1/openapi.json", "", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" ||
		res.Header.Get("Cache-Control") != "public, max-age=300" || !bytes.Equal(data, docs.OpenAPI) {
		t.Errorf("%d %v, %d bytes", res.StatusCode, res.Header, len(data))
	}
}

// When the SQLite file is renamed away under the running app, /readyz fails and the log says
// why, and writes are refused with 503 and Retry-After on each surface (the API's error object,
// the shopper's localized page), never committed into a file that is gone after a restart. With
// the file back, writes go on.
func TestDatabaseFileGoneAnswers503(t *testing.T) {
	var log handlerstest.LogBuffer
	e := handlerstest.NewWith(t, handlerstest.Options{Logger: log.Logger()})
	c := e.CreateCheckout("")
	if err := os.Rename(e.DBPath(), e.DBPath()+".moved"); err != nil {
		t.Fatal(err)
	}
	res, _ := handlerstest.APIMust(t, e, "", "GET", "/readyz", "", nil)
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(log.String(), "was deleted or renamed away") {
		t.Errorf("/readyz answered %d; the log says:\n%s", res.StatusCode, log.String())
	}
	res, data := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts", e.ValidCheckoutBody(nil), nil)
	var ae handlerstest.APIError
	json.Unmarshal(data, &ae)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		ae.Error.Type != "api_error" || ae.Error.Code != "storage_unavailable" {
		t.Errorf("POST /v1/checkouts answered %d Retry-After %q: %s", res.StatusCode, res.Header.Get("Retry-After"), data)
	}
	res, html := e.Browser(handlerstest.UADesktop).Post("/c/"+c.ID+"/pay", "device=desktop")
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("the pay form answered %d Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if got := handlerstest.TextOf(handlerstest.Page(t, html), "error"); !strings.Contains(got, "잠시 서비스를 쓸 수 없어요") {
		t.Errorf("the pay form's page says %q", got)
	}
	if err := os.Rename(e.DBPath()+".moved", e.DBPath()); err != nil {
		t.Fatal(err)
	}
	if res, _ := handlerstest.APIMust(t, e, "", "GET", "/readyz", "", nil); res.StatusCode != http.StatusOK {
		t.Errorf("/readyz with the file back: %d", res.StatusCode)
	}
	e.CreateCheckout("")
	if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 2 {
		t.Errorf("%d checkouts, want the two made while the file was there", n)
	}
}

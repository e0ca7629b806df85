package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// badTexts are strings no field takes: NUL alone and inside text, bytes that are not UTF-8 (a
// stray byte, an overlong NUL, an encoded surrogate) and other C0 controls.
var badTexts = []string{"\x00", "a\x00b", "\xff", "ab\xfe\xff", "\xc0\x80", "\xed\xa0\x80", "\x01", "a\x1bb"}

// badAlone are the bad texts sent in one parameter at a time: NUL, and a byte that is not UTF-8.
var badAlone = []string{"a\x00b", "\xff"}

// badJSONStrings are JSON string literals that decode to what badTexts hold, or are raw bytes
// that are not UTF-8.
var badJSONStrings = []string{`"\u0000"`, `"a\u0000b"`, "\"\xff\"", "\"ab\xfe\xff\"", `"\u0001"`, `"a\u001bb"`, `"\ud800"`}

// queryNames are the query parameters the routes read, and one none reads.
var queryNames = []string{"attempt", "changed", "created", "device", "done", "embed", "from", "lang", "limit", "open",
	"pg_token", "q", "saved", "size", "starting_after", "status", "to", "type", "wait", "zz_unknown"}

// formNames are the fields the forms post.
var formNames = []string{"amount", "confirm", "current_password", "description", "device", "email", "embed",
	"embed_origins", "events", "expires_on", "item_name", "item_price", "item_quantity", "label", "max_amount",
	"max_uses", "min_amount", "name", "new_password", "new_password_again", "password", "reason", "reference",
	"reusable", "role", "token", "url"}

// TestBadTextIsRefusedOnEveryRoute sends text that is not valid UTF-8, or holds NUL or another
// control character, in every place a request carries text (path values, query values, JSON
// bodies, form fields, the Authorization and Idempotency-Key headers) to every route routes.go
// registers, on SQLite and on PostgreSQL, whose text type refuses NUL and invalid UTF-8. Each is
// refused at the edge with the surface's error, never a 5xx: 404 for a path, 400 naming the
// parameter on the API, a 400 page for a page, 401 for a key.
func TestBadTextIsRefusedOnEveryRoute(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			o := handlerstest.Options{}
			if backend == "postgres" {
				o.PostgresURL = pg.Database(t)
			}
			s := newTextSweep(t, handlerstest.NewWith(t, o))
			s.signInAndOut()
			s.paths()
			s.queries()
			s.jsonBodies()
			s.forms()
			s.headers()
			t.Logf("%d requests, %d answered 5xx", s.sent, s.failed)
		})
	}
}

// textSweep is one backend's app with one of each object, and a signed-in owner's browser.
type textSweep struct {
	t      *testing.T
	e      *handlerstest.Env
	owner  *handlerstest.Browser
	ids    map[string]string // by route parameter; "id" by the path's first segment after /v1/
	routes []string
	sent   int
	failed int
}

func newTextSweep(t *testing.T, e *handlerstest.Env) *textSweep {
	t.Helper()
	ctx := t.Context()
	paid, paymentID := e.PaidCheckout()
	_, refund, _ := e.Refund(paymentID, `{"amount":1000}`)
	ids := handlerstest.ScopeIDs(t, e)
	ids["checkoutID"], ids["paymentID"], ids["kind"] = paid.ID, paymentID, "approve"
	m := e.Merchant()
	// A key of its own for the revoke form: the API's key keeps working through the sweep.
	ck, err := e.Merchants.CreateAPIKey(ctx, m, accounts.APIKeyParams{Label: "sweep"})
	if err != nil {
		t.Fatal(err)
	}
	ids["keyID"] = ck.Key.ID
	var link struct{ URL string }
	e.API("GET", "/v1/links/"+ids["linkID"], "", &link)
	ids["slug"] = path.Base(link.URL)
	for prefix, name := range map[string]string{"checkouts": "checkoutID", "payments": "paymentID", "agreements": "agreementID",
		"charges": "chargeID", "events": "eventID", "links": "linkID", "webhook_endpoints": "endpointID"} {
		ids["id:"+prefix] = ids[name]
	}
	ids["id:refunds"], ids["id:c"] = refund.ID, e.CreateCheckout("").ID
	return &textSweep{t: t, e: e, owner: handlerstest.SignedIn(t, e, "owner@sweep.example", accounts.RoleOwner), ids: ids,
		routes: handlerstest.RoutePatterns(t, "/")}
}

var routeParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// fill puts ids in a route's path, and bad (path-escaped) in place of parameter number badAt.
func (s *textSweep) fill(p string, badAt int, bad string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(p, "/v1/"), "/"), "/")
	i := -1
	return routeParam.ReplaceAllStringFunc(p, func(m string) string {
		i++
		if i == badAt {
			return url.PathEscape(bad)
		}
		name := m[1 : len(m)-1]
		if name == "id" {
			name = "id:" + first
		}
		if s.ids[name] == "" {
			s.t.Fatalf("%s: no id for {%s}", p, name)
		}
		return s.ids[name]
	})
}

// edge reports whether a path is answered by one of the surfaces (API, shopper pages,
// dashboard), which refuse bad text; the rest (static files, health, metrics, the OpenAPI
// document) only must not fail.
func edge(p string) bool {
	return (strings.HasPrefix(p, "/v1/") && p != "/v1/openapi.json") || strings.HasPrefix(p, "/c/") ||
		strings.HasPrefix(p, "/l/") || strings.HasPrefix(p, "/dashboard") || p == "/test-mode"
}

// send sends one request as the surface's client would: the API with the merchant's key and
// JSON, pages with the owner's browser and forms. want is the status the edge answers, or 0.
func (s *textSweep) send(what, method, target, body string, hdr map[string]string, want int, wantParam string) {
	s.t.Helper()
	s.sent++
	var status int
	var data string
	if strings.HasPrefix(target, "/v1/") {
		key := s.e.Key
		if _, ok := hdr["Authorization"]; ok {
			key = ""
		}
		res, raw, err := handlerstest.APIRaw(s.e, key, method, target, body, hdr)
		if err != nil {
			s.t.Fatalf("%s %s: %v", method, target, err)
		}
		status, data = res.StatusCode, string(raw)
		if wantParam != "" && status < 500 {
			var ae handlerstest.APIError
			if json.Unmarshal(raw, &ae) != nil || ae.Error.Param == nil || *ae.Error.Param != wantParam {
				s.t.Errorf("%s: %s %s: %d %s, want param %q", what, method, target, status, raw, wantParam)
			}
		}
	} else {
		var rd *strings.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		b := s.owner
		var res *http.Response
		if rd == nil {
			res, data = b.Do(b.NoRedirect(), method, target, nil, hdr)
		} else {
			res, data = b.Do(b.NoRedirect(), method, target, rd, hdr)
		}
		status = res.StatusCode
	}
	if status >= 500 {
		s.failed++
		s.t.Errorf("%s: %s %q: %d %.200s", what, method, target, status, data)
		return
	}
	if want != 0 && status != want {
		s.t.Errorf("%s: %s %q: %d, want %d: %.200s", what, method, target, status, want, data)
	}
}

// validBody is a body the route takes (the API's, as the document requires it), or a form for a
// page's POST, so that only the bad text is wrong in a request.
func (s *textSweep) validBody(pattern string) string {
	method, p, _ := strings.Cut(pattern, " ")
	switch {
	case method != http.MethodPost:
		return ""
	case !strings.HasPrefix(p, "/v1/"):
		return "x=1"
	}
	switch pattern {
	case "POST /v1/checkouts", "POST /v1/links":
		return `{"amount":1000}`
	case "POST /v1/checkouts/{id}/attempts":
		return `{"device":"desktop"}`
	case "POST /v1/payments/{id}/refunds":
		return `{"amount":100}`
	case "POST /v1/agreements/{id}/charges":
		return `{"amount":9900}`
	case "POST /v1/webhook_endpoints":
		return `{"url":"` + s.e.Shop.URL + `/h"}`
	}
	return "{}"
}

// paths puts each bad text in each path parameter of each route: 404.
func (s *textSweep) paths() {
	for _, p := range s.routes {
		method, rawPath, _ := strings.Cut(p, " ")
		for i := range routeParam.FindAllString(rawPath, -1) {
			for _, bad := range badTexts {
				target := s.fill(rawPath, i, bad)
				s.send("path", method, target, s.validBody(p), nil, http.StatusNotFound, "")
			}
		}
	}
}

// queries sends each route each query parameter alone (a handler may refuse another before it
// reads this one), then all at once, holding a bad text: 400 on the surfaces, naming the
// parameter (the first, in order) on the API.
func (s *textSweep) queries() {
	for _, p := range s.routes {
		if signInOrOut(p) {
			continue
		}
		s.query(p)
	}
}

// query sends route p each query parameter alone, then all at once, holding a bad text.
func (s *textSweep) query(p string) {
	method, rawPath, _ := strings.Cut(p, " ")
	target := s.fill(rawPath, -1, "")
	want := 0
	if edge(target) {
		want = http.StatusBadRequest
	}
	for _, n := range queryNames {
		for _, bad := range badAlone {
			q := url.Values{n: {bad}}
			s.send("query", method, target+"?"+q.Encode(), s.validBody(p), nil, want, apiParam(target, want, n))
		}
	}
	for _, bad := range badTexts {
		q := url.Values{}
		for _, n := range queryNames {
			q.Set(n, bad)
		}
		s.send("query", method, target+"?"+q.Encode(), s.validBody(p), nil, want, apiParam(target, want, queryNames[0]))
	}
}

// apiParam is the param an API answer must name: n when the API refuses the request.
func apiParam(target string, want int, n string) string {
	if want == 0 || !strings.HasPrefix(target, "/v1/") {
		return ""
	}
	return n
}

// jsonBodies puts each bad JSON string in each text field of each API body: 400 naming the field.
func (s *textSweep) jsonBodies() {
	shop := s.e.Shop.URL
	bodies := map[string][]string{
		"POST /v1/checkouts": {`{"amount":1000,"reference":BAD}`, `{"amount":1000,"description":BAD}`, `{"amount":1000,"currency":BAD}`,
			`{"amount":1000,"items":[{"name":BAD,"quantity":1,"unit_price":1000}]}`, `{"amount":1000,"customer":{"name":BAD}}`,
			`{"amount":1000,"customer":{"email":BAD}}`, `{"amount":1000,"success_url":BAD}`, `{"amount":1000,"failure_url":BAD}`,
			`{"amount":1000,"mode":BAD}`, `{"amount":1000,"locale":BAD}`, `{"amount":1000,"metadata":{"k":BAD}}`},
		"POST /v1/checkouts/{id}/attempts": {`{"device":BAD}`},
		"POST /v1/payments/{id}/refunds":   {`{"amount":100,"reason":BAD}`},
		"POST /v1/agreements/{id}/charges": {`{"amount":9900,"reference":BAD}`},
		"POST /v1/links":                   {`{"amount":1000,"description":BAD,"success_url":"` + shop + `","failure_url":"` + shop + `"}`, `{"amount":1000,"expires_at":BAD}`},
		"POST /v1/merchant":                {`{"embed_origins":[BAD]}`},
		"POST /v1/webhook_endpoints":       {`{"url":BAD}`, `{"url":"` + shop + `/h","description":BAD}`, `{"url":"` + shop + `/h","enabled_events":[BAD]}`},
		"POST /v1/webhook_endpoints/{id}":  {`{"url":BAD}`, `{"description":BAD}`, `{"enabled_events":[BAD]}`},
	}
	params := regexp.MustCompile(`"([a-z_]+)":(\[?)(\{"[a-z_]+":)?BAD`)
	for p, list := range bodies {
		method, rawPath, _ := strings.Cut(p, " ")
		target := s.fill(rawPath, -1, "")
		for _, tmpl := range list {
			m := params.FindStringSubmatch(tmpl)
			param := m[1]
			if m[2] == "[" {
				param += "[0]"
			}
			if m[3] != "" {
				param += "." + strings.Trim(m[3], `{":`)
			}
			if strings.Contains(tmpl, `"items":[{"name":BAD`) {
				param = "items[0].name"
			}
			if strings.Contains(tmpl, `"metadata":{"k":BAD`) {
				param = "metadata[k]"
			}
			for _, bad := range badJSONStrings {
				s.send("body", method, target, strings.Replace(tmpl, "BAD", bad, 1), nil, http.StatusBadRequest, param)
			}
		}
	}
}

// forms posts each form field alone, then all at once, holding a bad text, to every page route
// that takes a POST: a 400 page.
func (s *textSweep) forms() {
	for _, p := range s.routes {
		method, rawPath, _ := strings.Cut(p, " ")
		if method == http.MethodPost && !strings.HasPrefix(rawPath, "/v1/") && !signInOrOut(p) {
			s.form(s.fill(rawPath, -1, ""), formNames)
		}
	}
}

// signInOrOut reports whether route p signs in or out: it would end the owner's session, so
// signInAndOut sweeps them apart.
func signInOrOut(p string) bool {
	return p == "POST /dashboard/login" || p == "POST /dashboard/logout"
}

// signInAndOut sweeps the forms and queries of signing in and out, from a browser of its own,
// first: a few failed sign-ins (or password changes) lock the address before the e-mail is
// looked up, so the e-mail goes first of all.
func (s *textSweep) signInAndOut() {
	owner := s.owner
	defer func() { s.owner = owner }()
	s.owner = s.e.Browser(handlerstest.UADesktop)
	s.form("/dashboard/login", append([]string{"email", "password"}, formNames...))
	s.query("POST /dashboard/login")
	s.form("/dashboard/logout", formNames)
	s.query("POST /dashboard/logout")
}

// form posts each of names alone, then all at once, holding a bad text, to target.
func (s *textSweep) form(target string, names []string) {
	for _, n := range names {
		for _, bad := range badAlone {
			f := url.Values{n: {bad}}
			s.send("form", http.MethodPost, target, f.Encode(), nil, http.StatusBadRequest, "")
		}
	}
	for _, bad := range badTexts {
		f := url.Values{}
		for _, n := range names {
			f.Set(n, bad)
		}
		s.send("form", http.MethodPost, target, f.Encode(), nil, http.StatusBadRequest, "")
	}
}

// headers sends keys that are no text: an Authorization of bytes that are not UTF-8 (401) and
// such an Idempotency-Key (400 naming it).
func (s *textSweep) headers() {
	for _, p := range s.routes {
		method, rawPath, _ := strings.Cut(p, " ")
		if !strings.HasPrefix(rawPath, "/v1/") || rawPath == "/v1/openapi.json" {
			continue
		}
		target := s.fill(rawPath, -1, "")
		for _, key := range []string{"\xff\xfe\xfd", "sk_test_\xc3\x28", "sk_test_\xed\xa0\x80"} {
			s.send("Authorization", method, target, "", map[string]string{"Authorization": "Bearer " + key}, http.StatusUnauthorized, "")
		}
		if method == http.MethodPost {
			s.send("Idempotency-Key", method, target, s.validBody(p), map[string]string{"Idempotency-Key": "k\xff\xfe"}, http.StatusBadRequest, "Idempotency-Key")
		}
	}
}

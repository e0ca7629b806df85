package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/postgres/pgtest"
)

// pg is the PostgreSQL server of this test binary, started by the first test that runs the app
// on PostgreSQL (handlerstest.Options.PostgresURL).
var pg pgtest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
	}
	os.Exit(code)
}

// apiRaw sends one merchant API request and reads the whole answer. It never calls t.Fatal, so
// that goroutines may use it. An empty key sends no Authorization header.
func apiRaw(e *handlerstest.Env, key, method, path, body string, hdr map[string]string) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := e.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res, data, err
}

// apiMust is apiRaw for the test goroutine.
func apiMust(t *testing.T, e *handlerstest.Env, key, method, path, body string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	res, data, err := apiRaw(e, key, method, path, body, hdr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res, data
}

// checkAPIError checks that an answer is a JSON error in the API's shape with one of the wanted
// statuses, a type and a code, and the param (when wantParam is not empty; a wantParam ending
// in "*" matches as a prefix). It returns the decoded error.
func checkAPIError(t *testing.T, res *http.Response, body []byte, wantStatus []int, wantType, wantParam string) handlerstest.APIError {
	t.Helper()
	var out handlerstest.APIError
	if res.StatusCode >= 500 {
		t.Fatalf("answered %d (never a 5xx for bad input): %s", res.StatusCode, body)
	}
	ok := false
	for _, s := range wantStatus {
		ok = ok || res.StatusCode == s
	}
	if !ok {
		t.Errorf("status %d, want one of %v: %s", res.StatusCode, wantStatus, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("not the error shape: %v: %s", err, body)
	}
	for _, k := range []string{"type", "code", "message", "param"} {
		if _, present := raw["error"][k]; !present {
			t.Errorf("error object has no %q: %s", k, body)
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("not the error shape: %v: %s", err, body)
	}
	if out.Error.Type == "" || out.Error.Code == "" || out.Error.Message == "" {
		t.Errorf("type, code and message must be set: %s", body)
	}
	if wantType != "" && out.Error.Type != wantType {
		t.Errorf("type %q, want %q", out.Error.Type, wantType)
	}
	if wantParam != "" {
		got := ""
		if out.Error.Param != nil {
			got = *out.Error.Param
		}
		if p, prefix := strings.CutSuffix(wantParam, "*"); prefix && !strings.HasPrefix(got, p) || !prefix && got != wantParam {
			t.Errorf("param %q, want %q: %s", got, wantParam, body)
		}
	}
	return out
}

// checkErrorPage checks that an answer is a localized HTML error page with a 4xx status (or
// exactly want, when not 0) that says text.
func checkErrorPage(t *testing.T, res *http.Response, html string, want int, text string) {
	t.Helper()
	if res.StatusCode >= 500 || res.StatusCode < 400 || want != 0 && res.StatusCode != want {
		t.Errorf("status %d, want %s", res.StatusCode, map[bool]string{true: "a 4xx page", false: fmt.Sprintf("a %d page", want)}[want == 0])
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, want a page", ct)
	}
	doc := handlerstest.Page(t, html)
	if doc.Find(`[data-testid="error"]`).Length() != 1 {
		t.Errorf("no error message on the page: %.300s", html)
	}
	if text != "" && !strings.Contains(doc.Text(), text) {
		t.Errorf("the page does not say %q: %q", text, handlerstest.TextOf(doc, "error"))
	}
}

var statusesInvalid = []int{http.StatusBadRequest}

// sandboxApprovalURL asks the sandbox wallet to approve the checkout's latest attempt at once and
// returns the approval URL (with the real pg_token) that KakaoPay would send the browser to.
func sandboxApprovalURL(t *testing.T, b *handlerstest.Browser, id string) string {
	t.Helper()
	res, _ := b.Do(b.NoRedirect(), http.MethodGet, b.Env.AttemptMobileURL(id), nil, map[string]string{"X-Sandbox-Auto": "approve"})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "pg_token=") {
		t.Fatalf("sandbox wallet answered %d %q", res.StatusCode, loc)
	}
	return loc
}

// setQueryParam returns raw with the query parameter k set to v (removed when v is empty).
func setQueryParam(t *testing.T, raw, k, v string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// getCheckoutObj reads a checkout through the API.
func getCheckoutObj(t *testing.T, e *handlerstest.Env, id string) handlerstest.CheckoutObject {
	t.Helper()
	var c handlerstest.CheckoutObject
	if res := e.API("GET", "/v1/checkouts/"+id, "", &c); res.StatusCode != http.StatusOK {
		t.Fatalf("GET checkout %s: %d", id, res.StatusCode)
	}
	return c
}

// manyKeys returns a metadata map of n keys.
func manyKeys(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = "v"
	}
	return m
}

// checkoutList is a page of GET /v1/checkouts.
type checkoutList struct {
	Object  string                        `json:"object"`
	Data    []handlerstest.CheckoutObject `json:"data"`
	HasMore bool                          `json:"has_more"`
}

func listIDs(l checkoutList) []string {
	ids := []string{}
	for _, c := range l.Data {
		ids = append(ids, c.ID)
	}
	return ids
}

// objectDiff names the fields in which two decoded JSON objects differ.
func objectDiff(want, got map[string]any) []string {
	var out []string
	for k, w := range want {
		g, ok := got[k]
		if !ok || !reflect.DeepEqual(w, g) {
			a, _ := json.Marshal(w)
			b, _ := json.Marshal(g)
			out = append(out, fmt.Sprintf("%s: %s, then %s", k, a, b))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			b, _ := json.Marshal(g)
			out = append(out, fmt.Sprintf("%s: absent, then %s", k, b))
		}
	}
	return out
}

// qrCodeText reads the QR code of a PNG as we draw it. PURE_BARCODE reads the clean picture as
// it is: without it the reader misreads about one code in 150 (a Reed-Solomon error).
func qrCodeText(t *testing.T, pngData []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	got, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("QR code: %v", err)
	}
	return got.GetText()
}

// dashUser makes a dashboard user of e's merchant and returns its e-mail and password.
func dashUser(t *testing.T, e *handlerstest.Env, email string) (string, string) {
	t.Helper()
	return dashUserAs(t, e, email, checkout.RoleOwner)
}

// dashUserAs creates a dashboard user of e's merchant with role (owner or staff) and returns
// its e-mail and password.
func dashUserAs(t *testing.T, e *handlerstest.Env, email, role string) (string, string) {
	t.Helper()
	cu, err := e.Service.CreateUser(context.Background(), checkout.NewUser{MerchantID: e.MerchantID, Email: email, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return email, cu.Password
}

// signIn posts the dashboard's sign-in form without following the redirect.
func signIn(b *handlerstest.Browser, email, password string) (*http.Response, string) {
	form := url.Values{"email": {email}, "password": {password}}
	return b.Do(b.NoRedirect(), http.MethodPost, "/dashboard/login", strings.NewReader(form.Encode()), nil)
}

// send posts a form without following its redirect; hdr (crossSite, say) are added headers.
func send(b *handlerstest.Browser, action string, values url.Values, hdr ...map[string]string) (*http.Response, string) {
	h := map[string]string{}
	for _, m := range hdr {
		for k, v := range m {
			h[k] = v
		}
	}
	return b.Do(b.NoRedirect(), http.MethodPost, action, strings.NewReader(values.Encode()), h)
}

// crossSite are the headers a browser sends with a form posted from another site.
var crossSite = map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}

// stranger signs in a user of another merchant, who must find none of e's merchant's things.
func stranger(t *testing.T, e *handlerstest.Env) *handlerstest.Browser {
	t.Helper()
	ctx := context.Background()
	other, err := e.Service.CreateMerchant(ctx, checkout.NewMerchant{Name: "다른 상점"})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := e.Service.CreateUser(ctx, checkout.NewUser{MerchantID: other.Merchant.ID, Email: "owner@other.example"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.Browser(handlerstest.UADesktop)
	signIn(b, cu.User.Email, cu.Password)
	return b
}

// signedIn returns a browser signed in as a new user of e's merchant with role.
func signedIn(t *testing.T, e *handlerstest.Env, email, role string) *handlerstest.Browser {
	t.Helper()
	email, password := dashUserAs(t, e, email, role)
	b := e.Browser(handlerstest.UADesktop)
	if res, _ := signIn(b, email, password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", email, res.StatusCode)
	}
	return b
}

// logBuffer keeps what the app logs, as JSON lines, for tests that read the log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// logger logs into l from the debug level up.
func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// String is the whole log.
func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// errorLines are the log's lines at level ERROR.
func (l *logBuffer) errorLines() []string {
	var out []string
	for line := range strings.Lines(l.String()) {
		if strings.Contains(line, `"level":"ERROR"`) {
			out = append(out, line)
		}
	}
	return out
}

// lostAnswers is a database that fails every write of an Idempotency-Key's answer, as when the
// process dies, or the database goes away, right after a request committed what it did.
type lostAnswers struct{ store.Store }

func (s lostAnswers) Transact(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Transact(ctx, func(tx store.Tx) error { return fn(lostAnswerTx{tx}) })
}

type lostAnswerTx struct{ store.Tx }

func (lostAnswerTx) CompleteIdempotencyKey(context.Context, *store.IdempotencyKey) error {
	return errors.New("test: the database failed the answer's write")
}

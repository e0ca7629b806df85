package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

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
	res, err := http.DefaultClient.Do(req)
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

var statusesInvalid = []int{http.StatusBadRequest, http.StatusUnprocessableEntity}

func TestCreateCheckoutRefusesBadInput(t *testing.T) {
	e := handlerstest.New(t)
	body := func(change map[string]any) string { return e.ValidCheckoutBody(change) }
	noItems := func(change map[string]any) string {
		change["items"] = nil
		return e.ValidCheckoutBody(change)
	}
	cases := []struct {
		name        string
		body        string
		contentType string // application/json when empty
		status      []int
		param       string
	}{
		{"amount zero", noItems(map[string]any{"amount": 0}), "", statusesInvalid, "amount"},
		{"amount negative", noItems(map[string]any{"amount": -1000}), "", statusesInvalid, "amount"},
		{"amount fractional", noItems(map[string]any{"amount": 100.5}), "", statusesInvalid, "amount"},
		{"amount string", noItems(map[string]any{"amount": "1000"}), "", statusesInvalid, "amount"},
		{"amount null", `{"amount":null,"success_url":"` + e.Shop.URL + `/t","failure_url":"` + e.Shop.URL + `/c"}`, "", statusesInvalid, "amount"},
		{"amount missing", noItems(map[string]any{"amount": nil}), "", statusesInvalid, "amount"},
		{"amount above merchant limit", noItems(map[string]any{"amount": 2000001}), "", statusesInvalid, "amount"},
		{"amount below 100", noItems(map[string]any{"amount": 99}), "", statusesInvalid, "amount"},
		{"currency USD", body(map[string]any{"currency": "USD"}), "", statusesInvalid, "currency"},
		{"items do not add up", body(map[string]any{"amount": 12000}), "", statusesInvalid, "items*"},
		{"item quantity 0", body(map[string]any{"amount": 2000, "items": []map[string]any{{"name": "크루아상", "quantity": 0, "unit_price": 2000}}}), "", statusesInvalid, "items*"},
		{"item name empty", body(map[string]any{"amount": 2000, "items": []map[string]any{{"name": "", "quantity": 1, "unit_price": 2000}}}), "", statusesInvalid, "items*"},
		{"success_url missing", body(map[string]any{"success_url": nil}), "", statusesInvalid, "success_url"},
		{"failure_url missing", body(map[string]any{"failure_url": nil}), "", statusesInvalid, "failure_url"},
		{"success_url relative", body(map[string]any{"success_url": "/thanks"}), "", statusesInvalid, "success_url"},
		{"success_url javascript", body(map[string]any{"success_url": "javascript:alert(1)"}), "", statusesInvalid, "success_url"},
		{"failure_url javascript", body(map[string]any{"failure_url": "javascript:alert(1)"}), "", statusesInvalid, "failure_url"},
		{"success_url http not localhost", body(map[string]any{"success_url": "http://example.com/thanks"}), "", statusesInvalid, "success_url"},
		{"failure_url ftp", body(map[string]any{"failure_url": "ftp://example.com/cart"}), "", statusesInvalid, "failure_url"},
		{"malformed JSON", `{"amount":`, "", []int{http.StatusBadRequest}, ""},
		{"JSON array", `[` + body(nil) + `]`, "", statusesInvalid, ""},
		{"two JSON values", body(nil) + `{}`, "", []int{http.StatusBadRequest}, ""},
		{"body over 64 KiB", body(map[string]any{"description": strings.Repeat("a", 70000)}), "", []int{http.StatusRequestEntityTooLarge}, ""},
		{"unknown field", body(map[string]any{"amout": 11000}), "", statusesInvalid, "amout"},
		{"expires_in too short", body(map[string]any{"expires_in": 10}), "", statusesInvalid, "expires_in"},
		{"expires_in too long", body(map[string]any{"expires_in": 999999}), "", statusesInvalid, "expires_in"},
		{"mode bogus", body(map[string]any{"mode": "bogus"}), "", statusesInvalid, "mode"},
		{"locale fr", body(map[string]any{"locale": "fr"}), "", statusesInvalid, "locale"},
		{"tax_free_amount above amount", body(map[string]any{"tax_free_amount": 11001}), "", statusesInvalid, "tax_free_amount"},
		{"Content-Type text/plain", body(nil), "text/plain", []int{http.StatusBadRequest, http.StatusUnsupportedMediaType}, ""},
		{"empty body", "", "", statusesInvalid, "amount"},
		{"null body", "null", "", statusesInvalid, "amount"},
		{"amount too large for a number", noItems(map[string]any{"amount": 1e30}), "", statusesInvalid, "amount"},
		{"amount boolean", noItems(map[string]any{"amount": true}), "", statusesInvalid, "amount"},
		{"items an object", body(map[string]any{"items": map[string]any{}}), "", statusesInvalid, "items"},
		{"item quantity a string", body(map[string]any{"amount": 2000, "items": []map[string]any{{"name": "크루아상", "quantity": "1", "unit_price": 2000}}}), "", statusesInvalid, "items*"},
		{"item price negative", body(map[string]any{"amount": 2000, "items": []map[string]any{{"name": "크루아상", "quantity": 2, "unit_price": 2000}, {"name": "할인", "quantity": 1, "unit_price": -2000}}}), "", statusesInvalid, "items*"},
		{"customer a string", body(map[string]any{"customer": "김철수"}), "", statusesInvalid, "customer"},
		{"customer email invalid", body(map[string]any{"customer": map[string]any{"name": "김철수", "email": "not-an-email"}}), "", statusesInvalid, "customer.email"},
		{"reference too long", body(map[string]any{"reference": strings.Repeat("R", 101)}), "", statusesInvalid, "reference"},
		{"reference with a control character", body(map[string]any{"reference": "ORDER\u0000-1"}), "", statusesInvalid, "reference"},
		{"metadata too many keys", body(map[string]any{"metadata": manyKeys(21)}), "", statusesInvalid, "metadata"},
		{"metadata not strings", body(map[string]any{"metadata": map[string]any{"n": 1}}), "", statusesInvalid, "metadata*"},
		{"success_url localhost lookalike", body(map[string]any{"success_url": "http://localhost.evil.example/thanks"}), "", statusesInvalid, "success_url"},
		{"success_url with credentials", body(map[string]any{"success_url": "https://user:pass@example.com/thanks"}), "", statusesInvalid, "success_url"},
		{"success_url without host", body(map[string]any{"success_url": "https:///thanks"}), "", statusesInvalid, "success_url"},
		{"success_url protocol-relative", body(map[string]any{"success_url": "//evil.example/thanks"}), "", statusesInvalid, "success_url"},
		{"failure_url data", body(map[string]any{"failure_url": "data:text/html,<script>alert(1)</script>"}), "", statusesInvalid, "failure_url"},
		{"expires_in negative", body(map[string]any{"expires_in": -1}), "", statusesInvalid, "expires_in"},
		{"tax_free_amount negative", body(map[string]any{"tax_free_amount": -1}), "", statusesInvalid, "tax_free_amount"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.CountRows("SELECT COUNT(*) FROM checkouts")
			events := e.CountRows("SELECT COUNT(*) FROM events")
			hdr := map[string]string{}
			if tc.contentType != "" {
				hdr["Content-Type"] = tc.contentType
			}
			res, data := apiMust(t, e, e.Key, "POST", "/v1/checkouts", tc.body, hdr)
			checkAPIError(t, res, data, tc.status, "", tc.param)
			if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != before {
				t.Errorf("a refused create stored a checkout: %d → %d", before, n)
			}
			if n := e.CountRows("SELECT COUNT(*) FROM events"); n != events {
				t.Errorf("a refused create wrote an event: %d → %d", events, n)
			}
		})
	}
	// The same body, fixed, is accepted: the cases above fail for the reason they name.
	if res, data := apiMust(t, e, e.Key, "POST", "/v1/checkouts", body(nil), nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("the valid body is refused: %d %s", res.StatusCode, data)
	}
}

func TestUnknownCheckoutIDs(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	const ko, en = "결제 정보를 찾을 수 없습니다", "We could not find this payment"
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
				res, data := apiMust(t, e, key, tc.method, tc.path, "", nil)
				checkAPIError(t, res, data, []int{http.StatusNotFound}, "invalid_request_error", "")
				return
			}
			b := e.Browser(handlerstest.UADesktop)
			var body io.Reader
			if tc.method == "POST" {
				body = strings.NewReader("device=desktop")
			}
			res, html := b.Do(b.NoRedirect(), tc.method, tc.path, body, nil)
			checkErrorPage(t, res, html, http.StatusNotFound, tc.text)
		})
	}
	if n := e.CountRows("SELECT COUNT(*) FROM attempts"); n != 0 || e.Sandbox.Calls("ready") != 0 {
		t.Errorf("%d attempts, %d ready calls after unknown ids", n, e.Sandbox.Calls("ready"))
	}
	if st := getCheckoutObj(t, e, c.ID); st.Status != "open" {
		t.Errorf("checkout %s after bad returns", st.Status)
	}
}

func TestAPIKeysRefused(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	cases := []struct{ name, auth string }{
		{"missing", ""},
		{"empty bearer", "Bearer "},
		{"wrong key", "Bearer sk_test_wrongwrongwrongwrongwrongwrong"},
		{"right prefix, wrong secret", "Bearer " + e.Key[:16] + strings.Repeat("x", len(e.Key)-16)},
		{"not a key", "Bearer hello"},
		{"basic", "Basic " + "c2tfdGVzdF86"},
		{"key without scheme", e.Key},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.auth != "" {
				hdr["Authorization"] = tc.auth
			}
			for _, req := range []struct{ method, path, body string }{
				{"GET", "/v1/checkouts/" + c.ID, ""},
				{"GET", "/v1/checkouts", ""},
				{"GET", "/v1/events", ""},
				{"POST", "/v1/checkouts", e.ValidCheckoutBody(nil)},
				{"POST", "/v1/checkouts/" + c.ID + "/expire", ""},
			} {
				before := e.CountRows("SELECT COUNT(*) FROM checkouts")
				res, data := apiMust(t, e, "", req.method, req.path, req.body, hdr)
				checkAPIError(t, res, data, []int{http.StatusUnauthorized}, "authentication_error", "")
				if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != before {
					t.Errorf("%s %s without a valid key stored a checkout", req.method, req.path)
				}
			}
		})
	}
	if got := getCheckoutObj(t, e, c.ID); got.Status != "open" {
		t.Errorf("checkout %s after refused expire", got.Status)
	}
}

func TestOtherMerchantSeesNothing(t *testing.T) {
	e := handlerstest.New(t)
	other, err := e.Service.CreateMerchant(context.Background(), checkout.NewMerchant{Name: "다른 상점"})
	if err != nil {
		t.Fatal(err)
	}
	mine := e.CreateCheckout("")
	var theirs handlerstest.CheckoutObject
	if res := e.APIAs(other.APIKey, "POST", "/v1/checkouts", e.ValidCheckoutBody(nil), &theirs, nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("other merchant's create: %d", res.StatusCode)
	}

	t.Run("read", func(t *testing.T) {
		res, data := apiMust(t, e, other.APIKey, "GET", "/v1/checkouts/"+mine.ID, "", nil)
		checkAPIError(t, res, data, []int{http.StatusNotFound}, "invalid_request_error", "")
		if strings.Contains(string(data), "ORDER-1") || strings.Contains(string(data), "아메리카노") {
			t.Errorf("the 404 tells of the checkout: %s", data)
		}
	})
	t.Run("expire", func(t *testing.T) {
		res, data := apiMust(t, e, other.APIKey, "POST", "/v1/checkouts/"+mine.ID+"/expire", "", nil)
		checkAPIError(t, res, data, []int{http.StatusNotFound}, "invalid_request_error", "")
		if got := getCheckoutObj(t, e, mine.ID); got.Status != "open" {
			t.Errorf("another merchant expired the checkout: %s", got.Status)
		}
		if n := handlerstest.Count(e.Events(mine.ID), "checkout.expired"); n != 0 {
			t.Errorf("%d checkout.expired events", n)
		}
	})
	t.Run("list", func(t *testing.T) {
		for _, q := range []string{"", "?status=open", "?limit=100"} {
			var list struct {
				Data []handlerstest.CheckoutObject `json:"data"`
			}
			e.APIAs(other.APIKey, "GET", "/v1/checkouts"+q, "", &list, nil)
			if len(list.Data) != 1 || list.Data[0].ID != theirs.ID {
				t.Errorf("list%s shows %+v, want only its own %s", q, list.Data, theirs.ID)
			}
		}
	})
	t.Run("starting_after another merchant's checkout", func(t *testing.T) {
		res, data := apiMust(t, e, other.APIKey, "GET", "/v1/checkouts?starting_after="+mine.ID, "", nil)
		checkAPIError(t, res, data, []int{http.StatusBadRequest}, "invalid_request_error", "starting_after")
	})
	t.Run("events", func(t *testing.T) {
		var list struct {
			Data []struct {
				Checkout string `json:"checkout"`
			} `json:"data"`
		}
		e.APIAs(other.APIKey, "GET", "/v1/events?limit=100", "", &list, nil)
		for _, ev := range list.Data {
			if ev.Checkout == mine.ID {
				t.Errorf("another merchant sees an event of %s", mine.ID)
			}
		}
		list.Data = nil
		e.APIAs(other.APIKey, "GET", "/v1/events?checkout="+mine.ID, "", &list, nil)
		if len(list.Data) != 0 {
			t.Errorf("events?checkout= of another merchant's checkout: %d events", len(list.Data))
		}
	})
}

func TestPGTokenCannotBeForged(t *testing.T) {
	t.Run("forged before the wallet approved", func(t *testing.T) {
		e := handlerstest.New(t)
		c := e.CreateCheckout("")
		phone := e.Browser(handlerstest.UAIPhone)
		phone.PayOn(c.ID)
		a := e.LatestAttempt(c.ID)
		forged := e.URL + "/c/" + c.ID + "/return/approve?attempt=" + url.QueryEscape(a.ID) + "&pg_token=forgedforgedforged01"
		res, html := phone.Do(phone.NoRedirect(), "GET", forged, nil, nil)
		checkErrorPage(t, res, html, 0, "")
		if n := e.Sandbox.Calls("approve"); n != 0 {
			t.Errorf("a forged token before approval reached KakaoPay's approve %d times", n)
		}
		if got := e.LatestAttempt(c.ID); got.ID != a.ID || got.PGToken != "" || (got.Status != "ready" && got.Status != "authenticating") {
			t.Fatalf("attempt after the forged token: %s %s token=%q", got.ID, got.Status, got.PGToken)
		}
		res, _ = phone.WalletAct(a.MobileURL, "approve")
		if !strings.HasPrefix(res.Request.URL.String(), e.Shop.URL+"/thanks") {
			t.Fatalf("the real approval ended at %s", res.Request.URL)
		}
		if n := e.CountRows("SELECT COUNT(*) FROM payments WHERE checkout_id = ?", c.ID); n != 1 {
			t.Errorf("%d payments", n)
		}
		if got := getCheckoutObj(t, e, c.ID); got.Status != "paid" {
			t.Errorf("checkout %s", got.Status)
		}
	})

	t.Run("forged after the wallet approved", func(t *testing.T) {
		e := handlerstest.New(t)
		c := e.CreateCheckout("")
		phone := e.Browser(handlerstest.UAIPhone)
		phone.PayOn(c.ID)
		realURL := sandboxApprovalURL(t, phone, c.ID)
		res, html := phone.Do(phone.NoRedirect(), "GET", setQueryParam(t, realURL, "pg_token", "forgedforgedforged01"), nil, nil)
		checkErrorPage(t, res, html, 0, "")
		if n := e.CountRows("SELECT COUNT(*) FROM payments"); n != 0 {
			t.Fatalf("a forged token made %d payments", n)
		}
		if got := getCheckoutObj(t, e, c.ID); got.Status != "open" {
			t.Fatalf("checkout %s after a forged token", got.Status)
		}
		res, _ = phone.Do(phone.NoRedirect(), "GET", realURL, nil, nil)
		if loc, _ := res.Location(); res.StatusCode != http.StatusSeeOther || loc == nil || !strings.HasPrefix(loc.String(), e.Shop.URL+"/thanks") {
			t.Fatalf("the real approval answered %d %v", res.StatusCode, loc)
		}
		if n := e.CountRows("SELECT COUNT(*) FROM payments WHERE checkout_id = ?", c.ID); n != 1 {
			t.Errorf("%d payments", n)
		}
		if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.paid") != 1 {
			t.Errorf("events %v", ev)
		}
	})

	t.Run("real token replayed after success", func(t *testing.T) {
		e := handlerstest.New(t)
		c := e.CreateCheckout("")
		phone := e.Browser(handlerstest.UAIPhone)
		phone.PayOn(c.ID)
		realURL := sandboxApprovalURL(t, phone, c.ID)
		want := e.Shop.URL + "/thanks?checkout_id=" + c.ID + "&order=ORDER-1"
		for i, b := range []*handlerstest.Browser{phone, phone, e.Browser(handlerstest.UAIPhone)} {
			res, body := b.Do(b.NoRedirect(), "GET", realURL, nil, nil)
			loc, _ := res.Location()
			if res.StatusCode != http.StatusSeeOther || loc == nil || loc.String() != want {
				t.Errorf("return %d answered %d %v, want a redirect to %s: %.200s", i, res.StatusCode, loc, want, body)
			}
		}
		// Another token on the paid attempt's URL is not taken for the real one.
		res, html := phone.Do(phone.NoRedirect(), "GET", setQueryParam(t, realURL, "pg_token", "forgedforgedforged01"), nil, nil)
		checkErrorPage(t, res, html, 0, "")
		if n := e.Sandbox.Calls("approve"); n != 1 {
			t.Errorf("%d approve calls, want 1", n)
		}
		if n := e.CountRows("SELECT COUNT(*) FROM payments WHERE checkout_id = ?", c.ID); n != 1 {
			t.Errorf("%d payments", n)
		}
		if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.paid") != 1 {
			t.Errorf("events %v", ev)
		}
	})

	t.Run("another checkout's token", func(t *testing.T) {
		e := handlerstest.New(t)
		a, b := e.CreateCheckout(""), e.CreateCheckout("")
		phone := e.Browser(handlerstest.UAIPhone)
		phone.PayOn(a.ID)
		phone.PayOn(b.ID)
		realA, realB := sandboxApprovalURL(t, phone, a.ID), sandboxApprovalURL(t, phone, b.ID)
		ub, _ := url.Parse(realB)
		res, html := phone.Do(phone.NoRedirect(), "GET", setQueryParam(t, realA, "pg_token", ub.Query().Get("pg_token")), nil, nil)
		checkErrorPage(t, res, html, 0, "")
		if n := e.CountRows("SELECT COUNT(*) FROM payments"); n != 0 {
			t.Fatalf("another checkout's token made %d payments", n)
		}
		for _, id := range []string{a.ID, b.ID} {
			if got := getCheckoutObj(t, e, id); got.Status != "open" {
				t.Errorf("checkout %s is %s", id, got.Status)
			}
		}
		// Each token still pays its own checkout, once.
		for _, u := range []string{realA, realB} {
			if res, _ := phone.Do(phone.NoRedirect(), "GET", u, nil, nil); res.StatusCode != http.StatusSeeOther {
				t.Errorf("the real approval answered %d", res.StatusCode)
			}
		}
		for _, id := range []string{a.ID, b.ID} {
			if n := e.CountRows("SELECT COUNT(*) FROM payments WHERE checkout_id = ?", id); n != 1 {
				t.Errorf("checkout %s has %d payments", id, n)
			}
		}
	})

	t.Run("missing token", func(t *testing.T) {
		e := handlerstest.New(t)
		c := e.CreateCheckout("")
		phone := e.Browser(handlerstest.UAIPhone)
		phone.PayOn(c.ID)
		realURL := sandboxApprovalURL(t, phone, c.ID)
		res, html := phone.Do(phone.NoRedirect(), "GET", setQueryParam(t, realURL, "pg_token", ""), nil, nil)
		checkErrorPage(t, res, html, http.StatusBadRequest, "잘못된 결제 승인 요청입니다")
		if n := e.Sandbox.Calls("approve"); n != 0 {
			t.Errorf("%d approve calls", n)
		}
		if got := getCheckoutObj(t, e, c.ID); got.Status != "open" {
			t.Errorf("checkout %s", got.Status)
		}
	})

	t.Run("another checkout's attempt", func(t *testing.T) {
		e := handlerstest.New(t)
		a, b := e.CreateCheckout(""), e.CreateCheckout("")
		phone := e.Browser(handlerstest.UAIPhone)
		phone.PayOn(a.ID)
		phone.PayOn(b.ID)
		realB := sandboxApprovalURL(t, phone, b.ID)
		// B's approval URL (B's attempt and token) on A's path.
		forged := strings.Replace(realB, "/c/"+b.ID+"/", "/c/"+a.ID+"/", 1)
		res, html := phone.Do(phone.NoRedirect(), "GET", forged, nil, nil)
		checkErrorPage(t, res, html, http.StatusNotFound, "결제 정보를 찾을 수 없습니다")
		if n := e.Sandbox.Calls("approve"); n != 0 || e.CountRows("SELECT COUNT(*) FROM payments") != 0 {
			t.Errorf("%d approve calls, %d payments", n, e.CountRows("SELECT COUNT(*) FROM payments"))
		}
	})
}

func TestExpiredCheckoutCannotBePaid(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	var obj handlerstest.CheckoutObject
	if res := e.API("POST", "/v1/checkouts/"+c.ID+"/expire", "", &obj); res.StatusCode != http.StatusOK || obj.Status != "expired" {
		t.Fatalf("expire: %d %+v", res.StatusCode, obj)
	}
	t.Run("pay", func(t *testing.T) {
		for _, lang := range []struct{ q, text string }{{"", "결제 시간이 만료된 주문입니다"}, {"?lang=en", "This checkout has expired"}} {
			b := e.Browser(handlerstest.UADesktop)
			res, html := b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay"+lang.q, strings.NewReader("device=desktop"), nil)
			checkErrorPage(t, res, html, http.StatusConflict, lang.text)
		}
		if n := e.CountRows("SELECT COUNT(*) FROM attempts"); n != 0 || e.Sandbox.Calls("ready") != 0 {
			t.Errorf("%d attempts, %d ready calls for an expired checkout", n, e.Sandbox.Calls("ready"))
		}
	})
	t.Run("expire again", func(t *testing.T) {
		res, data := apiMust(t, e, e.Key, "POST", "/v1/checkouts/"+c.ID+"/expire", "", nil)
		checkAPIError(t, res, data, []int{http.StatusConflict}, "", "")
		if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.expired") != 1 {
			t.Errorf("events %v", ev)
		}
	})
	t.Run("page", func(t *testing.T) {
		res, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
		doc := handlerstest.Page(t, html)
		if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="expired"]`).Length() != 1 {
			t.Fatalf("page of an expired checkout: %d view=%q", res.StatusCode, doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""))
		}
		if href := doc.Find(`[data-testid="back-to-shop"]`).AttrOr("href", ""); href != e.Shop.URL+"/cart" {
			t.Errorf("back to shop %q", href)
		}
		if doc.Find(`[data-testid="pay-button"]`).Length() != 0 {
			t.Error("an expired checkout offers to pay")
		}
		if st := e.Status(c.ID, ""); st.Status != "expired" || st.RedirectURL == nil || *st.RedirectURL != e.Shop.URL+"/cart" {
			t.Errorf("status %+v", st)
		}
	})
}

func TestCheckoutExpiresByTime(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{"expires_in": 300}))
	e.Clock.Add(299 * time.Second)
	_, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
	if v := handlerstest.Page(t, html).Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "pay" {
		t.Fatalf("at 299 s the page shows %q", v)
	}
	e.Clock.Add(2 * time.Second)
	for i := range 2 {
		res, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
		doc := handlerstest.Page(t, html)
		if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="expired"]`).Length() != 1 {
			t.Fatalf("GET %d at 301 s: %d view=%q", i, res.StatusCode, doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""))
		}
		if doc.Find(`[data-testid="back-to-shop"]`).Length() != 1 {
			t.Error("no back-to-shop link")
		}
	}
	// Many shoppers' and merchants' reads at once expire it once.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := []string{"/c/" + c.ID, "/c/" + c.ID + "/status", "/v1/checkouts/" + c.ID, "/v1/checkouts?status=open"}[i%4]
			res, _, err := apiRaw(e, e.Key, "GET", path, "", nil)
			if err != nil || res.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %v %v", path, res, err)
			}
		}()
	}
	wg.Wait()
	if got := getCheckoutObj(t, e, c.ID); got.Status != "expired" {
		t.Errorf("API status %q", got.Status)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.expired") != 1 {
		t.Errorf("events %v, want one checkout.expired", ev)
	}
	b := e.Browser(handlerstest.UADesktop)
	res, html := b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay", strings.NewReader("device=desktop"), nil)
	checkErrorPage(t, res, html, http.StatusConflict, "결제 시간이 만료된 주문입니다")
}

func TestAttemptExpires(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	desktop := e.Browser(handlerstest.UADesktop)
	desktop.PayOn(c.ID)
	mobileURL := e.AttemptMobileURL(c.ID)
	e.Clock.Add(16 * time.Minute)
	_, html := desktop.Get(c.URL)
	doc := handlerstest.Page(t, html)
	if v := doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "pay" || doc.Find(`[data-outcome="expired"]`).Length() != 1 {
		t.Fatalf("after 16 minutes the page shows %q outcome=%q", v, doc.Find(`[data-testid="outcome"]`).AttrOr("data-outcome", ""))
	}
	if !strings.Contains(handlerstest.TextOf(doc, "outcome"), "결제 요청 시간이 지났습니다") {
		t.Errorf("outcome text %q", handlerstest.TextOf(doc, "outcome"))
	}
	if doc.Find(`[data-testid="pay-button"]`).Length() != 1 {
		t.Error("no pay button to try again")
	}
	if got := e.LatestAttempt(c.ID); got.Status != "expired" {
		t.Errorf("attempt %s", got.Status)
	}
	if got := getCheckoutObj(t, e, c.ID); got.Status != "open" {
		t.Errorf("checkout %s", got.Status)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "attempt.expired") != 1 {
		t.Errorf("events %v", ev)
	}
	phone := e.Browser(handlerstest.UAIPhone)
	res, _ := phone.Do(phone.NoRedirect(), "GET", mobileURL, nil, map[string]string{"X-Sandbox-Auto": "approve"})
	if res.StatusCode < 400 {
		t.Errorf("the sandbox wallet answered %d for an expired tid", res.StatusCode)
	}
	// A new attempt pays.
	desktop.PayOn(c.ID)
	if e.AttemptMobileURL(c.ID) == mobileURL {
		t.Fatal("pay reused the expired attempt")
	}
	phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	if got := getCheckoutObj(t, e, c.ID); got.Status != "paid" {
		t.Errorf("after a new attempt the checkout is %s", got.Status)
	}
}

func TestPaidCheckoutRefusesPayAndExpire(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(c.ID)
	phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	if got := getCheckoutObj(t, e, c.ID); got.Status != "paid" {
		t.Fatalf("checkout %s", got.Status)
	}
	ready := e.Sandbox.Calls("ready")
	t.Run("pay", func(t *testing.T) {
		for _, b := range []*handlerstest.Browser{phone, e.Browser(handlerstest.UADesktop)} {
			res, html := b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay", strings.NewReader("device=desktop"), nil)
			checkErrorPage(t, res, html, http.StatusConflict, "이미 결제가 완료된 주문입니다")
		}
		if n := e.Sandbox.Calls("ready"); n != ready {
			t.Errorf("paying a paid checkout called ready")
		}
	})
	t.Run("expire", func(t *testing.T) {
		res, data := apiMust(t, e, e.Key, "POST", "/v1/checkouts/"+c.ID+"/expire", "", nil)
		checkAPIError(t, res, data, []int{http.StatusConflict}, "", "")
		if got := getCheckoutObj(t, e, c.ID); got.Status != "paid" || got.Payment == nil {
			t.Errorf("checkout %+v", got)
		}
	})
	if n := e.CountRows("SELECT COUNT(*) FROM payments WHERE checkout_id = ?", c.ID); n != 1 {
		t.Errorf("%d payments", n)
	}
}

func TestPagesEscapeMerchantInput(t *testing.T) {
	const script, img = `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`
	e := handlerstest.New(t)
	evil, err := e.Service.CreateMerchant(context.Background(), checkout.NewMerchant{Name: img + script})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, key string
		change    map[string]any
		check     func(t *testing.T, c handlerstest.CheckoutObject, html string)
	}{
		{"item name and reference", e.Key, map[string]any{
			"amount": 1000, "reference": img, "description": script,
			"items": []map[string]any{{"name": script, "quantity": 1, "unit_price": 500}, {"name": img, "quantity": 1, "unit_price": 500}},
		}, func(t *testing.T, c handlerstest.CheckoutObject, html string) {
			doc := handlerstest.Page(t, html)
			if items := handlerstest.TextOf(doc, "items"); !strings.Contains(items, script) || !strings.Contains(items, img) {
				t.Errorf("items show %q", items)
			}
			if got := handlerstest.TextOf(doc, "reference"); got != img {
				t.Errorf("reference shows %q", got)
			}
		}},
		{"description", e.Key, map[string]any{"amount": 1000, "items": nil, "reference": script, "description": script + img},
			func(t *testing.T, c handlerstest.CheckoutObject, html string) {
				doc := handlerstest.Page(t, html)
				if got := strings.TrimSpace(doc.Find(".description").Text()); got != script+img {
					t.Errorf("description shows %q", got)
				}
				if got := handlerstest.TextOf(doc, "reference"); got != script {
					t.Errorf("reference shows %q", got)
				}
			}},
		{"merchant name", evil.APIKey, map[string]any{"reference": script},
			func(t *testing.T, c handlerstest.CheckoutObject, html string) {
				doc := handlerstest.Page(t, html)
				if got := handlerstest.TextOf(doc, "merchant-name"); got != img+script {
					t.Errorf("merchant shows %q", got)
				}
				if !strings.Contains(doc.Find("title").Text(), img+script) {
					t.Errorf("title %q", doc.Find("title").Text())
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := e.ValidCheckoutBody(tc.change)
			var c handlerstest.CheckoutObject
			if res := e.APIAs(tc.key, "POST", "/v1/checkouts", body, &c, nil); res.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d", res.StatusCode)
			}
			// The API answers what was sent, verbatim.
			var got map[string]any
			e.APIAs(tc.key, "GET", "/v1/checkouts/"+c.ID, "", &got, nil)
			var sent map[string]any
			json.Unmarshal([]byte(body), &sent)
			for _, k := range []string{"reference", "description", "items"} {
				if sent[k] == nil {
					continue
				}
				if fmt.Sprint(got[k]) != fmt.Sprint(sent[k]) {
					t.Errorf("API %s = %v, want %v", k, got[k], sent[k])
				}
			}
			for _, lang := range []string{"", "?lang=en"} {
				res, html := e.Browser(handlerstest.UADesktop).Get(c.URL + lang)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("page: %d", res.StatusCode)
				}
				for _, raw := range []string{"<script>alert", "<img src=x", "<img src=\"x\"", "onerror=alert(1)>"} {
					if strings.Contains(html, raw) {
						t.Errorf("the page holds %q unescaped", raw)
					}
				}
				tc.check(t, c, html)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	_, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
	css := handlerstest.Page(t, html).Find(`link[rel="stylesheet"]`).AttrOr("href", "")
	cases := []struct {
		name, method, path, key string
		page                    bool // an HTML page: CSP and nosniff
	}{
		{"checkout page", "GET", "/c/" + c.ID, "", true},
		{"checkout page in English", "GET", "/c/" + c.ID + "?lang=en", "", true},
		{"not found page", "GET", "/c/cs_nope", "", true},
		{"unknown path", "GET", "/nope", "", true},
		{"status", "GET", "/c/" + c.ID + "/status", "", false},
		{"status not found", "GET", "/c/cs_nope/status", "", false},
		{"API", "GET", "/v1/checkouts/" + c.ID, e.Key, false},
		{"API without key", "GET", "/v1/checkouts/" + c.ID, "", false},
		{"API unknown route", "GET", "/v1/bogus", e.Key, false},
		{"stylesheet", "GET", css, "", false},
		{"healthz", "GET", "/healthz", "", false},
		{"readyz", "GET", "/readyz", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, data := apiMust(t, e, tc.key, tc.method, tc.path, "", nil)
			if res.StatusCode >= 500 {
				t.Fatalf("%d: %s", res.StatusCode, data)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", res.Header.Get("X-Content-Type-Options"))
			}
			if tc.page {
				csp := res.Header.Get("Content-Security-Policy")
				if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
					t.Errorf("CSP = %q", csp)
				}
			}
		})
	}
	t.Run("request id", func(t *testing.T) {
		res, _ := apiMust(t, e, "", "GET", "/healthz", "", map[string]string{"X-Request-Id": "trace-42_A"})
		if got := res.Header.Get("X-Request-Id"); got != "trace-42_A" {
			t.Errorf("a valid incoming request id becomes %q", got)
		}
		res, _ = apiMust(t, e, "", "GET", "/healthz", "", map[string]string{"X-Request-Id": "<script>"})
		if got := res.Header.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, "<>") {
			t.Errorf("an invalid incoming request id becomes %q", got)
		}
		a, _ := apiMust(t, e, "", "GET", "/healthz", "", nil)
		b, _ := apiMust(t, e, "", "GET", "/healthz", "", nil)
		if a.Header.Get("X-Request-Id") == b.Header.Get("X-Request-Id") {
			t.Error("two requests share a request id")
		}
	})
	t.Run("pay redirect", func(t *testing.T) {
		for _, device := range []string{"desktop", "mobile"} {
			b := e.Browser(handlerstest.UADesktop)
			res, _ := b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay", strings.NewReader("device="+device), nil)
			loc, err := res.Location()
			if res.StatusCode != http.StatusSeeOther || err != nil || loc.String() != e.URL+"/c/"+c.ID {
				t.Errorf("pay (%s) answered %d Location %v, want the checkout's own page", device, res.StatusCode, loc)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id on the redirect")
			}
		}
	})
}

func TestReturnRedirectsOnlyToCheckoutOrShop(t *testing.T) {
	e := handlerstest.New(t)
	cases := []struct {
		kind string
		want func(id string) string
	}{
		{"approve", func(id string) string { return e.Shop.URL + "/thanks?checkout_id=" + id + "&order=ORDER-1" }},
		{"cancel", func(id string) string { return e.URL + "/c/" + id }},
		{"fail", func(id string) string { return e.URL + "/c/" + id }},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			c := e.CreateCheckout("")
			phone := e.Browser(handlerstest.UAIPhone)
			phone.PayOn(c.ID)
			res, _ := phone.Do(phone.NoRedirect(), "GET", e.AttemptMobileURL(c.ID), nil, map[string]string{"X-Sandbox-Auto": tc.kind})
			ret, err := res.Location()
			if err != nil || !strings.HasPrefix(ret.String(), e.URL+"/c/"+c.ID+"/return/"+tc.kind+"?") {
				t.Fatalf("the sandbox sent the browser to %v", ret)
			}
			res, body := phone.Do(phone.NoRedirect(), "GET", ret.String(), nil, nil)
			loc, err := res.Location()
			if res.StatusCode != http.StatusSeeOther || err != nil || loc.String() != tc.want(c.ID) {
				t.Errorf("%s return answered %d Location %v, want %s: %.200s", tc.kind, res.StatusCode, loc, tc.want(c.ID), body)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
	t.Run("approve of a desktop attempt on the phone", func(t *testing.T) {
		c := e.CreateCheckout("")
		e.Browser(handlerstest.UADesktop).PayOn(c.ID)
		phone := e.Browser(handlerstest.UAIPhone)
		res, html := phone.Do(phone.NoRedirect(), "GET", sandboxApprovalURL(t, phone, c.ID), nil, nil)
		if res.StatusCode != http.StatusOK || handlerstest.Page(t, html).Find(`[data-testid="phone-done"]`).Length() != 1 {
			t.Errorf("the phone got %d Location %q, want the done page", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

func TestCrossOriginPayRefused(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	cases := []struct {
		name string
		hdr  map[string]string
		lang string
		text string
	}{
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, "", "허용되지 않는 요청입니다"},
		{"cross-site fetch in English", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, "?lang=en", "This request is not allowed"},
		{"foreign origin only", map[string]string{"Origin": "https://evil.example"}, "", "허용되지 않는 요청입니다"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := e.Browser(handlerstest.UADesktop)
			res, html := b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay"+tc.lang, strings.NewReader("device=desktop"), tc.hdr)
			checkErrorPage(t, res, html, http.StatusForbidden, tc.text)
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP = %q", csp)
			}
			if n := e.CountRows("SELECT COUNT(*) FROM attempts"); n != 0 || e.Sandbox.Calls("ready") != 0 {
				t.Errorf("a cross-origin POST made %d attempts, %d ready calls", n, e.Sandbox.Calls("ready"))
			}
		})
	}
}

func TestShopperBadInput(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(c.ID)
	a := e.LatestAttempt(c.ID)
	ret := "/c/" + c.ID + "/return/approve?attempt=" + url.QueryEscape(a.ID)
	cases := []struct {
		name, method, path, body string
		status                   int
		page                     bool
	}{
		{"pay with a body over 64 KiB", "POST", "/c/" + c.ID + "/pay", "device=desktop&x=" + strings.Repeat("a", 70000), 0, true},
		{"pay with a bad form", "POST", "/c/" + c.ID + "/pay", "device=%zz", http.StatusBadRequest, true},
		{"pg_token too long", "GET", ret + "&pg_token=" + strings.Repeat("t", 101), "", http.StatusBadRequest, true},
		{"pg_token empty", "GET", ret + "&pg_token=", "", http.StatusBadRequest, true},
		{"approve without attempt", "GET", "/c/" + c.ID + "/return/approve?pg_token=abc", "", http.StatusNotFound, true},
		{"status wait negative", "GET", "/c/" + c.ID + "/status?wait=-1", "", http.StatusBadRequest, false},
		{"status wait huge", "GET", "/c/" + c.ID + "/status?wait=99999999999999999999", "", http.StatusBadRequest, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			attempts := e.CountRows("SELECT COUNT(*) FROM attempts")
			b := e.Browser(handlerstest.UADesktop)
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			res, html := b.Do(b.NoRedirect(), tc.method, tc.path, body, nil)
			if tc.page {
				checkErrorPage(t, res, html, tc.status, "")
			} else {
				checkAPIError(t, res, []byte(html), []int{tc.status}, "", "wait")
			}
			if n := e.CountRows("SELECT COUNT(*) FROM attempts"); n != attempts {
				t.Errorf("attempts %d → %d", attempts, n)
			}
		})
	}
	if got := e.LatestAttempt(c.ID); got.ID != a.ID || got.PGToken != "" || got.Status != "ready" && got.Status != "authenticating" {
		t.Errorf("attempt after bad returns: %s %s token=%q", got.ID, got.Status, got.PGToken)
	}
	if n := e.Sandbox.Calls("approve"); n != 0 {
		t.Errorf("%d approve calls", n)
	}
	t.Run("query string on the page", func(t *testing.T) {
		res, html := e.Browser(handlerstest.UADesktop).Get(c.URL + "?device=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&x=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("page: %d", res.StatusCode)
		}
		for _, raw := range []string{"<script>alert", "<img src=x"} {
			if strings.Contains(html, raw) {
				t.Errorf("the page holds %q unescaped", raw)
			}
		}
	})
}

func TestDoubleClickPayMakesOneAttempt(t *testing.T) {
	e := handlerstest.New(t)
	// Several checkouts, each paid with a burst of clicks that start together.
	for round := range 5 {
		c := e.CreateCheckout("")
		b := e.Browser(handlerstest.UADesktop)
		b.Get(c.URL)
		var wg sync.WaitGroup
		start := make(chan struct{})
		codes := make([]int, 8)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", e.URL+"/c/"+c.ID+"/pay", strings.NewReader("device=desktop"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("User-Agent", handlerstest.UADesktop)
				<-start
				res, err := b.NoRedirect().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				codes[i] = res.StatusCode
			}()
		}
		close(start)
		wg.Wait()
		for i, code := range codes {
			if code != http.StatusSeeOther {
				t.Errorf("round %d click %d answered %d", round, i, code)
			}
		}
		if n := e.CountRows("SELECT COUNT(*) FROM attempts WHERE checkout_id = ?", c.ID); n != 1 {
			t.Errorf("round %d: %d clicks made %d attempts, want 1", round, len(codes), n)
		}
	}
	if n, want := e.Sandbox.Calls("ready"), 5; n != want {
		t.Errorf("%d KakaoPay ready calls for 5 checkouts", n)
	}
}

func TestAPIRefusesAmbiguousJSON(t *testing.T) {
	e := handlerstest.New(t)
	urls := `"success_url":"` + e.Shop.URL + `/ok","failure_url":"` + e.Shop.URL + `/no"`
	for _, tc := range []struct{ name, body, param string }{
		{"an amount given twice", `{"amount":1000,"amount":500000,` + urls + `}`, "amount"},
		{"an amount twice but for case", `{"amount":1000,"AMOUNT":500000,` + urls + `}`, "AMOUNT"},
		{"invalid UTF-8", "{\"amount\":1000,\"description\":\"\xed\xa0\x80\"," + urls + `}`, "description"},
		{"a lone surrogate", `{"amount":1000,"reference":"\udc00",` + urls + `}`, "reference"},
		{"a control character in metadata", `{"amount":1000,"metadata":{"memo":"a\u001bb"},` + urls + `}`, "metadata[memo]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := apiMust(t, e, e.Key, "POST", "/v1/checkouts", tc.body, nil)
			checkAPIError(t, res, body, []int{400}, "invalid_request_error", tc.param)
		})
	}
	if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 0 {
		t.Errorf("%d checkouts were created from ambiguous bodies", n)
	}
}

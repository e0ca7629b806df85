package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/locales"
	"github.com/kpcheckout/kpcheckout/static"
)

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

func TestCreateCheckoutAnswersTheCheckout(t *testing.T) {
	e := handlerstest.New(t)
	cases := []struct {
		name   string
		change map[string]any
		check  func(t *testing.T, got map[string]any)
	}{
		{"with items", nil, func(t *testing.T, got map[string]any) {
			items, _ := json.Marshal(got["items"])
			want := `[{"name":"아메리카노","quantity":2,"unit_price":4500},{"name":"크루아상","quantity":1,"unit_price":2000}]`
			if string(items) != want {
				t.Errorf("items %s, want %s", items, want)
			}
			if got["reference"] != "ORDER-1" {
				t.Errorf("reference %v", got["reference"])
			}
		}},
		{"amount only", map[string]any{"items": nil, "amount": 100, "description": "테스트 주문"}, func(t *testing.T, got map[string]any) {
			if items, ok := got["items"].([]any); !ok || len(items) != 0 {
				t.Errorf("items %v, want []", got["items"])
			}
			if got["description"] != "테스트 주문" {
				t.Errorf("description %v", got["description"])
			}
		}},
		{"every field", map[string]any{
			"currency": "KRW", "description": "커피 두 잔", "customer": map[string]any{"name": "김철수", "email": "kim@example.com"},
			"mode": "payment", "locale": "en", "expires_in": 600, "tax_free_amount": 1000, "metadata": map[string]any{"order": "42"},
		}, func(t *testing.T, got map[string]any) {
			if c, _ := got["customer"].(map[string]any); c["name"] != "김철수" || c["email"] != "kim@example.com" {
				t.Errorf("customer %v", got["customer"])
			}
			if got["locale"] != "en" || got["mode"] != "payment" || got["tax_free_amount"] != float64(1000) {
				t.Errorf("locale %v mode %v tax_free_amount %v", got["locale"], got["mode"], got["tax_free_amount"])
			}
			if m, _ := got["metadata"].(map[string]any); m["order"] != "42" {
				t.Errorf("metadata %v", got["metadata"])
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.Clock.Add(time.Second) // this checkout is the newest: the list below starts with it
			body := e.ValidCheckoutBody(tc.change)
			var sent map[string]any
			json.Unmarshal([]byte(body), &sent)
			before := e.CountRows("SELECT COUNT(*) FROM checkouts")
			res, data := apiMust(t, e, e.Key, "POST", "/v1/checkouts", body, nil)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s", res.StatusCode, data)
			}
			var got map[string]any
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			id, _ := got["id"].(string)
			if !strings.HasPrefix(id, "cs_") || len(id) < 10 {
				t.Fatalf("id %q", id)
			}
			if got["object"] != "checkout" || got["status"] != "open" || got["url"] != e.URL+"/c/"+id {
				t.Errorf("object %v status %v url %v", got["object"], got["status"], got["url"])
			}
			if got["amount"] != sent["amount"] || got["currency"] != "KRW" {
				t.Errorf("amount %v currency %v", got["amount"], got["currency"])
			}
			if got["success_url"] != sent["success_url"] || got["failure_url"] != sent["failure_url"] {
				t.Errorf("urls %v %v", got["success_url"], got["failure_url"])
			}
			if p, present := got["payment"]; !present || p != nil {
				t.Errorf("payment %v (present %v), want null", p, present)
			}
			if loc := res.Header.Get("Location"); loc != "/v1/checkouts/"+id && loc != e.URL+"/v1/checkouts/"+id {
				t.Errorf("Location %q", loc)
			}
			expiresIn := 3600 * time.Second
			if v, ok := sent["expires_in"].(float64); ok {
				expiresIn = time.Duration(v) * time.Second
			}
			for _, k := range []string{"expires_at", "created_at"} {
				if _, err := time.Parse(time.RFC3339, fmt.Sprint(got[k])); err != nil {
					t.Errorf("%s %v is not RFC 3339", k, got[k])
				}
			}
			exp, _ := time.Parse(time.RFC3339, fmt.Sprint(got["expires_at"]))
			if d := exp.Sub(e.Clock.Now().Add(expiresIn)); d < -time.Second || d > time.Second {
				t.Errorf("expires_at %v, want now + %v", got["expires_at"], expiresIn)
			}
			tc.check(t, got)
			if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != before+1 {
				t.Errorf("%d checkouts stored, want one more than %d", n, before)
			}

			// GET answers the same object.
			res, again := apiMust(t, e, e.Key, "GET", "/v1/checkouts/"+id, "", nil)
			var read map[string]any
			json.Unmarshal(again, &read)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET answered %d %s", res.StatusCode, again)
			}
			for _, d := range objectDiff(got, read) {
				t.Errorf("GET differs from the create answer: %s", d)
			}
			// And so does the list.
			var l struct {
				Data []map[string]any `json:"data"`
			}
			e.API("GET", "/v1/checkouts?limit=1", "", &l)
			if len(l.Data) != 1 {
				t.Fatalf("list holds %d", len(l.Data))
			}
			for _, d := range objectDiff(read, l.Data[0]) {
				t.Errorf("the list differs from GET: %s", d)
			}
			if ev := e.Events(id); handlerstest.Count(ev, "checkout.created") != 1 {
				t.Errorf("events %v", ev)
			}
		})
	}
}

func TestListCheckouts(t *testing.T) {
	e := handlerstest.New(t)
	var ids []string // oldest first
	for i := range 3 {
		ids = append(ids, e.AmountCheckout(fmt.Sprint(1000+i)).ID)
		e.Clock.Add(time.Second)
	}
	var l checkoutList
	if res := e.API("GET", "/v1/checkouts?limit=2", "", &l); res.StatusCode != http.StatusOK {
		t.Fatalf("list: %d", res.StatusCode)
	}
	if want := []string{ids[2], ids[1]}; l.Object != "list" || !reflect.DeepEqual(listIDs(l), want) || !l.HasMore {
		t.Fatalf("limit=2: %s %v has_more=%v, want %v has_more=true", l.Object, listIDs(l), l.HasMore, want)
	}
	l = checkoutList{}
	e.API("GET", "/v1/checkouts?limit=2&starting_after="+ids[1], "", &l)
	if want := []string{ids[0]}; !reflect.DeepEqual(listIDs(l), want) || l.HasMore {
		t.Fatalf("starting_after: %v has_more=%v, want %v has_more=false", listIDs(l), l.HasMore, want)
	}
	l = checkoutList{}
	e.API("GET", "/v1/checkouts", "", &l)
	if want := []string{ids[2], ids[1], ids[0]}; !reflect.DeepEqual(listIDs(l), want) || l.HasMore {
		t.Fatalf("default list: %v has_more=%v", listIDs(l), l.HasMore)
	}

	e.PayByPhone(ids[1])
	for _, tc := range []struct {
		status string
		want   []string
	}{
		{"paid", []string{ids[1]}},
		{"open", []string{ids[2], ids[0]}},
		{"expired", []string{}},
		{"canceled", []string{}},
	} {
		t.Run("status="+tc.status, func(t *testing.T) {
			var l checkoutList
			e.API("GET", "/v1/checkouts?status="+tc.status, "", &l)
			if !reflect.DeepEqual(listIDs(l), tc.want) || l.HasMore {
				t.Errorf("%v has_more=%v, want %v", listIDs(l), l.HasMore, tc.want)
			}
			for _, c := range l.Data {
				if c.Status != tc.status {
					t.Errorf("%s is %s", c.ID, c.Status)
				}
				if (c.Payment != nil) != (tc.status == "paid") {
					t.Errorf("%s payment %+v", c.ID, c.Payment)
				}
			}
		})
	}

	for _, tc := range []struct{ name, query, param string }{
		{"limit 0", "limit=0", "limit"},
		{"limit 101", "limit=101", "limit"},
		{"limit x", "limit=x", "limit"},
		{"limit negative", "limit=-1", "limit"},
		{"bad status", "status=bogus", "status"},
		{"unknown starting_after", "starting_after=cs_nope", "starting_after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, data := apiMust(t, e, e.Key, "GET", "/v1/checkouts?"+tc.query, "", nil)
			checkAPIError(t, res, data, []int{http.StatusBadRequest}, "invalid_request_error", tc.param)
		})
	}
	t.Run("events bad limit", func(t *testing.T) {
		res, data := apiMust(t, e, e.Key, "GET", "/v1/events?limit=0", "", nil)
		checkAPIError(t, res, data, []int{http.StatusBadRequest}, "invalid_request_error", "limit")
	})
}

func TestIdempotencyKey(t *testing.T) {
	t.Run("same key, same body", func(t *testing.T) {
		e := handlerstest.New(t)
		body := e.ValidCheckoutBody(nil)
		hdr := map[string]string{"Idempotency-Key": "order-1-create"}
		var ids []string
		for i := range 3 {
			res, data := apiMust(t, e, e.Key, "POST", "/v1/checkouts", body, hdr)
			var c handlerstest.CheckoutObject
			json.Unmarshal(data, &c)
			if res.StatusCode != http.StatusCreated || c.ID == "" {
				t.Fatalf("request %d: %d %s", i, res.StatusCode, data)
			}
			replayed := res.Header.Get("Idempotent-Replayed")
			if i == 0 && replayed != "" || i > 0 && replayed != "true" {
				t.Errorf("request %d: Idempotent-Replayed %q", i, replayed)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("request %d: Content-Type %q", i, ct)
			}
			ids = append(ids, c.ID)
		}
		if ids[0] != ids[1] || ids[0] != ids[2] {
			t.Errorf("ids %v, want one", ids)
		}
		if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 1 {
			t.Errorf("%d checkouts stored", n)
		}
		if ev := e.Events(ids[0]); handlerstest.Count(ev, "checkout.created") != 1 {
			t.Errorf("events %v", ev)
		}
		// Without the key, the same body makes another checkout.
		if c := e.CreateCheckout(body); c.ID == ids[0] {
			t.Error("a request without a key replayed")
		}
	})

	t.Run("same key, other body", func(t *testing.T) {
		e := handlerstest.New(t)
		hdr := map[string]string{"Idempotency-Key": "k1"}
		first, _ := apiMust(t, e, e.Key, "POST", "/v1/checkouts", e.ValidCheckoutBody(nil), hdr)
		if first.StatusCode != http.StatusCreated {
			t.Fatalf("first: %d", first.StatusCode)
		}
		res, data := apiMust(t, e, e.Key, "POST", "/v1/checkouts", e.ValidCheckoutBody(map[string]any{"reference": "ORDER-2"}), hdr)
		checkAPIError(t, res, data, []int{http.StatusConflict}, "idempotency_error", "")
		if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 1 {
			t.Errorf("%d checkouts stored", n)
		}
	})

	t.Run("same key, other endpoint", func(t *testing.T) {
		e := handlerstest.New(t)
		c := e.CreateCheckout("")
		hdr := map[string]string{"Idempotency-Key": "k2"}
		apiMust(t, e, e.Key, "POST", "/v1/checkouts", e.ValidCheckoutBody(nil), hdr)
		res, data := apiMust(t, e, e.Key, "POST", "/v1/checkouts/"+c.ID+"/expire", "", hdr)
		checkAPIError(t, res, data, []int{http.StatusConflict}, "idempotency_error", "")
		if got := getCheckoutObj(t, e, c.ID); got.Status != "open" {
			t.Errorf("checkout %s", got.Status)
		}
	})

	t.Run("keys are per merchant", func(t *testing.T) {
		e := handlerstest.New(t)
		other, err := e.Service.CreateMerchant(context.Background(), checkout.NewMerchant{Name: "다른 상점"})
		if err != nil {
			t.Fatal(err)
		}
		hdr := map[string]string{"Idempotency-Key": "shared"}
		body := e.ValidCheckoutBody(nil)
		var a, b handlerstest.CheckoutObject
		ra := e.APIAs(e.Key, "POST", "/v1/checkouts", body, &a, hdr)
		rb := e.APIAs(other.APIKey, "POST", "/v1/checkouts", body, &b, hdr)
		if ra.StatusCode != http.StatusCreated || rb.StatusCode != http.StatusCreated || a.ID == b.ID || rb.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("two merchants with one key: %d %s, %d %s replayed=%q", ra.StatusCode, a.ID, rb.StatusCode, b.ID, rb.Header.Get("Idempotent-Replayed"))
		}
	})

	t.Run("refused create replays the refusal", func(t *testing.T) {
		e := handlerstest.New(t)
		hdr := map[string]string{"Idempotency-Key": "bad"}
		body := e.ValidCheckoutBody(map[string]any{"amount": 99, "items": nil})
		for range 2 {
			res, data := apiMust(t, e, e.Key, "POST", "/v1/checkouts", body, hdr)
			checkAPIError(t, res, data, statusesInvalid, "", "amount")
		}
		if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 0 {
			t.Errorf("%d checkouts stored", n)
		}
	})

	t.Run("key too long", func(t *testing.T) {
		e := handlerstest.New(t)
		res, data := apiMust(t, e, e.Key, "POST", "/v1/checkouts", e.ValidCheckoutBody(nil), map[string]string{"Idempotency-Key": strings.Repeat("k", 256)})
		checkAPIError(t, res, data, []int{http.StatusBadRequest}, "idempotency_error", "")
		if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 0 {
			t.Errorf("%d checkouts stored", n)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		e := handlerstest.New(t)
		body := e.ValidCheckoutBody(nil)
		hdr := map[string]string{"Idempotency-Key": "concurrent-1"}
		var wg sync.WaitGroup
		ids := make([]string, 10)
		codes := make([]int, 10)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, data, err := apiRaw(e, e.Key, "POST", "/v1/checkouts", body, hdr)
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				var c handlerstest.CheckoutObject
				json.Unmarshal(data, &c)
				ids[i], codes[i] = c.ID, res.StatusCode
			}()
		}
		wg.Wait()
		for i := range ids {
			if codes[i] != http.StatusCreated || ids[i] != ids[0] || ids[i] == "" {
				t.Errorf("request %d: %d %q, want 201 %q", i, codes[i], ids[i], ids[0])
			}
		}
		if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 1 {
			t.Errorf("%d checkouts stored", n)
		}
	})
}

func TestExpireOpenCheckout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		attempt bool // a shopper has started paying
	}{{"no attempt", false}, {"live attempt", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := handlerstest.New(t)
			c := e.CreateCheckout("")
			phone := e.Browser(handlerstest.UAIPhone)
			if tc.attempt {
				phone.PayOn(c.ID)
			}
			res, data := apiMust(t, e, e.Key, "POST", "/v1/checkouts/"+c.ID+"/expire", "", nil)
			var got map[string]any
			json.Unmarshal(data, &got)
			if res.StatusCode != http.StatusOK || got["status"] != "expired" || got["id"] != c.ID || got["object"] != "checkout" {
				t.Fatalf("expire: %d %s", res.StatusCode, data)
			}
			if getCheckoutObj(t, e, c.ID).Status != "expired" {
				t.Error("GET does not say expired")
			}
			ev := e.Events(c.ID)
			if handlerstest.Count(ev, "checkout.expired") != 1 {
				t.Errorf("events %v", ev)
			}
			if !tc.attempt {
				return
			}
			if a := e.LatestAttempt(c.ID); a.Status != "expired" || handlerstest.Count(ev, "attempt.expired") != 1 {
				t.Errorf("attempt %s, events %v", a.Status, ev)
			}
			// The shopper approves in the wallet afterwards: the return is refused and no money moves.
			res, html := phone.Do(phone.NoRedirect(), "GET", sandboxApprovalURL(t, phone, c.ID), nil, nil)
			checkErrorPage(t, res, html, http.StatusConflict, "")
			if n := e.Sandbox.Calls("approve"); n != 0 || e.CountRows("SELECT COUNT(*) FROM payments") != 0 {
				t.Errorf("%d approve calls, %d payments after expire", n, e.CountRows("SELECT COUNT(*) FROM payments"))
			}
		})
	}
}

func TestConcurrentExpireExpiresOnce(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	var wg sync.WaitGroup
	codes := make([]int, 6)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, data, err := apiRaw(e, e.Key, "POST", "/v1/checkouts/"+c.ID+"/expire", "", nil)
			if err != nil {
				t.Error(err)
				return
			}
			codes[i] = res.StatusCode
			if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusConflict {
				t.Errorf("expire %d: %d %s", i, res.StatusCode, data)
			}
		}()
	}
	wg.Wait()
	ok := 0
	for _, code := range codes {
		if code == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("expire answers %v, want one 200 and the rest 409", codes)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.expired") != 1 {
		t.Errorf("events %v", ev)
	}
}

func TestEventsFilterByType(t *testing.T) {
	e := handlerstest.New(t)
	paid, open := e.CreateCheckout(""), e.CreateCheckout("")
	e.PayByPhone(paid.ID)
	e.API("POST", "/v1/checkouts/"+open.ID+"/expire", "", nil)
	type eventList struct {
		Object string `json:"object"`
		Data   []struct {
			ID       string          `json:"id"`
			Object   string          `json:"object"`
			Type     string          `json:"type"`
			Checkout string          `json:"checkout"`
			Data     json.RawMessage `json:"data"`
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
	for _, tc := range []struct {
		typ      string
		checkout string
		n        int
	}{
		{"checkout.paid", paid.ID, 1},
		{"checkout.expired", open.ID, 1},
		{"checkout.created", "", 2},
		{"refund.succeeded", "", 0},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			var l eventList
			if res := e.API("GET", "/v1/events?type="+tc.typ, "", &l); res.StatusCode != http.StatusOK {
				t.Fatalf("events: %d", res.StatusCode)
			}
			if l.Object != "list" || len(l.Data) != tc.n || l.HasMore {
				t.Fatalf("%d events (has_more %v), want %d", len(l.Data), l.HasMore, tc.n)
			}
			for _, ev := range l.Data {
				if ev.Type != tc.typ || ev.Object != "event" || !strings.HasPrefix(ev.ID, "evt_") {
					t.Errorf("event %+v", ev)
				}
				if tc.checkout != "" && ev.Checkout != tc.checkout {
					t.Errorf("event of %s, want %s", ev.Checkout, tc.checkout)
				}
			}
		})
	}
	t.Run("paid event data", func(t *testing.T) {
		var l eventList
		e.API("GET", "/v1/events?type=checkout.paid", "", &l)
		var d struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Amount  int64  `json:"amount"`
			Payment struct {
				ID     string `json:"id"`
				Amount int64  `json:"amount"`
			} `json:"payment"`
		}
		if len(l.Data) != 1 || json.Unmarshal(l.Data[0].Data, &d) != nil {
			t.Fatalf("events %+v", l.Data)
		}
		if d.ID != paid.ID || d.Status != "paid" || d.Amount != 11000 || !strings.HasPrefix(d.Payment.ID, "pay_") || d.Payment.Amount != 11000 {
			t.Errorf("checkout.paid data %s", l.Data[0].Data)
		}
	})
}

func TestHealthAndUnknownRoutes(t *testing.T) {
	e := handlerstest.New(t)
	for _, tc := range []struct{ path, body string }{{"/healthz", "ok"}, {"/readyz", "ready"}} {
		t.Run(tc.path, func(t *testing.T) {
			res, data := apiMust(t, e, "", "GET", tc.path, "", nil)
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
			res, data := apiMust(t, e, tc.key, tc.method, tc.path, "", nil)
			checkAPIError(t, res, data, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, "", "")
		})
	}
	if got := getCheckoutObj(t, e, c.ID); got.Status != "open" {
		t.Errorf("checkout %s", got.Status)
	}
}

// TestIdempotencyKeyAcrossInstances plays two kpcheckout instances over one database (the
// PostgreSQL deployment of the design): a retried request that reaches the other instance must
// still replay, not create a second checkout.
func TestIdempotencyKeyAcrossInstances(t *testing.T) {
	e := handlerstest.New(t)
	bundle, err := locales.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	assets, err := static.Load("/static/")
	if err != nil {
		t.Fatal(err)
	}
	h, err := handlers.New(handlers.Config{
		Service: e.Service, Bundle: bundle, Assets: assets, Sessions: sessions.NewCookieStore([]byte("0123456789abcdef0123456789abcdef")),
		BaseURL: e.URL, TestMode: true, Ready: e.DB.Ping,
	})
	if err != nil {
		t.Fatal(err)
	}
	second := httptest.NewServer(h)
	t.Cleanup(second.Close)
	instances := []string{e.URL, second.URL}

	body := e.ValidCheckoutBody(nil)
	for round := range 10 {
		key := fmt.Sprintf("retry-%d", round)
		var wg sync.WaitGroup
		start := make(chan struct{})
		ids := make([]string, 8)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", instances[i%2]+"/v1/checkouts", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+e.Key)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", key)
				<-start
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer res.Body.Close()
				var c handlerstest.CheckoutObject
				json.NewDecoder(res.Body).Decode(&c)
				if res.StatusCode != http.StatusCreated {
					t.Errorf("round %d request %d: %d", round, i, res.StatusCode)
				}
				ids[i] = c.ID
			}()
		}
		close(start)
		wg.Wait()
		distinct := map[string]bool{}
		for _, id := range ids {
			distinct[id] = true
		}
		if len(distinct) != 1 {
			t.Errorf("round %d: one Idempotency-Key answered %d different checkouts %v", round, len(distinct), ids)
		}
	}
	if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 10 {
		t.Errorf("%d checkouts stored for 10 idempotency keys", n)
	}
}

func TestCheckoutURLTemplatesAndLocale(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{
		"success_url": e.Shop.URL + "/orders/{CHECKOUT_ID}/done",
		"failure_url": e.Shop.URL + "/cart?checkout={CHECKOUT_ID}",
		"locale":      "en",
	}))
	got := getCheckoutObj(t, e, c.ID)
	if got.URL != e.URL+"/c/"+c.ID {
		t.Errorf("url %q", got.URL)
	}
	res, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
	doc := handlerstest.Page(t, html)
	if res.StatusCode != http.StatusOK || doc.Find("html").AttrOr("lang", "") != "en" || handlerstest.TextOf(doc, "amount") != "₩11,000" {
		t.Errorf("locale en: %d lang=%q amount=%q", res.StatusCode, doc.Find("html").AttrOr("lang", ""), handlerstest.TextOf(doc, "amount"))
	}
	e.PayByPhone(c.ID)
	st := e.Status(c.ID, "")
	if want := e.Shop.URL + "/orders/" + c.ID + "/done"; st.RedirectURL == nil || *st.RedirectURL != want {
		t.Errorf("redirect_url %v, want %s", st.RedirectURL, want)
	}

	other := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{"failure_url": e.Shop.URL + "/cart?checkout={CHECKOUT_ID}"}))
	e.API("POST", "/v1/checkouts/"+other.ID+"/expire", "", nil)
	_, html = e.Browser(handlerstest.UADesktop).Get(other.URL)
	if href := handlerstest.Page(t, html).Find(`[data-testid="back-to-shop"]`).AttrOr("href", ""); href != e.Shop.URL+"/cart?checkout="+other.ID {
		t.Errorf("back to shop %q", href)
	}
}

package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/kpcheckout/kpcheckout/handlers"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/locales"
	"github.com/kpcheckout/kpcheckout/static"
	"github.com/kpcheckout/kpcheckout/store"
)

func TestAPIKeysRefused(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
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
				res, data := handlerstest.APIMust(t, e, "", req.method, req.path, req.body, hdr)
				handlerstest.CheckAPIError(t, res, data, []int{http.StatusUnauthorized}, "authentication_error", "")
				if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != before {
					t.Errorf("%s %s without a valid key stored a checkout", req.method, req.path)
				}
			}
		})
	}
	if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "open" {
		t.Errorf("checkout %s after refused expire", got.Status)
	}
}

func TestOtherMerchantSeesNothing(t *testing.T) {
	e := handlerstest.New(t)
	other := e.OtherMerchant()
	mine := e.CreateCheckout("")
	var theirs handlerstest.CheckoutObject
	if res := e.APIAs(other.APIKey, "POST", "/v1/checkouts", e.ValidCheckoutBody(nil), &theirs, nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("other merchant's create: %d", res.StatusCode)
	}

	t.Run("read", func(t *testing.T) {
		res, data := handlerstest.APIMust(t, e, other.APIKey, "GET", "/v1/checkouts/"+mine.ID, "", nil)
		handlerstest.CheckAPIError(t, res, data, []int{http.StatusNotFound}, "invalid_request_error", "")
		if strings.Contains(string(data), "ORDER-1") || strings.Contains(string(data), "아메리카노") {
			t.Errorf("the 404 tells of the checkout: %s", data)
		}
	})
	t.Run("expire", func(t *testing.T) {
		res, data := handlerstest.APIMust(t, e, other.APIKey, "POST", "/v1/checkouts/"+mine.ID+"/expire", "", nil)
		handlerstest.CheckAPIError(t, res, data, []int{http.StatusNotFound}, "invalid_request_error", "")
		if got := handlerstest.GetCheckout(t, e, mine.ID); got.Status != "open" {
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
		res, data := handlerstest.APIMust(t, e, other.APIKey, "GET", "/v1/checkouts?starting_after="+mine.ID, "", nil)
		handlerstest.CheckAPIError(t, res, data, []int{http.StatusBadRequest}, "invalid_request_error", "starting_after")
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
			res, body := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts", tc.body, nil)
			handlerstest.CheckAPIError(t, res, body, []int{400}, "invalid_request_error", tc.param)
		})
	}
	if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 0 {
		t.Errorf("%d checkouts were created from ambiguous bodies", n)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Run("same key, same body", func(t *testing.T) {
		e := handlerstest.New(t)
		body := e.ValidCheckoutBody(nil)
		hdr := map[string]string{"Idempotency-Key": "order-1-create"}
		var ids []string
		for i := range 3 {
			res, data := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts", body, hdr)
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
		first, _ := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts", e.ValidCheckoutBody(nil), hdr)
		if first.StatusCode != http.StatusCreated {
			t.Fatalf("first: %d", first.StatusCode)
		}
		res, data := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts", e.ValidCheckoutBody(map[string]any{"reference": "ORDER-2"}), hdr)
		handlerstest.CheckAPIError(t, res, data, []int{http.StatusConflict}, "idempotency_error", "")
		if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 1 {
			t.Errorf("%d checkouts stored", n)
		}
	})

	t.Run("same key, other endpoint", func(t *testing.T) {
		e, c := handlerstest.NewCheckout(t)
		hdr := map[string]string{"Idempotency-Key": "k2"}
		handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts", e.ValidCheckoutBody(nil), hdr)
		res, data := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts/"+c.ID+"/expire", "", hdr)
		handlerstest.CheckAPIError(t, res, data, []int{http.StatusConflict}, "idempotency_error", "")
		if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "open" {
			t.Errorf("checkout %s", got.Status)
		}
	})

	t.Run("keys are per merchant", func(t *testing.T) {
		e := handlerstest.New(t)
		other := e.OtherMerchant()
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
			res, data := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts", body, hdr)
			handlerstest.CheckAPIError(t, res, data, handlerstest.StatusesInvalid, "", "amount")
		}
		if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 0 {
			t.Errorf("%d checkouts stored", n)
		}
	})

	t.Run("key too long", func(t *testing.T) {
		e := handlerstest.New(t)
		res, data := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts", e.ValidCheckoutBody(nil), map[string]string{"Idempotency-Key": strings.Repeat("k", 256)})
		handlerstest.CheckAPIError(t, res, data, []int{http.StatusBadRequest}, "idempotency_error", "")
		if n := e.CountRows("SELECT COUNT(*) FROM checkouts"); n != 0 {
			t.Errorf("%d checkouts stored", n)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		e := handlerstest.New(t)
		body := e.ValidCheckoutBody(nil)
		hdr := map[string]string{"Idempotency-Key": "concurrent-1"}
		ids := make([]string, 10)
		codes := make([]int, 10)
		handlerstest.AtOnce(len(ids), func(i int) {
			res, data, err := handlerstest.APIRaw(e, e.Key, "POST", "/v1/checkouts", body, hdr)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			var c handlerstest.CheckoutObject
			json.Unmarshal(data, &c)
			ids[i], codes[i] = c.ID, res.StatusCode
		})
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
		Services: e.Services, Bundle: bundle, Assets: assets, Sessions: sessions.NewCookieStore([]byte("0123456789abcdef0123456789abcdef")),
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

// lostAnswerCase is one API POST whose Idempotency-Key answer is never stored.
type lostAnswerCase struct {
	name string
	// request makes what the POST needs (without a key) and returns its path and body.
	request func(e *handlerstest.Env) (path, body string)
	// count is a query whose answer the retry must leave as the first request left it.
	count string
	// meanwhile, when set, changes the object with another request before the retry, which
	// must not undo it; check then tells whether the change stands.
	meanwhile func(e *handlerstest.Env, first map[string]any)
	check     func(t *testing.T, e *handlerstest.Env, first map[string]any)
}

func lostAnswerCases() []lostAnswerCase {
	onCheckout := func(suffix, body string) func(e *handlerstest.Env) (string, string) {
		return func(e *handlerstest.Env) (string, string) {
			return "/v1/checkouts/" + e.CreateCheckout("").ID + suffix, body
		}
	}
	endpoint := func(e *handlerstest.Env) string {
		var ep struct{ ID string }
		e.API("POST", "/v1/webhook_endpoints", `{"url":"`+e.Shop.URL+`/hooks"}`, &ep)
		return "/v1/webhook_endpoints/" + ep.ID
	}
	linkBody := func(e *handlerstest.Env) string {
		return `{"amount":5000,"description":"원두 200g","success_url":"` + e.Shop.URL + `/thanks","failure_url":"` + e.Shop.URL + `/cart"}`
	}
	return []lostAnswerCase{
		{name: "create checkout", count: "SELECT COUNT(*) FROM checkouts",
			request: func(e *handlerstest.Env) (string, string) { return "/v1/checkouts", e.ValidCheckoutBody(nil) }},
		{name: "expire checkout", count: "SELECT COUNT(*) FROM events WHERE type = 'checkout.expired'", request: onCheckout("/expire", "")},
		{name: "start attempt", count: "SELECT COUNT(*) FROM attempts", request: onCheckout("/attempts", `{"device":"desktop"}`)},
		{name: "create link", count: "SELECT COUNT(*) FROM links",
			request: func(e *handlerstest.Env) (string, string) { return "/v1/links", linkBody(e) }},
		{name: "deactivate link", count: "SELECT COUNT(*) FROM links WHERE active",
			request: func(e *handlerstest.Env) (string, string) {
				var l struct{ ID string }
				e.API("POST", "/v1/links", linkBody(e), &l)
				return "/v1/links/" + l.ID + "/deactivate", ""
			}},
		{name: "create webhook endpoint", count: "SELECT COUNT(*) FROM webhook_endpoints",
			request: func(e *handlerstest.Env) (string, string) {
				return "/v1/webhook_endpoints", `{"url":"` + e.Shop.URL + `/hooks"}`
			}},
		{name: "update webhook endpoint",
			request: func(e *handlerstest.Env) (string, string) {
				return endpoint(e), `{"url":"` + e.Shop.URL + `/first"}`
			},
			meanwhile: func(e *handlerstest.Env, first map[string]any) {
				e.API("POST", "/v1/webhook_endpoints/"+first["id"].(string), `{"url":"`+e.Shop.URL+`/second"}`, nil)
			},
			check: func(t *testing.T, e *handlerstest.Env, first map[string]any) {
				var ep struct{ URL string }
				e.API("GET", "/v1/webhook_endpoints/"+first["id"].(string), "", &ep)
				if ep.URL != e.Shop.URL+"/second" {
					t.Errorf("the retry changed the endpoint again: url %s", ep.URL)
				}
			}},
		{name: "rotate webhook secret", count: "SELECT COUNT(*) FROM webhook_endpoints",
			request: func(e *handlerstest.Env) (string, string) { return endpoint(e) + "/rotate_secret", "" }},
		{name: "test webhook endpoint", count: "SELECT COUNT(*) FROM events WHERE type = 'ping'",
			request: func(e *handlerstest.Env) (string, string) { return endpoint(e) + "/test", "" }},
		{name: "redeliver event", count: "SELECT COUNT(*) FROM webhook_deliveries",
			request: func(e *handlerstest.Env) (string, string) {
				endpoint(e)
				e.CreateCheckout("")
				var list struct{ Data []struct{ ID string } }
				e.API("GET", "/v1/events?type=checkout.created", "", &list)
				return "/v1/events/" + list.Data[0].ID + "/redeliver", ""
			}},
		{name: "update merchant",
			request: func(e *handlerstest.Env) (string, string) {
				return "/v1/merchant", `{"embed_origins":["https://first.example"]}`
			},
			meanwhile: func(e *handlerstest.Env, _ map[string]any) {
				e.API("POST", "/v1/merchant", `{"embed_origins":["https://second.example"]}`, nil)
			},
			check: func(t *testing.T, e *handlerstest.Env, _ map[string]any) {
				var m struct {
					EmbedOrigins []string `json:"embed_origins"`
				}
				e.API("GET", "/v1/merchant", "", &m)
				if len(m.EmbedOrigins) != 1 || m.EmbedOrigins[0] != "https://second.example" {
					t.Errorf("the retry changed the merchant again: %v", m.EmbedOrigins)
				}
			}},
	}
}

// TestIdempotencyKeyWhoseAnswerWasLost plays every API POST that creates or changes something
// with an Idempotency-Key whose answer is never stored (the database fails that write, as a
// crash right after the commit would leave it). A retry after the abandoned-reservation window
// must answer what the first request did, never do it a second time.
func TestIdempotencyKeyWhoseAnswerWasLost(t *testing.T) {
	for _, tc := range lostAnswerCases() {
		t.Run(tc.name, func(t *testing.T) {
			e := handlerstest.NewWith(t, handlerstest.Options{ManualDeliveries: true,
				Store: func(s store.Store) store.Store { return lostAnswers{s} }})
			path, body := tc.request(e)
			var first, again map[string]any
			res := e.APIIdempotent("lost-1", "POST", path, body, &first)
			if res.StatusCode/100 != 2 {
				t.Fatalf("first: %d %v", res.StatusCode, first)
			}
			want := -1
			if tc.count != "" {
				want = e.CountRows(tc.count)
			}
			if tc.meanwhile != nil {
				tc.meanwhile(e, first)
			}
			e.Clock.Add(2 * time.Minute) // past the window after which an abandoned reservation is taken over
			retry := e.APIIdempotent("lost-1", "POST", path, body, &again)
			if retry.StatusCode != res.StatusCode || again["id"] != first["id"] || again["secret"] != first["secret"] {
				t.Errorf("retry answered %d id %v secret %v; the first %d id %v secret %v",
					retry.StatusCode, again["id"], again["secret"], res.StatusCode, first["id"], first["secret"])
			}
			if tc.count != "" {
				if got := e.CountRows(tc.count); got != want {
					t.Errorf("%s: %d after the retry, %d after the first request", tc.count, got, want)
				}
			}
			if tc.check != nil {
				tc.check(t, e, first)
			}
		})
	}
}

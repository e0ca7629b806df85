package api_test

import (
	"encoding/json"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// TestShopperWhoClosesTheTabStillGetsTheOrderPaid is the "done when": the shopper
// approves in KakaoTalk, the return reaches us and we approve, and the tab closes before it
// reaches the shop's success_url. The merchant's endpoint gets checkout.paid, verified by the
// Standard Webhooks library, once.
func TestShopperWhoClosesTheTabStillGetsTheOrderPaid(t *testing.T) {
	e := handlerstest.New(t)
	rc := handlerstest.NewReceiver(t)
	rc.Endpoint(e, "checkout.paid")
	c := e.CreateCheckout("")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(c.ID)
	next := e.AttemptMobileURL(c.ID)
	for _, auto := range []string{"approve", ""} { // the wallet, then our approve return
		req, _ := http.NewRequest("GET", next, nil)
		if auto != "" {
			req.Header.Set("X-Sandbox-Auto", auto)
		}
		res, err := phone.NoRedirect().Do(req)
		if err != nil || res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %v %v", next, err, res)
		}
		res.Body.Close()
		next = res.Header.Get("Location")
	}
	if !strings.HasPrefix(next, e.Shop.URL+"/thanks") {
		t.Fatalf("the return sends the shopper to %s", next)
	}
	// The tab closes here: the shop's success_url never sees the shopper.
	if st := e.Status(c.ID, ""); st.Status != "paid" {
		t.Fatalf("the checkout is %s", st.Status)
	}
	handlerstest.Deliver(t, e)
	got := rc.Received()
	if len(got) != 1 || got[0].Type != "checkout.paid" || got[0].Livemode {
		t.Fatalf("the merchant received %+v, want one checkout.paid", got)
	}
	var data struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Amount  int64  `json:"amount"`
		Payment struct {
			Amount int64 `json:"amount"`
		} `json:"payment"`
	}
	if err := json.Unmarshal(got[0].Data.Object, &data); err != nil || data.ID != c.ID || data.Status != "paid" || data.Payment.Amount != 11000 {
		t.Errorf("checkout.paid data.object %s: %v", got[0].Data.Object, err)
	}
	handlerstest.Deliver(t, e)
	e.Clock.Add(time.Hour)
	handlerstest.Deliver(t, e)
	if n := len(rc.Received()); n != 1 {
		t.Errorf("%d deliveries of one event", n)
	}
}

func TestWebhookRetriesUntilTheReceiverTakesIt(t *testing.T) {
	e := handlerstest.NewWith(t, handlerstest.Options{WebhookTimeout: 300 * time.Millisecond})
	rc := handlerstest.NewReceiver(t)
	rc.Endpoint(e, "*")
	hang := func(w http.ResponseWriter) { time.Sleep(time.Second) }
	hangUp := func(w http.ResponseWriter) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	endless := func(w http.ResponseWriter) {
		w.WriteHeader(500)
		chunk := []byte(strings.Repeat("x", 4096))
		for range 1 << 12 { // 16 MB, far past what is read
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	moved := func(w http.ResponseWriter) {
		w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
		w.WriteHeader(http.StatusMovedPermanently)
	}
	rc.Then(handlerstest.AnswerStatus(500), moved, hang, hangUp, endless)
	e.CreateCheckout("")
	handlerstest.Deliver(t, e)
	for range 5 {
		e.Clock.Add(7 * time.Hour) // past any backoff
		handlerstest.Deliver(t, e)
	}
	got := rc.Received()
	if len(got) != 1 || got[0].Type != "checkout.created" {
		t.Fatalf("received %+v, want checkout.created once", got)
	}
	var ev struct {
		Deliveries []struct {
			Status   string `json:"status"`
			Attempts []struct {
				StatusCode   *int   `json:"status_code"`
				Error        string `json:"error"`
				ResponseBody string `json:"response_body"`
			} `json:"attempts"`
		} `json:"deliveries"`
	}
	if res := e.API("GET", "/v1/events/"+got[0].ID, "", &ev); res.StatusCode != 200 || len(ev.Deliveries) != 1 {
		t.Fatalf("event: %d %+v", res.StatusCode, ev)
	}
	d := ev.Deliveries[0]
	if d.Status != "succeeded" || len(d.Attempts) != 6 {
		t.Fatalf("delivery %+v, want succeeded after 6 tries", d)
	}
	code := func(i int) int {
		if d.Attempts[i].StatusCode == nil {
			return 0
		}
		return *d.Attempts[i].StatusCode
	}
	if code(0) != 500 || !strings.Contains(d.Attempts[0].ResponseBody, "answer 500") {
		t.Errorf("try 1: %+v", d.Attempts[0])
	}
	if code(1) != 301 || !strings.Contains(d.Attempts[1].Error, "redirect") {
		t.Errorf("try 2 (a redirect, not followed): %+v", d.Attempts[1])
	}
	if code(2) != 0 || d.Attempts[2].Error == "" || code(3) != 0 || d.Attempts[3].Error == "" {
		t.Errorf("tries 3 and 4 (a hang, a hang-up): %+v %+v", d.Attempts[2], d.Attempts[3])
	}
	if code(4) != 500 || len(d.Attempts[4].ResponseBody) != 1024 {
		t.Errorf("try 5 (an endless body): %d, %d bytes kept", code(4), len(d.Attempts[4].ResponseBody))
	}
	if code(5) != 204 {
		t.Errorf("try 6: %+v", d.Attempts[5])
	}
}

func TestWebhooksOfACheckoutArriveInOrder(t *testing.T) {
	e := handlerstest.New(t)
	rc := handlerstest.NewReceiver(t)
	rc.Endpoint(e, "*")
	rc.Then(handlerstest.AnswerStatus(503)) // the first event waits for its retry; the ones after it wait for it
	c := e.CreateCheckout("")
	e.API("POST", "/v1/checkouts/"+c.ID+"/expire", "", nil)
	handlerstest.Deliver(t, e)
	if n := len(rc.Received()); n != 0 {
		t.Fatalf("%d events arrived while the first one of the checkout waits", n)
	}
	e.Clock.Add(time.Minute)
	handlerstest.Deliver(t, e)
	var types []string
	for _, p := range rc.Received() {
		types = append(types, p.Type)
	}
	if strings.Join(types, ",") != "checkout.created,checkout.expired" {
		t.Errorf("arrived in order %v", types)
	}
}

func TestWebhookEndpointThatNeverAnswersIsDisabled(t *testing.T) {
	e := handlerstest.New(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String() + "/hooks" // nobody listens there
	ln.Close()
	var ep handlerstest.EndpointObject
	e.API("POST", "/v1/webhook_endpoints", `{"url":"`+dead+`"}`, &ep)
	e.CreateCheckout("")
	handlerstest.Deliver(t, e)
	for range 20 {
		e.Clock.Add(6 * time.Hour)
		handlerstest.Deliver(t, e)
	}
	var got handlerstest.EndpointObject
	e.API("GET", "/v1/webhook_endpoints/"+ep.ID, "", &got)
	if !got.Disabled {
		t.Errorf("an endpoint that took nothing for 3 days is %+v", got)
	}
	if handlerstest.Count(e.Events(""), "webhook_endpoint.disabled") != 1 {
		t.Errorf("events %v", e.Events(""))
	}
}

func TestWebhookEndpointsAPI(t *testing.T) {
	e := handlerstest.NewWith(t, handlerstest.Options{ManualDeliveries: true})
	rc := handlerstest.NewReceiver(t)
	ep := rc.Endpoint(e, "checkout.paid", "refund.succeeded")
	var got handlerstest.EndpointObject
	if res := e.API("GET", "/v1/webhook_endpoints/"+ep.ID, "", &got); res.StatusCode != 200 || got.Secret != "" || got.URL != rc.URL() {
		t.Errorf("get: %d %+v (the secret is shown only once)", res.StatusCode, got)
	}
	var list struct{ Data []handlerstest.EndpointObject }
	if e.API("GET", "/v1/webhook_endpoints", "", &list); len(list.Data) != 1 {
		t.Errorf("list %+v", list)
	}
	if res := e.API("POST", "/v1/webhook_endpoints/"+ep.ID, `{"enabled_events":["*"],"description":"주문 서버"}`, &got); res.StatusCode != 200 || got.EnabledEvents[0] != "*" {
		t.Errorf("update: %d %+v", res.StatusCode, got)
	}
	var rotated handlerstest.EndpointObject
	if e.API("POST", "/v1/webhook_endpoints/"+ep.ID+"/rotate_secret", "", &rotated); rotated.Secret == "" || rotated.Secret == ep.Secret {
		t.Errorf("rotate: %+v", rotated)
	}
	// During the overlap a delivery carries a signature for each secret: the old one still verifies.
	var ping struct {
		ID string `json:"id"`
	}
	if res := e.API("POST", "/v1/webhook_endpoints/"+ep.ID+"/test", "", &ping); res.StatusCode != 201 {
		t.Fatalf("test: %d", res.StatusCode)
	}
	handlerstest.Deliver(t, e)
	if got := rc.Received(); len(got) != 1 || got[0].Type != "ping" {
		t.Errorf("after the test: %+v", got)
	}
	rc.SetSecret(rotated.Secret)
	var redelivered struct{ Deliveries []struct{ Status string } }
	if res := e.API("POST", "/v1/events/"+ping.ID+"/redeliver", `{"webhook_endpoint":"`+ep.ID+`"}`, &redelivered); res.StatusCode != 200 || len(redelivered.Deliveries) != 2 {
		t.Errorf("redeliver: %d %+v", res.StatusCode, redelivered)
	}
	handlerstest.Deliver(t, e)
	if n := len(rc.Received()); n != 2 {
		t.Errorf("%d deliveries after the redelivery", n)
	}

	var ae handlerstest.APIError
	if res := e.API("POST", "/v1/events/"+ping.ID+"/redeliver", `{"webhook_endpoint":"we_nope"}`, &ae); res.StatusCode != 404 {
		t.Errorf("redeliver to an unknown endpoint: %d %+v", res.StatusCode, ae)
	}
	// A disabled endpoint gets nothing (but a test ping, on request): its events wait for it.
	e.CreateCheckout("") // queued for the endpoint, then the endpoint is disabled before it goes
	e.API("POST", "/v1/webhook_endpoints/"+ep.ID, `{"disabled":true}`, nil)
	e.CreateCheckout("") // queued, to wait
	handlerstest.Deliver(t, e)
	if n := len(rc.Received()); n != 2 {
		t.Errorf("a disabled endpoint received %d deliveries, want still 2", n)
	}
	e.API("POST", "/v1/webhook_endpoints/"+ep.ID, `{"disabled":false}`, nil)
	handlerstest.Deliver(t, e)
	if got := rc.Received(); len(got) != 4 || got[2].Type != "checkout.created" || got[3].Type != "checkout.created" {
		t.Errorf("enabled again, the endpoint received %+v, want the two checkout.created that waited", got[2:])
	}

	long := "https://example.com/" + strings.Repeat("a", 2048)
	for body, param := range map[string]string{
		`{"url":"/hooks"}`:                   "url",
		`{"url":"ftp://example.com/hooks"}`:  "url",
		`{"url":"http://example.com/hooks"}`: "url",
		`{"url":"` + long + `"}`:             "url",
		`{}`:                                 "url",
		`{"url":"https://example.com","enabled_events":["checkout.payed"]}`: "enabled_events[0]",
		`{"url":"https://example.com","enabled_events":[]}`:                 "enabled_events",
		`{"url":"https://example.com","colour":"red"}`:                      "colour",
	} {
		var ae handlerstest.APIError
		if res := e.API("POST", "/v1/webhook_endpoints", body, &ae); res.StatusCode != 400 || ae.Error.Param == nil || *ae.Error.Param != param {
			t.Errorf("%s: %d %+v, want 400 on %s", body, res.StatusCode, ae, param)
		}
	}
	other := e.OtherMerchant()
	for _, path := range []string{"/v1/webhook_endpoints/" + ep.ID, "/v1/events/" + ping.ID} {
		if res := e.APIAs(other.APIKey, "GET", path, "", nil, nil); res.StatusCode != 404 {
			t.Errorf("another merchant reads %s: %d", path, res.StatusCode)
		}
	}
	if res := e.API("DELETE", "/v1/webhook_endpoints/"+ep.ID, "", nil); res.StatusCode != 200 {
		t.Errorf("delete: %d", res.StatusCode)
	}
	if res := e.API("GET", "/v1/webhook_endpoints/"+ep.ID, "", nil); res.StatusCode != 404 {
		t.Errorf("after delete: %d", res.StatusCode)
	}
}

// TestDisabledWebhookEndpointKeepsItsEvents: while an endpoint is disabled its events are queued
// for it and shown pending with no next try; a test ping still goes. Enabled again, it gets them
// in order, but for those that waited 3 days, which end failed and say why.
func TestDisabledWebhookEndpointKeepsItsEvents(t *testing.T) {
	e := handlerstest.NewWith(t, handlerstest.Options{ManualDeliveries: true})
	rc := handlerstest.NewReceiver(t)
	ep := rc.Endpoint(e, "*")
	e.API("POST", "/v1/webhook_endpoints/"+ep.ID, `{"disabled":true}`, nil)
	old := e.CreateCheckout("") // it will wait 3 days
	var ping struct {
		ID string `json:"id"`
	}
	e.API("POST", "/v1/webhook_endpoints/"+ep.ID+"/test", "", &ping)
	handlerstest.Deliver(t, e)
	if got := rc.Received(); len(got) != 1 || got[0].ID != ping.ID {
		t.Fatalf("a disabled endpoint received %+v, want only the ping", got)
	}
	// No deliverer looks in the 3 days: enabling the endpoint is what fails the old events.
	e.Clock.Add(72 * time.Hour)
	c := e.CreateCheckout("")
	e.API("POST", "/v1/checkouts/"+c.ID+"/expire", "", nil)
	type event struct {
		ID         string
		Type       string
		Deliveries []struct {
			Status        string
			NextAttemptAt *time.Time `json:"next_attempt_at"`
			Attempts      []struct{ Error string }
		}
	}
	events := func(checkoutID string) (list []event) {
		var page struct{ Data []struct{ ID string } }
		e.API("GET", "/v1/events?limit=100&checkout="+checkoutID, "", &page)
		for _, item := range page.Data {
			var ev event
			e.API("GET", "/v1/events/"+item.ID, "", &ev)
			list = append(list, ev)
		}
		if len(list) == 0 {
			t.Fatalf("no events of %s", checkoutID)
		}
		return list
	}
	for _, ev := range events(c.ID) {
		if len(ev.Deliveries) != 1 || ev.Deliveries[0].Status != "pending" || ev.Deliveries[0].NextAttemptAt != nil {
			t.Errorf("%s while its endpoint is disabled: %+v, want pending with no next try", ev.Type, ev.Deliveries)
		}
	}
	e.API("POST", "/v1/webhook_endpoints/"+ep.ID, `{"disabled":false}`, nil)
	handlerstest.Deliver(t, e)
	var types []string
	for _, p := range rc.Received()[1:] {
		types = append(types, p.Type)
	}
	if strings.Join(types, ",") != "checkout.created,checkout.expired" {
		t.Errorf("enabled again, the endpoint received %v, want the new checkout's events in order", types)
	}
	for _, ev := range events(old.ID) {
		d := ev.Deliveries[0]
		if d.Status != "failed" || len(d.Attempts) != 1 || d.Attempts[0].Error != "expired while the endpoint was disabled" {
			t.Errorf("%s that waited 3 days: %+v", ev.Type, d)
		}
	}
}

// TestWebhookBodyIsTheEventObject: every delivered body, a checkout's events, a refund's and a
// ping (which concerns no checkout), has exactly the keys and values GET /v1/events/{id} answers
// for the event, its delivery log aside.
func TestWebhookBodyIsTheEventObject(t *testing.T) {
	e := handlerstest.New(t)
	rc := handlerstest.NewReceiver(t)
	ep := rc.Endpoint(e, "*")
	c := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{"metadata": map[string]string{"table": "7"}}))
	pay := e.PayByPhone(c.ID)
	if code, _, _ := e.Refund(pay, `{"amount":1000}`); code != http.StatusCreated {
		t.Fatalf("refund: %d", code)
	}
	if res := e.API("POST", "/v1/webhook_endpoints/"+ep.ID+"/test", "", nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("ping: %d", res.StatusCode)
	}
	handlerstest.Deliver(t, e)
	types := map[string]bool{}
	for _, body := range rc.Bodies() {
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if res := e.API("GET", "/v1/events/"+got["id"].(string), "", &want); res.StatusCode != http.StatusOK {
			t.Fatalf("GET the event of %s: %d", body, res.StatusCode)
		}
		delete(want, "deliveries")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the webhook's body\n%s\nis not the API's event object\n%v", got["type"], body, want)
		}
		types[got["type"].(string)] = true
		if got["type"] == "ping" && got["checkout"] != nil {
			t.Errorf("a ping's checkout is %v, want null", got["checkout"])
		}
	}
	for _, typ := range []string{"checkout.created", "attempt.created", "checkout.paid", "refund.created", "refund.succeeded", "ping"} {
		if !types[typ] {
			t.Errorf("no %s among the deliveries %v", typ, types)
		}
	}
}

// TestWebhookDataIsTheWholeObject: an event's data.object (data holds it alone, as Stripe's
// events do) is the API's object as it was when the event happened, and the body is GET
// /v1/events/{id} but for its deliveries, so that a merchant learns which order it was without
// calling back: checkout.created
// and checkout.paid carry the whole checkout (items, customer, metadata, and the payment once
// paid), a refund's events the refund with its payment and checkout, a charge's the charge, an
// agreement's the agreement.
func TestWebhookDataIsTheWholeObject(t *testing.T) {
	e := handlerstest.New(t)
	rc := handlerstest.NewReceiver(t)
	rc.Endpoint(e, "*")
	var created map[string]any
	body := e.ValidCheckoutBody(map[string]any{"metadata": map[string]string{"order_id": "A-7"},
		"customer": map[string]string{"name": "김하나", "email": "hana@example.com"}})
	if res := e.API("POST", "/v1/checkouts", body, &created); res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", res.StatusCode)
	}
	id := created["id"].(string)
	pay := e.PayByPhone(id)
	var paid map[string]any
	e.API("GET", "/v1/checkouts/"+id, "", &paid)
	code, refund, _ := e.Refund(pay, `{"amount":1000}`)
	if code != http.StatusCreated {
		t.Fatalf("refund: %d", code)
	}
	var refunded map[string]any
	e.API("GET", "/v1/refunds/"+refund.ID, "", &refunded)
	_, agreementID := e.Subscribe("9900")
	var agreement, charge map[string]any
	e.API("GET", "/v1/agreements/"+agreementID, "", &agreement)
	if res := e.API("POST", "/v1/agreements/"+agreementID+"/charges", `{"amount":9900,"reference":"2026-12"}`, &charge); res.StatusCode != http.StatusCreated {
		t.Fatalf("charge: %d", res.StatusCode)
	}
	handlerstest.Deliver(t, e)
	data := map[string]map[string]any{}
	for _, body := range rc.Bodies() {
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatal(err)
		}
		// The body is GET /v1/events/{id}'s answer but for where it was delivered.
		var read map[string]any
		e.API("GET", "/v1/events/"+ev["id"].(string), "", &read)
		if _, ok := read["deliveries"]; !ok {
			t.Errorf("GET /v1/events/%s has no deliveries: %v", ev["id"], read)
		}
		delete(read, "deliveries")
		if !reflect.DeepEqual(ev, read) {
			t.Errorf("the delivered body\n%v\nis not GET /v1/events/%s minus deliveries\n%v", ev, ev["id"], read)
		}
		typ := ev["type"].(string)
		d, _ := ev["data"].(map[string]any)
		obj, _ := d["object"].(map[string]any)
		if len(d) != 1 || obj == nil {
			t.Errorf("%s's data %v: want only the object under data.object", typ, d)
			continue
		}
		if strings.HasPrefix(typ, "checkout.") && obj["id"] != id || strings.HasPrefix(typ, "attempt.") && obj["checkout"] != id {
			continue // the subscription's
		}
		data[typ] = obj
	}
	for _, c := range []struct {
		typ  string
		want map[string]any
	}{
		{"checkout.created", created}, {"checkout.paid", paid}, {"refund.succeeded", refunded},
		{"agreement.activated", agreement}, {"charge.succeeded", charge},
	} {
		if !reflect.DeepEqual(data[c.typ], c.want) {
			t.Errorf("%s's data.object\n%v\nis not the API's object\n%v", c.typ, data[c.typ], c.want)
		}
	}
	if r := data["refund.created"]; r["payment"] != pay || r["checkout"] != id || r["object"] != "refund" {
		t.Errorf("refund.created's data.object %v: want its payment %s and checkout %s", r, pay, id)
	}
	if a := data["attempt.created"]; a["object"] != "attempt" || a["checkout"] != id || a["status"] != "ready" {
		t.Errorf("attempt.created's data.object %v: want the attempt of %s", a, id)
	}
}

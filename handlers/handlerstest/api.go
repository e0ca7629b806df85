package handlerstest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/store"
)

// CheckoutObject is the part of the API's checkout object the tests read.
type CheckoutObject struct {
	ID        string `json:"id"`
	URL       string `json:"url"`
	Status    string `json:"status"`
	Amount    int64  `json:"amount"`
	ExpiresAt string `json:"expires_at"`
	Payment   *struct {
		ID     string `json:"id"`
		Amount int64  `json:"amount"`
		Method string `json:"method"`
	} `json:"payment"`
}

// PaymentObject is the API's payment object.
type PaymentObject struct {
	ID             string         `json:"id"`
	Amount         int64          `json:"amount"`
	RefundedAmount int64          `json:"refunded_amount"`
	Agreement      *string        `json:"agreement"`
	Refunds        []RefundObject `json:"refunds"`
}

// RefundObject is the API's refund object.
type RefundObject struct {
	ID            string  `json:"id"`
	Object        string  `json:"object"`
	Payment       string  `json:"payment"`
	Amount        int64   `json:"amount"`
	TaxFreeAmount int64   `json:"tax_free_amount"`
	Status        string  `json:"status"`
	FailureCode   *string `json:"failure_code"`
}

// AgreementObject is the API's agreement object.
type AgreementObject struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	Status string `json:"status"`
}

// ChargeObject is the API's charge object.
type ChargeObject struct {
	ID      string  `json:"id"`
	Status  string  `json:"status"`
	Amount  int64   `json:"amount"`
	Payment *string `json:"payment"`
}

// APIError is the API's error shape.
type APIError struct {
	Error struct {
		Type    string  `json:"type"`
		Code    string  `json:"code"`
		Message string  `json:"message"`
		Param   *string `json:"param"`
	} `json:"error"`
}

// StatusObject is the answer of the shopper's status endpoint.
type StatusObject struct {
	Status        string  `json:"status"`
	AttemptStatus *string `json:"attempt_status"`
	RedirectURL   *string `json:"redirect_url"`
	State         string  `json:"state"`
}

// API calls the merchant API with the merchant's key and decodes the answer into out (when given).
func (e *Env) API(method, path, body string, out any) *http.Response {
	e.t.Helper()
	return e.APIAs(e.Key, method, path, body, out, nil)
}

// APIIdempotent calls the merchant API with an Idempotency-Key.
func (e *Env) APIIdempotent(key, method, path, body string, out any) *http.Response {
	e.t.Helper()
	return e.APIAs(e.Key, method, path, body, out, map[string]string{"Idempotency-Key": key})
}

// APIAs calls the merchant API with the API key key (none when empty) and the headers hdr, and
// decodes the answer into out (when given).
func (e *Env) APIAs(key, method, path, body string, out any, hdr map[string]string) *http.Response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := e.Client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, data, err)
		}
	}
	return res
}

// CreateCheckout makes an 11,000-won checkout (two items) unless body is given.
func (e *Env) CreateCheckout(body string) CheckoutObject {
	e.t.Helper()
	if body == "" {
		body = `{"amount":11000,"reference":"ORDER-1","items":[{"name":"아메리카노","quantity":2,"unit_price":4500},{"name":"크루아상","quantity":1,"unit_price":2000}],` +
			`"success_url":"` + e.Shop.URL + `/thanks?order=ORDER-1","failure_url":"` + e.Shop.URL + `/cart"}`
	}
	var c CheckoutObject
	res := e.API("POST", "/v1/checkouts", body, &c)
	if res.StatusCode != http.StatusCreated {
		e.t.Fatalf("create checkout: %d %+v", res.StatusCode, c)
	}
	return c
}

// AmountCheckout makes a checkout of amount won with no items.
func (e *Env) AmountCheckout(amount string) CheckoutObject {
	e.t.Helper()
	return e.CreateCheckout(`{"amount":` + amount + `,"reference":"R-` + amount + `","description":"테스트 주문",` +
		`"success_url":"` + e.Shop.URL + `/thanks","failure_url":"` + e.Shop.URL + `/cart"}`)
}

// ValidCheckoutBody is a valid create body (11,000 won, two items) with fields replaced or, when
// the value is nil, removed.
func (e *Env) ValidCheckoutBody(change map[string]any) string {
	body := map[string]any{
		"amount":    11000,
		"reference": "ORDER-1",
		"items": []map[string]any{
			{"name": "아메리카노", "quantity": 2, "unit_price": 4500},
			{"name": "크루아상", "quantity": 1, "unit_price": 2000},
		},
		"success_url": e.Shop.URL + "/thanks",
		"failure_url": e.Shop.URL + "/cart",
	}
	for k, v := range change {
		if v == nil {
			delete(body, k)
		} else {
			body[k] = v
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// Status reads the status endpoint of checkout id, with query ("?wait=…") when given.
func (e *Env) Status(id, query string) StatusObject {
	e.t.Helper()
	res, err := http.Get(e.URL + "/c/" + id + "/status" + query)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var s StatusObject
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// Events lists the types of a checkout's events, oldest first.
func (e *Env) Events(checkoutID string) []string {
	e.t.Helper()
	var list struct {
		Data []struct {
			Type string `json:"type"`
		} `json:"data"`
	}
	e.API("GET", "/v1/events?limit=100&checkout="+checkoutID, "", &list)
	var types []string
	for i := len(list.Data) - 1; i >= 0; i-- {
		types = append(types, list.Data[i].Type)
	}
	return types
}

// CheckPaidOnce fails the test unless checkout id has exactly one payment and one checkout.paid
// event, whatever ran twice on the way (callbacks, retries, the reconciler).
func (e *Env) CheckPaidOnce(id string) {
	e.t.Helper()
	if n := e.CountRows("SELECT COUNT(*) FROM payments WHERE checkout_id = ?", id); n != 1 {
		e.t.Errorf("checkout %s has %d payments, want 1", id, n)
	}
	if ev := e.Events(id); Count(ev, "checkout.paid") != 1 {
		e.t.Errorf("checkout %s events %v, want one checkout.paid", id, ev)
	}
}

// Count counts the times s is in list.
func Count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// LatestAttempt returns the checkout's newest attempt.
func (e *Env) LatestAttempt(id string) *store.Attempt {
	e.t.Helper()
	st, err := e.Checkouts.State(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	a := st.Latest()
	if a == nil {
		e.t.Fatalf("checkout %s has no attempt", id)
	}
	return a
}

// AttemptMobileURL is the KakaoPay mobile URL of the checkout's newest attempt.
func (e *Env) AttemptMobileURL(id string) string { return e.LatestAttempt(id).MobileURL }

// AttemptTID is KakaoPay's tid of the checkout's newest attempt.
func (e *Env) AttemptTID(id string) string { return e.LatestAttempt(id).TID }

// PayByPhone pays a checkout through the sandbox wallet as a phone would, and returns its
// payment id.
func (e *Env) PayByPhone(id string) string {
	e.t.Helper()
	phone := e.Browser(UAIPhone)
	phone.PayOn(id)
	phone.WalletAct(e.AttemptMobileURL(id), "approve")
	var c CheckoutObject
	e.API("GET", "/v1/checkouts/"+id, "", &c)
	if c.Status != "paid" || c.Payment == nil {
		a := e.LatestAttempt(id)
		e.t.Fatalf("checkout %s not paid: %+v; attempt %s %s %s", id, c, a.Status, a.FailureCode, a.FailureMessage)
	}
	return c.Payment.ID
}

// PaidCheckout makes the default 11,000-won checkout and pays it by phone: it returns the
// checkout as created and its payment's id.
func (e *Env) PaidCheckout() (CheckoutObject, string) {
	e.t.Helper()
	c := e.CreateCheckout("")
	return c, e.PayByPhone(c.ID)
}

// Refund asks for a refund of the payment and returns the answer's status and its body read
// both as a refund and as an error.
func (e *Env) Refund(paymentID, body string) (int, RefundObject, APIError) {
	e.t.Helper()
	var raw map[string]any
	res := e.API("POST", "/v1/payments/"+paymentID+"/refunds", body, &raw)
	var r RefundObject
	var ae APIError
	remarshal(e.t, raw, &r)
	remarshal(e.t, raw, &ae)
	return res.StatusCode, r, ae
}

// Subscribe pays a subscription checkout of amount won and returns its agreement id.
func (e *Env) Subscribe(amount string) (checkoutID, agreementID string) {
	e.t.Helper()
	c := e.CreateCheckout(`{"amount":` + amount + `,"mode":"subscription","reference":"SUB","success_url":"` + e.Shop.URL + `/thanks","failure_url":"` + e.Shop.URL + `/cart"}`)
	e.PayByPhone(c.ID)
	var obj struct {
		Agreement *string `json:"agreement"`
	}
	e.API("GET", "/v1/checkouts/"+c.ID, "", &obj)
	if obj.Agreement == nil {
		e.t.Fatalf("subscription %s has no agreement", c.ID)
	}
	return c.ID, *obj.Agreement
}

// Reconcile runs one pass of the reconciler.
func (e *Env) Reconcile() {
	e.t.Helper()
	if err := e.Services.Reconcile(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func remarshal(t testing.TB, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

// LinkObject is the part of the API's payment link object the tests read.
type LinkObject struct {
	ID        string `json:"id"`
	URL       string `json:"url"`
	Active    bool   `json:"active"`
	Reusable  bool   `json:"reusable"`
	MaxUses   *int   `json:"max_uses"`
	PaidCount int    `json:"paid_count"`
	Amount    int64  `json:"amount"`
}

// CreateLink makes a payment link through the API.
func CreateLink(t *testing.T, e *Env, body string) LinkObject {
	t.Helper()
	var l LinkObject
	if res := e.API("POST", "/v1/links", body, &l); res.StatusCode != 201 {
		t.Fatalf("create link %s: %d", body, res.StatusCode)
	}
	return l
}

// LinkBody is a link's body without its closing brace, returning to e's shop.
func LinkBody(e *Env) string {
	return `{"amount":11000,"items":[{"name":"아메리카노","quantity":2,"unit_price":4500},{"name":"크루아상","quantity":1,"unit_price":2000}],` +
		`"success_url":"` + e.Shop.URL + `/thanks","failure_url":"` + e.Shop.URL + `/cart"`
}

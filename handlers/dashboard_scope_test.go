package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// TestEveryDashboardURLHidesAnotherMerchantsData signs in as an owner of a second merchant and
// tries every dashboard route that names an object with the first merchant's ids: each answers
// 404, and no money moves. A route with a parameter this test has no id for fails it, so that a
// new route is covered when it is added.
func TestEveryDashboardURLHidesAnotherMerchantsData(t *testing.T) {
	e := handlerstest.New(t)
	paid := e.CreateCheckout("")
	paymentID := e.PayByPhone(paid.ID)
	ids := map[string]string{"checkoutID": paid.ID, "paymentID": paymentID}
	for name, id := range scopeIDs(t, e) {
		ids[name] = id
	}
	b := stranger(t, e)

	param := regexp.MustCompile(`\{([A-Za-z]+)\}`)
	tried := 0
	for _, p := range routePatterns(t, "/dashboard") {
		method, path, _ := strings.Cut(p, " ")
		if !param.MatchString(path) {
			continue
		}
		missing := ""
		path = param.ReplaceAllStringFunc(path, func(m string) string {
			name := m[1 : len(m)-1]
			if ids[name] == "" {
				missing = name
			}
			return ids[name]
		})
		if missing != "" {
			t.Errorf("%s: no id of another merchant for {%s}: add one to this test", p, missing)
			continue
		}
		var res *http.Response
		if method == http.MethodPost {
			form := url.Values{"amount": {"1000"}, "reason": {"x"}, "token": {"0123456789abcdef0123456789abcdef"},
				"reference": {"R-1"}, "role": {"staff"}, "confirm": {"1"}}
			res, _ = b.Post(path, form.Encode())
		} else {
			res, _ = b.Get(path)
		}
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s as another merchant's owner: %d, want 404", method, path, res.StatusCode)
		}
		tried++
	}
	if tried < 20 {
		t.Errorf("tried only %d routes", tried)
	}
	if n := e.Sandbox.Calls("cancel"); n != 0 {
		t.Errorf("KakaoPay got %d cancel calls", n)
	}
}

// scopeIDs makes one of each other object a dashboard URL names, for e's merchant, by name of
// the route's parameter.
func scopeIDs(t *testing.T, e *handlerstest.Env) map[string]string {
	t.Helper()
	ctx := context.Background()
	ids := map[string]string{}
	_, ids["agreementID"] = e.Subscribe("9900")
	var obj struct{ ID string }
	e.API("POST", "/v1/agreements/"+ids["agreementID"]+"/charges", `{"amount":9900,"reference":"SUB-2"}`, &obj)
	ids["chargeID"] = obj.ID
	e.API("POST", "/v1/webhook_endpoints", `{"url":"`+e.Shop.URL+`/hooks"}`, &obj)
	ids["endpointID"] = obj.ID
	var events struct{ Data []struct{ ID string } }
	e.API("GET", "/v1/events", "", &events)
	if len(events.Data) > 0 {
		ids["eventID"] = events.Data[0].ID
	}
	ids["linkID"] = handlerstest.CreateLink(t, e, `{"amount":5000,"description":"원두 200g","success_url":"`+e.Shop.URL+`/thanks","failure_url":"`+e.Shop.URL+`/cart"}`).ID
	m, err := e.Service.MerchantByID(ctx, e.MerchantID)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := e.Service.APIKeys(ctx, m)
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v", err)
	}
	ids["keyID"] = keys[0].ID
	cu, err := e.Service.CreateUser(ctx, checkout.NewUser{MerchantID: e.MerchantID, Email: "staff@cafe.example", Role: checkout.RoleStaff})
	if err != nil {
		t.Fatal(err)
	}
	ids["userID"] = cu.User.ID
	for name, id := range ids {
		if id == "" {
			t.Fatalf("no %s made", name)
		}
	}
	return ids
}

package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// TestEveryDashboardURLHidesAnotherMerchantsData signs in as an owner of a second merchant and
// tries every dashboard route that names an object with the first merchant's ids: each answers
// 404, and no money moves. A route with a parameter this test has no id for fails it, so that a
// new route is covered when it is added.
func TestEveryDashboardURLHidesAnotherMerchantsData(t *testing.T) {
	e := handlerstest.New(t)
	paid, paymentID := e.PaidCheckout()
	ids := map[string]string{"checkoutID": paid.ID, "paymentID": paymentID}
	for name, id := range handlerstest.ScopeIDs(t, e) {
		ids[name] = id
	}
	b := stranger(t, e)

	param := regexp.MustCompile(`\{([A-Za-z]+)\}`)
	tried := 0
	for _, p := range handlerstest.RoutePatterns(t, "/dashboard") {
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

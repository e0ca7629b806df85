package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// typeInto types text into the field sel, as a user at a keyboard would.
func (tb *tab) typeInto(sel, text string) {
	tb.t.Helper()
	tb.waitVisible(sel)
	tb.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// signInToDashboard makes a dashboard user of e's merchant with role and signs in with the
// sign-in form, checking the form with axe on the way.
func signInToDashboard(tb *tab, e *handlerstest.Env, email, role string) {
	tb.t.Helper()
	cu, err := e.Users.Create(context.Background(), accounts.UserParams{MerchantID: e.MerchantID, Email: email, Role: role})
	if err != nil {
		tb.t.Fatal(err)
	}
	tb.navigate(e.URL + "/dashboard")
	tb.waitURL(e.URL+"/dashboard/login", actionTimeout)
	tb.axe("the dashboard's sign-in form")
	submitSignIn(tb, email, cu.Password)
}

// submitSignIn fills in and sends the sign-in form the tab shows, and waits for the dashboard.
func submitSignIn(tb *tab, email, password string) {
	tb.t.Helper()
	tb.typeInto("#email", email)
	tb.typeInto("#password", password)
	if st := tb.pressAndLoad(sel("login-submit")); st != 200 {
		tb.fail("signing in: %d", st)
	}
	tb.waitVisible(sel("today-paid-count"))
}

// TestBrowserDashboardRefundsPartOfAPayment: an owner signs in, finds the paid checkout in the
// list, refunds part of it through the confirmation step, and sees the refund and its event in
// the checkout's timeline. Every page passes axe.
func TestBrowserDashboardRefundsPartOfAPayment(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	e.PayByPhone(c.ID)
	e.AmountCheckout("5000") // an open one, so that the list is not only the paid checkout
	desk := newChrome(t).newTab("owner", desktopDevice, tabOptions{})
	signInToDashboard(desk, e, "owner@cafe.example", accounts.RoleOwner)
	if got := desk.text(sel("today-paid-amount")); got != "11,000원" {
		t.Errorf("today's paid amount: %q", got)
	}
	desk.axe("the dashboard's home")
	updateDocs(t, "dashboard-home.png", desk.screenshot("home"))

	desk.pressAndLoad(sel("nav-checkouts"))
	desk.axe("the checkouts list")
	desk.typeInto("#q", c.ID)
	if st := desk.enterAndLoad(); st != 200 {
		t.Fatalf("search: %d", st)
	}
	if n := eval[int](desk, `document.querySelectorAll('[data-testid="checkout-row"]').length`); n != 1 {
		t.Fatalf("searching for %s lists %d checkouts", c.ID, n)
	}
	desk.pressAndLoad(`[data-testid="checkout-row"] a`)
	desk.waitText(sel("checkout-id"), c.ID)
	desk.axe("a paid checkout's page")
	events := eval[int](desk, `document.querySelectorAll('[data-testid="timeline-event"]').length`)

	desk.typeInto(`[data-testid="refund-form"] [name="amount"]`, "3000")
	desk.typeInto(`[data-testid="refund-form"] [name="reason"]`, "한 잔 취소")
	desk.pressAndLoad(`[data-testid="refund-form"] button[type="submit"]`)
	desk.waitVisible(sel("refund-confirm"))
	if got := desk.text(sel("refund-question")); got != "3,000원을 환불할까요?" {
		t.Errorf("the confirmation asks %q", got)
	}
	if got := desk.text(sel("refund-confirm")); !strings.Contains(got, "8,000원이 남아요") {
		t.Errorf("the confirmation says %q, not what is left after it", got)
	}
	desk.axe("the refund's confirmation")
	if n := e.Sandbox.Calls("cancel"); n != 0 {
		t.Fatalf("KakaoPay was asked to cancel %d times before the confirmation", n)
	}
	desk.pressAndLoad(sel("refund-confirm-button"))
	desk.waitText(sel("checkout-id"), c.ID)
	if got := desk.text(sel("payment-refunded")); !strings.Contains(got, "3,000원") {
		t.Errorf("refunded: %q", got)
	}
	if got := desk.text(sel("refunds")); !strings.Contains(got, "한 잔 취소") {
		t.Errorf("the refunds list: %q", got)
	}
	after := eval[int](desk, `document.querySelectorAll('[data-testid="timeline-event"]').length`)
	timeline := desk.text(sel("timeline"))
	if after <= events || !strings.Contains(timeline, "refund") {
		t.Errorf("the timeline had %d events and has %d: %s", events, after, timeline)
	}
	if n := e.Sandbox.Calls("cancel"); n != 1 {
		t.Errorf("KakaoPay was asked to cancel %d times, want 1", n)
	}
	desk.axe("a partly refunded checkout's page")
	updateDocs(t, "dashboard-checkout.png", desk.screenshot("refunded"))
}

// TestBrowserDashboardEveryPagePassesAxe opens every dashboard page an owner reaches, and the
// pages its forms answer with (a key, a webhook secret, a new user's password shown once), in
// Korean, and some in English; a staff user's refusal too. axe-core finds no serious or
// critical violation on any, and no page logs an error.
func TestBrowserDashboardEveryPagePassesAxe(t *testing.T) {
	e := handlerstest.New(t)
	paid := e.CreateCheckout("")
	e.PayByPhone(paid.ID)
	open := e.AmountCheckout("5000")
	o := makeDashboardObjects(t, e)

	c := newChrome(t)
	desk := c.newTab("owner", desktopDevice, tabOptions{})
	signInToDashboard(desk, e, "owner@cafe.example", accounts.RoleOwner)
	pages := []struct{ path, what, shot string }{
		{"/dashboard/checkouts", "the checkouts list", ""},
		{"/dashboard/checkouts/" + paid.ID, "a paid checkout", ""},
		{"/dashboard/checkouts/" + open.ID, "an open checkout", ""},
		{"/dashboard/checkouts/" + open.ID + "/expire", "the expiry's confirmation", ""},
		{"/dashboard/checkouts/" + o.sub, "a subscription checkout with its agreement", ""},
		{"/dashboard/agreements", "the agreements", ""},
		{"/dashboard/agreements/" + o.agreement + "/deactivate", "the agreement's deactivation", ""},
		{"/dashboard/charges/" + o.charge, "a charge", ""},
		{"/dashboard/links", "the links", "dashboard-links.png"},
		{"/dashboard/links/new", "the new link form", ""},
		{"/dashboard/links/" + o.link, "a link", ""},
		{"/dashboard/links/" + o.link + "/deactivate", "the link's deactivation", ""},
		{"/dashboard/webhooks", "the webhook endpoints", "dashboard-webhooks.png"},
		{"/dashboard/webhooks/" + o.endpoint, "an endpoint with its deliveries", ""},
		{"/dashboard/webhooks/" + o.endpoint + "/delete", "the endpoint's deletion", ""},
		{"/dashboard/keys", "the API keys", ""},
		{"/dashboard/keys/" + o.keyID + "/revoke", "the key's revocation", ""},
		{"/dashboard/users", "the users", ""},
		{"/dashboard/users/" + o.staffID + "/remove", "the user's removal", ""},
		{"/dashboard/account", "the account", ""},
		{"/dashboard/settings", "the settings", ""},
		{"/dashboard/settings?lang=en", "the settings in English", ""},
		{"/dashboard/webhooks?lang=en", "the webhook endpoints in English", ""},
		{"/dashboard/checkouts/" + o.sub + "?lang=en", "a subscription checkout in English", ""},
	}
	for _, p := range pages {
		desk.navigate(e.URL + p.path)
		desk.waitVisible("main h1")
		desk.axe(p.what)
		if p.shot != "" {
			updateDocs(t, p.shot, desk.screenshot(strings.TrimSuffix(p.shot, ".png")))
		}
	}
	desk.navigate(e.URL + "/dashboard?lang=ko")

	// What a form answers with, shown once.
	desk.navigate(e.URL + "/dashboard/keys")
	desk.typeInto("#key-label", "주문 서버")
	desk.pressAndLoad(sel("key-create"))
	desk.waitVisible(sel("created-masked"))
	desk.axe("a new key, shown once")
	desk.screenshot("key")
	desk.navigate(e.URL + "/dashboard/webhooks")
	desk.typeInto("#endpoint-url", e.Shop.URL+"/orders/hook")
	desk.pressAndLoad(sel("endpoint-add"))
	desk.waitVisible("main h1")
	desk.axe("a new endpoint's secret, shown once")
	desk.navigate(e.URL + "/dashboard/users")
	desk.typeInto("#email", "new@cafe.example")
	desk.pressAndLoad(sel("add-user"))
	desk.waitVisible(sel("user-added"))
	desk.axe("a new user's password, shown once")

	// Staff: no owners' menu, and an owner's page says why it is refused.
	st := c.newTab("staff", desktopDevice, tabOptions{})
	st.navigate(e.URL + "/dashboard/login")
	submitSignIn(st, o.staffEmail, o.staffPassword)
	if st.has(sel("nav-keys")) || st.has(sel("nav-settings")) {
		t.Error("staff see the owners' menu")
	}
	st.expectErrorPage(403)
	st.navigate(e.URL + "/dashboard/settings")
	st.waitVisible(sel("error-body"))
	st.axe("a staff user's refusal")
}

// dashboardObjects are one of each object a dashboard page shows, beside the checkouts.
type dashboardObjects struct {
	sub, agreement, charge             string // a subscription checkout, its agreement and a charge on it
	link, linkURL, endpoint            string
	staffID, staffEmail, staffPassword string // a staff user
	keyID                              string // the merchant's first API key
}

// makeDashboardObjects makes, for e's merchant, a subscription with a charge on its agreement, a
// payment link, a webhook endpoint and a staff user, and finds the merchant's API key.
func makeDashboardObjects(t *testing.T, e *handlerstest.Env) dashboardObjects {
	t.Helper()
	var o dashboardObjects
	o.sub, o.agreement = e.Subscribe("9900")
	var obj struct{ ID, URL string }
	e.API("POST", "/v1/agreements/"+o.agreement+"/charges", `{"amount":9900,"reference":"SUB-2"}`, &obj)
	o.charge = obj.ID
	e.API("POST", "/v1/links", `{"amount":5000,"description":"원두 200g","success_url":"`+e.Shop.URL+`/thanks","failure_url":"`+e.Shop.URL+`/cart"}`, &obj)
	o.link, o.linkURL = obj.ID, obj.URL
	e.API("POST", "/v1/webhook_endpoints", `{"url":"`+e.Shop.URL+`/hooks"}`, &obj)
	o.endpoint = obj.ID
	ctx := context.Background()
	staff, err := e.Users.Create(ctx, accounts.UserParams{MerchantID: e.MerchantID, Email: "staff@cafe.example", Role: accounts.RoleStaff})
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Merchants.Merchant(ctx, e.MerchantID)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := e.Merchants.APIKeys(ctx, m)
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v", err)
	}
	o.staffID, o.staffEmail, o.staffPassword = staff.User.ID, staff.User.Email, staff.Password
	o.keyID = keys[0].ID
	return o
}

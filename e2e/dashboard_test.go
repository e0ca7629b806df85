package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kpcheckout/kpcheckout/checkout"
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
	cu, err := e.Service.CreateUser(context.Background(), checkout.NewUser{MerchantID: e.MerchantID, Email: email, Role: role})
	if err != nil {
		tb.t.Fatal(err)
	}
	tb.navigate(e.URL + "/dashboard")
	tb.waitURL(e.URL+"/dashboard/login", actionTimeout)
	tb.axe("the dashboard's sign-in form")
	tb.typeInto("#email", email)
	tb.typeInto("#password", cu.Password)
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
	signInToDashboard(desk, e, "owner@cafe.example", checkout.RoleOwner)
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
	if got := desk.text(sel("refund-confirm")); !strings.Contains(got, "3,000원") {
		t.Errorf("the confirmation says %q", got)
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

package shop_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// backOnCheckout presses button in the sandbox wallet for checkout id's latest attempt as phone
// and wants the phone back on the checkout's page, showing the element sel; the element whose
// data-testid is says tells a failure what the page says instead. It returns the page.
func backOnCheckout(t *testing.T, phone *handlerstest.Browser, id, button, sel, says string) *goquery.Document {
	t.Helper()
	res, html := phone.WalletAct(phone.Env.AttemptMobileURL(id), button)
	doc := handlerstest.Page(t, html)
	if res.Request.URL.Path != "/c/"+id || doc.Find(sel).Length() != 1 {
		t.Fatalf("after %s in the wallet the phone sees %s, not %s: %q", button, res.Request.URL, sel, handlerstest.TextOf(doc, says))
	}
	return doc
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
			phone := e.PhoneOn(c.ID)
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
		res, html := phone.Do(phone.NoRedirect(), "GET", handlerstest.SandboxApprovalURL(t, phone, c.ID), nil, nil)
		if res.StatusCode != http.StatusOK || handlerstest.Page(t, html).Find(`[data-testid="phone-done"]`).Length() != 1 {
			t.Errorf("the phone got %d Location %q, want the done page", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

func TestCancelThenRetryPays(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	phone := e.PhoneOn(c.ID)
	doc := backOnCheckout(t, phone, c.ID, "cancel", `[data-outcome="canceled"]`, "outcome")
	if !strings.Contains(handlerstest.TextOf(doc, "outcome"), "결제하지 않았어요") {
		t.Errorf("outcome text %q", handlerstest.TextOf(doc, "outcome"))
	}
	if href := doc.Find(`[data-testid="back-to-shop"]`).AttrOr("href", ""); href != e.Shop.URL+"/cart" {
		t.Errorf("back to shop %q", href)
	}
	if got := handlerstest.TextOf(doc, "pay-button"); got != "다시 결제하기" {
		t.Errorf("retry button %q", got)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "attempt.canceled") != 1 {
		t.Errorf("events %v", ev)
	}
	phone.PayOn(c.ID)
	res, _ := phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	if !strings.HasPrefix(res.Request.URL.String(), e.Shop.URL+"/thanks") {
		t.Fatalf("retry ended at %s", res.Request.URL)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "attempt.created") != 2 || handlerstest.Count(ev, "checkout.paid") != 1 {
		t.Errorf("events %v", ev)
	}
}

func TestFailShowsReasonAndRetryPays(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	desktop := e.DesktopOn(c.ID)
	phone := e.Browser(handlerstest.UAIPhone)
	phone.WalletAct(e.AttemptMobileURL(c.ID), "fail")
	_, html := desktop.Get(c.URL)
	doc := handlerstest.Page(t, html)
	if doc.Find(`[data-outcome="failed"]`).Length() != 1 || !strings.Contains(handlerstest.TextOf(doc, "outcome"), "결제하지 못했어요") {
		t.Fatalf("desktop after fail: %q", handlerstest.TextOf(doc, "outcome"))
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "attempt.failed") != 1 {
		t.Errorf("events %v", ev)
	}
	desktop.PayOn(c.ID)
	phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	if st := e.Status(c.ID, ""); st.Status != "paid" {
		t.Fatalf("after retry: %+v", st)
	}
}

func TestInsufficientBalanceFailsAtApprove(t *testing.T) {
	e := handlerstest.New(t)
	c := e.AmountCheckout("4444")
	phone := e.PhoneOn(c.ID)
	doc := backOnCheckout(t, phone, c.ID, "approve", `[data-outcome="failed"]`, "outcome")
	if !strings.Contains(handlerstest.TextOf(doc, "outcome"), "잔액이 부족해요") {
		t.Errorf("reason %q", handlerstest.TextOf(doc, "outcome"))
	}
	var obj handlerstest.CheckoutObject
	e.API("GET", "/v1/checkouts/"+c.ID, "", &obj)
	if obj.Status != "open" || obj.Payment != nil {
		t.Errorf("checkout %+v", obj)
	}
}

func TestConcurrentApproveCallbacksPayOnce(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	phone := e.PhoneOn(c.ID)
	res, _ := phone.Do(phone.NoRedirect(), "GET", e.AttemptMobileURL(c.ID), nil, map[string]string{"X-Sandbox-Auto": "approve"})
	approveURL := res.Header.Get("Location")
	if !strings.Contains(approveURL, "pg_token=") {
		t.Fatalf("sandbox answered %d %q", res.StatusCode, approveURL)
	}
	codes := make([]int, 20)
	handlerstest.AtOnce(len(codes), func(i int) {
		r, _ := phone.Do(phone.NoRedirect(), "GET", approveURL, nil, nil)
		codes[i] = r.StatusCode
	})
	for i, code := range codes {
		if code != http.StatusSeeOther {
			t.Errorf("callback %d answered %d", i, code)
		}
	}
	if n := e.Sandbox.Calls("approve"); n != 1 {
		t.Errorf("%d approve calls reached KakaoPay, want 1", n)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.paid") != 1 {
		t.Errorf("events %v", ev)
	}
	if n := e.CountRows("SELECT COUNT(*) FROM payments WHERE checkout_id = ?", c.ID); n != 1 {
		t.Errorf("%d payments", n)
	}
}

func TestPGTokenCannotBeForged(t *testing.T) {
	t.Run("forged before the wallet approved", func(t *testing.T) {
		e, c := handlerstest.NewCheckout(t)
		phone := e.PhoneOn(c.ID)
		a := e.LatestAttempt(c.ID)
		forged := e.URL + "/c/" + c.ID + "/return/approve?attempt=" + url.QueryEscape(a.ID) + "&pg_token=forgedforgedforged01"
		res, html := phone.Do(phone.NoRedirect(), "GET", forged, nil, nil)
		handlerstest.CheckErrorPage(t, res, html, 0, "")
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
		if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "paid" {
			t.Errorf("checkout %s", got.Status)
		}
	})

	t.Run("forged after the wallet approved", func(t *testing.T) {
		e, c := handlerstest.NewCheckout(t)
		phone := e.PhoneOn(c.ID)
		realURL := handlerstest.SandboxApprovalURL(t, phone, c.ID)
		res, html := phone.Do(phone.NoRedirect(), "GET", setQueryParam(t, realURL, "pg_token", "forgedforgedforged01"), nil, nil)
		handlerstest.CheckErrorPage(t, res, html, 0, "")
		if n := e.CountRows("SELECT COUNT(*) FROM payments"); n != 0 {
			t.Fatalf("a forged token made %d payments", n)
		}
		if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "open" {
			t.Fatalf("checkout %s after a forged token", got.Status)
		}
		res, _ = phone.Do(phone.NoRedirect(), "GET", realURL, nil, nil)
		if loc, _ := res.Location(); res.StatusCode != http.StatusSeeOther || loc == nil || !strings.HasPrefix(loc.String(), e.Shop.URL+"/thanks") {
			t.Fatalf("the real approval answered %d %v", res.StatusCode, loc)
		}
		e.CheckPaidOnce(c.ID)
	})

	t.Run("real token replayed after success", func(t *testing.T) {
		e, c := handlerstest.NewCheckout(t)
		phone := e.PhoneOn(c.ID)
		realURL := handlerstest.SandboxApprovalURL(t, phone, c.ID)
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
		handlerstest.CheckErrorPage(t, res, html, 0, "")
		if n := e.Sandbox.Calls("approve"); n != 1 {
			t.Errorf("%d approve calls, want 1", n)
		}
		e.CheckPaidOnce(c.ID)
	})

	t.Run("another checkout's token", func(t *testing.T) {
		e := handlerstest.New(t)
		a, b := e.CreateCheckout(""), e.CreateCheckout("")
		phone := e.PhoneOn(a.ID, b.ID)
		realA, realB := handlerstest.SandboxApprovalURL(t, phone, a.ID), handlerstest.SandboxApprovalURL(t, phone, b.ID)
		ub, _ := url.Parse(realB)
		res, html := phone.Do(phone.NoRedirect(), "GET", setQueryParam(t, realA, "pg_token", ub.Query().Get("pg_token")), nil, nil)
		handlerstest.CheckErrorPage(t, res, html, 0, "")
		if n := e.CountRows("SELECT COUNT(*) FROM payments"); n != 0 {
			t.Fatalf("another checkout's token made %d payments", n)
		}
		for _, id := range []string{a.ID, b.ID} {
			if got := handlerstest.GetCheckout(t, e, id); got.Status != "open" {
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
		e, c := handlerstest.NewCheckout(t)
		phone := e.PhoneOn(c.ID)
		realURL := handlerstest.SandboxApprovalURL(t, phone, c.ID)
		res, html := phone.Do(phone.NoRedirect(), "GET", setQueryParam(t, realURL, "pg_token", ""), nil, nil)
		handlerstest.CheckErrorPage(t, res, html, http.StatusBadRequest, "결제 승인 요청을 확인하지 못했어요")
		if n := e.Sandbox.Calls("approve"); n != 0 {
			t.Errorf("%d approve calls", n)
		}
		if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "open" {
			t.Errorf("checkout %s", got.Status)
		}
	})

	t.Run("another checkout's attempt", func(t *testing.T) {
		e := handlerstest.New(t)
		a, b := e.CreateCheckout(""), e.CreateCheckout("")
		phone := e.PhoneOn(a.ID, b.ID)
		realB := handlerstest.SandboxApprovalURL(t, phone, b.ID)
		// B's approval URL (B's attempt and token) on A's path.
		forged := strings.Replace(realB, "/c/"+b.ID+"/", "/c/"+a.ID+"/", 1)
		res, html := phone.Do(phone.NoRedirect(), "GET", forged, nil, nil)
		handlerstest.CheckErrorPage(t, res, html, http.StatusNotFound, "결제 페이지를 찾을 수 없어요")
		if n := e.Sandbox.Calls("approve"); n != 0 || e.CountRows("SELECT COUNT(*) FROM payments") != 0 {
			t.Errorf("%d approve calls, %d payments", n, e.CountRows("SELECT COUNT(*) FROM payments"))
		}
	})
}

func TestReconcilerSettlesApproveTimeout(t *testing.T) {
	// Amount 5555: KakaoPay answers approve only after a delay longer than our timeout.
	e := handlerstest.NewWith(t, handlerstest.Options{ApproveDelay: 1500 * time.Millisecond, HTTPTimeout: 300 * time.Millisecond})
	c := e.AmountCheckout("5555")
	phone := e.PhoneOn(c.ID)
	backOnCheckout(t, phone, c.ID, "approve", `[data-view="confirming"]`, "status-text") // a timed-out approve
	deadline := time.Now().Add(5 * time.Second)
	for {
		if info, _ := e.Sandbox.Payment(e.AttemptTID(c.ID)); info.Status == "SUCCESS_PAYMENT" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sandbox never approved")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.Clock.Add(6 * time.Second)
	for range 2 { // twice: the second pass changes nothing
		e.Reconcile()
	}
	if st := e.Status(c.ID, ""); st.Status != "paid" {
		t.Fatalf("after reconciling: %+v", st)
	}
	if n := e.Sandbox.Calls("approve"); n != 1 {
		t.Errorf("%d approve calls", n)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.paid") != 1 {
		t.Errorf("events %v", ev)
	}
}

func TestApproveReturnWhileTheOrderAPIIsDown(t *testing.T) {
	e, f := handlerstest.NewFaulty(t)
	c := e.CreateCheckout("")
	phone := e.PhoneOn(c.ID)
	f.Set("order", "fail", -1)
	backOnCheckout(t, phone, c.ID, "approve", `[data-view="confirming"]`, "status-text") // while KakaoPay cannot be asked
	e.Clock.Add(6 * time.Second)
	e.Reconcile()
	if st := e.Status(c.ID, ""); st.Status != "open" {
		t.Fatalf("paid before KakaoPay confirmed: %+v", st)
	}
	f.Clear("order")
	e.Reconcile()
	if st := e.Status(c.ID, ""); st.Status != "paid" {
		t.Fatalf("after the order API came back: %+v", st)
	}
	if n := e.Sandbox.Calls("approve"); n != 1 {
		t.Errorf("%d approve calls", n)
	}
	if n := handlerstest.Count(e.Events(c.ID), "checkout.paid"); n != 1 {
		t.Errorf("%d checkout.paid events", n)
	}
}

func TestUnconfirmableApprovalEndsAfterTheGrace(t *testing.T) {
	e, f := handlerstest.NewFaulty(t)
	c := e.CreateCheckout("")
	phone := e.PhoneOn(c.ID)
	f.Set("approve", "cut", 1) // our approve never reaches KakaoPay; we cannot know that
	phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	f.Set("order", "fail", -1) // and KakaoPay's order API stays down
	e.Clock.Add(16 * time.Minute)
	e.Reconcile()
	var ae handlerstest.APIError
	if res := e.API("POST", "/v1/checkouts/"+c.ID+"/expire", "", &ae); res.StatusCode != http.StatusConflict {
		t.Errorf("expire while an approval is unconfirmed: %d %+v", res.StatusCode, ae)
	}
	e.Clock.Add(time.Hour)
	e.Reconcile()
	if a := e.LatestAttempt(c.ID); a.Status != "failed" || a.FailureCode != "APPROVE_UNCONFIRMED" {
		t.Errorf("attempt %s %s", a.Status, a.FailureCode)
	}
	if st := e.Status(c.ID, ""); st.Status != "expired" {
		t.Errorf("checkout %+v, want expired", st)
	}
}

func TestReconcilerEndsAbandonedAttempts(t *testing.T) {
	e, quit := handlerstest.NewCheckout(t)
	idle := e.CreateCheckout("")
	phone := e.PhoneOn(quit.ID, idle.ID)
	// The shopper quits in the wallet, but KakaoPay's return never reaches us.
	_, html := phone.Get(e.AttemptMobileURL(quit.ID))
	action, _ := handlerstest.Page(t, html).Find(`[data-testid="wallet-cancel"]`).Closest("form").Attr("action")
	if res, _ := phone.Do(phone.NoRedirect(), "POST", action, strings.NewReader(""), nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("wallet cancel: %d", res.StatusCode)
	}
	e.Clock.Add(6 * time.Second)
	e.Reconcile()
	if a := e.LatestAttempt(quit.ID); a.Status != "canceled" {
		t.Errorf("quit attempt is %q", a.Status)
	}
	if a := e.LatestAttempt(idle.ID); a.Status != "ready" {
		t.Errorf("idle attempt is %q before its tid dies", a.Status)
	}
	e.Clock.Add(15 * time.Minute)
	e.Reconcile()
	if a := e.LatestAttempt(idle.ID); a.Status != "expired" {
		t.Errorf("idle attempt is %q after 15 minutes", a.Status)
	}
	if st := e.Status(idle.ID, ""); st.Status != "open" {
		t.Errorf("the checkout itself stays open: %+v", st)
	}
}

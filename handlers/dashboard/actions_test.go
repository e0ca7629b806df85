package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDashboardExpireCheckout(t *testing.T) {
	e := handlerstest.New(t)
	owner := handlerstest.SignedInOwner(t, e)
	c := e.CreateCheckout("")
	page := "/dashboard/checkouts/" + c.ID

	_, body := owner.Get(page)
	href, ok := handlerstest.Page(t, body).Find(`[data-testid=expire-link]`).Attr("href")
	if !ok {
		t.Fatal("an open checkout's page has no expire button for an owner")
	}
	res, body := owner.Get(href)
	if res.StatusCode != http.StatusOK || !strings.Contains(handlerstest.TextOf(handlerstest.Page(t, body), "expire-confirm"), "되돌릴 수 없어요") {
		t.Fatalf("confirmation: %d %.300s", res.StatusCode, body)
	}
	if got := e.Status(c.ID, ""); got.Status != "open" {
		t.Fatalf("the confirmation step expired the checkout: %s", got.Status)
	}
	action, values := form(t, body, "expire-confirm-button")
	if res, _ := handlerstest.Send(owner, action, values, crossSite); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site expiry: %d", res.StatusCode)
	}
	if res, _ := handlerstest.Send(stranger(t, e), action, values, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("another merchant's owner expires the checkout: %d", res.StatusCode)
	}
	if got := e.Status(c.ID, ""); got.Status != "open" {
		t.Fatalf("refused tries expired the checkout: %s", got.Status)
	}

	// Sent twice, the confirmation expires once; the second send shows the expired checkout.
	for i := range 2 {
		res, _ := handlerstest.Send(owner, action, values, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
			t.Errorf("send %d: %d to %q", i+1, res.StatusCode, res.Header.Get("Location"))
		}
	}
	_, body = owner.Get(page)
	doc := handlerstest.Page(t, body)
	if got := handlerstest.TextOf(doc, "checkout-status"); got != "만료" || doc.Find(`[data-testid=expire-link]`).Length() != 0 {
		t.Errorf("after expiring the page says %q, expire button %d", got, doc.Find(`[data-testid=expire-link]`).Length())
	}
	if n := handlerstest.Count(e.Events(c.ID), "checkout.expired"); n != 1 {
		t.Errorf("%d checkout.expired events", n)
	}
	if res, _ := owner.Do(owner.NoRedirect(), http.MethodGet, href, nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the confirmation of an expired checkout: %d, want its page", res.StatusCode)
	}
}

func TestDashboardExpireRefusesAPaidCheckout(t *testing.T) {
	e := handlerstest.New(t)
	owner := handlerstest.SignedInOwner(t, e)
	c, _ := e.PaidCheckout()
	_, body := owner.Get("/dashboard/checkouts/" + c.ID)
	if handlerstest.Page(t, body).Find(`[data-testid=expire-link]`).Length() != 0 {
		t.Error("a paid checkout's page offers to expire it")
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		res, body := owner.Do(owner.NoRedirect(), method, "/dashboard/checkouts/"+c.ID+"/expire", strings.NewReader(""), nil)
		handlerstest.CheckErrorPage(t, res, body, http.StatusConflict, "결제를 마친 주문은 닫을 수 없어요")
	}
	owner.Get("/dashboard/checkouts/" + c.ID + "?lang=en")
	res, body := handlerstest.Send(owner, "/dashboard/checkouts/"+c.ID+"/expire", nil, nil)
	handlerstest.CheckErrorPage(t, res, body, http.StatusConflict, "A paid checkout cannot be expired")
	if got := e.Status(c.ID, ""); got.Status != "paid" {
		t.Errorf("status %s", got.Status)
	}
}

func TestDashboardExpireRefusedWhileTheShopperIsConfirming(t *testing.T) {
	e, f := handlerstest.NewFaulty(t)
	owner := handlerstest.SignedInOwner(t, e)
	c := e.CreateCheckout("")
	phone := e.Browser(handlerstest.UAIPhone)
	phone.PayOn(c.ID)
	// Our approve call is lost on its way and KakaoPay's order API is down: the payment may
	// have gone through, so the checkout must not be ended under the shopper.
	f.Set("approve", "cut", 1)
	phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	f.Set("order", "fail", -1)
	if a := e.LatestAttempt(c.ID); !checkout.Confirming(a) {
		t.Fatalf("attempt %s, pg_token %q: not being confirmed", a.Status, a.PGToken)
	}

	res, body := handlerstest.Send(owner, "/dashboard/checkouts/"+c.ID+"/expire", nil, nil)
	handlerstest.CheckErrorPage(t, res, body, http.StatusConflict, "승인한 결제를 확인하고 있어")
	if got := e.Status(c.ID, ""); got.Status != "open" {
		t.Errorf("status %s, want open", got.Status)
	}
}

func TestDashboardStaffCannotExpireChargeOrDeactivate(t *testing.T) {
	e := handlerstest.New(t)
	staff := handlerstest.SignedIn(t, e, "staff@cafe.example", accounts.RoleStaff)
	open := e.CreateCheckout("")
	checkoutID, agr := e.Subscribe("9900")
	var ch handlerstest.ChargeObject
	if res := e.API("POST", "/v1/agreements/"+agr+"/charges", `{"amount":9900}`, &ch); res.StatusCode != 201 {
		t.Fatalf("charge: %d", res.StatusCode)
	}

	_, body := staff.Get("/dashboard/checkouts/" + open.ID)
	if handlerstest.Page(t, body).Find(`[data-testid=expire-link]`).Length() != 0 {
		t.Error("staff see the expire button")
	}
	_, body = staff.Get("/dashboard/checkouts/" + checkoutID)
	doc := handlerstest.Page(t, body)
	if handlerstest.TextOf(doc, "agreement-id") != agr || doc.Find(`[data-testid=charge-row]`).Length() != 1 {
		t.Errorf("staff do not see the agreement and its charge: %q", handlerstest.TextOf(doc, "agreement"))
	}
	for _, id := range []string{"charge-form", "deactivate-link"} {
		if doc.Find(`[data-testid=`+id+`]`).Length() != 0 {
			t.Errorf("staff see %s", id)
		}
	}
	if res, _ := staff.Get("/dashboard/charges/" + ch.ID); res.StatusCode != http.StatusOK {
		t.Errorf("staff open a charge: %d", res.StatusCode)
	}
	charge := url.Values{"amount": {"1000"}, "token": {"0123456789abcdef0123"}}
	for _, r := range []struct{ method, path string }{
		{"GET", "/dashboard/checkouts/" + open.ID + "/expire"},
		{"POST", "/dashboard/checkouts/" + open.ID + "/expire"},
		{"POST", "/dashboard/agreements/" + agr + "/charge/confirm"},
		{"POST", "/dashboard/agreements/" + agr + "/charge"},
		{"GET", "/dashboard/agreements/" + agr + "/deactivate"},
		{"POST", "/dashboard/agreements/" + agr + "/deactivate"},
	} {
		res, body := staff.Do(staff.NoRedirect(), r.method, r.path, strings.NewReader(charge.Encode()), nil)
		handlerstest.CheckErrorPage(t, res, body, http.StatusForbidden, "관리자만 쓸 수 있어요")
	}
	if e.Status(open.ID, "").Status != "open" || e.Sandbox.Calls("subscription") != 1 || e.Sandbox.Calls("inactive") != 0 {
		t.Errorf("staff changed something: %s, %d charges, %d deactivations", e.Status(open.ID, "").Status,
			e.Sandbox.Calls("subscription"), e.Sandbox.Calls("inactive"))
	}
}

func TestDashboardChargeIsConfirmedAndHappensOnce(t *testing.T) {
	e := handlerstest.New(t)
	owner := handlerstest.SignedInOwner(t, e)
	checkoutID, agr := e.Subscribe("9900")
	page := "/dashboard/checkouts/" + checkoutID

	_, body := owner.Get(page)
	doc := handlerstest.Page(t, body)
	if handlerstest.TextOf(doc, "agreement-id") != agr || handlerstest.TextOf(doc, "agreement-status") != "사용 중" ||
		doc.Find(`[data-testid=no-charges]`).Length() != 1 {
		t.Fatalf("agreement on the page: %q", handlerstest.TextOf(doc, "agreement"))
	}
	action, ok := doc.Find(`[data-testid=charge-form]`).Attr("action")
	if !ok {
		t.Fatal("an owner sees no charge form")
	}
	// Bad amounts never reach the confirmation step, and say why.
	for bad, says := range map[string]string{
		"-5": "1원 이상의 정수", "abc": "1원 이상의 정수", "0": "1원 이상의 정수", "1.5": "1원 이상의 정수", "": "1원 이상의 정수",
		"50": "최소 금액", "2,000,001": "최대 금액", "99999999999999999999": "1원 이상의 정수",
	} {
		res, body := owner.Post(action, url.Values{"amount": {bad}}.Encode())
		handlerstest.CheckErrorPage(t, res, body, http.StatusBadRequest, says)
	}
	res, body := owner.Post(action, url.Values{"amount": {"1000"}, "reference": {"줄\n바꿈"}}.Encode())
	handlerstest.CheckErrorPage(t, res, body, http.StatusBadRequest, "쓸 수 없는 문자")

	res, body = owner.Post(action, url.Values{"amount": {"9,900"}, "reference": {"SUB-2026-12"}}.Encode())
	doc = handlerstest.Page(t, body)
	if res.StatusCode != 200 || !strings.Contains(handlerstest.TextOf(doc, "charge-confirm"), "9,900원") ||
		handlerstest.TextOf(doc, "charge-confirm-reference") != "SUB-2026-12" {
		t.Fatalf("confirmation: %d %s", res.StatusCode, handlerstest.TextOf(doc, "charge-confirm"))
	}
	if n := e.Sandbox.Calls("subscription"); n != 0 {
		t.Fatalf("the confirmation step charged (%d subscription calls)", n)
	}
	confirm, values := form(t, body, "charge-confirm-button")
	if res, _ := handlerstest.Send(owner, confirm, values, crossSite); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site charge: %d", res.StatusCode)
	}
	if res, body := handlerstest.Send(owner, confirm, url.Values{"amount": {"9900"}}, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a charge with no confirmation token: %d %.200s", res.StatusCode, body)
	}

	// A triple click: the same confirmation sent three times at once charges once; a resent
	// form afterwards shows the checkout.
	for i, a := range sendTimes(owner, 3, confirm, values) {
		if a.res.StatusCode != http.StatusSeeOther {
			t.Errorf("send %d of the triple click: %d, want the checkout's page", i+1, a.res.StatusCode)
		}
	}
	res, _ = handlerstest.Send(owner, confirm, values, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
		t.Errorf("a resent confirmation: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := e.Sandbox.Calls("subscription"); n != 1 {
		t.Errorf("%d subscription calls at KakaoPay, want 1", n)
	}
	_, body = owner.Get(page)
	rows := handlerstest.Page(t, body).Find(`[data-testid=charge-row]`)
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "청구 완료") || !strings.Contains(rows.Text(), "9,900원") || !strings.Contains(rows.Text(), "SUB-2026-12") {
		t.Fatalf("charges on the page: %d %q", rows.Length(), rows.Text())
	}
	href, _ := rows.Find("a").Attr("href")
	res, body = owner.Get(href)
	doc = handlerstest.Page(t, body)
	var charges struct {
		Data []handlerstest.ChargeObject `json:"data"`
	}
	e.API("GET", "/v1/charges?agreement="+agr, "", &charges)
	if len(charges.Data) != 1 || charges.Data[0].Payment == nil {
		t.Fatalf("charges: %+v", charges)
	}
	if res.StatusCode != 200 || handlerstest.TextOf(doc, "charge-id") != charges.Data[0].ID || handlerstest.TextOf(doc, "charge-status") != "청구 완료" ||
		handlerstest.TextOf(doc, "charge-payment-id") != *charges.Data[0].Payment {
		t.Errorf("charge page %s: %d %q", href, res.StatusCode, handlerstest.TextOf(doc, "charge-details"))
	}
	if back, _ := doc.Find(`[data-testid=charge-checkout]`).Attr("href"); back != page {
		t.Errorf("the charge page leads back to %q", back)
	}
}

func TestDashboardChargeRefusedByKakaoPayShowsWhy(t *testing.T) {
	e := handlerstest.New(t)
	owner := handlerstest.SignedInOwner(t, e)
	checkoutID, agr := e.Subscribe("9900")
	_, body := owner.Post("/dashboard/agreements/"+agr+"/charge/confirm", url.Values{"amount": {"4444"}}.Encode()) // the sandbox declines 4444
	confirm, values := form(t, body, "charge-confirm-button")
	res, body := handlerstest.Send(owner, confirm, values, nil)
	if doc := handlerstest.Page(t, body); res.StatusCode != http.StatusBadGateway || !strings.Contains(handlerstest.TextOf(doc, "error-body"), "카카오페이가 요청을 거절했어요") {
		t.Errorf("a refused charge: %d %q", res.StatusCode, handlerstest.TextOf(doc, "error-body"))
	}
	if res, _ := handlerstest.Send(owner, confirm, values, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the refused confirmation resent: %d, want the checkout's page", res.StatusCode)
	}
	if n := e.Sandbox.Calls("subscription"); n != 1 {
		t.Errorf("%d subscription calls, want 1", n)
	}
	_, body = owner.Get("/dashboard/checkouts/" + checkoutID)
	if row := handlerstest.Page(t, body).Find(`[data-testid=charge-row]`); row.Length() != 1 || !strings.Contains(row.Text(), "실패") {
		t.Errorf("the refused charge on the page: %q", row.Text())
	}
}

func TestDashboardDeactivateIsConfirmedAndHarmlessTwice(t *testing.T) {
	e := handlerstest.New(t)
	owner := handlerstest.SignedInOwner(t, e)
	checkoutID, agr := e.Subscribe("9900")
	page := "/dashboard/checkouts/" + checkoutID

	_, body := owner.Get(page)
	href, ok := handlerstest.Page(t, body).Find(`[data-testid=deactivate-link]`).Attr("href")
	if !ok {
		t.Fatal("an owner sees no deactivate button")
	}
	res, body := owner.Get(href)
	if res.StatusCode != 200 || !strings.Contains(handlerstest.TextOf(handlerstest.Page(t, body), "deactivate-confirm"), "더는 청구할 수 없어요") {
		t.Fatalf("confirmation: %d %.300s", res.StatusCode, body)
	}
	if n := e.Sandbox.Calls("inactive"); n != 0 {
		t.Fatalf("the confirmation step deactivated (%d inactive calls)", n)
	}
	confirm, values := form(t, body, "deactivate-confirm-button")
	if res, _ := handlerstest.Send(owner, confirm, values, crossSite); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site deactivation: %d", res.StatusCode)
	}
	if res, _ := handlerstest.Send(owner, confirm, nil, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("no confirmation token: %d", res.StatusCode)
	}
	// A double click, then the same form again, then a second confirmation: one deactivation.
	for i, a := range sendTimes(owner, 2, confirm, values) {
		if a.res.StatusCode != http.StatusSeeOther {
			t.Errorf("send %d of the double click: %d, want the checkout's page", i+1, a.res.StatusCode)
		}
	}
	_, again := owner.Get(href) // an inactive agreement's confirmation shows the checkout
	for i, res := range []*http.Response{first(handlerstest.Send(owner, confirm, values, nil)), first(handlerstest.Send(owner, confirm, url.Values{"token": {"another-token-0123456789"}}, nil))} {
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
			t.Errorf("send %d after the double click: %d to %q", i+1, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if n := e.Sandbox.Calls("inactive"); n != 1 {
		t.Errorf("%d inactive calls at KakaoPay, want 1", n)
	}
	if n := handlerstest.Count(e.Events(checkoutID), "agreement.deactivated"); n != 1 {
		t.Errorf("%d agreement.deactivated events", n)
	}
	doc := handlerstest.Page(t, again)
	if handlerstest.TextOf(doc, "agreement-status") != "해지됨" {
		t.Errorf("after deactivating the page says %q", handlerstest.TextOf(doc, "agreement-status"))
	}
	for _, id := range []string{"charge-form", "deactivate-link"} {
		if doc.Find(`[data-testid=`+id+`]`).Length() != 0 {
			t.Errorf("an inactive agreement offers %s", id)
		}
	}
	res, body = owner.Post("/dashboard/agreements/"+agr+"/charge/confirm", url.Values{"amount": {"9900"}}.Encode())
	handlerstest.CheckErrorPage(t, res, body, http.StatusConflict, "해지한 정기 결제라")
	res, body = handlerstest.Send(owner, "/dashboard/agreements/"+agr+"/charge", url.Values{"amount": {"9900"}, "token": {"0123456789abcdef0123"}}, nil)
	handlerstest.CheckErrorPage(t, res, body, http.StatusConflict, "해지한 정기 결제라")
	if n := e.Sandbox.Calls("subscription"); n != 0 {
		t.Errorf("%d subscription calls on an inactive agreement", n)
	}
}

func first(res *http.Response, _ string) *http.Response { return res }

func TestDashboardAnotherMerchantsAgreementIsNotFound(t *testing.T) {
	e := handlerstest.New(t)
	_, agr := e.Subscribe("9900")
	var ch handlerstest.ChargeObject
	if res := e.API("POST", "/v1/agreements/"+agr+"/charges", `{"amount":9900}`, &ch); res.StatusCode != 201 {
		t.Fatalf("charge: %d", res.StatusCode)
	}
	b := stranger(t, e)
	form := url.Values{"amount": {"1000"}, "token": {"0123456789abcdef0123"}}
	for _, r := range []struct{ method, path string }{
		{"POST", "/dashboard/agreements/" + agr + "/charge/confirm"},
		{"POST", "/dashboard/agreements/" + agr + "/charge"},
		{"GET", "/dashboard/agreements/" + agr + "/deactivate"},
		{"POST", "/dashboard/agreements/" + agr + "/deactivate"},
		{"GET", "/dashboard/charges/" + ch.ID},
	} {
		res, body := b.Do(b.NoRedirect(), r.method, r.path, strings.NewReader(form.Encode()), nil)
		handlerstest.CheckErrorPage(t, res, body, http.StatusNotFound, "찾는 항목이 없어요")
		if strings.Contains(body, "테스트 카페") {
			t.Errorf("%s %s shows the other merchant's agreement", r.method, r.path)
		}
	}
	if e.Sandbox.Calls("subscription") != 1 || e.Sandbox.Calls("inactive") != 0 {
		t.Errorf("another merchant's owner moved something: %d charges, %d deactivations", e.Sandbox.Calls("subscription"), e.Sandbox.Calls("inactive"))
	}
}

func TestDashboardChargeWithALostAnswerSaysToCheckKakaoPay(t *testing.T) {
	e, f := handlerstest.NewFaulty(t)
	owner := handlerstest.SignedInOwner(t, e)
	checkoutID, agr := e.Subscribe("9900")
	_, body := owner.Post("/dashboard/agreements/"+agr+"/charge/confirm", url.Values{"amount": {"9900"}}.Encode())
	confirm, values := form(t, body, "charge-confirm-button")
	f.Set("subscription", "drop", 1) // KakaoPay charges, and its answer is lost
	if res, _ := handlerstest.Send(owner, confirm, values, nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/checkouts/"+checkoutID {
		t.Fatalf("a charge whose answer was lost: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := handlerstest.Send(owner, confirm, values, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("resent: %d", res.StatusCode)
	}
	if n := e.Sandbox.Calls("subscription"); n != 1 {
		t.Errorf("%d subscription calls, want 1", n)
	}
	_, body = owner.Get("/dashboard/checkouts/" + checkoutID)
	row := handlerstest.Page(t, body).Find(`[data-testid=charge-row]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "확인 필요") {
		t.Fatalf("the charge on the page: %q", row.Text())
	}
	_, body = owner.Get(row.Find("a").AttrOr("href", ""))
	if got := handlerstest.TextOf(handlerstest.Page(t, body), "charge-unknown"); !strings.Contains(got, "카카오페이 가맹점 관리자") {
		t.Errorf("the charge's page says %q", got)
	}
}

package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDashboardRefundIsConfirmedAndHappensOnce(t *testing.T) {
	e := handlerstest.New(t)
	c, pay := e.PaidCheckout()
	b := handlerstest.SignedInOwner(t, e)

	_, body := b.Get("/dashboard/checkouts/" + c.ID)
	action, ok := handlerstest.Page(t, body).Find(`[data-testid=refund-form]`).Attr("action")
	if !ok {
		t.Fatal("a paid checkout's page has no refund form")
	}
	// Bad amounts never reach the confirmation step: the checkout's page again says why beside
	// the field, keeping what was typed.
	for _, bad := range []struct{ amount, says string }{
		{"-5", "금액은 1원 이상의 정수로 입력해 주세요."}, {"abc", "금액은 1원 이상의 정수로 입력해 주세요."},
		{"0", "금액은 1원 이상의 정수로 입력해 주세요."}, {"1.5", "금액은 1원 이상의 정수로 입력해 주세요."},
		{"11001", "11,000원까지 환불할 수 있어요."}, {"35,000", "11,000원까지 환불할 수 있어요."},
	} {
		res, body := b.Post(action, url.Values{"amount": {bad.amount}, "reason": {"한 잔 취소"}}.Encode())
		doc := handlerstest.Page(t, body)
		if res.StatusCode != http.StatusBadRequest || res.Request.URL.Path != action || doc.Find(`[data-testid=refund-form]`).Length() != 1 {
			t.Errorf("amount %q: %d at %s", bad.amount, res.StatusCode, res.Request.URL.Path)
			continue
		}
		if got := handlerstest.TextOf(doc, "refund-error"); got != bad.says {
			t.Errorf("amount %q: beside the field %q, want %q", bad.amount, got, bad.says)
		}
		if doc.Find(`#refund-amount`).AttrOr("value", "") != bad.amount || doc.Find(`#refund-reason`).AttrOr("value", "") != "한 잔 취소" ||
			doc.Find(`#refund-amount`).AttrOr("aria-invalid", "") != "true" {
			t.Errorf("amount %q: the form keeps %q and %q", bad.amount, doc.Find(`#refund-amount`).AttrOr("value", ""), doc.Find(`#refund-reason`).AttrOr("value", ""))
		}
	}
	res, body := b.Post(action, url.Values{"amount": {"3,000"}, "reason": {"한 잔 취소"}}.Encode())
	doc := handlerstest.Page(t, body)
	if res.StatusCode != 200 || handlerstest.TextOf(doc, "refund-question") != "3,000원을 환불할까요?" ||
		!strings.Contains(handlerstest.TextOf(doc, "refund-confirm"), "8,000원이 남아요") || !strings.Contains(doc.Find("main").Text(), "ORDER-1") {
		t.Fatalf("confirmation: %d %q %q", res.StatusCode, handlerstest.TextOf(doc, "refund-question"), handlerstest.TextOf(doc, "refund-confirm"))
	}
	if n := e.Sandbox.Calls("cancel"); n != 0 {
		t.Fatalf("the confirmation step refunded (%d cancel calls)", n)
	}
	confirm, values := form(t, body, "refund-confirm-button")

	// A double click: the same confirmation sent three times at once refunds once.
	sendTimes(b, 3, confirm, values)
	res, _ = handlerstest.Send(b, confirm, values)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/checkouts/"+c.ID {
		t.Errorf("a resent confirmation: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := e.Sandbox.Calls("cancel"); n != 1 {
		t.Errorf("%d cancel calls at KakaoPay, want 1", n)
	}
	var p handlerstest.PaymentObject
	if e.API("GET", "/v1/payments/"+pay, "", &p); p.RefundedAmount != 3000 {
		t.Errorf("refunded %d, want 3000", p.RefundedAmount)
	}
	_, body = b.Get("/dashboard/checkouts/" + c.ID)
	if rows := handlerstest.Page(t, body).Find(`[data-testid=refund-row]`); rows.Length() != 1 || !strings.Contains(rows.Text(), "한 잔 취소") {
		t.Errorf("refunds on the page: %q", rows.Text())
	}
	// Without a confirmation token, or from another site, nothing happens.
	if res, _ := b.Post(confirm, url.Values{"amount": {"1000"}}.Encode()); res.StatusCode != http.StatusBadRequest {
		t.Errorf("no token: %d", res.StatusCode)
	}
	res, _ = b.Do(b.NoRedirect(), "POST", confirm, strings.NewReader(values.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site refund: %d", res.StatusCode)
	}
	if n := e.Sandbox.Calls("cancel"); n != 1 {
		t.Errorf("%d cancel calls at KakaoPay after the refused tries, want 1", n)
	}
	// The confirmation's answer leads to the checkout's page, which says what was refunded.
	_, body = b.Post(action, url.Values{"amount": {"1000"}}.Encode())
	values = url.Values{}
	handlerstest.Page(t, body).Find(`[data-testid=refund-confirm-button]`).Closest("form").Find("input").Each(func(_ int, s *goquery.Selection) {
		values.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	res, body = b.Post(confirm, values.Encode())
	if doc := handlerstest.Page(t, body); res.Request.URL.Path != "/dashboard/checkouts/"+c.ID || handlerstest.TextOf(doc, "checkout-notice") != "1,000원을 환불했어요." {
		t.Errorf("after the refund: %s says %q", res.Request.URL, handlerstest.TextOf(doc, "checkout-notice"))
	}
	if _, body := b.Get("/dashboard/checkouts/" + c.ID); handlerstest.Page(t, body).Find(`[data-testid=checkout-notice]`).Length() != 0 {
		t.Error("the checkout's page says a refund was made when none was just made")
	}
}

func TestDashboardLanguageSwitchOnAFormsAnswerGoesToAPage(t *testing.T) {
	e := handlerstest.New(t)
	_, pay := e.PaidCheckout()
	b := handlerstest.SignedInOwner(t, e)
	res, body := b.Post("/dashboard/payments/"+pay+"/refund/confirm", url.Values{"amount": {"1000"}}.Encode())
	if res.StatusCode != http.StatusOK {
		t.Fatalf("confirmation: %d", res.StatusCode)
	}
	href, _ := handlerstest.Page(t, body).Find(`[data-testid=lang-switch]`).Attr("href")
	if res, _ := b.Get(href); !strings.HasPrefix(href, "/dashboard/checkouts?") || res.StatusCode != http.StatusOK {
		t.Errorf("the language switch of a form's answer goes to %q: %d", href, res.StatusCode)
	}
}

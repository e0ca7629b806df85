package dashboard_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDashboardCheckoutPage(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	c := e.CreateCheckout("")
	pay := e.PayByPhone(c.ID)
	if code, _, _ := e.Refund(pay, `{"amount":3000,"reason":"한 잔 취소"}`); code != 201 {
		t.Fatalf("refund: %d", code)
	}
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)

	_, body := b.Get("/dashboard/checkouts")
	href, _ := handlerstest.Page(t, body).Find(`[data-testid=checkout-row] a`).First().Attr("href")
	res, body := b.Get(href)
	doc := handlerstest.Page(t, body)
	if res.StatusCode != 200 || handlerstest.TextOf(doc, "checkout-id") != c.ID || handlerstest.TextOf(doc, "checkout-status") != "결제 완료" ||
		handlerstest.TextOf(doc, "checkout-amount") != "11,000원" || handlerstest.TextOf(doc, "payment-refunded") != "3,000원" {
		t.Fatalf("checkout page %s: %d %s", href, res.StatusCode, body)
	}
	if rows := doc.Find(`[data-testid=refund-row]`); rows.Length() != 1 || !strings.Contains(rows.Text(), "한 잔 취소") || !strings.Contains(rows.Text(), "환불 완료") {
		t.Errorf("refunds: %q", rows.Text())
	}
	if rows := doc.Find(`[data-testid=attempt-row]`); rows.Length() != 1 || !strings.Contains(rows.Text(), "휴대폰") || !strings.Contains(rows.Text(), "승인") {
		t.Errorf("attempts: %q", rows.Text())
	}
	var types []string
	doc.Find(`[data-testid=timeline-event]`).Each(func(_ int, s *goquery.Selection) { types = append(types, s.AttrOr("data-type", "")) })
	if len(types) < 4 || types[0] != "checkout.created" || types[len(types)-1] != "refund.succeeded" {
		t.Errorf("timeline, oldest first: %v", types)
	}

	other, err := e.Service.CreateMerchant(context.Background(), checkout.NewMerchant{Name: "다른 상점"})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := e.Service.CreateUser(context.Background(), checkout.NewUser{MerchantID: other.Merchant.ID, Email: "owner@other.example"})
	if err != nil {
		t.Fatal(err)
	}
	stranger := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(stranger, cu.User.Email, cu.Password)
	if res, body := stranger.Get("/dashboard/checkouts/" + c.ID); res.StatusCode != http.StatusNotFound || strings.Contains(body, "테스트 카페") {
		t.Errorf("another merchant's user opened the checkout: %d", res.StatusCode)
	}
}

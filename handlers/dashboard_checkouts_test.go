package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDashboardCheckoutsList(t *testing.T) {
	e := handlerstest.New(t)
	email, password := dashUser(t, e, "owner@cafe.example")
	paid := e.CreateCheckout("")
	e.PayByPhone(paid.ID)
	var ids []string
	for range 51 {
		e.Clock.Add(time.Second) // one after another, newest last
		ids = append(ids, e.AmountCheckout("1000").ID)
	}
	b := e.Browser(handlerstest.UADesktop)
	signIn(b, email, password)

	res, body := b.Get("/dashboard/checkouts")
	doc := handlerstest.Page(t, body)
	rows := doc.Find(`[data-testid=checkout-row]`)
	if res.StatusCode != 200 || rows.Length() != 50 {
		t.Fatalf("first page: %d, %d rows", res.StatusCode, rows.Length())
	}
	if first, _ := rows.First().Attr("data-id"); first != ids[50] {
		t.Errorf("first row %s, want the newest %s", first, ids[50])
	}
	next, ok := doc.Find(`[data-testid=next-page]`).Attr("href")
	if !ok {
		t.Fatal("no next page")
	}
	_, body = b.Get(next)
	doc = handlerstest.Page(t, body)
	rows = doc.Find(`[data-testid=checkout-row]`)
	if rows.Length() != 2 || doc.Find(`[data-testid=next-page]`).Length() != 0 {
		t.Fatalf("second page: %d rows", rows.Length())
	}
	if last, _ := rows.Last().Attr("data-id"); last != paid.ID {
		t.Errorf("last row %s, want the oldest %s", last, paid.ID)
	}

	_, body = b.Get("/dashboard/checkouts?status=paid")
	doc = handlerstest.Page(t, body)
	rows = doc.Find(`[data-testid=checkout-row]`)
	if id, _ := rows.Attr("data-id"); rows.Length() != 1 || id != paid.ID || !strings.Contains(rows.Text(), "결제 완료") {
		t.Errorf("paid filter: %d rows, %s", rows.Length(), rows.Text())
	}
	if res, _ := b.Get("/dashboard/checkouts?status=bogus"); res.StatusCode != 400 {
		t.Errorf("a bad status filter: %d", res.StatusCode)
	}
}

func TestDashboardShowsOnlyItsMerchant(t *testing.T) {
	e := handlerstest.New(t)
	mine := e.CreateCheckout("")
	e.PayByPhone(mine.ID)
	ctx := context.Background()
	other, err := e.Service.CreateMerchant(ctx, checkout.NewMerchant{Name: "다른 상점"})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := e.Service.CreateUser(ctx, checkout.NewUser{MerchantID: other.Merchant.ID, Email: "owner@other.example"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.Browser(handlerstest.UADesktop)
	signIn(b, cu.User.Email, cu.Password)

	_, body := b.Get("/dashboard/checkouts")
	doc := handlerstest.Page(t, body)
	if strings.Contains(body, mine.ID) || doc.Find(`[data-testid=no-checkouts]`).Length() != 1 || handlerstest.TextOf(doc, "dash-merchant") != "다른 상점" {
		t.Errorf("another merchant's user sees: %s", body)
	}
	if res, _ := b.Get("/dashboard/checkouts?starting_after=" + mine.ID); res.StatusCode != 400 {
		t.Errorf("paging after another merchant's checkout: %d", res.StatusCode)
	}
	_, body = b.Get("/dashboard")
	doc = handlerstest.Page(t, body)
	if got := handlerstest.TextOf(doc, "today-paid-amount"); got != "0원" || handlerstest.TextOf(doc, "today-conversion") != "—" {
		t.Errorf("another merchant's home shows paid %q", got)
	}
}

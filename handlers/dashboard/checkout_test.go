package dashboard_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// refundedCheckout makes the default 11,000-won checkout, pays it and refunds 3,000 won of it
// ("한 잔 취소"): it returns the checkout and its payment's id.
func refundedCheckout(t *testing.T, e *handlerstest.Env) (handlerstest.CheckoutObject, string) {
	t.Helper()
	c, pay := e.PaidCheckout()
	if code, _, _ := e.Refund(pay, `{"amount":3000,"reason":"한 잔 취소"}`); code != 201 {
		t.Fatalf("refund: %d", code)
	}
	return c, pay
}

func TestDashboardCheckoutPage(t *testing.T) {
	e := handlerstest.New(t)
	c, _ := refundedCheckout(t, e)
	b := handlerstest.SignedInOwner(t, e)

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
	// The page is an order's: its number as the heading, what was bought, in words, and the
	// payment's information once; each event says what happened in Korean beside its type.
	if h1 := strings.TrimSpace(doc.Find("main h1").Text()); h1 != "주문 ORDER-1" {
		t.Errorf("the heading: %q", h1)
	}
	if items := strings.Join(strings.Fields(handlerstest.TextOf(doc, "checkout-items")), " "); !strings.Contains(items, "아메리카노 2개 9,000원") {
		t.Errorf("the items: %q", items)
	}
	if n := doc.Find(`dt:contains("결제 시도")`).Length(); n != 0 {
		t.Error("the details count the tries the tries' table lists")
	}
	if first := doc.Find(`[data-testid=timeline-event]`).First().Text(); !strings.Contains(first, "결제 페이지 생성") {
		t.Errorf("the first event says %q", strings.Join(strings.Fields(first), " "))
	}

	if res, body := stranger(t, e).Get("/dashboard/checkouts/" + c.ID); res.StatusCode != http.StatusNotFound || strings.Contains(body, "테스트 카페") {
		t.Errorf("another merchant's user opened the checkout: %d", res.StatusCode)
	}
}

// TestOldCheckoutReadsOnceItsEventsArePruned: past the events' retention, a paid and refunded
// checkout still reads on the dashboard and through the API, every object as it was; only its
// timeline is shorter (here empty), and its old events are gone from /v1/events.
func TestOldCheckoutReadsOnceItsEventsArePruned(t *testing.T) {
	e := handlerstest.New(t)
	c, pay := refundedCheckout(t, e)
	var events struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	e.API("GET", "/v1/events?checkout="+c.ID, "", &events)
	if len(events.Data) < 4 {
		t.Fatalf("%d events before the retention", len(events.Data))
	}
	e.Clock.Add(domain.DefaultRetainEvents + 24*time.Hour)
	e.Reconcile()

	if got := e.Events(c.ID); len(got) != 0 {
		t.Errorf("the checkout's timeline past the retention: %v", got)
	}
	if res := e.API("GET", "/v1/events/"+events.Data[0].ID, "", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a pruned event: %d", res.StatusCode)
	}
	var obj handlerstest.CheckoutObject
	if res := e.API("GET", "/v1/checkouts/"+c.ID, "", &obj); res.StatusCode != 200 || obj.Status != "paid" || obj.Payment == nil || obj.Payment.ID != pay {
		t.Errorf("the checkout through the API: %d %+v", res.StatusCode, obj)
	}
	var p handlerstest.PaymentObject
	if res := e.API("GET", "/v1/payments/"+pay, "", &p); res.StatusCode != 200 || p.RefundedAmount != 3000 || len(p.Refunds) != 1 {
		t.Errorf("the payment through the API: %d %+v", res.StatusCode, p)
	}
	b := handlerstest.SignedInOwner(t, e)
	res, body := b.Get("/dashboard/checkouts/" + c.ID)
	doc := handlerstest.Page(t, body)
	if res.StatusCode != 200 || handlerstest.TextOf(doc, "checkout-status") != "결제 완료" || handlerstest.TextOf(doc, "payment-refunded") != "3,000원" {
		t.Fatalf("the dashboard's checkout page: %d %s", res.StatusCode, body)
	}
	if n := doc.Find(`[data-testid=refund-row]`).Length() + doc.Find(`[data-testid=attempt-row]`).Length(); n != 2 {
		t.Errorf("%d refund and attempt rows, want 1 and 1", n)
	}
	if n := doc.Find(`[data-testid=timeline-event]`).Length(); n != 0 {
		t.Errorf("%d timeline events past the retention", n)
	}
}

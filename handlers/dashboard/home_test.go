package dashboard_test

import (
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDashboardHomeNumbers(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	paid := e.CreateCheckout("") // 11,000 won
	e.CreateCheckout("")         // opened, never paid
	pay := e.PayByPhone(paid.ID)
	if code, _, _ := e.Refund(pay, `{"amount":3000}`); code != 201 {
		t.Fatalf("refund: %d", code)
	}

	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)
	res, body := b.Get("/dashboard")
	doc := handlerstest.Page(t, body)
	for id, want := range map[string]string{
		"today-paid-count":      "1건",
		"today-paid-amount":     "11,000원",
		"today-refunded-amount": "3,000원",
		"today-conversion":      "50.0%",
	} {
		if got := handlerstest.TextOf(doc, id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("home: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	chart := doc.Find(`svg[data-testid=chart]`)
	if n := chart.Find("rect.bar-paid").Length(); n != 14 {
		t.Errorf("%d paid bars, want 14", n)
	}
	if h, _ := chart.Find("rect.bar-paid").Last().Attr("height"); h != "180" {
		t.Errorf("today's paid bar is %s high, want the whole plot (180)", h)
	}
	rows := doc.Find(`[data-testid=chart-table] tbody tr`)
	if rows.Length() != 14 || !strings.Contains(rows.Last().Text(), "11,000원") || !strings.Contains(rows.Last().Text(), "3,000원") ||
		!strings.Contains(rows.First().Text(), "0원") {
		t.Errorf("chart table: %d rows, last %q", rows.Length(), rows.Last().Text())
	}

	_, body = b.Get("/dashboard?lang=en")
	doc = handlerstest.Page(t, body)
	if got := handlerstest.TextOf(doc, "today-paid-amount"); got != "₩11,000" || !strings.Contains(body, "Paid and refunded, last 14 days") {
		t.Errorf("English home: paid %q", got)
	}
}

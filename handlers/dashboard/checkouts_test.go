package dashboard_test

import (
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDashboardCheckoutsList(t *testing.T) {
	e := handlerstest.New(t)
	paid, _ := e.PaidCheckout()
	var ids []string
	for range 51 {
		e.Clock.Add(time.Second) // one after another, newest last
		ids = append(ids, e.AmountCheckout("1000").ID)
	}
	b := handlerstest.SignedInOwner(t, e)

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
	mine, _ := e.PaidCheckout()
	b := stranger(t, e)

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

func TestDashboardSearchAndCSVExport(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	paid := e.CreateCheckout(`{"amount":11000,"reference":"ORDER-7001","customer":{"name":"김카카오","email":"Kim@Example.com"},` +
		`"success_url":"` + e.Shop.URL + `/thanks","failure_url":"` + e.Shop.URL + `/cart"}`)
	e.PayByPhone(paid.ID)
	e.Clock.Add(time.Second)
	formula := e.CreateCheckout(`{"amount":2000,"reference":"=HYPERLINK(\"x\")","success_url":"` + e.Shop.URL + `/t","failure_url":"` + e.Shop.URL + `/c"}`)
	e.Clock.Add(time.Second)
	other := e.CreateCheckout(`{"amount":3000,"reference":"ORDER_8","success_url":"` + e.Shop.URL + `/t","failure_url":"` + e.Shop.URL + `/c"}`)
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)

	for q, want := range map[string][]string{
		"ORDER-7":         {paid.ID},
		"order_":          {other.ID}, // the start of a reference, in any case; "_" is itself, not a wildcard
		"ORDER%":          nil,
		paid.ID:           {paid.ID},
		"kim@example.com": {paid.ID},
		"":                {other.ID, formula.ID, paid.ID},
	} {
		_, body := b.Get("/dashboard/checkouts?q=" + url.QueryEscape(q))
		var got []string
		handlerstest.Page(t, body).Find(`[data-testid=checkout-row]`).Each(func(_ int, s *goquery.Selection) { got = append(got, s.AttrOr("data-id", "")) })
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("search %q: %v, want %v", q, got, want)
		}
	}

	res, body := b.Get("/dashboard/checkouts.csv")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(body, "\ufeff") {
		t.Fatalf("csv: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body[:min(20, len(body))])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][1] != "주문번호" {
		t.Fatalf("csv rows %v: %v", rows, err)
	}
	last := rows[3] // newest first: the paid one was made first
	if last[0] != paid.ID || last[2] != "결제 완료" || last[3] != "11000" || last[5] != "Kim@Example.com" || last[7] == "" {
		t.Errorf("the paid row %v", last)
	}
	if at, err := time.ParseInLocation("2006-01-02 15:04:05", last[6], time.FixedZone("KST", 9*3600)); err != nil || at.Sub(e.Clock.Now()).Abs() > time.Minute {
		t.Errorf("created_at %q is not Korean time: %v", last[6], err)
	}
	if rows[2][1] != `'=HYPERLINK("x")` {
		t.Errorf("a formula-looking reference is exported as %q", rows[2][1])
	}
	if _, body := b.Get("/dashboard/checkouts.csv?status=paid&q=ORDER-7"); strings.Count(body, "\n") != 2 {
		t.Errorf("the filtered export:\n%s", body)
	}
}

func TestDashboardCheckoutsByDate(t *testing.T) {
	e := handlerstest.New(t)
	seoul := time.FixedZone("KST", 9*60*60)
	older := e.AmountCheckout("1000")
	olderDay := e.Clock.Now().In(seoul).Format(time.DateOnly)
	e.Clock.Add(48 * time.Hour)
	newer := e.AmountCheckout("2000")
	newerDay := e.Clock.Now().In(seoul).Format(time.DateOnly)
	b := handlerstest.SignedInOwner(t, e)

	listed := func(query string) []string {
		t.Helper()
		res, body := b.Get("/dashboard/checkouts?" + query)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", query, res.StatusCode)
		}
		var ids []string
		handlerstest.Page(t, body).Find(`[data-testid=checkout-row]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-id")
			ids = append(ids, id)
		})
		return ids
	}
	for query, want := range map[string][]string{
		"from=" + olderDay + "&to=" + olderDay: {older.ID},
		"from=" + newerDay:                     {newer.ID},
		"to=" + olderDay:                       {older.ID},
		"from=" + olderDay + "&to=" + newerDay: {newer.ID, older.ID},
	} {
		if got := listed(query); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
	// The filter is kept in the form and in the export.
	_, body := b.Get("/dashboard/checkouts?from=" + newerDay)
	doc := handlerstest.Page(t, body)
	if v, _ := doc.Find("#from").Attr("value"); v != newerDay {
		t.Errorf("from field: %q", v)
	}
	csvURL, _ := doc.Find(`[data-testid=csv-export]`).Attr("href")
	_, export := b.Get(csvURL)
	if recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(export, "\ufeff"))).ReadAll(); err != nil || len(recs) != 2 || recs[1][0] != newer.ID {
		t.Errorf("export of %s: %v %v", csvURL, recs, err)
	}
	for _, bad := range []string{"from=2026-13-01", "to=yesterday", "from=" + newerDay + "&to=" + olderDay, "from=1999-12-31", "to=9999-12-31"} {
		res, body := b.Get("/dashboard/checkouts?" + bad)
		if res.StatusCode != 400 || handlerstest.TextOf(handlerstest.Page(t, body), "error-body") == "" {
			t.Errorf("%s: %d", bad, res.StatusCode)
		}
	}
}

// TestDashboardListLeadsWithOrders: each row of the list is an order: its number, what was
// bought, who bought it, the amount and where it stands, in words; a link's checkout is named by
// what the link sells (its reference is the link's id, no order number); an open checkout whose
// last try failed says so.
func TestDashboardListLeadsWithOrders(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	paid := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{"customer": map[string]any{"name": "김하늘", "email": "sky@example.com"}}))
	e.PayByPhone(paid.ID)
	e.Clock.Add(time.Second)
	failed := e.AmountCheckout("4444") // the sandbox refuses it at approve
	e.Browser(handlerstest.UAIPhone).PayOn(failed.ID)
	e.Browser(handlerstest.UAIPhone).WalletAct(e.AttemptMobileURL(failed.ID), "approve")
	e.Clock.Add(time.Second)
	l := handlerstest.CreateLink(t, e, `{"amount":15000,"description":"원두 200g","success_url":"`+e.Shop.URL+`/thanks","failure_url":"`+e.Shop.URL+`/cart"}`)
	fromLink := e.Browser(handlerstest.UAIPhone).PayLink(l.URL)
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)

	_, body := b.Get("/dashboard/checkouts")
	doc := handlerstest.Page(t, body)
	var heads []string
	doc.Find(`[data-testid=checkouts] thead th`).Each(func(_ int, s *goquery.Selection) { heads = append(heads, strings.TrimSpace(s.Text())) })
	if len(heads) < 5 || strings.Join(heads[:5], " ") != "주문번호 상품 고객 금액 상태" {
		t.Errorf("the list's columns: %v", heads)
	}
	row := func(id string) map[string]string {
		r := doc.Find(`[data-testid=checkout-row][data-id="` + id + `"]`)
		out := map[string]string{}
		for _, f := range []string{"checkout-reference", "checkout-title", "checkout-customer", "checkout-amount", "checkout-status"} {
			out[f] = strings.Join(strings.Fields(r.Find(`[data-testid=`+f+`]`).Text()), " ")
		}
		return out
	}
	if got := row(paid.ID); got["checkout-reference"] != "ORDER-1" || got["checkout-title"] != "아메리카노 외 1건" ||
		got["checkout-customer"] != "김하늘 · sky@example.com" || got["checkout-amount"] != "11,000원" || got["checkout-status"] != "결제 완료" {
		t.Errorf("a paid order: %v", got)
	}
	if got := row(failed.ID); got["checkout-reference"] != "R-4444" || got["checkout-title"] != "테스트 주문" || got["checkout-status"] != "결제 대기 · 최근 시도 실패" {
		t.Errorf("an open order whose try failed: %v", got)
	}
	if got := row(fromLink); !strings.HasPrefix(got["checkout-reference"], "원두 200g") || strings.Contains(got["checkout-reference"], l.ID) ||
		got["checkout-status"] != "결제 대기" {
		t.Errorf("a link's checkout: %v", got)
	}
	if strings.Contains(doc.Find(`[data-testid=checkouts] tbody`).Text(), "lnk_") {
		t.Error("the list shows a link's id as an order number")
	}
	// A link's checkout's page is headed by what the link sells, and leads to the link.
	_, body = b.Get("/dashboard/checkouts/" + fromLink)
	doc = handlerstest.Page(t, body)
	if h1 := strings.TrimSpace(doc.Find("main h1").Text()); h1 != "원두 200g" || doc.Find(`[data-testid=checkout-link]`).AttrOr("href", "") != "/dashboard/links/"+l.ID {
		t.Errorf("a link's checkout's page: heading %q, link %q", h1, doc.Find(`[data-testid=checkout-link]`).AttrOr("href", ""))
	}
	// A failed try says why in words, not KakaoPay's code.
	_, body = b.Get("/dashboard/checkouts/" + failed.ID)
	if got := handlerstest.TextOf(handlerstest.Page(t, body), "attempt-failure"); !strings.Contains(got, "잔액이 부족해요") || strings.Contains(got, "INSUFFICIENT_BALANCE") {
		t.Errorf("a failed try's reason: %q", got)
	}
}

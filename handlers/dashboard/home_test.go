package dashboard_test

import (
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDashboardHomeNumbers(t *testing.T) {
	e := handlerstest.New(t)
	paid := e.CreateCheckout("") // 11,000 won
	e.CreateCheckout("")         // opened, never paid
	pay := e.PayByPhone(paid.ID)
	if code, _, _ := e.Refund(pay, `{"amount":3000}`); code != 201 {
		t.Fatalf("refund: %d", code)
	}

	b := handlerstest.SignedInOwner(t, e)
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

// TestDashboardMoneyCSVAddsUpToTheHome: the home links the CSV of money movements, one row per
// payment (a checkout's and each subscription charge) and per succeeded refund, with the payment
// id, KakaoPay's tid, the method, the order and customer, in Korean; its amounts add up to the
// home's paid and refunded figures.
func TestDashboardMoneyCSVAddsUpToTheHome(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	c := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{"reference": "=HYPERLINK(1)", "customer": map[string]string{"name": "김하나", "email": "hana@example.com"}}))
	pay := e.PayByPhone(c.ID)
	if code, _, _ := e.Refund(pay, `{"amount":3000}`); code != 201 {
		t.Fatalf("refund: %d", code)
	}
	_, agreement := e.Subscribe("9900")
	for _, month := range []string{"2026-12", "2027-01"} {
		if res := e.API("POST", "/v1/agreements/"+agreement+"/charges", `{"amount":9900,"reference":"`+month+`"}`, nil); res.StatusCode != 201 {
			t.Fatalf("charge: %d", res.StatusCode)
		}
	}
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)
	_, body := b.Get("/dashboard")
	doc := handlerstest.Page(t, body)
	href, ok := doc.Find(`[data-testid=money-csv]`).Attr("href")
	if !ok {
		t.Fatal("the home links no money CSV")
	}
	homePaid, homeRefunded := handlerstest.TextOf(doc, "today-paid-amount"), handlerstest.TextOf(doc, "today-refunded-amount")

	res, export := b.Get(href)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(export, "\ufeff") {
		t.Fatalf("csv: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), export[:min(20, len(export))])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(export, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 6 {
		t.Fatalf("csv rows %q: %v; want a header, 4 payments and a refund", rows, err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"구분", "결제 ID", "카카오페이 TID", "결제 수단", "금액(원)", "환불액(원)", "상태", "주문번호", "고객", "상품", "일시(KST)"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("no column %q in %q", h, rows[0])
		}
	}
	var paid, refunded int64
	kinds := map[string]int{}
	for _, r := range rows[1:] {
		n, err := strconv.ParseInt(r[col["금액(원)"]], 10, 64)
		if err != nil {
			t.Fatalf("amount %q: %v", r[col["금액(원)"]], err)
		}
		if n < 0 {
			refunded -= n
		} else {
			paid += n
		}
		kinds[r[col["구분"]]]++
		if !strings.HasPrefix(r[col["결제 ID"]], "pay_") || r[col["카카오페이 TID"]] == "" || r[col["결제 수단"]] != "카카오페이머니" {
			t.Errorf("row %q: want the payment id, its tid and its method", r)
		}
		if _, err := time.Parse("2006-01-02 15:04:05", r[col["일시(KST)"]]); err != nil {
			t.Errorf("time %q: %v", r[col["일시(KST)"]], err)
		}
		if r[col["결제 ID"]] == pay {
			want := map[string]string{"주문번호": "'=HYPERLINK(1)", "고객": "김하나 · hana@example.com", "상품": "아메리카노 × 2, 크루아상 × 1"}
			for k, v := range want {
				if r[col[k]] != v {
					t.Errorf("%s of %q is %q, want %q", k, r, r[col[k]], v)
				}
			}
			if r[col["구분"]] == "결제" && (r[col["환불액(원)"]] != "3000" || r[col["상태"]] != "부분 환불") {
				t.Errorf("the refunded payment's row %q: want 3000 refunded, 부분 환불", r)
			}
		}
	}
	if kinds["결제"] != 2 || kinds["정기결제"] != 2 || kinds["환불"] != 1 {
		t.Errorf("kinds %v: want 2 결제 (the order, the subscription's first), 2 정기결제, 1 환불", kinds)
	}
	if won := wonOf(paid); won != homePaid {
		t.Errorf("the CSV's payments add up to %s, the home says %s", won, homePaid)
	}
	if won := wonOf(refunded); won != homeRefunded {
		t.Errorf("the CSV's refunds add up to %s, the home says %s", won, homeRefunded)
	}
}

// wonOf writes n as the dashboard does: 102100 → "102,100원".
func wonOf(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s + "원"
}

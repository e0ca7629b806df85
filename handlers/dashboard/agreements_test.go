package dashboard_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDashboardAgreementsList(t *testing.T) {
	e := handlerstest.New(t)
	staff := handlerstest.SignedIn(t, e, "staff@cafe.example", accounts.RoleStaff)
	older, charged := e.Subscribe("9900")
	e.Clock.Add(time.Second)
	newer, ended := e.Subscribe("5000")
	var ch handlerstest.ChargeObject
	if res := e.API("POST", "/v1/agreements/"+charged+"/charges", `{"amount":5000,"reference":"SUB-12"}`, &ch); res.StatusCode != 201 {
		t.Fatalf("charge: %d", res.StatusCode)
	}
	if res := e.API("POST", "/v1/agreements/"+ended+"/deactivate", "", nil); res.StatusCode != 200 {
		t.Fatalf("deactivate: %d", res.StatusCode)
	}

	res, body := staff.Get("/dashboard/agreements")
	doc := handlerstest.Page(t, body)
	rows := doc.Find(`[data-testid=agreement-row]`)
	if res.StatusCode != 200 || rows.Length() != 2 || rows.Eq(0).AttrOr("data-id", "") != ended || rows.Eq(1).AttrOr("data-id", "") != charged {
		t.Fatalf("agreements, newest first: %d %d rows %q", res.StatusCode, rows.Length(), rows.Text())
	}
	if got := rows.Eq(0).Text(); !strings.Contains(got, "해지됨") || !strings.Contains(got, "청구 없음") {
		t.Errorf("the deactivated agreement: %q", got)
	}
	if got := rows.Eq(1).Text(); !strings.Contains(got, "사용 중") || !strings.Contains(got, "5,000원") || !strings.Contains(got, "청구 완료") {
		t.Errorf("the charged agreement: %q", got)
	}
	for i, checkoutID := range []string{newer, older} {
		if href, _ := rows.Eq(i).Find("td a").First().Attr("href"); href != "/dashboard/checkouts/"+checkoutID {
			t.Errorf("row %d links to %q, want its checkout", i, href)
		}
	}
	if href, _ := rows.Eq(1).Find(`[data-testid=agreement-last-charge] a`).Attr("href"); href != "/dashboard/charges/"+ch.ID {
		t.Errorf("the last charge links to %q", href)
	}

	_, body = staff.Get("/dashboard/agreements?lang=en")
	if doc := handlerstest.Page(t, body); !strings.Contains(doc.Find("h1").Text(), "Recurring payments") ||
		!strings.Contains(doc.Find(`[data-testid=agreement-row]`).First().Text(), "Deactivated") {
		t.Errorf("in English: %q", doc.Find("main").Text())
	}
	staff.Get("/dashboard/agreements?lang=ko")
	_, body = staff.Get("/dashboard/agreements?status=inactive")
	if rows := handlerstest.Page(t, body).Find(`[data-testid=agreement-row]`); rows.Length() != 1 || rows.AttrOr("data-id", "") != ended {
		t.Errorf("inactive only: %d rows", rows.Length())
	}
	res, body = staff.Get("/dashboard/agreements?status=paused")
	handlerstest.CheckErrorPage(t, res, body, http.StatusBadRequest, "상태를 다시 골라")

	b := stranger(t, e)
	res, body = b.Get("/dashboard/agreements")
	if doc := handlerstest.Page(t, body); res.StatusCode != 200 || doc.Find(`[data-testid=agreement-row]`).Length() != 0 || doc.Find(`[data-testid=no-agreements]`).Length() != 1 {
		t.Errorf("another merchant's list: %d %q", res.StatusCode, handlerstest.TextOf(doc, "agreements"))
	}
	res, body = b.Get("/dashboard/agreements?starting_after=" + charged)
	handlerstest.CheckErrorPage(t, res, body, http.StatusBadRequest, "")
}

func TestDashboardAgreementsPages(t *testing.T) {
	e := handlerstest.New(t)
	owner := handlerstest.SignedInOwner(t, e)
	var want []string // newest first
	for range 51 {
		e.Clock.Add(time.Second)
		_, agr := e.Subscribe("1000")
		want = append([]string{agr}, want...)
	}
	_, body := owner.Get("/dashboard/agreements")
	doc := handlerstest.Page(t, body)
	next, ok := doc.Find(`[data-testid=next-page]`).Attr("href")
	if n := doc.Find(`[data-testid=agreement-row]`).Length(); n != 50 || !ok {
		t.Fatalf("first page: %d rows, next %q", n, next)
	}
	_, body = owner.Get(next)
	rows := handlerstest.Page(t, body).Find(`[data-testid=agreement-row]`)
	if rows.Length() != 1 || rows.AttrOr("data-id", "") != want[50] {
		t.Errorf("second page: %d rows", rows.Length())
	}
}

package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/links"
)

// newLinkForm opens the create form as b and returns a valid link's values with its token.
func newLinkForm(t *testing.T, b *handlerstest.Browser) url.Values {
	t.Helper()
	res, body := b.Get("/dashboard/links/new")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the create form: %d", res.StatusCode)
	}
	token := handlerstest.Page(t, body).Find(`[data-testid=link-form] input[name=token]`).AttrOr("value", "")
	if len(token) < 16 {
		t.Fatalf("the create form has no token: %q", token)
	}
	return url.Values{"token": {token}, "description": {"스콘 세트 예약금"}, "amount": {"15,000"}, "item_quantity": {"1"},
		"success_url": {b.Env.Shop.URL + "/thanks"}, "failure_url": {b.Env.Shop.URL + "/cart"}}
}

func TestDashboardLinkIsCreatedOnceListedAndCopied(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)

	_, body := b.Get("/dashboard/links")
	doc := handlerstest.Page(t, body)
	if doc.Find(`[data-testid=no-links]`).Length() != 1 || doc.Find(`[data-testid=new-link]`).AttrOr("href", "") != "/dashboard/links/new" {
		t.Fatalf("an empty list for an owner: %s", handlerstest.TextOf(doc, "no-links"))
	}

	form := newLinkForm(t, b)
	form.Del("reusable") // one-time
	form.Set("expires_on", e.Clock.Now().Add(48*time.Hour).In(time.FixedZone("KST", 9*3600)).Format(time.DateOnly))
	// A double click: the same form sent three times at once, and once more, makes one link.
	sendTimes(b, 3, "/dashboard/links", form)
	res, _ := handlerstest.Send(b, "/dashboard/links", form, nil)
	if n := e.CountRows("SELECT COUNT(*) FROM links"); n != 1 {
		t.Fatalf("%d links after four sends of one form, want 1", n)
	}
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/dashboard/links/lnk_") {
		t.Fatalf("a resent form: %d to %q", res.StatusCode, loc)
	}
	// The same token with other values is not a second link either.
	changed := url.Values{}
	for k, v := range form {
		changed[k] = v
	}
	changed.Set("amount", "16000")
	if res, body := handlerstest.Send(b, "/dashboard/links", changed, nil); res.StatusCode != http.StatusConflict ||
		!strings.Contains(handlerstest.TextOf(handlerstest.Page(t, body), "error-body"), "이미 보낸 양식이에요") {
		t.Errorf("the same token with another amount: %d", res.StatusCode)
	}

	_, body = b.Get(loc)
	doc = handlerstest.Page(t, body)
	linkID := handlerstest.TextOf(doc, "link-id")
	m := e.Merchant()
	l, err := e.Links.Link(t.Context(), m, linkID)
	if err != nil {
		t.Fatalf("the link %q: %v", linkID, err)
	}
	wantURL := e.URL + "/l/" + l.Slug
	input := doc.Find(`input[data-testid=link-url]`)
	if _, ro := input.Attr("readonly"); !ro || input.AttrOr("value", "") != wantURL {
		t.Errorf("the link's URL field: %q (readonly %v), want %q", input.AttrOr("value", ""), ro, wantURL)
	}
	if btn := doc.Find(`button[data-copy]`); btn.AttrOr("data-copy", "") != input.AttrOr("id", "") {
		t.Errorf("the copy button copies %q, the field is %q", btn.AttrOr("data-copy", ""), input.AttrOr("id", ""))
	}
	if doc.Find(`script[src^="/static/"]`).Length() != 1 || strings.Contains(body, "<script>") {
		t.Error("the link page does not load its script from /static/, or has an inline one")
	}
	for id, want := range map[string]string{"link-created": "만들었어요", "link-amount": "15,000원", "link-state": "사용 중",
		"link-uses": "한 번만 결제", "link-paid": "0건", "link-description": "스콘 세트 예약금", "no-link-checkouts": "아직"} {
		if got := handlerstest.TextOf(doc, id); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}

	// A shopper pays through the link: the one-time link is used up, with its checkout listed.
	shopper := e.Browser(handlerstest.UAIPhone)
	checkoutID := shopper.PayLink(wantURL)
	if res, _ := shopper.WalletAct(e.AttemptMobileURL(checkoutID), "approve"); !strings.HasPrefix(res.Request.URL.String(), e.Shop.URL) {
		t.Fatalf("paying through the link ended at %s", res.Request.URL)
	}
	_, body = b.Get("/dashboard/links/" + linkID)
	doc = handlerstest.Page(t, body)
	if handlerstest.TextOf(doc, "link-paid") != "1건" || handlerstest.TextOf(doc, "link-state") != "판매 완료" {
		t.Errorf("after a payment: paid %q, state %q", handlerstest.TextOf(doc, "link-paid"), handlerstest.TextOf(doc, "link-state"))
	}
	if rows := doc.Find(`[data-testid=link-checkouts] [data-testid=checkout-row]`); rows.Length() != 1 || rows.AttrOr("data-id", "") != checkoutID {
		t.Errorf("the link's checkouts: %d rows", rows.Length())
	}
	all := doc.Find(`[data-testid=link-all-checkouts]`).AttrOr("href", "")
	if _, body := b.Get(all); handlerstest.Page(t, body).Find(`[data-testid=checkout-row][data-id="`+checkoutID+`"]`).Length() != 1 {
		t.Errorf("the checkouts list at %q does not show the link's checkout", all)
	}

	_, body = b.Get("/dashboard/links")
	row := handlerstest.Page(t, body).Find(`[data-testid=link-row]`)
	if row.Length() != 1 || row.AttrOr("data-id", "") != linkID || row.Find(`input[data-testid=link-url]`).AttrOr("value", "") != wantURL {
		t.Fatalf("the list: %d rows", row.Length())
	}
	for id, want := range map[string]string{"link-amount": "15,000원", "link-paid": "1건", "link-state": "판매 완료", "link-uses": "한 번만 결제"} {
		if got := strings.Join(strings.Fields(row.Find(`[data-testid=`+id+`]`).Text()), " "); got != want {
			t.Errorf("list %s: %q, want %q", id, got, want)
		}
	}
}

func TestDashboardLinkFromAnItem(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)
	form := newLinkForm(t, b)
	form.Del("amount")
	form.Set("reusable", "1")
	form.Set("max_uses", "30")
	form.Set("item_name", "아메리카노")
	form.Set("item_quantity", "2")
	form.Set("item_price", "4,500")
	res, body := b.Post("/dashboard/links", form.Encode())
	doc := handlerstest.Page(t, body)
	if res.StatusCode != http.StatusOK || handlerstest.TextOf(doc, "link-amount") != "9,000원" ||
		handlerstest.TextOf(doc, "link-items") != "아메리카노 × 2" || handlerstest.TextOf(doc, "link-uses") != "여러 번 결제(최대 30회)" {
		t.Errorf("an item's link: %d amount %q items %q uses %q", res.StatusCode, handlerstest.TextOf(doc, "link-amount"),
			handlerstest.TextOf(doc, "link-items"), handlerstest.TextOf(doc, "link-uses"))
	}
}

func TestDashboardLinkFormRefusesBadInput(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)
	for _, c := range []struct {
		change map[string]string
		field  string
		says   string
	}{
		{map[string]string{"amount": "-5"}, "amount", "1원 이상의 정수"},
		{map[string]string{"amount": "abc"}, "amount", "1원 이상의 정수"},
		{map[string]string{"amount": "1.5"}, "amount", "1원 이상의 정수"},
		{map[string]string{"amount": ""}, "amount", "1원 이상의 정수"},
		{map[string]string{"amount": "50"}, "amount", "100원 이상"},
		{map[string]string{"amount": "3000000"}, "amount", "2,000,000원 이하"},
		{map[string]string{"item_name": "라떼", "item_quantity": "0", "item_price": "5000"}, "item_quantity", "1~10,000"},
		{map[string]string{"item_name": "라떼", "item_quantity": "1", "item_price": "오천"}, "item_price", "0원 이상"},
		{map[string]string{"item_name": "라떼", "item_quantity": "2", "item_price": "5000"}, "item_price", "금액과 달라요"},
		{map[string]string{"amount": "", "item_name": "", "item_price": "5000"}, "item_name", "1~200자"},
		{map[string]string{"description": strings.Repeat("가", 501)}, "description", "500자"},
		{map[string]string{"success_url": ""}, "success_url", "주소를 입력해"},
		{map[string]string{"failure_url": "ftp://shop.example/no"}, "failure_url", "https://"},
		{map[string]string{"max_uses": "-1"}, "max_uses", "0 이상의 정수"},
		{map[string]string{"max_uses": "two"}, "max_uses", "0 이상의 정수"},
		{map[string]string{"expires_on": "2020-01-01"}, "expires_on", "오늘부터 10년 뒤까지"},
		{map[string]string{"expires_on": "next week"}, "expires_on", "오늘부터 10년 뒤까지"},
		{map[string]string{"expires_on": "9999-12-31"}, "expires_on", "오늘부터 10년 뒤까지"},
	} {
		form := newLinkForm(t, b)
		for k, v := range c.change {
			form.Set(k, v)
		}
		doc := refusedField(t, b, "/dashboard/links", form, c.change, c.field, c.says)
		if doc == nil {
			continue
		}
		if doc.Find(`[data-testid=form-error]`).Length() != 1 {
			t.Errorf("%v: the form does not say once that it was refused", c.change)
		}
		// What was typed is kept, and the form can be sent again with its token.
		if got := doc.Find(`#description`).AttrOr("value", ""); got != form.Get("description") {
			t.Errorf("%v: the description came back as %q", c.change, got)
		}
		if v, ok := c.change[c.field]; ok && c.field != "description" && doc.Find(`#`+c.field).AttrOr("value", "") != v {
			t.Errorf("%v: %s came back as %q", c.change, c.field, doc.Find(`#`+c.field).AttrOr("value", ""))
		}
		if doc.Find(`input[name=token]`).AttrOr("value", "") != form.Get("token") {
			t.Errorf("%v: the token changed", c.change)
		}
	}
	if n := e.CountRows("SELECT COUNT(*) FROM links"); n != 0 {
		t.Errorf("%d links made from bad forms", n)
	}
	// A form refused once, corrected and sent again with its token, makes its link.
	form := newLinkForm(t, b)
	form.Set("amount", "abc")
	handlerstest.Send(b, "/dashboard/links", form, nil)
	form.Set("amount", "12000")
	if res, _ := handlerstest.Send(b, "/dashboard/links", form, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the corrected form: %d", res.StatusCode)
	}
	// Without its token the form does nothing.
	form = newLinkForm(t, b)
	form.Del("token")
	if res, _ := handlerstest.Send(b, "/dashboard/links", form, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("no token: %d", res.StatusCode)
	}
	if n := e.CountRows("SELECT COUNT(*) FROM links"); n != 1 {
		t.Errorf("%d links, want the corrected one", n)
	}
}

func TestDashboardLinkDeactivateIsConfirmedAndHarmlessTwice(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)
	res, body := b.Post("/dashboard/links", newLinkForm(t, b).Encode())
	doc := handlerstest.Page(t, body)
	linkID := handlerstest.TextOf(doc, "link-id")
	linkAddr := doc.Find(`input[data-testid=link-url]`).AttrOr("value", "")
	confirm := doc.Find(`[data-testid=deactivate]`).AttrOr("href", "")
	if res.StatusCode != http.StatusOK || confirm != "/dashboard/links/"+linkID+"/deactivate" {
		t.Fatalf("a new link's page: %d, deactivate at %q", res.StatusCode, confirm)
	}
	_, body = b.Get(confirm)
	doc = handlerstest.Page(t, body)
	if !strings.Contains(handlerstest.TextOf(doc, "deactivate-confirm"), "새 결제를 시작할 수 없어요") {
		t.Errorf("the confirmation says %q", handlerstest.TextOf(doc, "deactivate-confirm"))
	}
	action := doc.Find(`[data-testid=deactivate-confirm-button]`).Closest("form").AttrOr("action", "")
	// From another site, nothing happens.
	if res, _ := handlerstest.Send(b, action, url.Values{}, crossSite); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site deactivation: %d", res.StatusCode)
	}
	if n := e.CountRows("SELECT COUNT(*) FROM links WHERE active"); n != 1 {
		t.Fatal("a cross-site post deactivated the link")
	}
	for range 2 {
		if res, _ := handlerstest.Send(b, action, url.Values{}, nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/links/"+linkID {
			t.Errorf("deactivate: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
	}
	_, body = b.Get("/dashboard/links/" + linkID)
	doc = handlerstest.Page(t, body)
	if handlerstest.TextOf(doc, "link-state") != "사용 중지" || doc.Find(`[data-testid=deactivate]`).Length() != 0 {
		t.Errorf("after deactivating: %q", handlerstest.TextOf(doc, "link-state"))
	}
	if res, _ := b.Do(b.NoRedirect(), http.MethodGet, confirm, nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the confirmation of a stopped link: %d", res.StatusCode)
	}
	shopper := e.Browser(handlerstest.UAIPhone)
	if res, _ := shopper.Do(shopper.NoRedirect(), http.MethodGet, linkAddr, nil, nil); res.StatusCode != http.StatusGone {
		t.Errorf("the stopped link's URL: %d", res.StatusCode)
	}
}

func TestDashboardLinksStaffSeeOwnersManage(t *testing.T) {
	e := handlerstest.New(t)
	ctx := t.Context()
	m := e.Merchant()
	l, err := e.Links.Create(ctx, m, links.LinkParams{Amount: 5000, Description: "쿠키", SuccessURL: e.Shop.URL + "/ok", FailureURL: e.Shop.URL + "/no"})
	if err != nil {
		t.Fatal(err)
	}
	email, password := handlerstest.DashUserAs(t, e, "staff@cafe.example", accounts.RoleStaff)
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)

	res, body := b.Get("/dashboard/links")
	doc := handlerstest.Page(t, body)
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid=link-row]`).Length() != 1 || doc.Find(`[data-testid=new-link]`).Length() != 0 {
		t.Errorf("staff's list: %d, %d rows, a create button %d", res.StatusCode, doc.Find(`[data-testid=link-row]`).Length(), doc.Find(`[data-testid=new-link]`).Length())
	}
	res, body = b.Get("/dashboard/links/" + l.ID)
	if doc := handlerstest.Page(t, body); res.StatusCode != http.StatusOK || doc.Find(`[data-testid=deactivate]`).Length() != 0 {
		t.Errorf("staff's view of a link: %d, deactivate shown %d", res.StatusCode, doc.Find(`[data-testid=deactivate]`).Length())
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/dashboard/links/new"}, {"POST", "/dashboard/links"},
		{"GET", "/dashboard/links/" + l.ID + "/deactivate"}, {"POST", "/dashboard/links/" + l.ID + "/deactivate"},
	} {
		form := url.Values{"token": {"ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, "amount": {"5000"}, "success_url": {e.Shop.URL}, "failure_url": {e.Shop.URL}}
		res, body := b.Do(b.NoRedirect(), c.method, c.path, strings.NewReader(form.Encode()), nil)
		handlerstest.CheckErrorPage(t, res, body, http.StatusForbidden, "관리자")
	}
	if n := e.CountRows("SELECT COUNT(*) FROM links WHERE active"); n != 1 {
		t.Errorf("staff changed links: %d active", n)
	}

	// Another merchant's link is not found, and not listed.
	other := e.NewMerchant(accounts.MerchantParams{Name: "옆 가게"})
	theirs, err := e.Links.Create(ctx, other.Merchant, links.LinkParams{Amount: 7000, SuccessURL: e.Shop.URL + "/ok", FailureURL: e.Shop.URL + "/no"})
	if err != nil {
		t.Fatal(err)
	}
	ob := handlerstest.SignedInOwner(t, e)
	for _, c := range []struct{ method, path string }{
		{"GET", "/dashboard/links/" + theirs.ID}, {"GET", "/dashboard/links/" + theirs.ID + "/deactivate"},
		{"POST", "/dashboard/links/" + theirs.ID + "/deactivate"}, {"GET", "/dashboard/links/lnk_nope"},
	} {
		res, body := ob.Do(ob.NoRedirect(), c.method, c.path, strings.NewReader(""), nil)
		handlerstest.CheckErrorPage(t, res, body, http.StatusNotFound, "")
	}
	if _, body := ob.Get("/dashboard/links"); strings.Contains(body, theirs.ID) {
		t.Error("the list shows another merchant's link")
	}
	if got, _ := e.Links.Link(ctx, other.Merchant, theirs.ID); got == nil || !got.Active {
		t.Error("another merchant's link was deactivated")
	}

	// A create form from another site is refused before anything is made.
	form := newLinkForm(t, ob)
	if res, _ := handlerstest.Send(ob, "/dashboard/links", form, crossSite); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site create: %d", res.StatusCode)
	}
	if n := e.CountRows("SELECT COUNT(*) FROM links"); n != 2 {
		t.Errorf("%d links after a cross-site create, want 2", n)
	}
}

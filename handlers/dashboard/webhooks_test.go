package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// formOf reads the form around the element whose data-testid is testid: its action and the
// values its hidden and text inputs hold.
func formOf(t *testing.T, doc *goquery.Document, testid string) (string, url.Values) {
	t.Helper()
	form := doc.Find(`[data-testid="` + testid + `"]`).Closest("form")
	if form.Length() == 0 {
		form = doc.Find(`form[data-testid="` + testid + `"]`)
	}
	action, ok := form.Attr("action")
	if !ok {
		t.Fatalf("no form around %s", testid)
	}
	values := url.Values{}
	form.Find(`input[type=hidden], input[type=text], input[type=url]`).Each(func(_ int, s *goquery.Selection) {
		values.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	return action, values
}

// endpointCount counts the endpoints of e's merchant.
func endpointCount(t *testing.T, e *handlerstest.Env) int {
	t.Helper()
	return e.CountRows(`SELECT COUNT(*) FROM webhook_endpoints WHERE merchant_id = ?`, e.MerchantID)
}

// noRawMessageIDs fails when a page shows a message id instead of its text.
func noRawMessageIDs(t *testing.T, page, body string) {
	t.Helper()
	for _, id := range []string{"dash.webhooks.", "dash.error."} {
		if strings.Contains(body, id) {
			t.Errorf("%s shows a message id (%s…)", page, id)
		}
	}
}

func TestDashboardWebhookAddShowsTheSecretOnce(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)
	rc := handlerstest.NewReceiver(t)

	res, body := b.Get("/dashboard/webhooks")
	doc := handlerstest.Page(t, body)
	if res.StatusCode != 200 || doc.Find(`[data-testid=no-endpoints]`).Length() != 1 || doc.Find(`[data-testid=nav-webhooks][aria-current]`).Length() != 1 {
		t.Fatalf("the empty list: %d %s", res.StatusCode, body)
	}
	if _, ok := doc.Find(`[data-testid=event-all]`).Attr("checked"); !ok {
		t.Error(`"all events" is not ticked on a fresh form`)
	}
	noRawMessageIDs(t, "the list", body)
	action, values := formOf(t, doc, "endpoint-form")
	values.Set("url", rc.URL())
	values.Set("description", "주문 알림")
	values["events"] = []string{"checkout.paid", "refund.succeeded"}

	// A double click: the same form sent three times at once, then once more, adds one endpoint
	// and every answer shows the same secret.
	secrets := map[string]int{}
	for _, a := range sendTimes(b, 4, action, values) {
		doc := handlerstest.Page(t, a.body)
		if a.res.StatusCode != 200 || !strings.Contains(handlerstest.TextOf(doc, "secret-once"), "한 번만") {
			t.Errorf("adding: %d %s", a.res.StatusCode, a.body)
		}
		secrets[doc.Find(`[data-testid=secret]`).AttrOr("value", "")]++
	}
	if n := endpointCount(t, e); n != 1 {
		t.Fatalf("%d endpoints after a resent form, want 1", n)
	}
	var secret string
	for s := range secrets {
		secret = s
	}
	if len(secrets) != 1 || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the answers showed secrets %v", secrets)
	}

	// The list and the endpoint's page show the endpoint, never its secret.
	_, body = b.Get("/dashboard/webhooks")
	doc = handlerstest.Page(t, body)
	row := doc.Find(`[data-testid=endpoint-row]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), rc.URL()) || !strings.Contains(row.Text(), "주문 알림") ||
		handlerstest.TextOf(doc, "endpoint-state") != "사용 중" || handlerstest.TextOf(doc, "endpoint-events") != "결제 완료 checkout.paid, 환불 완료 refund.succeeded" {
		t.Errorf("the list: %q", row.Text())
	}
	if strings.Contains(body, secret) {
		t.Error("the list shows the secret")
	}
	href := doc.Find(`[data-testid=endpoint-link]`).AttrOr("href", "")
	res, body = b.Get(href)
	if res.StatusCode != 200 || strings.Contains(body, secret) || !strings.Contains(body, rc.URL()) {
		t.Errorf("the endpoint's page: %d, shows the secret: %v", res.StatusCode, strings.Contains(body, secret))
	}
	noRawMessageIDs(t, "the endpoint's page", body)

	// The secret shown is the one that signs: a paid checkout reaches the receiver, verified.
	rc.SetSecret(secret)
	e.PayByPhone(e.CreateCheckout("").ID)
	handlerstest.Deliver(t, e)
	if got := rc.Received(); len(got) != 1 || got[0].Type != "checkout.paid" {
		t.Errorf("the receiver got %+v, want one checkout.paid", got)
	}
}

func TestDashboardWebhookAddRefusesBadInputBesideTheField(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)
	_, body := b.Get("/dashboard/webhooks")
	action, values := formOf(t, handlerstest.Page(t, body), "endpoint-form")

	long := strings.Repeat("가", 501)
	for _, tc := range []struct {
		name, url, description string
		events                 []string
		field, message         string
	}{
		{"no url", "", "", []string{"*"}, "url", "엔드포인트 URL을 입력해 주세요."},
		{"not a url", "shop hooks", "", []string{"*"}, "url", "https://로 시작하는"},
		{"ftp", "ftp://shop.example/hooks", "", []string{"*"}, "url", "https://로 시작하는"},
		{"http off this computer", "http://shop.example/hooks", "", []string{"*"}, "url", "localhost"},
		{"credentials", "https://me:pw@shop.example/hooks", "", []string{"*"}, "url", "비밀번호"},
		{"too long", "https://shop.example/" + strings.Repeat("a", 2048), "", []string{"*"}, "url", "2,048자"},
		{"no events", "https://shop.example/hooks", "알림", nil, "events", "하나 이상 선택"},
		{"unknown event", "https://shop.example/hooks", "", []string{"checkout.bogus"}, "events", "알 수 없는 이벤트"},
		{"long description", "https://shop.example/hooks", long, []string{"*"}, "description", "500자"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := url.Values{"token": values["token"], "url": {tc.url}, "description": {tc.description}, "events": tc.events}
			res, body := handlerstest.Send(b, action, v)
			doc := handlerstest.Page(t, body)
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", res.StatusCode)
			}
			if got := handlerstest.TextOf(doc, tc.field+"-error"); !strings.Contains(got, tc.message) {
				t.Errorf("beside %s: %q, want %q", tc.field, got, tc.message)
			}
			input := doc.Find(`#endpoint-` + tc.field)
			if tc.field != "events" && (input.AttrOr("aria-invalid", "") != "true" || !strings.Contains(input.AttrOr("aria-describedby", ""), "endpoint-"+tc.field+"-error")) {
				t.Errorf("the %s field is not marked invalid", tc.field)
			}
			// What was typed is kept.
			if got := doc.Find(`#endpoint-url`).AttrOr("value", ""); got != strings.TrimSpace(tc.url) {
				t.Errorf("url kept as %q", got)
			}
			if got := doc.Find(`#endpoint-description`).AttrOr("value", ""); got != tc.description {
				t.Errorf("description kept as %q", got)
			}
			var ticked []string
			doc.Find(`input[name=events][checked]`).Each(func(_ int, s *goquery.Selection) { ticked = append(ticked, s.AttrOr("value", "")) })
			if strings.Join(ticked, ",") != strings.Join(tc.events, ",") && tc.name != "unknown event" {
				t.Errorf("ticked %v, sent %v", ticked, tc.events)
			}
			noRawMessageIDs(t, "the refused form", body)
		})
	}
	if n := endpointCount(t, e); n != 0 {
		t.Fatalf("%d endpoints added by bad input", n)
	}
	// The form's token was not used up: the same form, corrected, adds the endpoint.
	values.Set("url", "http://127.0.0.1:9/hooks")
	values["events"] = []string{"*"}
	if res, body := handlerstest.Send(b, action, values); res.StatusCode != 200 || !strings.HasPrefix(handlerstest.Page(t, body).Find(`[data-testid=secret]`).AttrOr("value", ""), "whsec_") {
		t.Fatalf("the corrected form: %d", res.StatusCode)
	}
	// Sent again with other values, the used form is refused rather than adding another.
	values.Set("url", "http://127.0.0.1:9/other")
	if res, _ := handlerstest.Send(b, action, values); res.StatusCode != http.StatusConflict {
		t.Errorf("a used form with other values: %d", res.StatusCode)
	}
	// Without a token nothing is added.
	if res, _ := handlerstest.Send(b, action, url.Values{"url": {"http://127.0.0.1:9/x"}, "events": {"*"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("no token: %d", res.StatusCode)
	}
	if n := endpointCount(t, e); n != 1 {
		t.Errorf("%d endpoints, want 1", n)
	}

	// A live merchant's endpoint must be https, even on this computer; in English too.
	live := e.NewMerchant(accounts.MerchantParams{Name: "Live Cafe", Livemode: true})
	lb := handlerstest.SignedInTo(t, e, live, "owner@live.example")
	_, body = lb.Get("/dashboard/webhooks?lang=en")
	action, values = formOf(t, handlerstest.Page(t, body), "endpoint-form")
	values.Set("url", "http://127.0.0.1:9/hooks")
	values["events"] = []string{"*"}
	res, body := handlerstest.Send(lb, action, values)
	if got := handlerstest.TextOf(handlerstest.Page(t, body), "url-error"); res.StatusCode != http.StatusBadRequest || !strings.Contains(got, "https://") {
		t.Errorf("a live merchant's http endpoint: %d %q", res.StatusCode, got)
	}
}

// endpointPage opens an endpoint's page and fails unless it answers 200.
func endpointPage(t *testing.T, b *handlerstest.Browser, id string) *goquery.Document {
	t.Helper()
	res, body := b.Get("/dashboard/webhooks/" + id)
	if res.StatusCode != 200 {
		t.Fatalf("the endpoint's page: %d", res.StatusCode)
	}
	noRawMessageIDs(t, "the endpoint's page", body)
	return handlerstest.Page(t, body)
}

func TestDashboardWebhookTestRedeliverRotateDisableDelete(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)
	rc := handlerstest.NewReceiver(t)
	ep := rc.Endpoint(e, "*")

	doc := endpointPage(t, b, ep.ID)
	if handlerstest.TextOf(doc, "endpoint-url") != ep.URL || handlerstest.TextOf(doc, "endpoint-state") != "사용 중" ||
		handlerstest.TextOf(doc, "endpoint-events") != "모든 이벤트" || doc.Find(`[data-testid=no-deliveries]`).Length() != 1 {
		t.Fatalf("the endpoint's page: %s", handlerstest.TextOf(doc, "endpoint-details"))
	}

	// A test event, sent twice from one page, reaches the receiver once.
	action, values := formOf(t, doc, "endpoint-test")
	for range 2 {
		if res, _ := handlerstest.Send(b, action, values); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/webhooks/"+ep.ID+"?done=test" {
			t.Fatalf("test event: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	}
	handlerstest.Deliver(t, e)
	if got := rc.Received(); len(got) != 1 || got[0].Type != "ping" {
		t.Fatalf("the receiver got %+v, want one ping", got)
	}
	_, body := b.Get("/dashboard/webhooks/" + ep.ID + "?done=test")
	doc = handlerstest.Page(t, body)
	row := doc.Find(`[data-testid=delivery-row]`)
	if row.Length() != 1 || !strings.Contains(handlerstest.TextOf(doc, "notice"), "테스트 이벤트") ||
		handlerstest.TextOf(doc, "delivery-status") != "전송 성공" || handlerstest.TextOf(doc, "delivery-code") != "204" ||
		handlerstest.TextOf(doc, "delivery-attempts") != "1" || !strings.HasSuffix(handlerstest.TextOf(doc, "delivery-latency"), "ms") ||
		handlerstest.TextOf(doc, "delivery-next") != "—" || !strings.Contains(row.Text(), "ping") ||
		handlerstest.TextOf(doc, "delivery-event") != rc.Received()[0].ID {
		t.Errorf("the delivery: %q (notice %q)", strings.Join(strings.Fields(row.Text()), " "), handlerstest.TextOf(doc, "notice"))
	}

	// Redeliver, sent twice: once more.
	action, values = formOf(t, doc, "delivery-redeliver")
	for range 2 {
		if res, _ := handlerstest.Send(b, action, values); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("redeliver: %d", res.StatusCode)
		}
	}
	handlerstest.Deliver(t, e)
	if got := rc.Received(); len(got) != 2 || got[1].ID != got[0].ID {
		t.Fatalf("after a redelivery the receiver got %+v, want the ping twice", got)
	}
	doc = endpointPage(t, b, ep.ID)
	if n := doc.Find(`[data-testid=delivery-row]`).Length(); n != 2 {
		t.Errorf("%d deliveries listed, want 2", n)
	}

	// A receiver that fails: the delivery waits for its next try, shown in Korea's time.
	rc.Then(handlerstest.AnswerStatus(500))
	action, values = formOf(t, doc, "delivery-redeliver")
	if res, _ := handlerstest.Send(b, action, values); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("redeliver: %d", res.StatusCode)
	}
	handlerstest.Deliver(t, e) // delivers what is due; the failed try's next one is not due yet
	doc = endpointPage(t, b, ep.ID)
	first := doc.Find(`[data-testid=delivery-row]`).First()
	next := strings.Join(strings.Fields(first.Find(`[data-testid=delivery-next]`).Text()), " ")
	if first.AttrOr("data-status", "") != "pending" || first.Find(`[data-testid=delivery-code]`).Text() != "500" || !strings.Contains(next, "년") ||
		!strings.Contains(first.Find(`[data-testid=delivery-status]`).Text(), "전송 대기") {
		t.Errorf("a failed try: %q", strings.Join(strings.Fields(first.Text()), " "))
	}

	// Rotate, sent twice: one rotation, both answers show the same new secret.
	doc = endpointPage(t, b, ep.ID)
	action, values = formOf(t, doc, "endpoint-rotate")
	var shown []string
	for range 2 {
		res, body := handlerstest.Send(b, action, values)
		doc := handlerstest.Page(t, body)
		if res.StatusCode != 200 || !strings.Contains(handlerstest.TextOf(doc, "secret-intro"), "24시간") ||
			!strings.Contains(handlerstest.TextOf(doc, "secret-once"), "한 번만") {
			t.Fatalf("rotate: %d %s", res.StatusCode, handlerstest.TextOf(doc, "secret-intro"))
		}
		shown = append(shown, doc.Find(`[data-testid=secret]`).AttrOr("value", ""))
		if got := doc.Find(`[data-testid=lang-switch]`).AttrOr("href", ""); got != "/dashboard/webhooks/"+ep.ID+"?lang=en" {
			t.Errorf("the secret page switches language to %q, not to a page", got)
		}
	}
	if shown[0] != shown[1] || shown[0] == ep.Secret || !strings.HasPrefix(shown[0], "whsec_") {
		t.Fatalf("secrets shown %v (old %s)", shown, ep.Secret)
	}
	doc = endpointPage(t, b, ep.ID)
	if handlerstest.TextOf(doc, "previous-secret-until") == "" {
		t.Error("the endpoint's page does not say the old secret still signs")
	}
	if strings.Contains(doc.Text(), shown[0]) {
		t.Error("the endpoint's page shows the new secret")
	}
	// The new secret verifies what is sent now.
	rc.SetSecret(shown[0])
	action2, values2 := formOf(t, doc, "endpoint-test")
	handlerstest.Send(b, action2, values2)
	handlerstest.Deliver(t, e)
	if got := rc.Received(); got[len(got)-1].Type != "ping" {
		t.Errorf("after rotation the receiver got %+v", got[len(got)-1])
	}
	// Rotated again since, the first rotation's form no longer shows any secret.
	action2, values2 = formOf(t, doc, "endpoint-rotate")
	handlerstest.Send(b, action2, values2)
	res, body := handlerstest.Send(b, action, values)
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "done=secret_gone") || strings.Contains(body, "whsec_") {
		t.Errorf("an old rotation resent: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	// Disable, then enable.
	action, values = formOf(t, doc, "endpoint-disable")
	if res, _ := handlerstest.Send(b, action, values); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	_, body = b.Get("/dashboard/webhooks/" + ep.ID + "?done=disabled")
	doc = handlerstest.Page(t, body)
	if handlerstest.TextOf(doc, "endpoint-state") != "사용 중지됨" || doc.Find(`[data-testid=endpoint-enable]`).Length() != 1 ||
		!strings.Contains(handlerstest.TextOf(doc, "notice"), "중지") {
		t.Errorf("after disabling: %q", handlerstest.TextOf(doc, "endpoint-state"))
	}
	var api handlerstest.EndpointObject
	if e.API("GET", "/v1/webhook_endpoints/"+ep.ID, "", &api); !api.Disabled {
		t.Error("the API does not see the endpoint disabled")
	}
	// An event while disabled waits, pending, for the endpoint to be enabled again.
	before := len(rc.Received())
	e.CreateCheckout("")
	handlerstest.Deliver(t, e)
	doc = endpointPage(t, b, ep.ID)
	first = doc.Find(`[data-testid=delivery-row]`).First()
	if first.AttrOr("data-status", "") != "pending" || !strings.Contains(first.Text(), "checkout.created") ||
		strings.TrimSpace(first.Find(`[data-testid=delivery-next]`).Text()) != "엔드포인트를 다시 사용하면" || len(rc.Received()) != before {
		t.Errorf("an event while disabled: %q, %d received", strings.Join(strings.Fields(first.Text()), " "), len(rc.Received())-before)
	}
	action, values = formOf(t, doc, "endpoint-enable")
	handlerstest.Send(b, action, values)
	if doc = endpointPage(t, b, ep.ID); handlerstest.TextOf(doc, "endpoint-state") != "사용 중" {
		t.Errorf("after enabling: %q", handlerstest.TextOf(doc, "endpoint-state"))
	}
	handlerstest.Deliver(t, e)
	if got := rc.Received(); len(got) != before+1 || got[before].Type != "checkout.created" {
		t.Errorf("after enabling the receiver got %d more, want the checkout.created that waited", len(got)-before)
	}

	// Delete asks first; the confirmation, sent twice, deletes once and leads to the list.
	res, body = b.Get("/dashboard/webhooks/" + ep.ID + "/delete")
	if res.StatusCode != 200 || endpointCount(t, e) != 1 {
		t.Fatalf("the delete question: %d", res.StatusCode)
	}
	action, values = formOf(t, handlerstest.Page(t, body), "endpoint-delete-button")
	for range 2 {
		if res, _ := handlerstest.Send(b, action, values); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/webhooks?done=deleted" {
			t.Fatalf("delete: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	}
	_, body = b.Get("/dashboard/webhooks?done=deleted")
	doc = handlerstest.Page(t, body)
	if endpointCount(t, e) != 0 || doc.Find(`[data-testid=no-endpoints]`).Length() != 1 || !strings.Contains(handlerstest.TextOf(doc, "notice"), "삭제") {
		t.Errorf("after deleting: %d endpoints", endpointCount(t, e))
	}
	if res, _ := b.Get("/dashboard/webhooks/" + ep.ID); res.StatusCode != http.StatusNotFound {
		t.Errorf("a deleted endpoint's page: %d", res.StatusCode)
	}
}

func TestDashboardWebhooksAreOwnersAndTheirMerchantsOnly(t *testing.T) {
	e := handlerstest.New(t)
	ctx := t.Context()
	rc := handlerstest.NewReceiver(t)
	ep := rc.Endpoint(e, "*")
	ping, err := e.Endpoints.Ping(ctx, e.Merchant(), ep.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	handlerstest.Deliver(t, e)
	token := url.Values{"token": {"abcdefghijklmnopqrstuvwxyz"}}
	pages := []string{"/dashboard/webhooks", "/dashboard/webhooks/" + ep.ID, "/dashboard/webhooks/" + ep.ID + "/delete"}
	forms := []string{"/dashboard/webhooks", "/dashboard/webhooks/" + ep.ID + "/enable", "/dashboard/webhooks/" + ep.ID + "/disable",
		"/dashboard/webhooks/" + ep.ID + "/test", "/dashboard/webhooks/" + ep.ID + "/rotate", "/dashboard/webhooks/" + ep.ID + "/delete",
		"/dashboard/webhooks/" + ep.ID + "/events/" + ping.ID + "/redeliver"}
	unchanged := func(who string) {
		t.Helper()
		var got handlerstest.EndpointObject
		e.API("GET", "/v1/webhook_endpoints/"+ep.ID, "", &got)
		if got.ID != ep.ID || got.Disabled || len(rc.Received()) != 1 ||
			e.CountRows(`SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?`, ep.ID) != 1 || endpointCount(t, e) != 1 {
			t.Errorf("%s changed the endpoint: %+v, %d received", who, got, len(rc.Received()))
		}
	}

	// Staff may not see the pages nor use the forms.
	email, password := handlerstest.DashUserAs(t, e, "staff@cafe.example", accounts.RoleStaff)
	staff := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(staff, email, password)
	for _, p := range pages {
		if res, body := staff.Get(p); res.StatusCode != http.StatusForbidden || !strings.Contains(handlerstest.TextOf(handlerstest.Page(t, body), "error-body"), "관리자") {
			t.Errorf("staff GET %s: %d", p, res.StatusCode)
		}
	}
	for _, p := range forms {
		if res, _ := handlerstest.Send(staff, p, url.Values{"token": token["token"], "url": {"http://127.0.0.1:9/x"}, "events": {"*"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("staff POST %s: %d", p, res.StatusCode)
		}
	}
	if _, body := staff.Get("/dashboard"); handlerstest.Page(t, body).Find(`[data-testid=nav-webhooks]`).Length() != 0 {
		t.Error("staff see webhooks in the menu")
	}
	unchanged("staff")

	// Another merchant's owner finds nothing of this merchant's.
	outsider, other := strangerOf(t, e)
	for _, p := range pages[1:] {
		if res, body := outsider.Get(p); res.StatusCode != http.StatusNotFound || strings.Contains(body, ep.URL) {
			t.Errorf("another merchant GET %s: %d", p, res.StatusCode)
		}
	}
	if _, body := outsider.Get("/dashboard/webhooks"); strings.Contains(body, ep.URL) {
		t.Error("another merchant's list shows the endpoint")
	}
	for _, p := range forms[1:] {
		if res, _ := handlerstest.Send(outsider, p, token); res.StatusCode != http.StatusNotFound {
			t.Errorf("another merchant POST %s: %d", p, res.StatusCode)
		}
	}
	// Its own endpoint with this merchant's event: not found either.
	theirs := handlerstest.NewReceiver(t)
	var their handlerstest.EndpointObject
	e.APIAs(other.APIKey, "POST", "/v1/webhook_endpoints", `{"url":"`+theirs.URL()+`"}`, &their, nil)
	if res, _ := handlerstest.Send(outsider, "/dashboard/webhooks/"+their.ID+"/events/"+ping.ID+"/redeliver", token); res.StatusCode != http.StatusNotFound {
		t.Errorf("another merchant redelivering this merchant's event: %d", res.StatusCode)
	}
	unchanged("another merchant")

	// The owner's forms sent from another site, or without their token, do nothing.
	owner := handlerstest.SignedInOwner(t, e)
	for _, p := range forms {
		if res, _ := handlerstest.Send(owner, p, token, crossSite); res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d", p, res.StatusCode)
		}
	}
	for _, p := range forms {
		if strings.HasSuffix(p, "able") {
			continue // enabling and disabling need no token: sent twice they leave the same state
		}
		if res, _ := handlerstest.Send(owner, p, url.Values{"url": {"http://127.0.0.1:9/x"}, "events": {"*"}}); res.StatusCode != http.StatusBadRequest {
			t.Errorf("POST %s without a token: %d", p, res.StatusCode)
		}
	}
	handlerstest.Deliver(t, e)
	unchanged("refused forms")
}

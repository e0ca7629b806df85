package dashboard_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// settingsForm is a valid settings form.
func settingsForm() url.Values {
	return url.Values{"name": {"새 이름 카페"}, "min_amount": {"1,000"}, "max_amount": {"50000"},
		"embed_origins": {"https://Shop.example\r\n\r\n  https://pay.shop.example  \r\n"}}
}

func TestDashboardSettingsSaveAndTheAPIObeys(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)

	res, body := b.Get("/dashboard/settings")
	doc := handlerstest.Page(t, body)
	if res.StatusCode != http.StatusOK || doc.Find(`#name`).AttrOr("value", "") != "테스트 카페" ||
		doc.Find(`#min_amount`).AttrOr("value", "") != "100" || doc.Find(`#max_amount`).AttrOr("value", "") != "2,000,000" ||
		doc.Find(`[data-testid=settings-saved]`).Length() != 0 {
		t.Fatalf("the settings page: %d name %q", res.StatusCode, doc.Find(`#name`).AttrOr("value", ""))
	}

	res, _ = handlerstest.Send(b, "/dashboard/settings", settingsForm(), nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/settings?saved=1" {
		t.Fatalf("save: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = b.Get(res.Header.Get("Location"))
	doc = handlerstest.Page(t, body)
	if !strings.Contains(handlerstest.TextOf(doc, "settings-saved"), "저장했어요") || handlerstest.TextOf(doc, "dash-merchant") != "새 이름 카페" ||
		doc.Find(`#min_amount`).AttrOr("value", "") != "1,000" || doc.Find(`#max_amount`).AttrOr("value", "") != "50,000" ||
		doc.Find(`#embed_origins`).Text() != "https://pay.shop.example\nhttps://shop.example" {
		t.Errorf("after saving: %q, merchant %q, min %q max %q origins %q", handlerstest.TextOf(doc, "settings-saved"), handlerstest.TextOf(doc, "dash-merchant"),
			doc.Find(`#min_amount`).AttrOr("value", ""), doc.Find(`#max_amount`).AttrOr("value", ""), doc.Find(`#embed_origins`).Text())
	}
	// Sending the same form again is harmless.
	if res, _ := handlerstest.Send(b, "/dashboard/settings", settingsForm(), nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the same form again: %d", res.StatusCode)
	}

	// The API sees the new name, origins and limits at once.
	var mer struct {
		Name         string   `json:"name"`
		EmbedOrigins []string `json:"embed_origins"`
	}
	e.API("GET", "/v1/merchant", "", &mer)
	if mer.Name != "새 이름 카페" || !slices.Equal(mer.EmbedOrigins, []string{"https://pay.shop.example", "https://shop.example"}) {
		t.Errorf("the API's merchant: %+v", mer)
	}
	for amount, code := range map[int]string{50001: "amount_too_large", 999: "amount_too_small"} {
		res, data := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts", e.ValidCheckoutBody(map[string]any{"amount": amount, "items": nil}), nil)
		if got := handlerstest.CheckAPIError(t, res, data, handlerstest.StatusesInvalid, "invalid_request_error", "amount"); got.Error.Code != code {
			t.Errorf("a checkout of %d won: %s, want %s", amount, got.Error.Code, code)
		}
	}
	if c := e.AmountCheckout("50000"); c.Amount != 50000 {
		t.Errorf("a checkout at the new maximum: %+v", c)
	}
}

func TestDashboardSettingsRefusesBadInput(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)
	many := strings.Repeat("https://a.example\n", 5) + "https://b.example\nhttps://c.example\nhttps://d.example\nhttps://e.example\nhttps://f.example\nhttps://g.example"
	for _, c := range []struct {
		change map[string]string
		field  string
		says   string
	}{
		{map[string]string{"name": "  "}, "name", "1~100자"},
		{map[string]string{"name": strings.Repeat("가", 101)}, "name", "1~100자"},
		{map[string]string{"min_amount": "abc"}, "min_amount", "1원 이상"},
		{map[string]string{"min_amount": "-5"}, "min_amount", "1원 이상"},
		{map[string]string{"min_amount": "0"}, "min_amount", "1원 이상"},
		{map[string]string{"min_amount": "1.5"}, "min_amount", "1원 이상"},
		{map[string]string{"max_amount": ""}, "max_amount", "최소 금액 이상"},
		{map[string]string{"max_amount": "만원"}, "max_amount", "최소 금액 이상"},
		{map[string]string{"min_amount": "5000", "max_amount": "4999"}, "max_amount", "최소 금액 이상"},
		{map[string]string{"max_amount": "1000000001"}, "max_amount", "1,000,000,000원 이하"},
		{map[string]string{"embed_origins": "https://shop.example\nhttp://evil.example"}, "embed_origins", "‘http://evil.example’"},
		{map[string]string{"embed_origins": "https://shop.example/checkout"}, "embed_origins", "경로 없이"},
		{map[string]string{"embed_origins": many}, "embed_origins", "10개까지"},
	} {
		form := settingsForm()
		for k, v := range c.change {
			form.Set(k, v)
		}
		doc := refusedField(t, b, "/dashboard/settings", form, c.change, c.field, c.says)
		if doc == nil {
			continue
		}
		if got := doc.Find(`#max_amount`).AttrOr("value", ""); got != strings.TrimSpace(form.Get("max_amount")) {
			t.Errorf("%v: the maximum came back as %q", c.change, got)
		}
	}
	m, err := e.Merchants.Merchant(t.Context(), e.MerchantID)
	if err != nil || m.Name != "테스트 카페" || m.MinAmount != accounts.DefaultMinAmount || m.MaxAmount != accounts.DefaultMaxAmount || len(m.EmbedOrigins) != 0 {
		t.Errorf("refused forms changed the merchant: %+v %v", m, err)
	}
}

func TestDashboardSettingsAreForOwnersOnly(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUserAs(t, e, "staff@cafe.example", accounts.RoleStaff)
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)
	if _, body := b.Get("/dashboard"); handlerstest.Page(t, body).Find(`[data-testid=nav-settings]`).Length() != 0 {
		t.Error("staff's menu lists settings")
	}
	res, body := b.Get("/dashboard/settings")
	handlerstest.CheckErrorPage(t, res, body, http.StatusForbidden, "관리자")
	res, body = handlerstest.Send(b, "/dashboard/settings", settingsForm(), nil)
	handlerstest.CheckErrorPage(t, res, body, http.StatusForbidden, "관리자")

	ob := handlerstest.SignedInOwner(t, e)
	if res, _ := handlerstest.Send(ob, "/dashboard/settings", settingsForm(), crossSite); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site save: %d", res.StatusCode)
	}
	if m, _ := e.Merchants.Merchant(t.Context(), e.MerchantID); m.Name != "테스트 카페" || m.MaxAmount != accounts.DefaultMaxAmount {
		t.Errorf("a refused save changed the merchant: %+v", m)
	}
	// Signed out, the page sends the browser to sign in.
	anon := e.Browser(handlerstest.UADesktop)
	if res, _ := anon.Do(anon.NoRedirect(), http.MethodGet, "/dashboard/settings", nil, nil); res.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(res.Header.Get("Location"), "/dashboard/login") {
		t.Errorf("signed out: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

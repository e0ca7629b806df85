package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// crossSite are the headers a browser sends with a form posted from another site.
var crossSite = map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}

// stranger signs in a user of another merchant, who must find none of e's merchant's things.
func stranger(t *testing.T, e *handlerstest.Env) *handlerstest.Browser {
	t.Helper()
	b, _ := strangerOf(t, e)
	return b
}

// strangerOf is stranger, with the other merchant.
func strangerOf(t *testing.T, e *handlerstest.Env) (*handlerstest.Browser, *accounts.CreatedMerchant) {
	t.Helper()
	ctx := context.Background()
	other, err := e.Merchants.Create(ctx, accounts.MerchantParams{Name: "다른 상점"})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := e.Users.Create(ctx, accounts.UserParams{MerchantID: other.Merchant.ID, Email: "owner@other.example"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, cu.User.Email, cu.Password)
	return b, other
}

// sendDashForm posts values to path as b without following the redirect.
func sendDashForm(b *handlerstest.Browser, path string, values url.Values, hdr map[string]string) (*http.Response, string) {
	return b.Do(b.NoRedirect(), http.MethodPost, path, strings.NewReader(values.Encode()), hdr)
}

// refusedField posts form to path and wants it refused for field, as what changed it says: a
// 400 page with says beside the field, and the field marked invalid. It answers the page, or nil
// when the form was not refused.
func refusedField(t *testing.T, b *handlerstest.Browser, path string, form url.Values, what any, field, says string) *goquery.Document {
	t.Helper()
	res, body := sendDashForm(b, path, form, nil)
	doc := handlerstest.Page(t, body)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("%v: %d, want 400", what, res.StatusCode)
		return nil
	}
	if got := handlerstest.TextOf(doc, "error-"+field); !strings.Contains(got, says) {
		t.Errorf("%v: beside %s %q, want %q", what, field, got, says)
	}
	if doc.Find(`#`+field).AttrOr("aria-invalid", "") != "true" {
		t.Errorf("%v: the field %s is not marked refused", what, field)
	}
	return doc
}

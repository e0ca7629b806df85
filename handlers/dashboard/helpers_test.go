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
	other := e.OtherMerchant()
	return handlerstest.SignedInTo(t, e, other, "owner@other.example"), other
}

// refusedField posts form to path and wants it refused for field, as what changed it says: a
// 400 page with says beside the field, and the field marked invalid. It answers the page, or nil
// when the form was not refused.
func refusedField(t *testing.T, b *handlerstest.Browser, path string, form url.Values, what any, field, says string) *goquery.Document {
	t.Helper()
	res, body := handlerstest.Send(b, path, form, nil)
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

// form is the form around the element whose data-testid is id: its action and its fields.
func form(t *testing.T, html, id string) (string, url.Values) {
	t.Helper()
	f := handlerstest.Page(t, html).Find(`[data-testid="` + id + `"]`).Closest("form")
	action, ok := f.Attr("action")
	if !ok {
		t.Fatalf("no form around %s: %.500s", id, html)
	}
	values := url.Values{}
	f.Find("input").Each(func(_ int, s *goquery.Selection) { values.Set(s.AttrOr("name", ""), s.AttrOr("value", "")) })
	return action, values
}

// sent is the answer to one send of a form: the response and its page.
type sent struct {
	res  *http.Response
	body string
}

// sendTimes sends the same form n times at once, as a double (or triple) click does, and
// returns the answers.
func sendTimes(b *handlerstest.Browser, n int, action string, values url.Values) []sent {
	answers := make([]sent, n)
	handlerstest.AtOnce(n, func(i int) {
		res, body := handlerstest.Send(b, action, values, nil)
		answers[i] = sent{res, body}
	})
	return answers
}

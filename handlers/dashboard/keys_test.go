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

// keysPage reads /dashboard/keys: its rows by key id, and the create form's values.
func keysPage(t *testing.T, b *handlerstest.Browser) (map[string]*goquery.Selection, url.Values) {
	t.Helper()
	res, body := b.Get("/dashboard/keys")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("keys page: %d", res.StatusCode)
	}
	doc := handlerstest.Page(t, body)
	rows := map[string]*goquery.Selection{}
	doc.Find(`[data-testid=key-row]`).Each(func(_ int, s *goquery.Selection) { rows[s.AttrOr("data-id", "")] = s })
	form := url.Values{}
	doc.Find(`[data-testid=key-create-form] input`).Each(func(_ int, s *goquery.Selection) { form.Set(s.AttrOr("name", ""), s.AttrOr("value", "")) })
	return rows, form
}

func cell(row *goquery.Selection, testid string) string {
	return strings.TrimSpace(row.Find(`[data-testid=` + testid + `]`).Text())
}

const formType = "application/x-www-form-urlencoded"

func TestDashboardKeysCreateUseAndRevoke(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)

	rows, form := keysPage(t, b)
	if len(rows) != 1 {
		t.Fatalf("%d keys listed, want the merchant's first", len(rows))
	}
	var firstID string
	for id, row := range rows {
		firstID = id
		if got, want := cell(row, "key-masked"), "sk_test_…"+e.Key[len(e.Key)-4:]; got != want {
			t.Errorf("first key shown as %q, want %q", got, want)
		}
		if got := cell(row, "key-last-used"); got != "사용한 적 없음" {
			t.Errorf("an unused key's last use: %q", got)
		}
	}

	// Created: the whole key is in the POST's own answer, once, never cached or redirected to.
	form.Set("label", "주문 서버")
	res, body := handlerstest.Send(b, "/dashboard/keys", form)
	doc := handlerstest.Page(t, body)
	secret := doc.Find(`[data-testid=new-key]`).AttrOr("value", "")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(secret, "sk_test_") || res.Header.Get("Location") != "" {
		t.Fatalf("create: %d, key %q, Location %q", res.StatusCode, secret, res.Header.Get("Location"))
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the page with the key: Cache-Control %q", cc)
	}
	if !strings.Contains(handlerstest.TextOf(doc, "key-once"), "한 번만") {
		t.Errorf("no note that the key is shown once: %q", handlerstest.TextOf(doc, "key-once"))
	}

	// The new key works at once, and the list then says when it was used.
	var list struct{ Data []any }
	if res := e.APIAs(secret, "GET", "/v1/checkouts", "", &list, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the API with the new key: %d", res.StatusCode)
	}
	rows, _ = keysPage(t, b)
	if len(rows) != 2 {
		t.Fatalf("%d keys listed after creating one", len(rows))
	}
	var newID string
	for id := range rows {
		if id != firstID {
			newID = id
		}
	}
	row := rows[newID]
	if cell(row, "key-label") != "주문 서버" || cell(row, "key-masked") != "sk_test_…"+secret[len(secret)-4:] ||
		cell(row, "key-status") != "사용 중" {
		t.Errorf("the new key's row: %q", row.Text())
	}
	if got := cell(row, "key-last-used"); got == "" || got == "사용한 적 없음" {
		t.Errorf("the new key's last use after a call: %q", got)
	}
	if _, body := b.Get("/dashboard/keys"); strings.Contains(body, secret) || strings.Contains(body, secret[:20]) {
		t.Error("the keys page shows the whole key again")
	}

	// Revoking asks first; with another key active it does not warn.
	revoke := "/dashboard/keys/" + newID + "/revoke"
	res, body = b.Get(revoke)
	doc = handlerstest.Page(t, body)
	if res.StatusCode != http.StatusOK || !strings.Contains(handlerstest.TextOf(doc, "revoke-confirm"), row.Find(`[data-testid=key-masked]`).Text()) ||
		doc.Find(`[data-testid=revoke-last-warning]`).Length() != 0 {
		t.Fatalf("revoke confirmation: %d %q", res.StatusCode, handlerstest.TextOf(doc, "revoke-confirm"))
	}
	if res := e.APIAs(secret, "GET", "/v1/checkouts", "", nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the confirmation step revoked the key: %d", res.StatusCode)
	}
	for range 2 { // revoking twice is harmless
		res, _ = b.Do(b.NoRedirect(), "POST", revoke, strings.NewReader(""), map[string]string{"Content-Type": formType})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/keys" {
			t.Errorf("revoke: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
	}
	if res := e.APIAs(secret, "GET", "/v1/checkouts", "", nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the API with a revoked key: %d", res.StatusCode)
	}
	if res := e.API("GET", "/v1/checkouts", "", nil); res.StatusCode != http.StatusOK {
		t.Errorf("the other key after one was revoked: %d", res.StatusCode)
	}
	rows, _ = keysPage(t, b)
	if got := cell(rows[newID], "key-status"); !strings.HasPrefix(got, "폐기됨") || rows[newID].Find(`[data-testid=key-revoke]`).Length() != 0 {
		t.Errorf("a revoked key's row: %q", got)
	}
	if _, body := b.Get(revoke); handlerstest.Page(t, body).Find(`[data-testid=key-already-revoked]`).Length() != 1 {
		t.Error("a revoked key's confirmation page does not say it is revoked")
	}

	// The last active key may be revoked, after a warning; then the API refuses the merchant.
	revoke = "/dashboard/keys/" + firstID + "/revoke"
	_, body = b.Get(revoke)
	if w := handlerstest.TextOf(handlerstest.Page(t, body), "revoke-last-warning"); !strings.Contains(w, "마지막") {
		t.Errorf("no warning before revoking the last key: %q", w)
	}
	if res, _ := b.Post(revoke, ""); res.StatusCode != http.StatusOK {
		t.Errorf("revoking the last key: %d", res.StatusCode)
	}
	if res := e.API("GET", "/v1/checkouts", "", nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the API after the last key was revoked: %d", res.StatusCode)
	}
}

func TestDashboardKeyFormResentMakesOneKey(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)
	_, form := keysPage(t, b)
	form.Set("label", "배치 작업")

	var secrets, already int
	count := func(res *http.Response, body string) {
		doc := handlerstest.Page(t, body)
		switch {
		case res.StatusCode != http.StatusOK:
			t.Errorf("a resent form: %d", res.StatusCode)
		case doc.Find(`[data-testid=new-key]`).Length() == 1:
			secrets++
		case strings.Contains(handlerstest.TextOf(doc, "key-already-created"), "이미"):
			already++
		}
	}
	for _, a := range sendTimes(b, 3, "/dashboard/keys", form) { // a double click, and one more
		count(a.res, a.body)
	}
	count(handlerstest.Send(b, "/dashboard/keys", form)) // and the page sent again later
	if secrets != 1 || already != 3 {
		t.Errorf("%d answers showed a key and %d said it was made; want 1 and 3", secrets, already)
	}
	if n := e.CountRows("SELECT COUNT(*) FROM api_keys WHERE merchant_id = ?", e.MerchantID); n != 2 {
		t.Errorf("%d keys after one form sent four times, want 2", n)
	}
}

func TestDashboardKeysRefused(t *testing.T) {
	e := handlerstest.New(t)
	staffEmail, staffPW := handlerstest.DashUserAs(t, e, "staff@cafe.example", accounts.RoleStaff)
	other := e.OtherMerchant()
	keys, err := e.Merchants.APIKeys(t.Context(), other.Merchant)
	if err != nil || len(keys) != 1 {
		t.Fatal(keys, err)
	}
	theirs := keys[0].ID

	owner := handlerstest.SignedInOwner(t, e)
	rows, form := keysPage(t, owner)
	var mine string
	for id := range rows {
		mine = id
	}
	hdr := map[string]string{"Content-Type": formType}
	countKeys := func() int { return e.CountRows("SELECT COUNT(*) FROM api_keys WHERE merchant_id = ?", e.MerchantID) }

	t.Run("staff", func(t *testing.T) {
		staff := e.Browser(handlerstest.UADesktop)
		handlerstest.SignIn(staff, staffEmail, staffPW)
		for _, req := range []struct{ method, path, body string }{
			{"GET", "/dashboard/keys", ""},
			{"POST", "/dashboard/keys", form.Encode()},
			{"GET", "/dashboard/keys/" + mine + "/revoke", ""},
			{"POST", "/dashboard/keys/" + mine + "/revoke", ""},
		} {
			res, body := staff.Do(staff.NoRedirect(), req.method, req.path, strings.NewReader(req.body), hdr)
			handlerstest.CheckErrorPage(t, res, body, http.StatusForbidden, "관리자")
		}
		_, body := staff.Get("/dashboard")
		if handlerstest.Page(t, body).Find(`[data-testid=nav-keys]`).Length() != 0 {
			t.Error("the menu shows staff the keys page")
		}
	})
	t.Run("another merchant's key", func(t *testing.T) {
		for _, method := range []string{"GET", "POST"} {
			res, body := owner.Do(owner.NoRedirect(), method, "/dashboard/keys/"+theirs+"/revoke", strings.NewReader(""), hdr)
			handlerstest.CheckErrorPage(t, res, body, http.StatusNotFound, "")
		}
		if strings.Contains(func() string { _, b := owner.Get("/dashboard/keys"); return b }(), theirs) {
			t.Error("the keys page lists another merchant's key")
		}
		if res := e.APIAs(other.APIKey, "GET", "/v1/checkouts", "", nil, nil); res.StatusCode != http.StatusOK {
			t.Errorf("their key after our tries: %d", res.StatusCode)
		}
	})
	t.Run("cross-site", func(t *testing.T) {
		cross := map[string]string{"Content-Type": formType, "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
		before := countKeys()
		for _, path := range []string{"/dashboard/keys", "/dashboard/keys/" + mine + "/revoke"} {
			if res, _ := owner.Do(owner.NoRedirect(), "POST", path, strings.NewReader(form.Encode()), cross); res.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site POST %s: %d", path, res.StatusCode)
			}
		}
		if n := countKeys(); n != before {
			t.Errorf("a cross-site form made a key: %d keys, were %d", n, before)
		}
		if res := e.API("GET", "/v1/checkouts", "", nil); res.StatusCode != http.StatusOK {
			t.Errorf("a cross-site form revoked the key: %d", res.StatusCode)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		before := countKeys()
		long := url.Values{"label": {strings.Repeat("가", 61)}, "token": {form.Get("token")}}
		res, body := owner.Do(owner.NoRedirect(), "POST", "/dashboard/keys", strings.NewReader(long.Encode()), hdr)
		handlerstest.CheckErrorPage(t, res, body, http.StatusBadRequest, "60자")
		noToken := url.Values{"label": {"토큰 없음"}}
		res, body = owner.Do(owner.NoRedirect(), "POST", "/dashboard/keys", strings.NewReader(noToken.Encode()), hdr)
		handlerstest.CheckErrorPage(t, res, body, http.StatusBadRequest, "")
		if n := countKeys(); n != before {
			t.Errorf("refused forms made keys: %d keys, were %d", n, before)
		}
		res, body = owner.Get("/dashboard/keys/key_nope/revoke")
		handlerstest.CheckErrorPage(t, res, body, http.StatusNotFound, "")
	})
}

func TestDashboardKeysInEnglish(t *testing.T) {
	e := handlerstest.New(t)
	email, pw := handlerstest.DashUser(t, e, "owner@cafe.example")
	b := e.Browser(handlerstest.UADesktop)
	b.Header.Set("Accept-Language", "en")
	handlerstest.SignIn(b, email, pw)
	_, body := b.Get("/dashboard/keys")
	doc := handlerstest.Page(t, body)
	if h := strings.TrimSpace(doc.Find("h1").Text()); h != "API keys" {
		t.Errorf("heading %q", h)
	}
	if got := strings.TrimSpace(doc.Find(`[data-testid=key-last-used]`).Text()); got != "Never" {
		t.Errorf("last used %q", got)
	}
}

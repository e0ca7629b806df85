package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// accountPost sends the password form without following the redirect.
func accountPost(b *handlerstest.Browser, current, next, again string, hdr map[string]string) (*http.Response, string) {
	form := url.Values{"current_password": {current}, "new_password": {next}, "new_password_again": {again}}
	return handlerstest.Send(b, "/dashboard/account/password", form, hdr)
}

// dashSignedIn tells whether b's session still opens the dashboard.
func dashSignedIn(b *handlerstest.Browser) bool {
	res, _ := b.Do(b.NoRedirect(), http.MethodGet, "/dashboard", nil, nil)
	return res.StatusCode == http.StatusOK
}

func TestDashboardAccountShowsTheUser(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUserAs(t, e, "staff@cafe.example", accounts.RoleStaff)
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)
	res, body := b.Get("/dashboard/account")
	doc := handlerstest.Page(t, body)
	if res.StatusCode != http.StatusOK || handlerstest.TextOf(doc, "account-email") != email || handlerstest.TextOf(doc, "account-role") != "직원" {
		t.Fatalf("account page: %d %q %q", res.StatusCode, handlerstest.TextOf(doc, "account-email"), handlerstest.TextOf(doc, "account-role"))
	}
	if href, _ := doc.Find(`[data-testid=dash-user]`).Attr("href"); href != "/dashboard/account" || doc.Find(`[data-testid=dash-user][aria-current]`).Length() != 1 {
		t.Errorf("the menu's e-mail links to %q and is not marked current", href)
	}
	for _, name := range []string{"current_password", "new_password", "new_password_again"} {
		if doc.Find(`[data-testid=password-form] input[type=password][name=`+name+`]`).Length() != 1 {
			t.Errorf("no %s field", name)
		}
	}
	if min, _ := doc.Find(`input[name=new_password]`).Attr("minlength"); min != "12" {
		t.Errorf("new password minlength %q", min)
	}
	if doc.Find(`[data-testid=nav-users]`).Length() != 0 {
		t.Error("staff see the users page in the menu")
	}
	if !strings.Contains(handlerstest.TextOf(doc, "password-form"), "12자 이상") {
		t.Errorf("the form does not say how long: %q", handlerstest.TextOf(doc, "password-form"))
	}
}

func TestDashboardPasswordChangeSignsOutEverywhereElse(t *testing.T) {
	e := handlerstest.New(t)
	email, old := handlerstest.DashUser(t, e, "owner@cafe.example")
	other := e.Browser(handlerstest.UADesktop) // another browser, signed in a millisecond before the change
	handlerstest.SignIn(other, email, old)
	e.Clock.Add(time.Millisecond)
	here := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(here, email, old)
	const next = "a much longer secret 42"

	for _, c := range []struct {
		name, current, next, again, field, text string
	}{
		{"mismatch", old, next, next + "!", "new_password_again", "달라요"},
		{"too short", old, "short pw", "short pw", "new_password", "12자 이상"},
		{"wrong current", old + "x", next, next, "current_password", "맞지 않아요"},
		{"empty current", "", next, next, "current_password", "맞지 않아요"},
	} {
		res, body := accountPost(here, c.current, c.next, c.again, nil)
		doc := handlerstest.Page(t, body)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(handlerstest.TextOf(doc, c.field+"-error"), c.text) {
			t.Errorf("%s: %d, beside %s: %q", c.name, res.StatusCode, c.field, handlerstest.TextOf(doc, c.field+"-error"))
		}
		if n := doc.Find(`.dash-field-error`).Length(); n != 1 {
			t.Errorf("%s: %d messages, want 1 beside its field", c.name, n)
		}
		if v, _ := doc.Find(`input[name=` + c.field + `]`).Attr("aria-invalid"); v != "true" {
			t.Errorf("%s: the field is not marked invalid", c.name)
		}
		if href, _ := doc.Find(`[data-testid=lang-switch]`).Attr("href"); href != "/dashboard/account?lang=en" {
			t.Errorf("%s: the language switch leads to %q", c.name, href)
		}
	}
	if !dashSignedIn(here) || !dashSignedIn(other) {
		t.Fatal("a refused change signed someone out")
	}

	// From another site, nothing changes.
	if res, _ := accountPost(here, old, next, next, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site change: %d", res.StatusCode)
	}
	if res, _ := handlerstest.SignIn(e.Browser(handlerstest.UADesktop), email, old); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the cross-site change took effect: sign-in with the old password %d", res.StatusCode)
	}

	// The change happens in the millisecond this browser's new session begins (the clock stands).
	res, _ := accountPost(here, old, next, next, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/account?changed=1" {
		t.Fatalf("change: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := here.Get(res.Header.Get("Location"))
	if res.Request.URL.Path != "/dashboard/account" || !strings.Contains(handlerstest.TextOf(handlerstest.Page(t, body), "password-changed"), "로그아웃") {
		t.Fatalf("this browser after the change: %s %q", res.Request.URL.Path, handlerstest.TextOf(handlerstest.Page(t, body), "password-changed"))
	}
	if dashSignedIn(other) {
		t.Error("the other browser, signed in a millisecond before the change, is still signed in")
	}
	if res, _ := handlerstest.SignIn(e.Browser(handlerstest.UADesktop), email, old); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password still signs in: %d", res.StatusCode)
	}
	again := e.Browser(handlerstest.UADesktop)
	if res, _ := handlerstest.SignIn(again, email, next); res.StatusCode != http.StatusSeeOther || !dashSignedIn(again) {
		t.Errorf("the new password does not sign in: %d", res.StatusCode)
	}
	e.Clock.Add(time.Second)
	if !dashSignedIn(here) {
		t.Error("this browser was signed out after the change")
	}
	// The form sent again finds its current password wrong: nothing changes twice.
	if res, _ := accountPost(here, old, next, next, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("the form resent: %d", res.StatusCode)
	}
	if !dashSignedIn(here) || !dashSignedIn(again) {
		t.Error("the resent form signed someone out")
	}
}

// TestDashboardPasswordChangeEndsCopiesOfThisSession copies this browser's cookie, then changes
// the password here, in the very millisecond the session began (the clock stands): this browser
// stays signed in, the copy is signed out and can no longer create an API key.
func TestDashboardPasswordChangeEndsCopiesOfThisSession(t *testing.T) {
	e := handlerstest.New(t)
	email, old := handlerstest.DashUser(t, e, "owner@cafe.example")
	here := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(here, email, old)
	_, form := keysPage(t, here)
	copied := here.Copy()
	const next = "a much longer secret 42"
	if res, _ := accountPost(here, old, next, next, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", res.StatusCode)
	}
	if !dashSignedIn(here) {
		t.Fatal("this browser was signed out by its own change")
	}
	if dashSignedIn(copied) {
		t.Error("a copy of this browser's cookie is still signed in after the change")
	}
	res, _ := handlerstest.Send(copied, "/dashboard/keys", form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/login" {
		t.Errorf("the copy creating a key: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := e.CountRows("SELECT COUNT(*) FROM api_keys WHERE merchant_id = ?", e.MerchantID); n != 1 {
		t.Errorf("%d keys, want the merchant's first only", n)
	}
}

func TestDashboardPasswordChangeIsThrottled(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)
	for i := range 5 {
		if res, _ := accountPost(b, "guess-"+string(rune('a'+i)), "a new long password", "a new long password", nil); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("guess %d: %d", i+1, res.StatusCode)
		}
	}
	res, body := accountPost(b, password, "a new long password", "a new long password", nil)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(handlerstest.TextOf(handlerstest.Page(t, body), "current_password-error"), "15분") {
		t.Fatalf("the sixth try: %d %q", res.StatusCode, handlerstest.TextOf(handlerstest.Page(t, body), "current_password-error"))
	}
	if res, _ := handlerstest.SignIn(e.Browser(handlerstest.UADesktop), email, password); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("signing in to the locked account: %d", res.StatusCode)
	}
	e.Clock.Add(15*time.Minute + time.Second)
	if res, _ := accountPost(b, password, "a new long password", "a new long password", nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after 15 minutes: %d", res.StatusCode)
	}
}

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

// userRows maps the e-mails on the users page to the role each one's form has selected.
func userRows(t *testing.T, b *handlerstest.Browser) map[string]string {
	t.Helper()
	res, body := b.Get("/dashboard/users")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("users page: %d", res.StatusCode)
	}
	rows := map[string]string{}
	handlerstest.Page(t, body).Find(`[data-testid=user-row]`).Each(func(_ int, s *goquery.Selection) {
		rows[strings.TrimSpace(s.Find(`[data-testid=user-email]`).Text())] = s.Find(`[data-testid=user-role] option[selected]`).AttrOr("value", "")
	})
	return rows
}

// userID is the id of the user with this e-mail.
func userID(t *testing.T, e *handlerstest.Env, email string) string {
	t.Helper()
	users, err := e.DB.UsersByEmail(t.Context(), email)
	if err != nil || len(users) != 1 {
		t.Fatalf("user %s: %v %v", email, users, err)
	}
	return users[0].ID
}

func TestDashboardUsersAddChangeAndRemove(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)

	res, body := b.Get("/dashboard/users")
	doc := handlerstest.Page(t, body)
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid=user-row]`).Length() != 1 ||
		handlerstest.TextOf(doc, "user-email") != email || handlerstest.TextOf(doc, "user-self") != "(나)" {
		t.Fatalf("users page: %d %q", res.StatusCode, handlerstest.TextOf(doc, "users"))
	}
	if doc.Find(`[data-testid=nav-users][aria-current]`).Length() != 1 {
		t.Error("the menu does not mark the users page")
	}
	if v := doc.Find(`[data-testid=add-role] option[selected]`).AttrOr("value", ""); v != accounts.RoleStaff {
		t.Errorf("the add form proposes %q, want staff", v)
	}

	// Add: the generated password is shown once, in the page and never in a URL.
	add := url.Values{"email": {"staff@cafe.example"}, "role": {"staff"}}
	res, body = handlerstest.Send(b, "/dashboard/users", add, nil)
	doc = handlerstest.Page(t, body)
	shown := doc.Find(`[data-testid=new-password]`).AttrOr("value", "")
	if res.StatusCode != http.StatusOK || len(shown) < 20 || !strings.Contains(handlerstest.TextOf(doc, "added-user"), "staff@cafe.example 님을 직원으로") {
		t.Fatalf("add: %d %q, password %q", res.StatusCode, handlerstest.TextOf(doc, "added-user"), shown)
	}
	if res.Header.Get("Location") != "" || !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("the password page: Location %q, Cache-Control %q", res.Header.Get("Location"), res.Header.Get("Cache-Control"))
	}
	if strings.Count(body, shown) != 1 {
		t.Errorf("the password appears %d times in the page", strings.Count(body, shown))
	}
	staff := e.Browser(handlerstest.UADesktop)
	if res, _ := handlerstest.SignIn(staff, "staff@cafe.example", shown); res.StatusCode != http.StatusSeeOther || !dashSignedIn(staff) {
		t.Fatalf("the new user signs in with the shown password: %d", res.StatusCode)
	}
	if _, body := b.Get("/dashboard/users"); strings.Contains(body, shown) {
		t.Error("the users page shows the password again")
	}

	// The same form sent again, or the e-mail in another case: no second user, "already exists".
	for _, again := range []string{"staff@cafe.example", "STAFF@cafe.example"} {
		res, body = handlerstest.Send(b, "/dashboard/users", url.Values{"email": {again}, "role": {"owner"}}, nil)
		doc = handlerstest.Page(t, body)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(handlerstest.TextOf(doc, "email-error"), "이미 등록된 이메일") {
			t.Errorf("adding %s again: %d %q", again, res.StatusCode, handlerstest.TextOf(doc, "email-error"))
		}
		if v := doc.Find(`#email`).AttrOr("value", ""); v != again {
			t.Errorf("the form lost what was typed: %q", v)
		}
	}
	for _, c := range []struct {
		form        url.Values
		field, text string
	}{
		{url.Values{"email": {"not an address"}, "role": {"staff"}}, "email-error", "형식이 올바르지 않아요"},
		{url.Values{"email": {""}, "role": {"staff"}}, "email-error", "형식이 올바르지 않아요"},
		{url.Values{"email": {"new@cafe.example"}, "role": {"admin"}}, "role-error", "관리자와 직원 중에서"},
		{url.Values{"email": {"new@cafe.example"}}, "role-error", "관리자와 직원 중에서"},
	} {
		res, body := handlerstest.Send(b, "/dashboard/users", c.form, nil)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(handlerstest.TextOf(handlerstest.Page(t, body), c.field), c.text) {
			t.Errorf("%v: %d %q", c.form, res.StatusCode, handlerstest.TextOf(handlerstest.Page(t, body), c.field))
		}
	}
	if n := e.CountRows(`SELECT count(*) FROM users`); n != 2 {
		t.Fatalf("%d users, want 2", n)
	}
	if rows := userRows(t, b); len(rows) != 2 || rows["staff@cafe.example"] != "staff" || rows[email] != "owner" {
		t.Errorf("users listed: %v", rows)
	}

	// Role: made an owner, then staff again; sending it twice changes nothing more.
	staffID := userID(t, e, "staff@cafe.example")
	for range 2 {
		res, _ = handlerstest.Send(b, "/dashboard/users/"+staffID+"/role", url.Values{"role": {"owner"}}, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/users?done=role" {
			t.Fatalf("role: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
	}
	_, body = b.Get("/dashboard/users?done=role")
	if !strings.Contains(handlerstest.TextOf(handlerstest.Page(t, body), "users-notice"), "역할을 바꿨어요") {
		t.Errorf("no notice after the change: %q", handlerstest.TextOf(handlerstest.Page(t, body), "users-notice"))
	}
	if rows := userRows(t, b); rows["staff@cafe.example"] != "owner" {
		t.Errorf("after promotion: %v", rows)
	}
	if res, _ := staff.Get("/dashboard/users"); res.StatusCode != http.StatusOK {
		t.Errorf("the promoted user on the users page: %d", res.StatusCode)
	}
	handlerstest.Send(b, "/dashboard/users/"+staffID+"/role", url.Values{"role": {"staff"}}, nil)
	if res, _ := staff.Get("/dashboard/users"); res.StatusCode != http.StatusForbidden {
		t.Errorf("the demoted user on the users page: %d", res.StatusCode)
	}
	if res, body := handlerstest.Send(b, "/dashboard/users/"+staffID+"/role", url.Values{"role": {"admin"}}, nil); res.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, "관리자와 직원 중에서") {
		t.Errorf("an unknown role: %d", res.StatusCode)
	}

	// Remove: asked first, then the user is gone and signed out; sent again, it is not found.
	res, body = b.Get("/dashboard/users/" + staffID + "/remove")
	doc = handlerstest.Page(t, body)
	if res.StatusCode != http.StatusOK || !strings.Contains(handlerstest.TextOf(doc, "remove-confirm"), "staff@cafe.example") ||
		doc.Find(`[data-testid=remove-self]`).Length() != 0 {
		t.Fatalf("confirmation: %d %q", res.StatusCode, handlerstest.TextOf(doc, "remove-confirm"))
	}
	if e.CountRows(`SELECT count(*) FROM users`) != 2 {
		t.Fatal("the confirmation step removed the user")
	}
	action := doc.Find(`[data-testid=remove-confirm-button]`).Closest("form").AttrOr("action", "")
	res, _ = handlerstest.Send(b, action, nil, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/users?done=removed" {
		t.Fatalf("remove: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if rows := userRows(t, b); len(rows) != 1 || rows[email] != "owner" {
		t.Errorf("after removal: %v", rows)
	}
	if dashSignedIn(staff) {
		t.Error("the removed user is still signed in")
	}
	if res, _ := handlerstest.SignIn(e.Browser(handlerstest.UADesktop), "staff@cafe.example", shown); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the removed user signs in: %d", res.StatusCode)
	}
	res, body = handlerstest.Send(b, action, nil, nil)
	handlerstest.CheckErrorPage(t, res, body, http.StatusNotFound, "이미 삭제했을 수 있으니")
	if !dashSignedIn(b) {
		t.Error("the owner was signed out")
	}
}

// TestDashboardRoleChangeAndRemovalReachEveryCopy copies a second owner's cookie: once that
// owner is made staff, neither the browser nor the copy may use an owner's page or create a key;
// once the user is removed, both are sent to the sign-in form.
func TestDashboardRoleChangeAndRemovalReachEveryCopy(t *testing.T) {
	e := handlerstest.New(t)
	admin := handlerstest.SignedInOwner(t, e)
	second, secondPassword := handlerstest.DashUser(t, e, "second@cafe.example")
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, second, secondPassword)
	_, form := keysPage(t, b)
	copied := b.Copy()
	keys := func() int { return e.CountRows("SELECT COUNT(*) FROM api_keys WHERE merchant_id = ?", e.MerchantID) }
	secondID := userID(t, e, second)

	if res, _ := handlerstest.Send(admin, "/dashboard/users/"+secondID+"/role", url.Values{"role": {"staff"}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("demote: %d", res.StatusCode)
	}
	for name, c := range map[string]*handlerstest.Browser{"the browser": b, "the copy": copied} {
		if res, _ := c.Do(c.NoRedirect(), http.MethodGet, "/dashboard/keys", nil, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s on the keys page after the demotion: %d", name, res.StatusCode)
		}
		if res, _ := handlerstest.Send(c, "/dashboard/keys", form, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s creating a key after the demotion: %d", name, res.StatusCode)
		}
		if !dashSignedIn(c) {
			t.Errorf("%s was signed out by the demotion; staff may still use the dashboard", name)
		}
	}
	if n := keys(); n != 1 {
		t.Errorf("%d keys, want the merchant's first only", n)
	}

	if res, _ := handlerstest.Send(admin, "/dashboard/users/"+secondID+"/remove", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	for name, c := range map[string]*handlerstest.Browser{"the browser": b, "the copy": copied} {
		res, _ := c.Do(c.NoRedirect(), http.MethodGet, "/dashboard", nil, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/login" {
			t.Errorf("%s of a removed user: %d to %q", name, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

func TestDashboardUsersKeepAnOwner(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)
	self := userID(t, e, email)

	// The only owner can neither become staff nor remove themselves.
	res, body := handlerstest.Send(b, "/dashboard/users/"+self+"/role", url.Values{"role": {"staff"}}, map[string]string{"Referer": e.URL + "/dashboard/users"})
	handlerstest.CheckErrorPage(t, res, body, http.StatusConflict, "마지막 관리자는 직원으로 바꾸거나 삭제할 수 없어요")
	if back := handlerstest.Page(t, body).Find(`a[href="/dashboard/users"]`).Length(); back == 0 {
		t.Error("the refusal does not lead back to the users page")
	}
	res, body = b.Get("/dashboard/users/" + self + "/remove")
	if res.StatusCode != http.StatusOK || handlerstest.Page(t, body).Find(`[data-testid=remove-self]`).Length() != 1 {
		t.Errorf("removing oneself is not said: %d", res.StatusCode)
	}
	res, body = handlerstest.Send(b, "/dashboard/users/"+self+"/remove", nil, nil)
	handlerstest.CheckErrorPage(t, res, body, http.StatusConflict, "마지막 관리자는")
	if rows := userRows(t, b); rows[email] != "owner" || !dashSignedIn(b) {
		t.Fatalf("after the refusals: %v", rows)
	}

	// With a second owner, the first may step down to staff: it leaves the users page.
	second, secondPassword := handlerstest.DashUser(t, e, "second@cafe.example")
	res, _ = handlerstest.Send(b, "/dashboard/users/"+self+"/role", url.Values{"role": {"staff"}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard" {
		t.Fatalf("stepping down: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := b.Get("/dashboard/users"); res.StatusCode != http.StatusForbidden {
		t.Errorf("the users page after stepping down: %d", res.StatusCode)
	}
	// The second owner, now the only one, cannot step down or leave either; removing oneself
	// when another owner remains signs one out.
	o2 := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(o2, second, secondPassword)
	secondID := userID(t, e, second)
	if res, _ := handlerstest.Send(o2, "/dashboard/users/"+secondID+"/remove", nil, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("the last owner removed themselves: %d", res.StatusCode)
	}
	handlerstest.Send(o2, "/dashboard/users/"+self+"/role", url.Values{"role": {"owner"}}, nil)
	res, _ = handlerstest.Send(o2, "/dashboard/users/"+secondID+"/remove", nil, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/dashboard/login") {
		t.Fatalf("removing oneself: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if dashSignedIn(o2) {
		t.Error("still signed in after removing oneself")
	}
	if rows := userRows(t, b); len(rows) != 1 || rows[email] != "owner" {
		t.Errorf("left: %v", rows)
	}
}

func TestDashboardUsersAreForOwners(t *testing.T) {
	e := handlerstest.New(t)
	owner, _ := handlerstest.DashUser(t, e, "owner@cafe.example")
	email, password := handlerstest.DashUserAs(t, e, "staff@cafe.example", accounts.RoleStaff)
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)
	ownerID := userID(t, e, owner)
	for _, c := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/dashboard/users", nil},
		{"POST", "/dashboard/users", url.Values{"email": {"new@cafe.example"}, "role": {"owner"}}},
		{"POST", "/dashboard/users/" + ownerID + "/role", url.Values{"role": {"staff"}}},
		{"GET", "/dashboard/users/" + ownerID + "/remove", nil},
		{"POST", "/dashboard/users/" + ownerID + "/remove", nil},
	} {
		var res *http.Response
		var body string
		if c.method == "GET" {
			res, body = b.Get(c.path)
		} else {
			res, body = handlerstest.Send(b, c.path, c.form, nil)
		}
		handlerstest.CheckErrorPage(t, res, body, http.StatusForbidden, "관리자만 쓸 수 있어요")
	}
	if n := e.CountRows(`SELECT count(*) FROM users`); n != 2 {
		t.Errorf("%d users, want 2", n)
	}
	if n := e.CountRows(`SELECT count(*) FROM users WHERE role = 'owner'`); n != 1 {
		t.Errorf("%d owners, want 1", n)
	}
}

func TestDashboardUsersOfAnotherMerchantAreNotFound(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	ctx := t.Context()
	other := e.OtherMerchant()
	theirs, err := e.Users.Create(ctx, accounts.UserParams{MerchantID: other.Merchant.ID, Email: "staff@other.example", Role: accounts.RoleStaff})
	if err != nil {
		t.Fatal(err)
	}
	id := theirs.User.ID
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)
	if rows := userRows(t, b); len(rows) != 1 || rows[email] != "owner" {
		t.Errorf("listed: %v", rows)
	}
	res, body := b.Get("/dashboard/users/" + id + "/remove")
	handlerstest.CheckErrorPage(t, res, body, http.StatusNotFound, "")
	res, body = handlerstest.Send(b, "/dashboard/users/"+id+"/role", url.Values{"role": {"owner"}}, nil)
	handlerstest.CheckErrorPage(t, res, body, http.StatusNotFound, "")
	res, body = handlerstest.Send(b, "/dashboard/users/"+id+"/remove", nil, nil)
	handlerstest.CheckErrorPage(t, res, body, http.StatusNotFound, "")
	if u, err := e.Users.User(ctx, other.Merchant, id); err != nil || u.Role != accounts.RoleStaff {
		t.Errorf("the other merchant's user: %+v %v", u, err)
	}
	// An e-mail of another merchant's user is added here as any other is, an account of this
	// merchant's with its own password: the answer says nothing of the other merchant, whose
	// user is unchanged.
	res, body = handlerstest.Send(b, "/dashboard/users", url.Values{"email": {"staff@other.example"}, "role": {"staff"}}, nil)
	if res.StatusCode != http.StatusOK || strings.Contains(body, "다른 상점") || strings.Contains(body, id) {
		t.Errorf("another merchant's e-mail: %d", res.StatusCode)
	}
	if rows := userRows(t, b); len(rows) != 2 || rows["staff@other.example"] != "staff" {
		t.Errorf("listed after adding: %v", rows)
	}
	if u, err := e.Users.User(ctx, other.Merchant, id); err != nil || u.MerchantID != other.Merchant.ID || u.PasswordHash != theirs.User.PasswordHash {
		t.Errorf("the other merchant's user after the add: %+v %v", u, err)
	}
}

func TestDashboardUsersRefuseCrossSitePosts(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	handlerstest.DashUserAs(t, e, "staff@cafe.example", accounts.RoleStaff)
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, email, password)
	staffID := userID(t, e, "staff@cafe.example")
	cross := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
	for path, form := range map[string]url.Values{
		"/dashboard/users":                        {"email": {"evil@cafe.example"}, "role": {"owner"}},
		"/dashboard/users/" + staffID + "/role":   {"role": {"owner"}},
		"/dashboard/users/" + staffID + "/remove": nil,
	} {
		if res, _ := handlerstest.Send(b, path, form, cross); res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site %s: %d", path, res.StatusCode)
		}
	}
	if rows := userRows(t, b); len(rows) != 2 || rows["staff@cafe.example"] != "staff" {
		t.Errorf("after cross-site posts: %v", rows)
	}
}

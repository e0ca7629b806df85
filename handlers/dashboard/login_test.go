package dashboard_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDashboardSignInAndOut(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	b := e.Browser(handlerstest.UADesktop)

	res, _ := b.Do(b.NoRedirect(), "GET", "/dashboard", nil, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/login" {
		t.Fatalf("signed out /dashboard: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := b.Get("/dashboard/login")
	doc := handlerstest.Page(t, body)
	if res.StatusCode != 200 || doc.Find(`[data-testid=login] input[name=password][type=password]`).Length() != 1 ||
		!strings.Contains(body, "대시보드 로그인") || res.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("login page: %d %s", res.StatusCode, body)
	}

	res, _ = handlerstest.SignIn(b, strings.ToUpper(email), password)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard" {
		t.Fatalf("sign in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "kpcheckout_dash" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/dashboard" {
		t.Fatalf("session cookie %+v", cookie)
	}
	res, body = b.Get("/dashboard")
	doc = handlerstest.Page(t, body)
	if res.StatusCode != 200 || handlerstest.TextOf(doc, "dash-user") != email || handlerstest.TextOf(doc, "dash-merchant") != "테스트 카페" {
		t.Fatalf("home: %d %s", res.StatusCode, body)
	}
	if res, _ := b.Get("/dashboard/login"); res.Request.URL.Path != "/dashboard" {
		t.Errorf("the login page of a signed-in user leads to %s", res.Request.URL.Path)
	}

	res, _ = b.Do(b.NoRedirect(), "POST", "/dashboard/logout", nil, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/login" {
		t.Fatalf("sign out: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := b.Do(b.NoRedirect(), "GET", "/dashboard", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after signing out /dashboard answers %d", res.StatusCode)
	}
}

func TestDashboardWrongPasswordAndUnknownEmailLookAlike(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	b := e.Browser(handlerstest.UADesktop)
	wrongRes, wrong := handlerstest.SignIn(b, email, password+"x")
	unknownRes, unknown := handlerstest.SignIn(b, "nobody@cafe.example", password)
	w, u := handlerstest.Page(t, wrong), handlerstest.Page(t, unknown)
	if wrongRes.StatusCode != http.StatusUnauthorized || unknownRes.StatusCode != wrongRes.StatusCode ||
		handlerstest.TextOf(w, "login-error") == "" || handlerstest.TextOf(w, "login-error") != handlerstest.TextOf(u, "login-error") {
		t.Fatalf("wrong password %d %q, unknown e-mail %d %q", wrongRes.StatusCode, handlerstest.TextOf(w, "login-error"),
			unknownRes.StatusCode, handlerstest.TextOf(u, "login-error"))
	}
	if strings.Replace(wrong, email, "", 1) != strings.Replace(unknown, "nobody@cafe.example", "", 1) {
		t.Errorf("the two answers differ beyond the e-mail typed")
	}
	if res, _ := b.Get("/dashboard"); res.Request.URL.Path != "/dashboard/login" {
		t.Errorf("a refused sign-in reached %s", res.Request.URL.Path)
	}
}

func TestDashboardLockout(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	attacker := e.Browser(handlerstest.UADesktop)
	for i := range 5 {
		if res, _ := handlerstest.SignIn(attacker, email, "guess-"+string(rune('a'+i))); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, res.StatusCode)
		}
	}
	// Locked: even the right password is refused, and an unknown e-mail from the same address too.
	res, body := handlerstest.SignIn(attacker, email, password)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(handlerstest.TextOf(handlerstest.Page(t, body), "login-error"), "15분") ||
		res.Header.Get("Retry-After") != "900" {
		t.Fatalf("sixth try: %d, Retry-After %q\n%s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	if res, _ := handlerstest.SignIn(attacker, "other@cafe.example", "whatever-password"); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the locked address tried another account: %d", res.StatusCode)
	}
	e.Clock.Add(15*time.Minute + time.Second)
	if res, _ := handlerstest.SignIn(e.Browser(handlerstest.UADesktop), email, password); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after 15 minutes: %d", res.StatusCode)
	}
}

func TestDashboardSessionExpires(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	signedIn := func(b *handlerstest.Browser) bool {
		res, _ := b.Do(b.NoRedirect(), "GET", "/dashboard", nil, nil)
		return res.StatusCode == http.StatusOK
	}

	idle := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(idle, email, password)
	e.Clock.Add(29 * time.Minute)
	if !signedIn(idle) {
		t.Fatal("signed out after 29 idle minutes")
	}
	e.Clock.Add(31 * time.Minute)
	if signedIn(idle) {
		t.Error("still signed in after 31 idle minutes")
	}

	busy := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(busy, email, password)
	for range 12*2 - 1 { // a request every 29 minutes, for 11 hours and 7 minutes
		e.Clock.Add(29 * time.Minute)
		if !signedIn(busy) {
			t.Fatal("a busy session ended early")
		}
	}
	e.Clock.Add(29 * time.Minute) // 11 h 36 min
	if !signedIn(busy) {
		t.Fatal("a busy session ended before 12 hours")
	}
	e.Clock.Add(25 * time.Minute) // 12 h 1 min
	if signedIn(busy) {
		t.Error("still signed in 12 hours after signing in")
	}
}

func TestDashboardRefusesCrossSitePosts(t *testing.T) {
	e := handlerstest.New(t)
	email, password := handlerstest.DashUser(t, e, "owner@cafe.example")
	b := e.Browser(handlerstest.UADesktop)
	cross := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
	form := "email=" + email + "&password=" + password
	if res, _ := b.Do(b.NoRedirect(), "POST", "/dashboard/login", strings.NewReader(form), cross); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d", res.StatusCode)
	}
	handlerstest.SignIn(b, email, password)
	if res, _ := b.Do(b.NoRedirect(), "POST", "/dashboard/logout", nil, cross); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-out: %d", res.StatusCode)
	}
	if res, _ := b.Do(b.NoRedirect(), "GET", "/dashboard", nil, nil); res.StatusCode != http.StatusOK {
		t.Errorf("a refused cross-site sign-out signed the user out: %d", res.StatusCode)
	}
}

func TestDashboardLockoutHoldsForParallelGuesses(t *testing.T) {
	e := handlerstest.New(t)
	email, _ := handlerstest.DashUser(t, e, "owner@cafe.example")
	codes := make(chan int, 20)
	handlerstest.AtOnce(20, func(i int) {
		res, _, err := handlerstest.APIRaw(e, "", "POST", "/dashboard/login", "email="+email+"&password=guess-"+strconv.Itoa(i),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		if err != nil {
			t.Error(err)
			return
		}
		codes <- res.StatusCode
	})
	close(codes)
	checked := 0
	for c := range codes {
		if c == http.StatusUnauthorized {
			checked++
		} else if c != http.StatusTooManyRequests {
			t.Errorf("a guess answered %d", c)
		}
	}
	if checked != 5 {
		t.Errorf("%d of 20 parallel guesses were checked, want 5", checked)
	}
}

// TestDashboardSignOutEndsEveryCopy copies a signed-in browser's cookie (a shared computer, a
// stolen cookie): once the user signs out, the copy is sent to the sign-in form and can no longer
// create an API key.
func TestDashboardSignOutEndsEveryCopy(t *testing.T) {
	e := handlerstest.New(t)
	b := handlerstest.SignedInOwner(t, e)
	_, form := keysPage(t, b)
	copied := b.Copy()
	if !dashSignedIn(copied) {
		t.Fatal("the copied cookie does not open the dashboard before signing out")
	}

	if res, _ := b.Do(b.NoRedirect(), "POST", "/dashboard/logout", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	res, _ := copied.Do(copied.NoRedirect(), "GET", "/dashboard", nil, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/login" {
		t.Errorf("the copy after signing out: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	form.Set("label", "복사한 쿠키")
	res, body := handlerstest.Send(copied, "/dashboard/keys", form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/login" || strings.Contains(body, "sk_test_") {
		t.Errorf("the copy creating a key after signing out: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := e.CountRows("SELECT COUNT(*) FROM api_keys WHERE merchant_id = ?", e.MerchantID); n != 1 {
		t.Errorf("%d keys, want the merchant's first only", n)
	}
}

// shopOf signs b in with email and password and answers the shop the dashboard then shows, or ""
// when the sign-in did not lead straight to the dashboard.
func shopOf(t *testing.T, b *handlerstest.Browser, email, password string) string {
	t.Helper()
	if res, _ := handlerstest.SignIn(b, email, password); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard" {
		return ""
	}
	_, body := b.Get("/dashboard")
	return handlerstest.TextOf(handlerstest.Page(t, body), "dash-merchant")
}

func TestDashboardOneEmailAtTwoShops(t *testing.T) {
	e := handlerstest.New(t)
	ctx := t.Context()
	email, cafePassword := handlerstest.DashUser(t, e, "owner@example.com")
	bakery := e.NewMerchant(accounts.MerchantParams{Name: "빵집"})
	baker, err := e.Users.Create(ctx, accounts.UserParams{MerchantID: bakery.Merchant.ID, Email: "baker@bakery.example"})
	if err != nil {
		t.Fatal(err)
	}
	// The bakery's owner adds the café owner's address: it is added as any new address is, and
	// the answer says nothing of the café.
	b := e.Browser(handlerstest.UADesktop)
	if shop := shopOf(t, b, "baker@bakery.example", baker.Password); shop != "빵집" {
		t.Fatalf("the baker signed in to %q", shop)
	}
	add := url.Values{"email": {email}, "role": {"owner"}}
	res, body := handlerstest.Send(b, "/dashboard/users", add, nil)
	bakeryPassword := handlerstest.Page(t, body).Find(`[data-testid=new-password]`).AttrOr("value", "")
	if res.StatusCode != http.StatusOK || len(bakeryPassword) < 20 || strings.Contains(body, "테스트 카페") {
		t.Fatalf("adding an address the café has: %d, password %q\n%s", res.StatusCode, bakeryPassword, body)
	}
	// At the bakery itself the address is now taken, as before.
	res, body = handlerstest.Send(b, "/dashboard/users", add, nil)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "이미 등록된 이메일") {
		t.Errorf("adding it twice at the bakery: %d", res.StatusCode)
	}
	// Each password opens its own shop.
	for password, want := range map[string]string{cafePassword: "테스트 카페", bakeryPassword: "빵집"} {
		if shop := shopOf(t, e.Browser(handlerstest.UADesktop), email, password); shop != want {
			t.Errorf("signed in to %q, want %q", shop, want)
		}
	}
	if res, _ := handlerstest.SignIn(e.Browser(handlerstest.UADesktop), email, "neither of the two"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong password: %d", res.StatusCode)
	}
}

func TestDashboardSignInChoosesTheShop(t *testing.T) {
	e := handlerstest.New(t)
	ctx := t.Context()
	const email, shared = "owner@example.com", "one password for two shops"
	add := func(name, password string) {
		t.Helper()
		id := e.MerchantID
		if name != "" {
			m := e.NewMerchant(accounts.MerchantParams{Name: name})
			id = m.Merchant.ID
		}
		if _, err := e.Users.Create(ctx, accounts.UserParams{MerchantID: id, Email: email, Password: password}); err != nil {
			t.Fatal(err)
		}
		e.Clock.Add(time.Second) // the choices list the oldest account first
	}
	add("", shared)
	add("빵집", shared)
	add("꽃집", "the flower shop's own password")

	b := e.Browser(handlerstest.UADesktop)
	res, body := handlerstest.SignIn(b, email, shared)
	doc := handlerstest.Page(t, body)
	var shops []string
	choices := map[string]string{}
	doc.Find(`[data-testid=choose-shop] [data-testid=shop-choice]`).Each(func(_ int, s *goquery.Selection) {
		name := strings.TrimSpace(s.Text())
		shops = append(shops, name)
		choices[name] = s.AttrOr("value", "")
	})
	// Only the shops whose password this is are offered, the flower shop is not.
	if res.StatusCode != http.StatusOK || strings.Join(shops, ",") != "테스트 카페,빵집" || strings.Contains(body, "꽃집") ||
		!strings.Contains(body, "상점을 골라") {
		t.Fatalf("the choice: %d %q\n%s", res.StatusCode, shops, body)
	}
	if res, _ := b.Do(b.NoRedirect(), "GET", "/dashboard", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed in before choosing: %d", res.StatusCode)
	}
	action := doc.Find(`[data-testid=choose-shop] form`).AttrOr("action", "")
	choose := func(b *handlerstest.Browser, token string) *http.Response {
		res, _ := handlerstest.Send(b, action, url.Values{"choice": {token}})
		return res
	}
	// A changed token is refused with the sign-in form.
	res = choose(e.Browser(handlerstest.UADesktop), choices["빵집"]+"x")
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("a changed choice: %d", res.StatusCode)
	}
	res = choose(b, choices["빵집"])
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard" {
		t.Fatalf("choosing the bakery: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = b.Get("/dashboard")
	if shop := handlerstest.TextOf(handlerstest.Page(t, body), "dash-merchant"); shop != "빵집" {
		t.Errorf("chose the bakery, signed in to %q", shop)
	}
	// The choice is short-lived.
	e.Clock.Add(10 * time.Minute)
	if res := choose(e.Browser(handlerstest.UADesktop), choices["테스트 카페"]); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a choice 10 minutes old: %d", res.StatusCode)
	}
}

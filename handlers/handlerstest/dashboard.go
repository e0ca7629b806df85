package handlerstest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/accounts"
)

// DashUser makes a dashboard owner of e's merchant and returns its e-mail and password.
func DashUser(t *testing.T, e *Env, email string) (string, string) {
	t.Helper()
	return DashUserAs(t, e, email, accounts.RoleOwner)
}

// DashUserAs creates a dashboard user of e's merchant with role (owner or staff) and returns
// its e-mail and password.
func DashUserAs(t *testing.T, e *Env, email, role string) (string, string) {
	t.Helper()
	return dashUserOf(t, e, e.MerchantID, email, role)
}

// dashUserOf creates a dashboard user of merchant merchantID with role and returns its e-mail
// and password.
func dashUserOf(t *testing.T, e *Env, merchantID, email, role string) (string, string) {
	t.Helper()
	cu, err := e.Users.Create(t.Context(), accounts.UserParams{MerchantID: merchantID, Email: email, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return email, cu.Password
}

// SignIn posts the dashboard's sign-in form without following the redirect.
func SignIn(b *Browser, email, password string) (*http.Response, string) {
	form := url.Values{"email": {email}, "password": {password}}
	return b.Do(b.NoRedirect(), http.MethodPost, "/dashboard/login", strings.NewReader(form.Encode()), nil)
}

// SignedIn returns a browser signed in as a new user of e's merchant with role.
func SignedIn(t *testing.T, e *Env, email, role string) *Browser {
	t.Helper()
	return signedInAt(t, e, e.MerchantID, email, role)
}

// SignedInOwner returns a browser signed in as owner@cafe.example, a new owner of e's merchant:
// the dashboard tests' usual user.
func SignedInOwner(t *testing.T, e *Env) *Browser {
	t.Helper()
	return SignedIn(t, e, "owner@cafe.example", accounts.RoleOwner)
}

// SignedInTo returns a browser signed in as a new owner, email, of merchant m (another than
// e's: see Env.NewMerchant).
func SignedInTo(t *testing.T, e *Env, m *accounts.CreatedMerchant, email string) *Browser {
	t.Helper()
	return signedInAt(t, e, m.Merchant.ID, email, accounts.RoleOwner)
}

// signedInAt returns a browser signed in as a new user of merchant merchantID with role.
func signedInAt(t *testing.T, e *Env, merchantID, email, role string) *Browser {
	t.Helper()
	email, password := dashUserOf(t, e, merchantID, email, role)
	b := e.Browser(UADesktop)
	if res, _ := SignIn(b, email, password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", email, res.StatusCode)
	}
	return b
}

// OtherMerchant creates another merchant, 다른 상점, beside e's own: the one that must find none of
// e's merchant's things.
func (e *Env) OtherMerchant() *accounts.CreatedMerchant {
	e.t.Helper()
	return e.NewMerchant(accounts.MerchantParams{Name: "다른 상점"})
}

// NewMerchant creates another merchant beside e's own, with its first API key.
func (e *Env) NewMerchant(p accounts.MerchantParams) *accounts.CreatedMerchant {
	e.t.Helper()
	cm, err := e.Merchants.Create(e.t.Context(), p)
	if err != nil {
		e.t.Fatal(err)
	}
	return cm
}

// Send posts a form without following its redirect; hdr (a cross-site Origin, say) are added
// headers.
func Send(b *Browser, action string, values url.Values, hdr ...map[string]string) (*http.Response, string) {
	h := map[string]string{}
	for _, m := range hdr {
		for k, v := range m {
			h[k] = v
		}
	}
	return b.Do(b.NoRedirect(), http.MethodPost, action, strings.NewReader(values.Encode()), h)
}

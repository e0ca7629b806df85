package dashboard_test

import (
	"context"
	"testing"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// crossSite are the headers a browser sends with a form posted from another site.
var crossSite = map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}

// stranger signs in a user of another merchant, who must find none of e's merchant's things.
func stranger(t *testing.T, e *handlerstest.Env) *handlerstest.Browser {
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
	return b
}

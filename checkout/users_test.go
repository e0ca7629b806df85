package checkout_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/checkout"
)

func TestCreateAndAuthenticateUser(t *testing.T) {
	h := newHarness(t)
	cu, err := h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: h.m.ID, Email: "Owner@Cafe.example"})
	if err != nil {
		t.Fatal(err)
	}
	if cu.User.Role != checkout.RoleOwner || len(cu.Password) < 20 || !strings.HasPrefix(cu.User.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("created %+v with password %q", cu.User, cu.Password)
	}
	u, err := h.svc.AuthenticateUser(h.ctx, "owner@cafe.example", cu.Password)
	if err != nil || u.ID != cu.User.ID || u.MerchantID != h.m.ID {
		t.Fatalf("authenticate: %+v, %v", u, err)
	}
	for _, c := range []struct{ email, password string }{
		{"owner@cafe.example", cu.Password + "x"},
		{"nobody@cafe.example", cu.Password},
	} {
		if _, err := h.svc.AuthenticateUser(h.ctx, c.email, c.password); !errors.Is(err, checkout.ErrBadLogin) {
			t.Errorf("%s: %v, want ErrBadLogin", c.email, err)
		}
	}
	_, err = h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: h.m.ID, Email: "OWNER@cafe.example"})
	var ce *checkout.Error
	if !errors.As(err, &ce) || ce.Code != "email_taken" {
		t.Errorf("same e-mail in another case: %v", err)
	}
	for _, nu := range []checkout.NewUser{
		{MerchantID: h.m.ID, Email: "not an address"},
		{MerchantID: h.m.ID, Email: "a@b.example", Role: "admin"},
		{MerchantID: h.m.ID, Email: "a@b.example", Password: "short"},
		{MerchantID: "mer_nope", Email: "a@b.example"},
	} {
		if _, err := h.svc.CreateUser(h.ctx, nu); !errors.As(err, &ce) || ce.Kind != checkout.KindInvalid {
			t.Errorf("%+v: %v, want invalid", nu, err)
		}
	}
}

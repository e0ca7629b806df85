package checkout_test

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
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
	users, err := h.svc.AuthenticateUser(h.ctx, "owner@cafe.example", cu.Password)
	if err != nil || len(users) != 1 || users[0].ID != cu.User.ID || users[0].MerchantID != h.m.ID {
		t.Fatalf("authenticate: %+v, %v", users, err)
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

// errCode is the code of a *checkout.Error, or "" for any other error.
func errCode(err error) string {
	var ce *checkout.Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}

func TestChangePassword(t *testing.T) {
	h := newHarness(t)
	cu, err := h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: h.m.ID, Email: "owner@cafe.example"})
	if err != nil {
		t.Fatal(err)
	}
	id, old := cu.User.ID, cu.Password
	if _, err := h.svc.ChangePassword(h.ctx, id, old+"x", "a new long password"); errCode(err) != "wrong_password" {
		t.Errorf("wrong current password: %v", err)
	}
	if _, err := h.svc.ChangePassword(h.ctx, id, old, "short"); errCode(err) != "invalid_password" {
		t.Errorf("a short new password: %v", err)
	}
	h.clock.Add(1500 * time.Microsecond)
	u, err := h.svc.ChangePassword(h.ctx, id, old, "a new long password")
	if err != nil {
		t.Fatal(err)
	}
	want := h.clock.Now().Truncate(time.Millisecond)
	if !u.PasswordChangedAt.Equal(want) {
		t.Errorf("changed at %v, want the clock to the millisecond %v", u.PasswordChangedAt, want)
	}
	if got, err := h.svc.User(h.ctx, id); err != nil || !got.PasswordChangedAt.Equal(want) {
		t.Errorf("stored: %+v %v", got, err)
	}
	if _, err := h.svc.AuthenticateUser(h.ctx, "owner@cafe.example", old); !errors.Is(err, checkout.ErrBadLogin) {
		t.Errorf("the old password: %v", err)
	}
	if _, err := h.svc.AuthenticateUser(h.ctx, "owner@cafe.example", "a new long password"); err != nil {
		t.Errorf("the new password: %v", err)
	}

	reset, err := h.svc.ResetPassword(h.ctx, "", "OWNER@cafe.example", "")
	if err != nil || len(reset.Password) < 20 {
		t.Fatalf("reset: %+v %v", reset, err)
	}
	if _, err := h.svc.AuthenticateUser(h.ctx, "owner@cafe.example", reset.Password); err != nil {
		t.Errorf("the reset password: %v", err)
	}
	if _, err := h.svc.ResetPassword(h.ctx, "", "nobody@cafe.example", ""); errCode(err) != "resource_missing" {
		t.Errorf("reset of an unknown e-mail: %v", err)
	}
	if _, err := h.svc.ResetPassword(h.ctx, "", "owner@cafe.example", "short"); errCode(err) != "invalid_password" {
		t.Errorf("reset to a short password: %v", err)
	}
}

func TestUserRolesKeepAnOwner(t *testing.T) {
	h := newHarness(t)
	add := func(email, role string) *store.User {
		t.Helper()
		cu, err := h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: h.m.ID, Email: email, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return cu.User
	}
	owner, staff := add("owner@cafe.example", checkout.RoleOwner), add("staff@cafe.example", checkout.RoleStaff)
	if _, err := h.svc.SetRole(h.ctx, h.m, owner.ID, checkout.RoleStaff); errCode(err) != "last_owner" {
		t.Errorf("demoting the last owner: %v", err)
	}
	if err := h.svc.RemoveUser(h.ctx, h.m, owner.ID); errCode(err) != "last_owner" {
		t.Errorf("removing the last owner: %v", err)
	}
	if _, err := h.svc.SetRole(h.ctx, h.m, staff.ID, "admin"); errCode(err) != "invalid_role" {
		t.Errorf("an unknown role: %v", err)
	}
	if u, err := h.svc.SetRole(h.ctx, h.m, staff.ID, checkout.RoleOwner); err != nil || u.Role != checkout.RoleOwner {
		t.Fatalf("promoting: %+v %v", u, err)
	}
	if u, err := h.svc.SetRole(h.ctx, h.m, staff.ID, checkout.RoleOwner); err != nil || u.Role != checkout.RoleOwner {
		t.Errorf("the same role again: %+v %v", u, err)
	}

	// Two owners demoting each other at once: one wins, the other is refused.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, id := range []string{owner.ID, staff.ID} {
		wg.Go(func() { _, errs[i] = h.svc.SetRole(h.ctx, h.m, id, checkout.RoleStaff) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || errCode(errs[0])+errCode(errs[1]) != "last_owner" {
		t.Errorf("concurrent demotions: %v, %v", errs[0], errs[1])
	}
	list, err := h.svc.Users(h.ctx, h.m)
	if err != nil || len(list) != 2 {
		t.Fatalf("users: %v %v", list, err)
	}
	owners := 0
	for _, u := range list {
		if u.Role == checkout.RoleOwner {
			owners++
		}
	}
	if owners != 1 {
		t.Errorf("%d owners after the race, want 1", owners)
	}

	other, err := h.svc.CreateMerchant(h.ctx, checkout.NewMerchant{Name: "다른 상점"})
	if err != nil {
		t.Fatal(err)
	}
	for name, fn := range map[string]func() error{
		"read":   func() error { _, err := h.svc.MerchantUser(h.ctx, other.Merchant, owner.ID); return err },
		"role":   func() error { _, err := h.svc.SetRole(h.ctx, other.Merchant, staff.ID, checkout.RoleOwner); return err },
		"remove": func() error { return h.svc.RemoveUser(h.ctx, other.Merchant, staff.ID) },
	} {
		var ce *checkout.Error
		if err := fn(); !errors.As(err, &ce) || ce.Kind != checkout.KindNotFound {
			t.Errorf("%s another merchant's user: %v", name, err)
		}
	}

	staffNow := list[0]
	if staffNow.Role == checkout.RoleOwner {
		staffNow = list[1]
	}
	if err := h.svc.RemoveUser(h.ctx, h.m, staffNow.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.RemoveUser(h.ctx, h.m, staffNow.ID); errCode(err) != "resource_missing" {
		t.Errorf("removing twice: %v", err)
	}
	if _, err := h.svc.User(h.ctx, staffNow.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the removed user: %v", err)
	}
}

func TestOneEmailAtSeveralMerchants(t *testing.T) {
	h := newHarness(t)
	const email = "owner@example.com"
	merchants := []*store.Merchant{h.m}
	for _, name := range []string{"빵집", "꽃집", "서점", "문구점", "꽃집 2호점"} {
		cm, err := h.svc.CreateMerchant(h.ctx, checkout.NewMerchant{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		merchants = append(merchants, cm.Merchant)
	}
	cafe, err := h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: h.m.ID, Email: email})
	if err != nil {
		t.Fatal(err)
	}
	// Another merchant adds the address as it would any: nothing says the café has it.
	bakery, err := h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: merchants[1].ID, Email: "Owner@Example.com", Role: checkout.RoleStaff})
	if err != nil || bakery.User.MerchantID != merchants[1].ID || bakery.User.ID == cafe.User.ID {
		t.Fatalf("the address at a second merchant: %+v %v", bakery, err)
	}
	if _, err := h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: merchants[1].ID, Email: email}); errCode(err) != "email_taken" {
		t.Errorf("the address twice at the bakery: %v", err)
	}
	// Each password signs in to its own merchant, with one hash: a person's accounts share a salt.
	for _, c := range []*checkout.CreatedUser{cafe, bakery} {
		res, err := h.svc.SignIn(h.ctx, email, c.Password, "192.0.2.1")
		if err != nil || res.User == nil || res.User.ID != c.User.ID || len(res.Choices) != 0 {
			t.Errorf("signing in with %s's password: %+v %v", c.User.MerchantID, res, err)
		}
	}
	if salt := func(u *store.User) string { return strings.Split(u.PasswordHash, "$")[4] }; salt(cafe.User) != salt(bakery.User) {
		t.Errorf("the two accounts' salts differ: %s, %s", cafe.User.PasswordHash, bakery.User.PasswordHash)
	}
	// Up to MaxAccountsPerEmail accounts; a sixth is refused without saying where the others are.
	for _, m := range merchants[2:5] {
		if _, err := h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: m.ID, Email: email}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: merchants[5].ID, Email: email})
	var ce *checkout.Error
	if !errors.As(err, &ce) || ce.Code != "email_unavailable" || strings.Contains(ce.Message, "mer_") {
		t.Errorf("a sixth account: %v", err)
	}
	// An operator names the merchant to reset a password of an address at several.
	if _, err := h.svc.ResetPassword(h.ctx, "", email, ""); errCode(err) != "merchant_required" {
		t.Errorf("reset without a merchant: %v", err)
	}
	reset, err := h.svc.ResetPassword(h.ctx, merchants[1].ID, email, "")
	if err != nil || reset.User.ID != bakery.User.ID {
		t.Fatalf("reset at the bakery: %+v %v", reset, err)
	}
	if res, err := h.svc.SignIn(h.ctx, email, reset.Password, "192.0.2.1"); err != nil || res.User == nil || res.User.ID != bakery.User.ID {
		t.Errorf("the bakery's new password: %+v %v", res, err)
	}
	if res, err := h.svc.SignIn(h.ctx, email, cafe.Password, "192.0.2.1"); err != nil || res.User == nil || res.User.ID != cafe.User.ID {
		t.Errorf("the café's password after the bakery's reset: %+v %v", res, err)
	}
}

func TestSignInOffersTheMerchantsOfASharedPassword(t *testing.T) {
	h := newHarness(t)
	const email, shared = "owner@example.com", "one password for two shops"
	add := func(name, password string) *store.User {
		t.Helper()
		m := h.m
		if name != "" {
			cm, err := h.svc.CreateMerchant(h.ctx, checkout.NewMerchant{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			m = cm.Merchant
		}
		cu, err := h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: m.ID, Email: email, Password: password})
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Add(time.Second) // the choices list the oldest account first
		return cu.User
	}
	cafe, bakery := add("", shared), add("빵집", shared)
	add("꽃집", "the flower shop's own password")
	res, err := h.svc.SignIn(h.ctx, email, shared, "192.0.2.1")
	if err != nil || res.User != nil || len(res.Choices) != 2 || res.Choices[0].Merchant != "테스트 카페" || res.Choices[1].Merchant != "빵집" {
		t.Fatalf("the choice: %+v %v", res, err)
	}
	for i, want := range []*store.User{cafe, bakery} {
		if u, err := h.svc.ChooseSignIn(h.ctx, res.Choices[i].Token); err != nil || u.ID != want.ID {
			t.Errorf("choice %d: %+v %v", i, u, err)
		}
	}
	// A choice is not a way in by other means: changed, of a user whose password changed since,
	// or too old, it is refused.
	token := res.Choices[1].Token
	forged := strings.Replace(token, bakery.ID, cafe.ID, 1)
	for _, bad := range []string{"", "x", token + "x", token[:len(token)-2], forged} {
		if _, err := h.svc.ChooseSignIn(h.ctx, bad); !errors.Is(err, checkout.ErrChoiceExpired) {
			t.Errorf("choice %q: %v", bad, err)
		}
	}
	if _, err := h.svc.ChangePassword(h.ctx, bakery.ID, shared, "the bakery's new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.ChooseSignIn(h.ctx, token); !errors.Is(err, checkout.ErrChoiceExpired) {
		t.Errorf("the choice of a user whose password changed: %v", err)
	}
	h.clock.Add(checkout.LoginChoiceTTL)
	if _, err := h.svc.ChooseSignIn(h.ctx, res.Choices[0].Token); !errors.Is(err, checkout.ErrChoiceExpired) {
		t.Errorf("a choice as old as LoginChoiceTTL: %v", err)
	}
}

func TestAccountsPerEmailStayBoundedUnderParallelAdds(t *testing.T) {
	h := newHarness(t)
	var merchants []string
	for i := range checkout.MaxAccountsPerEmail + 3 {
		cm, err := h.svc.CreateMerchant(h.ctx, checkout.NewMerchant{Name: "상점 " + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		merchants = append(merchants, cm.Merchant.ID)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(merchants))
	for i, id := range merchants {
		wg.Go(func() {
			_, errs[i] = h.svc.CreateUser(h.ctx, checkout.NewUser{MerchantID: id, Email: "owner@example.com"})
		})
	}
	wg.Wait()
	added := 0
	for _, err := range errs {
		switch {
		case err == nil:
			added++
		case errCode(err) != "email_unavailable":
			t.Errorf("an add: %v", err)
		}
	}
	if added != checkout.MaxAccountsPerEmail {
		t.Errorf("%d accounts added, want %d", added, checkout.MaxAccountsPerEmail)
	}
}

package accounts_test

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

func TestCreateAndAuthenticateUser(t *testing.T) {
	h := apptest.New(t)
	cu := addUser(h, accounts.UserParams{MerchantID: h.M.ID, Email: "Owner@Cafe.example"})
	if cu.User.Role != accounts.RoleOwner || len(cu.Password) < 20 || !strings.HasPrefix(cu.User.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("created %+v with password %q", cu.User, cu.Password)
	}
	users, err := h.Users.Authenticate(h.Ctx, "owner@cafe.example", cu.Password)
	if err != nil || len(users) != 1 || users[0].ID != cu.User.ID || users[0].MerchantID != h.M.ID {
		t.Fatalf("authenticate: %+v, %v", users, err)
	}
	for _, c := range []struct{ email, password string }{
		{"owner@cafe.example", cu.Password + "x"},
		{"nobody@cafe.example", cu.Password},
	} {
		if _, err := h.Users.Authenticate(h.Ctx, c.email, c.password); !errors.Is(err, accounts.ErrBadLogin) {
			t.Errorf("%s: %v, want ErrBadLogin", c.email, err)
		}
	}
	_, err = h.Users.Create(h.Ctx, accounts.UserParams{MerchantID: h.M.ID, Email: "OWNER@cafe.example"})
	var ce *domain.Error
	if !errors.As(err, &ce) || ce.Code != "email_taken" {
		t.Errorf("same e-mail in another case: %v", err)
	}
	for _, nu := range []accounts.UserParams{
		{MerchantID: h.M.ID, Email: "not an address"},
		{MerchantID: h.M.ID, Email: "a@b.example", Role: "admin"},
		{MerchantID: h.M.ID, Email: "a@b.example", Password: "short"},
		{MerchantID: "mer_nope", Email: "a@b.example"},
	} {
		if _, err := h.Users.Create(h.Ctx, nu); !errors.As(err, &ce) || ce.Kind != domain.KindInvalid {
			t.Errorf("%+v: %v, want invalid", nu, err)
		}
	}
}

// addUser creates a dashboard user from p, failing the test if it cannot.
func addUser(h *apptest.Harness, p accounts.UserParams) *accounts.CreatedUser {
	h.T.Helper()
	cu, err := h.Users.Create(h.Ctx, p)
	if err != nil {
		h.T.Fatal(err)
	}
	return cu
}

// errCode is the code of a *domain.Error, or "" for any other error.
func errCode(err error) string {
	var ce *domain.Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}

func TestChangePassword(t *testing.T) {
	h := apptest.New(t)
	cu := addUser(h, accounts.UserParams{MerchantID: h.M.ID, Email: "owner@cafe.example"})
	id, old := cu.User.ID, cu.Password
	if _, err := h.Users.ChangePassword(h.Ctx, id, old+"x", "a new long password"); errCode(err) != "wrong_password" {
		t.Errorf("wrong current password: %v", err)
	}
	if _, err := h.Users.ChangePassword(h.Ctx, id, old, "short"); errCode(err) != "invalid_password" {
		t.Errorf("a short new password: %v", err)
	}
	h.Clock.Add(1500 * time.Microsecond)
	u, err := h.Users.ChangePassword(h.Ctx, id, old, "a new long password")
	if err != nil {
		t.Fatal(err)
	}
	want := h.Clock.Now().Truncate(time.Millisecond)
	if !u.PasswordChangedAt.Equal(want) {
		t.Errorf("changed at %v, want the clock to the millisecond %v", u.PasswordChangedAt, want)
	}
	if got, err := h.DB.User(h.Ctx, id); err != nil || !got.PasswordChangedAt.Equal(want) {
		t.Errorf("stored: %+v %v", got, err)
	}
	if _, err := h.Users.Authenticate(h.Ctx, "owner@cafe.example", old); !errors.Is(err, accounts.ErrBadLogin) {
		t.Errorf("the old password: %v", err)
	}
	if _, err := h.Users.Authenticate(h.Ctx, "owner@cafe.example", "a new long password"); err != nil {
		t.Errorf("the new password: %v", err)
	}

	reset, err := h.Users.ResetPassword(h.Ctx, "", "OWNER@cafe.example", "")
	if err != nil || len(reset.Password) < 20 {
		t.Fatalf("reset: %+v %v", reset, err)
	}
	if _, err := h.Users.Authenticate(h.Ctx, "owner@cafe.example", reset.Password); err != nil {
		t.Errorf("the reset password: %v", err)
	}
	if _, err := h.Users.ResetPassword(h.Ctx, "", "nobody@cafe.example", ""); errCode(err) != "resource_missing" {
		t.Errorf("reset of an unknown e-mail: %v", err)
	}
	if _, err := h.Users.ResetPassword(h.Ctx, "", "owner@cafe.example", "short"); errCode(err) != "invalid_password" {
		t.Errorf("reset to a short password: %v", err)
	}
}

func TestUserRolesKeepAnOwner(t *testing.T) {
	h := apptest.New(t)
	add := func(email, role string) *store.User {
		t.Helper()
		return addUser(h, accounts.UserParams{MerchantID: h.M.ID, Email: email, Role: role}).User
	}
	owner, staff := add("owner@cafe.example", accounts.RoleOwner), add("staff@cafe.example", accounts.RoleStaff)
	if _, err := h.Users.SetRole(h.Ctx, h.M, owner.ID, accounts.RoleStaff); errCode(err) != "last_owner" {
		t.Errorf("demoting the last owner: %v", err)
	}
	if err := h.Users.Remove(h.Ctx, h.M, owner.ID); errCode(err) != "last_owner" {
		t.Errorf("removing the last owner: %v", err)
	}
	if _, err := h.Users.SetRole(h.Ctx, h.M, staff.ID, "admin"); errCode(err) != "invalid_role" {
		t.Errorf("an unknown role: %v", err)
	}
	if u, err := h.Users.SetRole(h.Ctx, h.M, staff.ID, accounts.RoleOwner); err != nil || u.Role != accounts.RoleOwner {
		t.Fatalf("promoting: %+v %v", u, err)
	}
	if u, err := h.Users.SetRole(h.Ctx, h.M, staff.ID, accounts.RoleOwner); err != nil || u.Role != accounts.RoleOwner {
		t.Errorf("the same role again: %+v %v", u, err)
	}

	// Two owners demoting each other at once: one wins, the other is refused.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, id := range []string{owner.ID, staff.ID} {
		wg.Go(func() { _, errs[i] = h.Users.SetRole(h.Ctx, h.M, id, accounts.RoleStaff) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || errCode(errs[0])+errCode(errs[1]) != "last_owner" {
		t.Errorf("concurrent demotions: %v, %v", errs[0], errs[1])
	}
	list, err := h.Users.Users(h.Ctx, h.M)
	if err != nil || len(list) != 2 {
		t.Fatalf("users: %v %v", list, err)
	}
	owners := 0
	for _, u := range list {
		if u.Role == accounts.RoleOwner {
			owners++
		}
	}
	if owners != 1 {
		t.Errorf("%d owners after the race, want 1", owners)
	}

	other := h.Merchant("다른 상점")
	for name, fn := range map[string]func() error{
		"read": func() error { _, err := h.Users.User(h.Ctx, other, owner.ID); return err },
		"role": func() error {
			_, err := h.Users.SetRole(h.Ctx, other, staff.ID, accounts.RoleOwner)
			return err
		},
		"remove": func() error { return h.Users.Remove(h.Ctx, other, staff.ID) },
	} {
		var ce *domain.Error
		if err := fn(); !errors.As(err, &ce) || ce.Kind != domain.KindNotFound {
			t.Errorf("%s another merchant's user: %v", name, err)
		}
	}

	staffNow := list[0]
	if staffNow.Role == accounts.RoleOwner {
		staffNow = list[1]
	}
	if err := h.Users.Remove(h.Ctx, h.M, staffNow.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.Users.Remove(h.Ctx, h.M, staffNow.ID); errCode(err) != "resource_missing" {
		t.Errorf("removing twice: %v", err)
	}
	if _, err := h.DB.User(h.Ctx, staffNow.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the removed user: %v", err)
	}
}

func TestOneEmailAtSeveralMerchants(t *testing.T) {
	h := apptest.New(t)
	const email = "owner@example.com"
	merchants := []*store.Merchant{h.M}
	for _, name := range []string{"빵집", "꽃집", "서점", "문구점", "꽃집 2호점"} {
		merchants = append(merchants, h.Merchant(name))
	}
	cafe := addUser(h, accounts.UserParams{MerchantID: h.M.ID, Email: email})
	// Another merchant adds the address as it would any: nothing says the café has it.
	bakery, err := h.Users.Create(h.Ctx, accounts.UserParams{MerchantID: merchants[1].ID, Email: "Owner@Example.com", Role: accounts.RoleStaff})
	if err != nil || bakery.User.MerchantID != merchants[1].ID || bakery.User.ID == cafe.User.ID {
		t.Fatalf("the address at a second merchant: %+v %v", bakery, err)
	}
	if _, err := h.Users.Create(h.Ctx, accounts.UserParams{MerchantID: merchants[1].ID, Email: email}); errCode(err) != "email_taken" {
		t.Errorf("the address twice at the bakery: %v", err)
	}
	// Each password signs in to its own merchant, with one hash: a person's accounts share a salt.
	for _, c := range []*accounts.CreatedUser{cafe, bakery} {
		res, err := h.Users.SignIn(h.Ctx, email, c.Password, "192.0.2.1")
		if err != nil || res.User == nil || res.User.ID != c.User.ID || len(res.Choices) != 0 {
			t.Errorf("signing in with %s's password: %+v %v", c.User.MerchantID, res, err)
		}
	}
	if salt := func(u *store.User) string { return strings.Split(u.PasswordHash, "$")[4] }; salt(cafe.User) != salt(bakery.User) {
		t.Errorf("the two accounts' salts differ: %s, %s", cafe.User.PasswordHash, bakery.User.PasswordHash)
	}
	// Up to MaxAccountsPerEmail accounts; a sixth is refused without saying where the others are.
	for _, m := range merchants[2:5] {
		if _, err := h.Users.Create(h.Ctx, accounts.UserParams{MerchantID: m.ID, Email: email}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = h.Users.Create(h.Ctx, accounts.UserParams{MerchantID: merchants[5].ID, Email: email})
	var ce *domain.Error
	if !errors.As(err, &ce) || ce.Code != "email_unavailable" || strings.Contains(ce.Message, "mer_") {
		t.Errorf("a sixth account: %v", err)
	}
	// An operator names the merchant to reset a password of an address at several.
	if _, err := h.Users.ResetPassword(h.Ctx, "", email, ""); errCode(err) != "merchant_required" {
		t.Errorf("reset without a merchant: %v", err)
	}
	reset, err := h.Users.ResetPassword(h.Ctx, merchants[1].ID, email, "")
	if err != nil || reset.User.ID != bakery.User.ID {
		t.Fatalf("reset at the bakery: %+v %v", reset, err)
	}
	if res, err := h.Users.SignIn(h.Ctx, email, reset.Password, "192.0.2.1"); err != nil || res.User == nil || res.User.ID != bakery.User.ID {
		t.Errorf("the bakery's new password: %+v %v", res, err)
	}
	if res, err := h.Users.SignIn(h.Ctx, email, cafe.Password, "192.0.2.1"); err != nil || res.User == nil || res.User.ID != cafe.User.ID {
		t.Errorf("the café's password after the bakery's reset: %+v %v", res, err)
	}
}

func TestSignInOffersTheMerchantsOfASharedPassword(t *testing.T) {
	h := apptest.New(t)
	const email, shared = "owner@example.com", "one password for two shops"
	add := func(name, password string) *store.User {
		t.Helper()
		m := h.M
		if name != "" {
			m = h.Merchant(name)
		}
		cu := addUser(h, accounts.UserParams{MerchantID: m.ID, Email: email, Password: password})
		h.Clock.Add(time.Second) // the choices list the oldest account first
		return cu.User
	}
	cafe, bakery := add("", shared), add("빵집", shared)
	add("꽃집", "the flower shop's own password")
	res, err := h.Users.SignIn(h.Ctx, email, shared, "192.0.2.1")
	if err != nil || res.User != nil || len(res.Choices) != 2 || res.Choices[0].Merchant != "테스트 카페" || res.Choices[1].Merchant != "빵집" {
		t.Fatalf("the choice: %+v %v", res, err)
	}
	for i, want := range []*store.User{cafe, bakery} {
		if u, err := h.Users.ChooseSignIn(h.Ctx, res.Choices[i].Token); err != nil || u.ID != want.ID {
			t.Errorf("choice %d: %+v %v", i, u, err)
		}
	}
	// A choice is not a way in by other means: changed, of a user whose password changed since,
	// or too old, it is refused.
	token := res.Choices[1].Token
	forged := strings.Replace(token, bakery.ID, cafe.ID, 1)
	for _, bad := range []string{"", "x", token + "x", token[:len(token)-2], forged} {
		if _, err := h.Users.ChooseSignIn(h.Ctx, bad); !errors.Is(err, accounts.ErrChoiceExpired) {
			t.Errorf("choice %q: %v", bad, err)
		}
	}
	if _, err := h.Users.ChangePassword(h.Ctx, bakery.ID, shared, "the bakery's new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Users.ChooseSignIn(h.Ctx, token); !errors.Is(err, accounts.ErrChoiceExpired) {
		t.Errorf("the choice of a user whose password changed: %v", err)
	}
	h.Clock.Add(accounts.LoginChoiceTTL)
	if _, err := h.Users.ChooseSignIn(h.Ctx, res.Choices[0].Token); !errors.Is(err, accounts.ErrChoiceExpired) {
		t.Errorf("a choice as old as LoginChoiceTTL: %v", err)
	}
}

func TestAccountsPerEmailStayBoundedUnderParallelAdds(t *testing.T) {
	h := apptest.New(t)
	var merchants []string
	for i := range accounts.MaxAccountsPerEmail + 3 {
		merchants = append(merchants, h.Merchant("상점 "+strconv.Itoa(i)).ID)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(merchants))
	for i, id := range merchants {
		wg.Go(func() {
			_, errs[i] = h.Users.Create(h.Ctx, accounts.UserParams{MerchantID: id, Email: "owner@example.com"})
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
	if added != accounts.MaxAccountsPerEmail {
		t.Errorf("%d accounts added, want %d", added, accounts.MaxAccountsPerEmail)
	}
}

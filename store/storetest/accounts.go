package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

// The cases of the accounts: a merchant's settings and API keys, its dashboard users and their
// sessions, failed sign-ins and the shared secrets.

// testMerchantSettings: a merchant's name and limits are written together, leave its key and
// embed origins alone, and a missing merchant is not found.
func testMerchantSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	other := fixture.Merchant(t, s, "mer_2")
	m.EmbedOrigins = []string{"https://shop.example"}
	fixture.Write(t, s, store.Tx.UpdateMerchantEmbedOrigins, m)
	m.Name, m.MinAmount, m.MaxAmount = "새 이름 카페", 1000, 50000
	fixture.Write(t, s, store.Tx.UpdateMerchantSettings, m)
	got, err := s.Merchant(ctx, m.ID)
	if err != nil || got.Name != "새 이름 카페" || got.MinAmount != 1000 || got.MaxAmount != 50000 ||
		got.CID != m.CID || !slices.Equal(got.EmbedOrigins, m.EmbedOrigins) {
		t.Fatalf("after the update: %+v %v", got, err)
	}
	if got, err := s.Merchant(ctx, other.ID); err != nil || got.Name != other.Name || got.MaxAmount != other.MaxAmount {
		t.Errorf("another merchant changed: %+v %v", got, err)
	}
	missing := *m
	missing.ID = "mer_nope"
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateMerchantSettings(ctx, &missing) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing merchant: %v", err)
	}
}

func testAPIKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	m, other := fixture.Merchant(t, s, "mer_1"), fixture.Merchant(t, s, "mer_2")
	create := func(k *store.APIKey) error {
		return s.Transact(ctx, func(tx store.Tx) error { return tx.CreateAPIKey(ctx, k) })
	}
	key := func(id, merchantID, prefix string, at time.Time) *store.APIKey {
		return &store.APIKey{ID: id, MerchantID: merchantID, Prefix: prefix, Hash: []byte{1, 2, 3}, Last4: "AB12", CreatedAt: at}
	}
	first := key("key_1", m.ID, "sk_test_AAAAAAAA", fixture.T0)
	first.Label = "주문 서버"
	second := key("key_2", m.ID, "sk_test_BBBBBBBB", fixture.T0.Add(time.Minute))
	second.CreateToken = "form-1"
	for _, k := range []*store.APIKey{first, second, key("key_3", other.ID, "sk_test_CCCCCCCC", fixture.T0)} {
		if err := create(k); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.APIKeyByPrefix(ctx, "sk_test_AAAAAAAA")
	if err != nil || got.ID != "key_1" || got.MerchantID != m.ID || string(got.Hash) != "\x01\x02\x03" || got.Last4 != "AB12" ||
		got.Label != "주문 서버" || !got.CreatedAt.Equal(fixture.T0) || !got.LastUsedAt.IsZero() || !got.RevokedAt.IsZero() {
		t.Fatalf("by prefix: %+v %v", got, err)
	}
	if _, err := s.APIKeyByPrefix(ctx, "sk_test_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown prefix: %v", err)
	}
	if _, err := s.APIKey(ctx, "key_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}

	// A prefix is unique across merchants; a form token only within one merchant.
	if err := create(key("key_4", other.ID, "sk_test_AAAAAAAA", fixture.T0)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second key with a taken prefix: %v", err)
	}
	again := key("key_5", m.ID, "sk_test_DDDDDDDD", fixture.T0)
	again.CreateToken = "form-1"
	if err := create(again); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second key from one form: %v", err)
	}
	elsewhere := key("key_6", other.ID, "sk_test_EEEEEEEE", fixture.T0)
	elsewhere.CreateToken = "form-1"
	if err := create(elsewhere); err != nil {
		t.Errorf("another merchant's form with the same token: %v", err)
	}

	list, err := s.APIKeys(ctx, m.ID)
	if err != nil || len(list) != 2 || list[0].ID != "key_2" || list[1].ID != "key_1" || list[0].CreateToken != "form-1" {
		t.Fatalf("a merchant's keys, newest first: %v %v", apiKeyIDs(list), err)
	}

	// A use is recorded at most once per interval.
	touch := func(at time.Time) {
		t.Helper()
		if err := s.Transact(ctx, func(tx store.Tx) error { return tx.TouchAPIKey(ctx, "key_1", at, at.Add(-time.Minute)) }); err != nil {
			t.Fatal(err)
		}
	}
	used := fixture.T0.Add(time.Hour)
	touch(used)
	touch(used.Add(30 * time.Second))
	if got, _ := s.APIKey(ctx, "key_1"); !got.LastUsedAt.Equal(used) {
		t.Errorf("last used %v, want %v (the second use was within the minute)", got.LastUsedAt, used)
	}
	touch(used.Add(61 * time.Second))
	if got, _ := s.APIKey(ctx, "key_1"); !got.LastUsedAt.Equal(used.Add(61 * time.Second)) {
		t.Errorf("last used %v a minute later", got.LastUsedAt)
	}

	// Revoking twice keeps the first time; a missing key is not found.
	revoke := func(id string, at time.Time) error {
		return s.Transact(ctx, func(tx store.Tx) error { return tx.RevokeAPIKey(ctx, id, at) })
	}
	revoked := fixture.T0.Add(2 * time.Hour)
	if err := revoke("key_1", revoked); err != nil {
		t.Fatal(err)
	}
	if err := revoke("key_1", revoked.Add(time.Hour)); err != nil {
		t.Errorf("revoking again: %v", err)
	}
	if got, _ := s.APIKeyByPrefix(ctx, "sk_test_AAAAAAAA"); !got.RevokedAt.Equal(revoked) {
		t.Errorf("revoked at %v, want %v", got.RevokedAt, revoked)
	}
	if err := revoke("key_nope", revoked); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking a missing key: %v", err)
	}
	if got, _ := s.APIKey(ctx, "key_2"); !got.RevokedAt.IsZero() {
		t.Errorf("the other key was revoked too: %+v", got)
	}
}

func apiKeyIDs(list []*store.APIKey) []string {
	return fixture.IDs(list, func(k *store.APIKey) string { return k.ID })
}

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	u := &store.User{ID: "usr_1", MerchantID: m.ID, Email: "Owner@Shop.example", PasswordHash: "$argon2id$x", Role: "owner",
		CreatedAt: fixture.T0, PasswordChangedAt: fixture.T0}
	create := func(u *store.User) error {
		return s.Transact(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })
	}
	if err := create(u); err != nil {
		t.Fatal(err)
	}
	byEmail, err := s.UsersByEmail(ctx, "owner@SHOP.example")
	if err != nil || len(byEmail) != 1 {
		t.Fatalf("by e-mail: %v %v", byEmail, err)
	}
	if got := byEmail[0]; got.ID != "usr_1" || got.Email != u.Email || got.Role != "owner" || !got.PasswordChangedAt.Equal(fixture.T0) {
		t.Fatalf("by e-mail: %+v", got)
	}
	if none, err := s.UsersByEmail(ctx, "nobody@shop.example"); err != nil || len(none) != 0 {
		t.Errorf("an unknown e-mail: %v %v", none, err)
	}
	if got, err := s.User(ctx, "usr_1"); err != nil || got.MerchantID != m.ID {
		t.Errorf("by id: %+v %v", got, err)
	}
	if _, err := s.User(ctx, "usr_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing user: %v", err)
	}
	dup := *u
	dup.ID, dup.Email = "usr_2", "OWNER@shop.EXAMPLE"
	if err := create(&dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("the same e-mail in another case: %v", err)
	}
	testUserElsewhere(t, s, u)
	testUserChanges(t, s, u)
}

// testUserElsewhere gives u's e-mail to a user of another merchant: an e-mail is unique per
// merchant only, and UsersByEmail finds both, oldest first.
func testUserElsewhere(t *testing.T, s store.Store, u *store.User) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_3")
	twin := &store.User{ID: "usr_0", MerchantID: m.ID, Email: "OWNER@shop.example", PasswordHash: "$argon2id$t", Role: "staff",
		CreatedAt: fixture.T0.Add(time.Second), PasswordChangedAt: fixture.T0.Add(time.Second)}
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, twin) }); err != nil {
		t.Fatalf("the e-mail at another merchant: %v", err)
	}
	list, err := s.UsersByEmail(ctx, "owner@shop.EXAMPLE")
	if err != nil || len(list) != 2 || list[0].ID != u.ID || list[1].ID != twin.ID || list[1].MerchantID != m.ID {
		t.Errorf("by e-mail at two merchants: %v %v", list, err)
	}
	err = s.Transact(ctx, func(tx store.Tx) error {
		list, err := tx.UsersByEmail(ctx, u.Email)
		if err == nil && len(list) != 2 {
			t.Errorf("by e-mail in a transaction: %v", list)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := s.Users(ctx, u.MerchantID); err != nil || len(list) != 1 || list[0].ID != u.ID {
		t.Errorf("the first merchant's users: %v %v", list, err)
	}
}

// testUserChanges lists, updates and removes users; another merchant's user is never listed.
func testUserChanges(t *testing.T, s store.Store, u *store.User) {
	ctx := t.Context()
	other := fixture.Merchant(t, s, "mer_2")
	staff := &store.User{ID: "usr_3", MerchantID: u.MerchantID, Email: "staff@shop.example", PasswordHash: "$argon2id$y", Role: "staff",
		CreatedAt: fixture.T0.Add(time.Minute), PasswordChangedAt: fixture.T0.Add(time.Minute)}
	elsewhere := &store.User{ID: "usr_4", MerchantID: other.ID, Email: "owner@other.example", PasswordHash: "$argon2id$z", Role: "owner",
		CreatedAt: fixture.T0, PasswordChangedAt: fixture.T0}
	for _, nu := range []*store.User{staff, elsewhere} {
		fixture.Write(t, s, store.Tx.CreateUser, nu)
	}
	list, err := s.Users(ctx, u.MerchantID)
	if err != nil || len(list) != 2 || list[0].ID != u.ID || list[1].ID != staff.ID || list[1].Role != "staff" {
		t.Fatalf("users: %v %v", list, err)
	}
	if list, err := s.Users(ctx, "mer_none"); err != nil || len(list) != 0 {
		t.Errorf("a merchant without users: %v %v", list, err)
	}
	err = s.Transact(ctx, func(tx store.Tx) error {
		locked, err := tx.LockUsers(ctx, u.MerchantID)
		if err == nil && (len(locked) != 2 || locked[0].ID != u.ID || locked[1].ID != staff.ID) {
			t.Errorf("locked users: %v", locked)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	changedAt := fixture.T0.Add(time.Hour + 123*time.Millisecond)
	up := *staff
	up.PasswordHash, up.PasswordChangedAt, up.Role = "$argon2id$new", changedAt, "owner"
	up.Email, up.MerchantID, up.CreatedAt = "ignored@shop.example", other.ID, fixture.T0.Add(time.Hour) // not written
	fixture.Write(t, s, store.Tx.UpdateUser, &up)
	got, err := s.User(ctx, staff.ID)
	if err != nil || got.PasswordHash != "$argon2id$new" || !got.PasswordChangedAt.Equal(changedAt) || got.Role != "owner" ||
		got.Email != staff.Email || got.MerchantID != staff.MerchantID || !got.CreatedAt.Equal(staff.CreatedAt) {
		t.Errorf("updated: %+v %v", got, err)
	}
	gone := &store.User{ID: "usr_nope", Role: "staff"}
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateUser(ctx, gone) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a missing user: %v", err)
	}

	fixture.Write(t, s, store.Tx.DeleteUser, staff.ID)
	if _, err := s.User(ctx, staff.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a removed user: %v", err)
	}
	if list, err := s.UsersByEmail(ctx, staff.Email); err != nil || len(list) != 0 {
		t.Errorf("a removed user by e-mail: %v %v", list, err)
	}
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.DeleteUser(ctx, staff.ID) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}
	if list, err := s.Users(ctx, other.ID); err != nil || len(list) != 1 || list[0].ID != elsewhere.ID {
		t.Errorf("the other merchant's users: %v %v", list, err)
	}
	// The e-mail is free again once its user is gone.
	again := *staff
	again.ID = "usr_5"
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, &again) }); err != nil {
		t.Errorf("re-adding a removed user's e-mail: %v", err)
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	tx := func(fn func(tx store.Tx) error) error { return s.Transact(ctx, fn) }
	create := func(id, userID string, at time.Time) {
		t.Helper()
		se := &store.Session{ID: id, UserID: userID, CreatedAt: at, SeenAt: at, ExpiresAt: at.Add(12 * time.Hour)}
		if err := tx(func(tx store.Tx) error { return tx.CreateSession(ctx, se) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Session(ctx, "sess_a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no session yet: %v", err)
	}
	create("sess_a", "usr_1", fixture.T0)
	got, err := s.Session(ctx, "sess_a")
	if err != nil || got.UserID != "usr_1" || !got.CreatedAt.Equal(fixture.T0) || !got.SeenAt.Equal(fixture.T0) || !got.ExpiresAt.Equal(fixture.T0.Add(12*time.Hour)) {
		t.Fatalf("read back: %+v %v", got, err)
	}
	dup := &store.Session{ID: "sess_a", UserID: "usr_2", CreatedAt: fixture.T0, SeenAt: fixture.T0, ExpiresAt: fixture.T0}
	if err := tx(func(tx store.Tx) error { return tx.CreateSession(ctx, dup) }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a taken id: %v", err)
	}

	// Touched once a minute at most: a later touch within the minute writes nothing.
	touch := func(at time.Time) {
		t.Helper()
		if err := tx(func(tx store.Tx) error { return tx.TouchSession(ctx, "sess_a", at, at.Add(-time.Minute)) }); err != nil {
			t.Fatal(err)
		}
	}
	touch(fixture.T0.Add(30 * time.Second))
	if got, _ := s.Session(ctx, "sess_a"); !got.SeenAt.Equal(fixture.T0) {
		t.Errorf("touched within the minute: seen %v", got.SeenAt)
	}
	touch(fixture.T0.Add(2 * time.Minute))
	if got, _ := s.Session(ctx, "sess_a"); !got.SeenAt.Equal(fixture.T0.Add(2*time.Minute)) || !got.CreatedAt.Equal(fixture.T0) {
		t.Errorf("touched after two minutes: %+v", got)
	}
	if err := tx(func(tx store.Tx) error { return tx.TouchSession(ctx, "sess_none", fixture.T0, fixture.T0) }); err != nil {
		t.Errorf("touching a session that is gone: %v", err)
	}

	testSessionEnds(t, s)
}

// testSessionEnds deletes one session, a user's sessions, and ended ones.
func testSessionEnds(t *testing.T, s store.Store) {
	ctx := t.Context()
	tx := func(fn func(tx store.Tx) error) error { return s.Transact(ctx, fn) }
	for _, se := range []*store.Session{
		{ID: "sess_b", UserID: "usr_1", CreatedAt: fixture.T0, SeenAt: fixture.T0, ExpiresAt: fixture.T0.Add(12 * time.Hour)},
		{ID: "sess_c", UserID: "usr_2", CreatedAt: fixture.T0, SeenAt: fixture.T0, ExpiresAt: fixture.T0.Add(12 * time.Hour)},
		{ID: "sess_idle", UserID: "usr_2", CreatedAt: fixture.T0, SeenAt: fixture.T0.Add(-time.Hour), ExpiresAt: fixture.T0.Add(12 * time.Hour)},
		{ID: "sess_old", UserID: "usr_3", CreatedAt: fixture.T0.Add(-12 * time.Hour), SeenAt: fixture.T0, ExpiresAt: fixture.T0},
	} {
		if err := tx(func(tx store.Tx) error { return tx.CreateSession(ctx, se) }); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // a second sign-out finds nothing to end, and that is no error
		if err := tx(func(tx store.Tx) error { return tx.DeleteSession(ctx, "sess_a") }); err != nil {
			t.Errorf("delete: %v", err)
		}
	}
	if _, err := s.Session(ctx, "sess_a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted session: %v", err)
	}
	var n int
	err := tx(func(tx store.Tx) (err error) { n, err = tx.DeleteUserSessions(ctx, "usr_1"); return err })
	if _, gone := s.Session(ctx, "sess_b"); err != nil || n != 1 || !errors.Is(gone, store.ErrNotFound) {
		t.Errorf("the user's sessions: %d %v, read after: %v", n, err, gone)
	}
	err = tx(func(tx store.Tx) (err error) {
		n, err = tx.DropEndedSessions(ctx, fixture.T0, fixture.T0.Add(-30*time.Minute))
		return err
	})
	if err != nil || n != 2 {
		t.Errorf("dropping the expired and the idle: %d %v", n, err)
	}
	for id, live := range map[string]bool{"sess_c": true, "sess_idle": false, "sess_old": false} {
		if _, err := s.Session(ctx, id); (err == nil) != live {
			t.Errorf("%s after the drop: %v, want live %v", id, err, live)
		}
	}
}

func testSecrets(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.Secret(ctx, "session"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no secret yet: %v", err)
	}
	put := func(v string) error {
		return s.Transact(ctx, func(tx store.Tx) error { return tx.CreateSecret(ctx, "session", []byte(v)) })
	}
	if err := put("first"); err != nil {
		t.Fatal(err)
	}
	if err := put("second"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second secret of one name: %v", err)
	}
	if v, err := s.Secret(ctx, "session"); err != nil || string(v) != "first" {
		t.Errorf("secret: %q %v", v, err)
	}
}

func testLoginFailures(t *testing.T, s store.Store) {
	ctx := t.Context()
	if f, err := s.LoginFailures(ctx, "ip:127.0.0.1"); err != nil || f.Count != 0 {
		t.Fatalf("none yet: %+v %v", f, err)
	}
	put := func(key string, f store.LoginFailures) {
		t.Helper()
		if err := s.Transact(ctx, func(tx store.Tx) error { return tx.PutLoginFailures(ctx, key, f) }); err != nil {
			t.Fatal(err)
		}
	}
	put("ip:127.0.0.1", store.LoginFailures{Count: 1, Last: fixture.T0})
	put("ip:127.0.0.1", store.LoginFailures{Count: 2, Last: fixture.T0.Add(time.Minute)})
	put("email:a@b.example", store.LoginFailures{Count: 1, Last: fixture.T0})
	if f, err := s.LoginFailures(ctx, "ip:127.0.0.1"); err != nil || f.Count != 2 || !f.Last.Equal(fixture.T0.Add(time.Minute)) {
		t.Errorf("after two: %+v %v", f, err)
	}
	put("ip:127.0.0.1", store.LoginFailures{})
	if f, _ := s.LoginFailures(ctx, "ip:127.0.0.1"); f.Count != 0 {
		t.Errorf("forgotten: %+v", f)
	}
	if f, _ := s.LoginFailures(ctx, "email:a@b.example"); f.Count != 1 {
		t.Errorf("another key: %+v", f)
	}
	put("ip:192.0.2.1", store.LoginFailures{Count: 3, Last: fixture.T0.Add(time.Hour)})
	var n int
	err := s.Transact(ctx, func(tx store.Tx) (err error) {
		n, err = tx.ForgetLoginFailures(ctx, fixture.T0.Add(time.Minute))
		return err
	})
	if err != nil || n != 1 {
		t.Errorf("forgetting the old ones: %d %v", n, err)
	}
	if f, _ := s.LoginFailures(ctx, "email:a@b.example"); f.Count != 0 {
		t.Errorf("an old count stayed: %+v", f)
	}
	if f, _ := s.LoginFailures(ctx, "ip:192.0.2.1"); f.Count != 3 {
		t.Errorf("a recent count went: %+v", f)
	}
}

package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

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
	var out []string
	for _, k := range list {
		out = append(out, k.ID)
	}
	return out
}

package accounts_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/domain"
)

func TestAPIKeysCreateAuthenticateRevoke(t *testing.T) {
	h := apptest.New(t)
	first, err := h.Merchants.APIKeys(h.Ctx, h.M)
	if err != nil || len(first) != 1 {
		t.Fatalf("a new merchant's keys: %d %v", len(first), err)
	}
	ck, err := h.Merchants.CreateAPIKey(h.Ctx, h.M, accounts.APIKeyParams{Label: "  주문 서버  "})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ck.Secret, "sk_test_") || ck.Key.Label != "주문 서버" || ck.Key.Last4 != ck.Secret[len(ck.Secret)-4:] ||
		!strings.HasPrefix(ck.Key.ID, "key_") || strings.Contains(string(ck.Key.Hash), ck.Secret) {
		t.Fatalf("created %+v with secret %q", ck.Key, ck.Secret)
	}
	m, err := h.Merchants.Authenticate(h.Ctx, ck.Secret)
	if err != nil || m.ID != h.M.ID {
		t.Fatalf("authenticate with the new key: %+v %v", m, err)
	}
	k, _ := h.Merchants.APIKey(h.Ctx, h.M, ck.Key.ID)
	used := k.LastUsedAt
	if !used.Equal(h.Clock.Now().UTC().Truncate(time.Millisecond)) {
		t.Errorf("last used %v after a call at %v", used, h.Clock.Now())
	}
	// Within the minute nothing is written; after it, the new time is.
	h.Clock.Add(30 * time.Second)
	h.Merchants.Authenticate(h.Ctx, ck.Secret)
	if k, _ := h.Merchants.APIKey(h.Ctx, h.M, ck.Key.ID); !k.LastUsedAt.Equal(used) {
		t.Errorf("last used %v, want %v kept within the minute", k.LastUsedAt, used)
	}
	h.Clock.Add(31 * time.Second)
	h.Merchants.Authenticate(h.Ctx, ck.Secret)
	if k, _ := h.Merchants.APIKey(h.Ctx, h.M, ck.Key.ID); !k.LastUsedAt.After(used) {
		t.Errorf("last used %v a minute later", k.LastUsedAt)
	}

	// Revoked: refused at once; revoking again changes nothing.
	rk, err := h.Merchants.RevokeAPIKey(h.Ctx, h.M, ck.Key.ID)
	if err != nil || rk.RevokedAt.IsZero() {
		t.Fatalf("revoke: %+v %v", rk, err)
	}
	if _, err := h.Merchants.Authenticate(h.Ctx, ck.Secret); !errors.Is(err, accounts.ErrBadAPIKey) {
		t.Errorf("a revoked key: %v", err)
	}
	h.Clock.Add(time.Hour)
	if again, err := h.Merchants.RevokeAPIKey(h.Ctx, h.M, ck.Key.ID); err != nil || !again.RevokedAt.Equal(rk.RevokedAt) {
		t.Errorf("revoking again: %+v %v", again, err)
	}

	// Another merchant's key is not found, for reading and for revoking.
	other, err := h.Merchants.Create(h.Ctx, accounts.MerchantParams{Name: "다른 상점"})
	if err != nil {
		t.Fatal(err)
	}
	var ce *domain.Error
	if _, err := h.Merchants.APIKey(h.Ctx, other.Merchant, first[0].ID); !errors.As(err, &ce) || ce.Kind != domain.KindNotFound {
		t.Errorf("reading another merchant's key: %v", err)
	}
	if _, err := h.Merchants.RevokeAPIKey(h.Ctx, other.Merchant, first[0].ID); !errors.As(err, &ce) || ce.Kind != domain.KindNotFound {
		t.Errorf("revoking another merchant's key: %v", err)
	}
	if _, err := h.Merchants.Authenticate(h.Ctx, other.APIKey); err != nil {
		t.Errorf("the other merchant's first key: %v", err)
	}
}

func TestCreateAPIKeyOncePerToken(t *testing.T) {
	h := apptest.New(t)
	ck, err := h.Merchants.CreateAPIKey(h.Ctx, h.M, accounts.APIKeyParams{Label: "a", Token: "form-token-1234567890"})
	if err != nil || ck.Secret == "" {
		t.Fatalf("first: %+v %v", ck, err)
	}
	again, err := h.Merchants.CreateAPIKey(h.Ctx, h.M, accounts.APIKeyParams{Label: "a", Token: "form-token-1234567890"})
	if err != nil || again.Secret != "" || again.Key.ID != ck.Key.ID {
		t.Fatalf("resent: %+v %v", again, err)
	}
	if keys, _ := h.Merchants.APIKeys(h.Ctx, h.M); len(keys) != 2 {
		t.Errorf("%d keys after a resend, want 2", len(keys))
	}
	var ce *domain.Error
	for _, bad := range []string{strings.Repeat("가", 61), "two\nlines"} {
		if _, err := h.Merchants.CreateAPIKey(h.Ctx, h.M, accounts.APIKeyParams{Label: bad}); !errors.As(err, &ce) || ce.Code != "label_invalid" {
			t.Errorf("label %q: %v", bad, err)
		}
	}
}

func TestRotateKeyRevokesTheOthers(t *testing.T) {
	h := apptest.New(t)
	a, _ := h.Merchants.CreateAPIKey(h.Ctx, h.M, accounts.APIKeyParams{})
	fresh, err := h.Merchants.RotateAPIKeys(h.Ctx, h.M)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Merchants.Authenticate(h.Ctx, a.Secret); !errors.Is(err, accounts.ErrBadAPIKey) {
		t.Errorf("an old key after rotation: %v", err)
	}
	if m, err := h.Merchants.Authenticate(h.Ctx, fresh); err != nil || m.ID != h.M.ID {
		t.Errorf("the rotated key: %v", err)
	}
	keys, _ := h.Merchants.APIKeys(h.Ctx, h.M)
	active := 0
	for _, k := range keys {
		if k.RevokedAt.IsZero() {
			active++
		}
	}
	if len(keys) != 3 || active != 1 {
		t.Errorf("%d keys, %d active after rotation; want 3 and 1", len(keys), active)
	}
}

// TestAuthenticateSeesChangesAtOnceHereAndWithinTheBoundElsewhere: what Authenticate remembers of
// a key and its merchant never outlives a change made through this instance, and a change made
// through another instance over the same database is seen within accounts.KeyCacheFor.
func TestAuthenticateSeesChangesAtOnceHereAndWithinTheBoundElsewhere(t *testing.T) {
	h := apptest.New(t)
	ck, err := h.Merchants.CreateAPIKey(h.Ctx, h.M, accounts.APIKeyParams{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Merchants.Authenticate(h.Ctx, ck.Secret); err != nil {
		t.Fatal(err)
	}
	// Settings changed here: the next call answers the new merchant.
	if _, err := h.Merchants.UpdateSettings(h.Ctx, h.M, accounts.SettingsParams{Name: "새 이름", MinAmount: 100, MaxAmount: 50000}); err != nil {
		t.Fatal(err)
	}
	if m, err := h.Merchants.Authenticate(h.Ctx, ck.Secret); err != nil || m.Name != "새 이름" || m.MinAmount != 100 {
		t.Errorf("after a settings change here: %+v %v", m, err)
	}

	// Revoked through another instance: refused here once the bound has passed.
	other := h.Another(apptest.Options{})
	if _, err := other.Merchants.RevokeAPIKey(h.Ctx, h.M, ck.Key.ID); err != nil {
		t.Fatal(err)
	}
	h.Clock.Add(accounts.KeyCacheFor)
	if _, err := h.Merchants.Authenticate(h.Ctx, ck.Secret); !errors.Is(err, accounts.ErrBadAPIKey) {
		t.Errorf("%v after another instance revoked the key: %v", accounts.KeyCacheFor, err)
	}

	// Rotated here: the old key is refused at once, though it was just used.
	fresh, err := h.Merchants.RotateAPIKeys(h.Ctx, h.M)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Merchants.Authenticate(h.Ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Merchants.RotateAPIKeys(h.Ctx, h.M); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Merchants.Authenticate(h.Ctx, fresh); !errors.Is(err, accounts.ErrBadAPIKey) {
		t.Errorf("a key rotated away here: %v", err)
	}
}

package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// keyPrefixLen is how much of an API key is stored in clear to find its row.
const keyPrefixLen = 16

// touchEvery is how often a key's last use is written: a busy key costs one write a minute,
// not one per request.
const touchEvery = time.Minute

// maxKeyLabel is the longest label, in characters, an owner may give a key.
const maxKeyLabel = 60

// ErrBadAPIKey means an API key matches no active key of any merchant.
var ErrBadAPIKey = errors.New("accounts: invalid API key")

// APIKeyParams describes an API key to create.
type APIKeyParams struct {
	Label string // optional
	// Token is the dashboard form's one-time token, or "": a second call with the same token
	// makes no key and answers the first one, without its secret.
	Token string
}

// CreatedAPIKey is an API key with its secret, which is shown only once. Secret is empty when
// the request was a resend whose key had been made already.
type CreatedAPIKey struct {
	Key    *store.APIKey
	Secret string
}

// newKey makes a fresh API key for merchant m: the secret ("sk_test_…" or "sk_live_…") and its
// row, which holds only the secret's prefix, hash and last four characters.
func (s *Merchants) newKey(m *store.Merchant, label, token string) (string, *store.APIKey) {
	mode := "sk_test_"
	if m.Livemode {
		mode = "sk_live_"
	}
	secret := mode + rand.Text()
	sum := sha256.Sum256([]byte(secret))
	return secret, &store.APIKey{ID: domain.NewID("key"), MerchantID: m.ID, Prefix: secret[:keyPrefixLen], Hash: sum[:],
		Last4: secret[len(secret)-4:], Label: label, CreateToken: token, CreatedAt: s.clock.Now()}
}

// CreateAPIKey gives a merchant another API key; the ones it has keep working.
func (s *Merchants) CreateAPIKey(ctx context.Context, m *store.Merchant, nk APIKeyParams) (*CreatedAPIKey, error) {
	label := strings.TrimSpace(nk.Label)
	if len([]rune(label)) > maxKeyLabel || strings.ContainsFunc(label, unicode.IsControl) {
		return nil, domain.Invalid("label", "label_invalid", "label must be at most %d characters on one line", maxKeyLabel)
	}
	if len(nk.Token) > 64 {
		return nil, domain.Invalid("token", "parameter_invalid", "token must be at most 64 characters")
	}
	secret, k := s.newKey(m, label, nk.Token)
	var made *store.APIKey
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		made = nil
		if nk.Token != "" {
			keys, err := tx.APIKeys(ctx, m.ID)
			if err != nil {
				return err
			}
			for _, old := range keys {
				if old.CreateToken == nk.Token {
					made = old
					return nil
				}
			}
		}
		return tx.CreateAPIKey(ctx, k)
	})
	if err != nil {
		return nil, wrapf("create api key", err)
	}
	if made != nil {
		return &CreatedAPIKey{Key: made}, nil
	}
	return &CreatedAPIKey{Key: k, Secret: secret}, nil
}

// APIKeys lists a merchant's API keys, revoked ones too, newest first.
func (s *Merchants) APIKeys(ctx context.Context, m *store.Merchant) ([]*store.APIKey, error) {
	return all(ctx, "api keys", m, s.store.APIKeys)
}

// APIKey finds one of a merchant's API keys; another merchant's is not found.
func (s *Merchants) APIKey(ctx context.Context, m *store.Merchant, id string) (*store.APIKey, error) {
	return domain.Owned(ctx, m, "API key", id, s.store.APIKey, apiKeyOwner)
}

func apiKeyOwner(k *store.APIKey) string { return k.MerchantID }

// RevokeAPIKey stops one of a merchant's API keys at once. Revoking it again changes nothing;
// revoking the last active key is allowed (the merchant's API calls then all fail).
func (s *Merchants) RevokeAPIKey(ctx context.Context, m *store.Merchant, id string) (*store.APIKey, error) {
	var k *store.APIKey
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		if _, err := domain.Owned(ctx, m, "API key", id, tx.APIKey, apiKeyOwner); err != nil {
			return err
		}
		if err := tx.RevokeAPIKey(ctx, id, s.clock.Now()); err != nil {
			return err
		}
		var err error
		k, err = tx.APIKey(ctx, id)
		return err
	})
	s.keys.forget() // whether or not it committed: the next call reads afresh
	if err != nil {
		return nil, wrapf("revoke api key", err)
	}
	return k, nil
}

// RotateAPIKeys gives a merchant a fresh API key and revokes all its others: the old ones stop
// working at once.
func (s *Merchants) RotateAPIKeys(ctx context.Context, m *store.Merchant) (string, error) {
	secret, k := s.newKey(m, "", "")
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		keys, err := tx.APIKeys(ctx, m.ID)
		if err != nil {
			return err
		}
		for _, old := range keys {
			if err := tx.RevokeAPIKey(ctx, old.ID, k.CreatedAt); err != nil {
				return err
			}
		}
		return tx.CreateAPIKey(ctx, k)
	})
	s.keys.forget()
	if err != nil {
		return "", wrapf("rotate key", err)
	}
	return secret, nil
}

// Authenticate finds the merchant an API key belongs to, comparing the key's hash in constant
// time; a revoked key is refused. It records the key's use at most once a minute. What it read
// of a key and its merchant it reuses for up to KeyCacheFor.
func (s *Merchants) Authenticate(ctx context.Context, secret string) (*store.Merchant, error) {
	if len(secret) < keyPrefixLen+8 || len(secret) > 200 ||
		!(strings.HasPrefix(secret, "sk_test_") || strings.HasPrefix(secret, "sk_live_")) {
		return nil, ErrBadAPIKey
	}
	prefix := secret[:keyPrefixLen]
	now := s.clock.Now()
	k, m, version := s.keys.get(prefix, now)
	if k == nil {
		var err error
		if k, m, err = s.readKey(ctx, prefix); err != nil {
			return nil, err
		}
		s.keys.put(k, m, now, version)
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], k.Hash) != 1 || !k.RevokedAt.IsZero() {
		return nil, ErrBadAPIKey
	}
	s.touchKey(ctx, k)
	return m, nil
}

// readKey reads the key with prefix and its merchant from the store.
func (s *Merchants) readKey(ctx context.Context, prefix string) (*store.APIKey, *store.Merchant, error) {
	k, err := s.store.APIKeyByPrefix(ctx, prefix)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrBadAPIKey
	}
	if err != nil {
		return nil, nil, wrapf("authenticate", err)
	}
	m, err := s.store.Merchant(ctx, k.MerchantID)
	if err != nil {
		return nil, nil, wrapf("authenticate", err)
	}
	return k, m, nil
}

// touchKey records that k was used now, when its last recorded use is a minute old or more:
// most requests read the row they already have and write nothing. The write's guard keeps
// concurrent requests to one write, and a failed write fails no request.
func (s *Merchants) touchKey(ctx context.Context, k *store.APIKey) {
	now := s.clock.Now()
	if !k.LastUsedAt.IsZero() && now.Sub(k.LastUsedAt) < touchEvery {
		return
	}
	err := s.store.Transact(ctx, func(tx store.Tx) error { return tx.TouchAPIKey(ctx, k.ID, now, now.Add(-touchEvery)) })
	if err != nil {
		s.log.WarnContext(ctx, "recording an API key's use", "key", k.ID, "err", err)
		return
	}
	s.keys.used(k.Prefix, now)
}

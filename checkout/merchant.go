package checkout

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// Default amount limits of a new merchant, in won.
const (
	DefaultMinAmount = 100
	DefaultMaxAmount = 2_000_000
)

// NewMerchant describes a merchant to create.
type NewMerchant struct {
	Name            string
	WebhookURL      string
	CID             string // KakaoPay's test CID when empty
	SubscriptionCID string // KakaoPay's test subscription CID when empty
	Livemode        bool
}

// CreatedMerchant is a new merchant with the secrets that are shown only once.
type CreatedMerchant struct {
	Merchant      *store.Merchant
	APIKey        string
	WebhookSecret string
}

// CreateMerchant adds a merchant with a fresh API key and webhook secret.
func (s *Service) CreateMerchant(ctx context.Context, nm NewMerchant) (*CreatedMerchant, error) {
	nm.Name = strings.TrimSpace(nm.Name)
	if nm.Name == "" || len([]rune(nm.Name)) > 100 {
		return nil, invalid("name", "invalid_name", "name must be 1 to 100 characters")
	}
	if nm.CID == "" {
		nm.CID = kakaopay.TestCID
	}
	if nm.SubscriptionCID == "" {
		nm.SubscriptionCID = kakaopay.TestSubscriptionCID
	}
	if len(nm.CID) != 10 || len(nm.SubscriptionCID) != 10 {
		return nil, invalid("cid", "invalid_cid", "KakaoPay CIDs are 10 characters")
	}
	m := &store.Merchant{
		ID: NewID("mer"), Name: nm.Name, Livemode: nm.Livemode, WebhookURL: nm.WebhookURL, WebhookSecret: webhook.NewSecret(),
		CID: nm.CID, SubscriptionCID: nm.SubscriptionCID,
		MinAmount: DefaultMinAmount, MaxAmount: DefaultMaxAmount, CreatedAt: s.clock(),
	}
	key, k := s.newKey(m, "", "")
	// --webhook-url makes the merchant's first webhook endpoint, signed with the secret shown now.
	var ep *store.WebhookEndpoint
	if nm.WebhookURL != "" {
		if err := s.checkEndpointURL(ctx, m, nm.WebhookURL); err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Param = "webhook_url"
			}
			return nil, err
		}
		ep = &store.WebhookEndpoint{ID: NewID("we"), MerchantID: m.ID, URL: nm.WebhookURL, EnabledEvents: []string{"*"},
			Secret: m.WebhookSecret, CreatedAt: m.CreatedAt, UpdatedAt: m.CreatedAt}
	}
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateMerchant(ctx, m); err != nil {
			return err
		}
		if err := tx.CreateAPIKey(ctx, k); err != nil || ep == nil {
			return err
		}
		return tx.CreateWebhookEndpoint(ctx, ep)
	})
	if err != nil {
		return nil, wrapf("create merchant", err)
	}
	return &CreatedMerchant{Merchant: m, APIKey: key, WebhookSecret: m.WebhookSecret}, nil
}

// MerchantIDsByName lists the ids of the merchants with that display name, oldest first: names
// need not be unique.
func (s *Service) MerchantIDsByName(ctx context.Context, name string) ([]string, error) {
	return s.store.MerchantIDsByName(ctx, name)
}

// MerchantByName finds a merchant by its display name (the demo merchant, say).
func (s *Service) MerchantByName(ctx context.Context, name string) (*store.Merchant, error) {
	return s.store.MerchantByName(ctx, name)
}

// MerchantByID finds a merchant by its id.
func (s *Service) MerchantByID(ctx context.Context, id string) (*store.Merchant, error) {
	return s.store.Merchant(ctx, id)
}

// SetEmbedOrigins replaces the origins whose pages may frame the merchant's checkouts: each
// scheme://host[:port] and nothing else (embedOrigin), https, or http on a loopback host when
// the server runs in sandbox mode; at most 10. An empty list lets no page frame them. key (when
// not nil) is bound to the merchant in the same transaction.
func (s *Service) SetEmbedOrigins(ctx context.Context, m *store.Merchant, origins []string, key *Key) (*store.Merchant, error) {
	if len(origins) > 10 {
		return nil, invalid("embed_origins", "too_many_origins", "at most 10 embed origins")
	}
	clean := make([]string, 0, len(origins))
	for i, o := range origins {
		n, err := embedOrigin(o, s.sandbox)
		if err != nil {
			return nil, invalid("embed_origins["+itoa(i)+"]", "origin_invalid", "%q is %v", o, err)
		}
		clean = append(clean, n)
	}
	m.EmbedOrigins = slices.Compact(slices.Sorted(slices.Values(clean)))
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		if err := tx.UpdateMerchantEmbedOrigins(ctx, m); err != nil {
			return err
		}
		return bindKey(ctx, tx, key, BoundMerchantUpdate, m.ID)
	})
	if err != nil {
		return nil, wrapf("embed origins", err)
	}
	return m, nil
}

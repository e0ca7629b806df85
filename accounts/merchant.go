package accounts

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// Default amount limits of a new merchant, in won.
const (
	DefaultMinAmount = 100
	DefaultMaxAmount = 2_000_000
)

// MerchantParams describes a merchant to create.
type MerchantParams struct {
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

// Create adds a merchant with a fresh API key and webhook secret.
func (s *Merchants) Create(ctx context.Context, nm MerchantParams) (*CreatedMerchant, error) {
	nm.Name = strings.TrimSpace(nm.Name)
	if nm.Name == "" || len([]rune(nm.Name)) > 100 {
		return nil, domain.Invalid("name", "invalid_name", "name must be 1 to 100 characters")
	}
	if nm.CID == "" {
		nm.CID = kakaopay.TestCID
	}
	if nm.SubscriptionCID == "" {
		nm.SubscriptionCID = kakaopay.TestSubscriptionCID
	}
	if len(nm.CID) != 10 || len(nm.SubscriptionCID) != 10 {
		return nil, domain.Invalid("cid", "invalid_cid", "KakaoPay CIDs are 10 characters")
	}
	m := &store.Merchant{
		ID: domain.NewID("mer"), Name: nm.Name, Livemode: nm.Livemode, WebhookURL: nm.WebhookURL, WebhookSecret: webhook.NewSecret(),
		CID: nm.CID, SubscriptionCID: nm.SubscriptionCID,
		MinAmount: DefaultMinAmount, MaxAmount: DefaultMaxAmount, CreatedAt: s.clock.Now(),
	}
	key, k := s.newKey(m, "", "")
	// --webhook-url makes the merchant's first webhook endpoint, signed with the secret shown now.
	var ep *store.WebhookEndpoint
	if nm.WebhookURL != "" {
		if err := s.webhooks.Check(ctx, m, nm.WebhookURL); err != nil {
			var e *domain.Error
			if errors.As(err, &e) {
				e.Param = "webhook_url"
			}
			return nil, err
		}
		ep = &store.WebhookEndpoint{ID: domain.NewID("we"), MerchantID: m.ID, URL: nm.WebhookURL, EnabledEvents: []string{"*"},
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

// IDsByName lists the ids of the merchants with that display name, oldest first: names need
// not be unique.
func (s *Merchants) IDsByName(ctx context.Context, name string) ([]string, error) {
	return s.store.MerchantIDsByName(ctx, name)
}

// ByName finds a merchant by its display name (the demo merchant, say).
func (s *Merchants) ByName(ctx context.Context, name string) (*store.Merchant, error) {
	return s.store.MerchantByName(ctx, name)
}

// Merchant finds a merchant by its id.
func (s *Merchants) Merchant(ctx context.Context, id string) (*store.Merchant, error) {
	return s.store.Merchant(ctx, id)
}

// SetEmbedOrigins replaces the origins whose pages may frame the merchant's checkouts: each
// scheme://host[:port] and nothing else (embedOrigin), https, or http on a loopback host when
// the server runs in sandbox mode; at most 10. An empty list lets no page frame them. key (when
// not nil) is bound to the merchant in the same transaction.
func (s *Merchants) SetEmbedOrigins(ctx context.Context, m *store.Merchant, origins []string, key *domain.Reservation) (*store.Merchant, error) {
	if len(origins) > 10 {
		return nil, domain.Invalid("embed_origins", "too_many_origins", "at most 10 embed origins")
	}
	clean := make([]string, 0, len(origins))
	for i, o := range origins {
		n, err := embedOrigin(o, s.sandbox)
		if err != nil {
			return nil, domain.Invalid("embed_origins["+strconv.Itoa(i)+"]", "origin_invalid", "%q is %v", o, err)
		}
		clean = append(clean, n)
	}
	m.EmbedOrigins = slices.Compact(slices.Sorted(slices.Values(clean)))
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		if err := tx.UpdateMerchantEmbedOrigins(ctx, m); err != nil {
			return err
		}
		return domain.Bind(ctx, tx, key, domain.BoundMerchantUpdate, m.ID)
	})
	s.keys.forget() // Authenticate answers the merchant as saved
	if err != nil {
		return nil, wrapf("embed origins", err)
	}
	return m, nil
}

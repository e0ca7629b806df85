package accounts

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// MaxAmountCeiling is the highest per-checkout limit a merchant may set, in won. KakaoPay's own
// per-payment limit is not confirmed (providers quote 2,000,000 won), so a merchant whose
// contract allows more may raise its limit; the ceiling keeps every sum of amounts and items
// far from overflowing.
const MaxAmountCeiling = 1_000_000_000

// SettingsParams are what a merchant's owners change on the dashboard's settings page.
type SettingsParams struct {
	Name         string
	MinAmount    int64 // whole won, at least 1
	MaxAmount    int64 // whole won, at least MinAmount and at most MaxAmountCeiling
	EmbedOrigins []string
}

// UpdateSettings validates and stores a merchant's display name, amount limits and embed
// origins (SetEmbedOrigins's rules), and returns the merchant as saved. Nothing is written when
// any of them is refused; checkouts and links created after it obey the new limits.
func (s *Merchants) UpdateSettings(ctx context.Context, m *store.Merchant, p SettingsParams) (*store.Merchant, error) {
	name := strings.TrimSpace(p.Name)
	if name == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) || strings.ContainsFunc(name, domain.IsControl) {
		return nil, domain.Invalid("name", "invalid_name", "name must be 1 to 100 characters")
	}
	if p.MinAmount < 1 || p.MinAmount > MaxAmountCeiling {
		return nil, domain.Invalid("min_amount", "min_amount_invalid", "min_amount must be a whole number of won from 1 to %d", MaxAmountCeiling)
	}
	if p.MaxAmount < p.MinAmount || p.MaxAmount > MaxAmountCeiling {
		return nil, domain.Invalid("max_amount", "max_amount_invalid", "max_amount must be from min_amount to %d won", MaxAmountCeiling)
	}
	next := *m // m stays as it was if anything is refused
	saved, err := s.SetEmbedOrigins(ctx, &next, p.EmbedOrigins, nil)
	if err != nil {
		return nil, err
	}
	saved.Name, saved.MinAmount, saved.MaxAmount = name, p.MinAmount, p.MaxAmount
	err = s.store.Transact(ctx, func(tx store.Tx) error { return tx.UpdateMerchantSettings(ctx, saved) })
	s.keys.forget() // Authenticate answers the merchant as saved
	if err != nil {
		return nil, wrapf("merchant settings", err)
	}
	return saved, nil
}

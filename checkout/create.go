package checkout

import (
	"context"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// CreateParams is what a merchant sends to create a checkout. Amounts are whole won.
type CreateParams struct {
	Amount        int64
	TaxFreeAmount int64
	Currency      string
	Reference     string
	Description   string
	Items         []store.Item
	CustomerName  string
	CustomerEmail string
	SuccessURL    string
	FailureURL    string
	Mode          string
	Locale        string
	ExpiresIn     int64 // seconds; 0 means DefaultExpiresIn
	Metadata      map[string]string
	Key           *domain.Reservation // the request's Idempotency-Key, bound to the checkout in its transaction
	// LinkID is the payment link the checkout is opened from (package links), or "".
	LinkID string
}

// Bounds of a checkout's lifetime, in seconds.
const (
	DefaultExpiresIn = 3600
	MinExpiresIn     = 300
	MaxExpiresIn     = 86400
)

// Create validates p against the merchant's rules and stores a new open checkout.
func (s *Service) Create(ctx context.Context, m *store.Merchant, p CreateParams) (*store.Checkout, error) {
	if err := Validate(m, &p); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	c := &store.Checkout{
		ID: domain.NewID("cs"), MerchantID: m.ID, Mode: p.Mode, Status: string(StatusOpen), Amount: p.Amount,
		TaxFreeAmount: p.TaxFreeAmount, Currency: p.Currency, Reference: p.Reference,
		Description: p.Description, Items: p.Items, CustomerName: p.CustomerName,
		CustomerEmail: p.CustomerEmail, SuccessURL: p.SuccessURL, FailureURL: p.FailureURL,
		Locale: p.Locale, Metadata: p.Metadata, ExpiresAt: now.Add(time.Duration(p.ExpiresIn) * time.Second),
		CreatedAt: now, UpdatedAt: now, LinkID: p.LinkID,
	}
	data := s.checkoutData(c, m, nil, "")
	err := domain.TransactBound(ctx, s.store, p.Key, domain.BoundCheckout, c.ID, func(tx store.Tx) error {
		if err := tx.CreateCheckout(ctx, c); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, domain.NewEvent(m.ID, "checkout.created", c.ID, c.ID, data, now))
	})
	if err != nil {
		return nil, wrapf("create", err)
	}
	return c, nil
}

// isEmailAddress reports whether s is a bare e-mail address (RFC 5322 addr-spec), not a display
// name with one in angle brackets.
func isEmailAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// Validate applies the amount, item, URL and field rules to p, filling its defaults: a checkout's
// and a payment link's (which opens checkouts of p).
func Validate(m *store.Merchant, p *CreateParams) error {
	switch strings.ToUpper(p.Currency) {
	case "", "KRW":
		p.Currency = "KRW"
	default:
		return domain.Invalid("currency", "currency_unsupported", "only KRW is supported; got %q", p.Currency)
	}
	if p.Amount <= 0 {
		return domain.Invalid("amount", "amount_invalid", "amount must be a positive whole number of won")
	}
	if p.Amount < m.MinAmount {
		return domain.Invalid("amount", "amount_too_small", "amount must be at least %d won", m.MinAmount)
	}
	if p.Amount > m.MaxAmount {
		return domain.Invalid("amount", "amount_too_large", "amount must be at most %d won for this merchant", m.MaxAmount)
	}
	if p.TaxFreeAmount < 0 || p.TaxFreeAmount > p.Amount {
		return domain.Invalid("tax_free_amount", "tax_free_amount_invalid", "tax_free_amount must be between 0 and amount")
	}
	if err := validateItems(p.Items, p.Amount); err != nil {
		return err
	}
	for _, f := range []struct {
		param, value string
		max          int
	}{
		{"reference", p.Reference, 100}, {"description", p.Description, 500},
		{"customer.name", p.CustomerName, 100}, {"customer.email", p.CustomerEmail, 254},
	} {
		if utf8.RuneCountInString(f.value) > f.max {
			return domain.Invalid(f.param, "string_too_long", "%s must be at most %d characters", f.param, f.max)
		}
		if !utf8.ValidString(f.value) || strings.ContainsFunc(f.value, domain.IsControl) {
			return domain.Invalid(f.param, "string_invalid", "%s contains invalid characters", f.param)
		}
	}
	if p.CustomerEmail != "" && !isEmailAddress(p.CustomerEmail) {
		return domain.Invalid("customer.email", "email_invalid", "customer.email is not an email address")
	}
	if err := checkURL("success_url", p.SuccessURL); err != nil {
		return err
	}
	if err := checkURL("failure_url", p.FailureURL); err != nil {
		return err
	}
	switch p.Mode {
	case "":
		p.Mode = ModePayment
	case ModePayment, ModeSubscription:
	default:
		return domain.Invalid("mode", "mode_invalid", "mode must be %q or %q", ModePayment, ModeSubscription)
	}
	switch p.Locale {
	case "", "ko", "en":
	default:
		return domain.Invalid("locale", "locale_invalid", "locale must be \"ko\" or \"en\"")
	}
	if p.ExpiresIn == 0 {
		p.ExpiresIn = DefaultExpiresIn
	}
	if p.ExpiresIn < MinExpiresIn || p.ExpiresIn > MaxExpiresIn {
		return domain.Invalid("expires_in", "expires_in_invalid", "expires_in must be between %d and %d seconds", MinExpiresIn, MaxExpiresIn)
	}
	if len(p.Metadata) > 20 {
		return domain.Invalid("metadata", "metadata_invalid", "metadata holds at most 20 keys")
	}
	for k, v := range p.Metadata {
		if k == "" || utf8.RuneCountInString(k) > 40 || utf8.RuneCountInString(v) > 500 {
			return domain.Invalid("metadata", "metadata_invalid", "metadata keys are 1 to 40 characters and values at most 500")
		}
	}
	return nil
}

// validateItems checks each line and that the lines add up to amount.
func validateItems(items []store.Item, amount int64) error {
	if len(items) == 0 {
		return nil
	}
	if len(items) > 100 {
		return domain.Invalid("items", "items_invalid", "a checkout holds at most 100 items")
	}
	var sum int64
	for i, it := range items {
		name := strings.TrimSpace(it.Name)
		if name == "" || utf8.RuneCountInString(name) > 200 || strings.ContainsFunc(name, domain.IsControl) {
			return domain.Invalid("items["+strconv.Itoa(i)+"].name", "item_name_invalid", "item names are 1 to 200 characters")
		}
		if it.Quantity < 1 || it.Quantity > 10000 {
			return domain.Invalid("items["+strconv.Itoa(i)+"].quantity", "item_quantity_invalid", "item quantity must be between 1 and 10000")
		}
		if it.UnitPrice < 0 || it.UnitPrice > amount {
			return domain.Invalid("items["+strconv.Itoa(i)+"].unit_price", "item_price_invalid", "item unit_price must be between 0 and amount")
		}
		sum += it.Quantity * it.UnitPrice // both bounded: no overflow
		if sum > amount {
			break
		}
	}
	if sum != amount {
		return domain.Invalid("items", "items_total_mismatch", "items add up to %d won, not amount %d", sum, amount)
	}
	return nil
}

// checkURL accepts absolute https URLs, and http ones on this machine.
func checkURL(param, raw string) error {
	if raw == "" {
		return domain.Invalid(param, "url_missing", "%s is required", param)
	}
	u, err := url.Parse(raw)
	if err != nil || len(raw) > 2048 || u.Host == "" || u.User != nil {
		return domain.Invalid(param, "url_invalid", "%s must be an absolute https URL", param)
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); !(host == "localhost" || ip != nil && ip.IsLoopback()) {
			return domain.Invalid(param, "url_invalid", "%s must use https (http only on localhost)", param)
		}
	default:
		return domain.Invalid(param, "url_invalid", "%s must be an absolute https URL", param)
	}
	return nil
}

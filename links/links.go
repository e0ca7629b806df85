// Package links keeps merchants' payment links: a link's URL (/l/{slug}) opens a fresh checkout
// for each shopper who pays through it, until it is deactivated, expires, or is used up (the
// checkout's state machine holds a link's cap: checkout/status.go). It knows nothing of HTTP.
package links

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// LinkParams is what a merchant sends to create a payment link.
type LinkParams struct {
	Amount      int64
	Items       []store.Item
	Description string
	SuccessURL  string
	FailureURL  string
	Reusable    *bool // true when nil
	MaxUses     int
	ExpiresAt   time.Time
	Metadata    map[string]string
	Key         *domain.Reservation // the request's Idempotency-Key, bound to the link in its transaction
}

// ListParams selects a page of a merchant's links, newest first.
type ListParams struct {
	Limit int
}

// Service keeps merchants' payment links and opens checkouts from them.
type Service struct {
	store     store.Store
	checkouts *checkout.Service
	clock     domain.Clock
}

// New returns the links kept in st, whose checkouts checkouts opens.
func New(st store.Store, checkouts *checkout.Service, clock domain.Clock) *Service {
	return &Service{store: st, checkouts: checkouts, clock: clock}
}

// Create stores a payment link; its slug is random, not derived from its id.
func (s *Service) Create(ctx context.Context, m *store.Merchant, p LinkParams) (*store.Link, error) {
	cp := checkout.CreateParams{Amount: p.Amount, Items: p.Items, Description: p.Description, SuccessURL: p.SuccessURL,
		FailureURL: p.FailureURL, Metadata: p.Metadata}
	if err := checkout.Validate(m, &cp); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if p.MaxUses < 0 {
		return nil, domain.Invalid("max_uses", "max_uses_invalid", "max_uses must be 0 (no limit) or more")
	}
	// At most 10 years ahead: a far date (past year 9999 in UTC) can be neither shown nor
	// answered as RFC 3339.
	if !p.ExpiresAt.IsZero() && (!p.ExpiresAt.After(now) || p.ExpiresAt.After(now.AddDate(domain.MaxYearsAhead, 0, 0))) {
		return nil, domain.Invalid("expires_at", "expires_at_invalid", "expires_at must be in the future and at most %d years ahead", domain.MaxYearsAhead)
	}
	l := &store.Link{ID: domain.NewID("lnk"), Slug: strings.ToLower(rand.Text()[:16]), MerchantID: m.ID, Amount: cp.Amount,
		Items: cp.Items, Description: cp.Description, SuccessURL: cp.SuccessURL, FailureURL: cp.FailureURL,
		Reusable: p.Reusable == nil || *p.Reusable, MaxUses: p.MaxUses, Active: true, ExpiresAt: p.ExpiresAt.UTC(),
		Metadata: cp.Metadata, CreatedAt: now, UpdatedAt: now}
	err := domain.TransactBound(ctx, s.store, p.Key, domain.BoundLink, l.ID, func(tx store.Tx) error { return tx.CreateLink(ctx, l) })
	if err != nil {
		return nil, wrapf("create link", err)
	}
	return l, nil
}

// Link reads one of a merchant's links.
func (s *Service) Link(ctx context.Context, m *store.Merchant, id string) (*store.Link, error) {
	return domain.Owned(ctx, m, "link", id, s.store.Link, func(l *store.Link) string { return l.MerchantID })
}

// Links returns a page of a merchant's links, newest first, and whether more follow.
func (s *Service) Links(ctx context.Context, m *store.Merchant, p ListParams) ([]*store.Link, bool, error) {
	list, more, err := domain.Page(p.Limit, func(limit int) ([]*store.Link, error) {
		return s.store.Links(ctx, m.ID, limit)
	})
	if err != nil {
		return nil, false, wrapf("links", err)
	}
	return list, more, nil
}

// PaidCount is how many checkouts opened from a link were paid.
func (s *Service) PaidCount(ctx context.Context, l *store.Link) (int, error) {
	n, err := s.store.LinkPaidCount(ctx, l.ID)
	if err != nil {
		return 0, wrapf("link", err)
	}
	return n, nil
}

// Deactivate stops a link: its URL opens no more checkouts (those opened stay payable). key
// (when not nil) is bound to the link in the same transaction.
func (s *Service) Deactivate(ctx context.Context, m *store.Merchant, id string, key *domain.Reservation) (*store.Link, error) {
	l, err := s.Link(ctx, m, id)
	if err != nil {
		return nil, err
	}
	if !l.Active {
		return l, nil
	}
	l.Active, l.UpdatedAt = false, s.clock.Now()
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		if err := tx.UpdateLink(ctx, l); err != nil {
			return err
		}
		return domain.Bind(ctx, tx, key, domain.BoundLinkDeactivation, l.ID)
	})
	if err != nil {
		return nil, wrapf("deactivate link", err)
	}
	return l, nil
}

// Open reads a link by its public slug for a visit: unknown slugs are not found, and a link
// that is deactivated, expired or used up (a one-time link once paid, or max_uses paid
// checkouts) is refused with link_inactive, link_expired or link_used_up.
func (s *Service) Open(ctx context.Context, slug string) (*store.Link, *store.Merchant, error) {
	l, err := s.store.LinkBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, domain.NotFound("link", slug)
	}
	if err != nil {
		return nil, nil, wrapf("link", err)
	}
	m, err := s.store.Merchant(ctx, l.MerchantID)
	if err != nil {
		return nil, nil, wrapf("link", err)
	}
	now := s.clock.Now()
	state := checkout.LinkStateAt(l, 0, now) // deactivated or expired: no need to count its payments
	if state == checkout.LinkActive {
		paid, err := s.PaidCount(ctx, l)
		if err != nil {
			return nil, nil, err
		}
		state = checkout.LinkStateAt(l, paid, now)
	}
	switch state {
	case checkout.LinkInactive:
		return l, m, domain.Conflict("link_inactive", "this payment link was deactivated")
	case checkout.LinkExpired:
		return l, m, domain.Conflict("link_expired", "this payment link has expired")
	case checkout.LinkUsedUp:
		return l, m, checkout.LinkUsedUpError()
	}
	return l, m, nil
}

// State is l's state now, given how many of its checkouts were paid.
func (s *Service) State(l *store.Link, paid int) checkout.LinkState {
	return checkout.LinkStateAt(l, paid, s.clock.Now())
}

// Visit opens a fresh checkout from a link for a shopper who pressed its pay button.
func (s *Service) Visit(ctx context.Context, slug string) (*store.Checkout, error) {
	l, m, err := s.Open(ctx, slug)
	if err != nil {
		return nil, err
	}
	return s.checkouts.Create(ctx, m, checkout.CreateParams{Amount: l.Amount, Items: l.Items, Description: l.Description,
		Reference: l.ID, SuccessURL: l.SuccessURL, FailureURL: l.FailureURL, Metadata: l.Metadata, LinkID: l.ID})
}

// CheckoutOpen reports whether checkout id, which a shopper opened from link l before, can
// still be paid: their next press of the link's pay button goes on with it rather than opening
// another.
func (s *Service) CheckoutOpen(ctx context.Context, l *store.Link, id string) bool {
	if id == "" {
		return false
	}
	st, err := s.checkouts.State(ctx, id)
	return err == nil && st.Checkout.LinkID == l.ID && st.Open()
}

func wrapf(op string, err error) error { return fmt.Errorf("links: %s: %w", op, err) }

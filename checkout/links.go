package checkout

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// MaxYearsAhead bounds how far ahead a date given in a request may be.
const MaxYearsAhead = 10

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
	Key         *Key // the request's Idempotency-Key, bound to the link in its transaction
}

// CreateLink stores a payment link; its slug is random, not derived from its id.
func (s *Service) CreateLink(ctx context.Context, m *store.Merchant, p LinkParams) (*store.Link, error) {
	cp := CreateParams{Amount: p.Amount, Items: p.Items, Description: p.Description, SuccessURL: p.SuccessURL,
		FailureURL: p.FailureURL, Metadata: p.Metadata}
	if err := validate(m, &cp); err != nil {
		return nil, err
	}
	now := s.clock()
	if p.MaxUses < 0 {
		return nil, invalid("max_uses", "max_uses_invalid", "max_uses must be 0 (no limit) or more")
	}
	// At most 10 years ahead: a far date (past year 9999 in UTC) can be neither shown nor
	// answered as RFC 3339.
	if !p.ExpiresAt.IsZero() && (!p.ExpiresAt.After(now) || p.ExpiresAt.After(now.AddDate(MaxYearsAhead, 0, 0))) {
		return nil, invalid("expires_at", "expires_at_invalid", "expires_at must be in the future and at most %d years ahead", MaxYearsAhead)
	}
	l := &store.Link{ID: NewID("lnk"), Slug: strings.ToLower(rand.Text()[:16]), MerchantID: m.ID, Amount: cp.Amount,
		Items: cp.Items, Description: cp.Description, SuccessURL: cp.SuccessURL, FailureURL: cp.FailureURL,
		Reusable: p.Reusable == nil || *p.Reusable, MaxUses: p.MaxUses, Active: true, ExpiresAt: p.ExpiresAt.UTC(),
		Metadata: cp.Metadata, CreatedAt: now, UpdatedAt: now}
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateLink(ctx, l); err != nil {
			return err
		}
		return bindKey(ctx, tx, p.Key, BoundLink, l.ID)
	})
	if err != nil {
		return nil, wrapf("create link", err)
	}
	return l, nil
}

// Link reads one of a merchant's links.
func (s *Service) Link(ctx context.Context, m *store.Merchant, id string) (*store.Link, error) {
	l, err := s.store.Link(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && l.MerchantID != m.ID) {
		return nil, notFound("link", id)
	}
	if err != nil {
		return nil, wrapf("link", err)
	}
	return l, nil
}

// Links lists a merchant's links, newest first.
func (s *Service) Links(ctx context.Context, m *store.Merchant, limit int) ([]*store.Link, error) {
	list, err := s.store.Links(ctx, m.ID, limit)
	if err != nil {
		return nil, wrapf("links", err)
	}
	return list, nil
}

// LinkPaidCount is how many checkouts opened from a link were paid.
func (s *Service) LinkPaidCount(ctx context.Context, l *store.Link) (int, error) {
	n, err := s.store.LinkPaidCount(ctx, l.ID)
	if err != nil {
		return 0, wrapf("link", err)
	}
	return n, nil
}

// DeactivateLink stops a link: its URL opens no more checkouts (those opened stay payable). key
// (when not nil) is bound to the link in the same transaction.
func (s *Service) DeactivateLink(ctx context.Context, m *store.Merchant, id string, key *Key) (*store.Link, error) {
	l, err := s.Link(ctx, m, id)
	if err != nil {
		return nil, err
	}
	if !l.Active {
		return l, nil
	}
	l.Active, l.UpdatedAt = false, s.clock()
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		if err := tx.UpdateLink(ctx, l); err != nil {
			return err
		}
		return bindKey(ctx, tx, key, BoundLinkDeactivation, l.ID)
	})
	if err != nil {
		return nil, wrapf("deactivate link", err)
	}
	return l, nil
}

// OpenLink reads a link by its public slug for a visit: unknown slugs are not found, and a link
// that is deactivated, expired or used up (a one-time link once paid, or max_uses paid
// checkouts) is refused with link_inactive, link_expired or link_used_up.
func (s *Service) OpenLink(ctx context.Context, slug string) (*store.Link, *store.Merchant, error) {
	l, err := s.store.LinkBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound("link", slug)
	}
	if err != nil {
		return nil, nil, wrapf("link", err)
	}
	m, err := s.store.Merchant(ctx, l.MerchantID)
	if err != nil {
		return nil, nil, wrapf("link", err)
	}
	now := s.clock()
	state := LinkStateAt(l, 0, now) // deactivated or expired: no need to count its payments
	if state == LinkActive {
		paid, err := s.LinkPaidCount(ctx, l)
		if err != nil {
			return nil, nil, err
		}
		state = LinkStateAt(l, paid, now)
	}
	switch state {
	case LinkInactive:
		return l, m, conflict("link_inactive", "this payment link was deactivated")
	case LinkExpired:
		return l, m, conflict("link_expired", "this payment link has expired")
	case LinkUsedUp:
		return l, m, linkUsedUp()
	}
	return l, m, nil
}

// LinkState is whether a link's URL opens checkouts now, and if not, why.
type LinkState string

// A link's states.
const (
	LinkActive   LinkState = "active"   // it opens checkouts
	LinkInactive LinkState = "inactive" // the merchant deactivated it
	LinkExpired  LinkState = "expired"  // its expires_at has passed
	LinkUsedUp   LinkState = "used_up"  // a one-time link was paid, or max_uses checkouts were
)

// LinkStateAt is l's state at now, given how many of its checkouts were paid: deactivated
// first, then expired, then used up.
func LinkStateAt(l *store.Link, paid int, now time.Time) LinkState {
	switch {
	case !l.Active:
		return LinkInactive
	case !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt):
		return LinkExpired
	case linkCap(l) > 0 && paid >= linkCap(l):
		return LinkUsedUp
	}
	return LinkActive
}

// LinkState is l's state now, given how many of its checkouts were paid.
func (s *Service) LinkState(l *store.Link, paid int) LinkState {
	return LinkStateAt(l, paid, s.clock())
}

// VisitLink opens a fresh checkout from a link for a shopper who pressed its pay button.
func (s *Service) VisitLink(ctx context.Context, slug string) (*store.Checkout, error) {
	l, m, err := s.OpenLink(ctx, slug)
	if err != nil {
		return nil, err
	}
	return s.create(ctx, m, CreateParams{Amount: l.Amount, Items: l.Items, Description: l.Description,
		Reference: l.ID, SuccessURL: l.SuccessURL, FailureURL: l.FailureURL, Metadata: l.Metadata}, l.ID)
}

// linkUsedUp refuses a checkout, or a payment, of a link paid as often as it allows.
func linkUsedUp() *Error { return conflict("link_used_up", "this payment link has been used") }

// LinkCheckoutOpen reports whether checkout id, which a shopper opened from link l before, can
// still be paid: their next press of the link's pay button goes on with it rather than opening
// another.
func (s *Service) LinkCheckoutOpen(ctx context.Context, l *store.Link, id string) bool {
	if id == "" {
		return false
	}
	st, err := s.State(ctx, id)
	return err == nil && st.Checkout.LinkID == l.ID && st.Open()
}

// CodeLinkUsedUp is the failure code of an attempt whose approval came after its link was paid
// as many times as it allows: KakaoPay's approve is never called for it, so nothing is charged.
const CodeLinkUsedUp = "LINK_USED_UP"

// linkCap is how many paid checkouts l allows: 1 for a one-time link, else its max_uses (0: no
// limit).
func linkCap(l *store.Link) int {
	if !l.Reusable {
		return 1
	}
	return l.MaxUses
}

// linkFull reports whether the link c was opened from (if any) allows no payment besides those
// it had: it counts the link's paid checkouts, and with claims also its other checkouts whose
// approval is being confirmed. Read through r: a transaction's when the answer must hold until
// it commits.
func linkFull(ctx context.Context, r store.Reader, c *store.Checkout, claims bool) (bool, error) {
	if c.LinkID == "" {
		return false, nil
	}
	l, err := r.Link(ctx, c.LinkID)
	if err != nil || linkCap(l) == 0 {
		return false, err
	}
	var n int
	if claims {
		n, err = r.LinkUses(ctx, l.ID, c.ID)
	} else {
		n, err = r.LinkPaidCount(ctx, l.ID)
	}
	return n >= linkCap(l), err
}

package payments

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Movement is one row of a merchant's books: a payment (a checkout's, or a charge on an
// agreement) or a refund that succeeded, with what names it.
type Movement struct {
	Payment *store.Payment
	Refund  *store.Refund // nil for the payment's own row
	// Checkout is the order the payment paid: its checkout, or for a charge the subscription
	// checkout that set up the agreement; nil when it is gone.
	Checkout *store.Checkout
	Charge   *store.Charge // for a charge's payment
}

// At is when the money moved: the payment's approval, or when the refund was asked.
func (mv Movement) At() time.Time {
	if mv.Refund != nil {
		return mv.Refund.CreatedAt
	}
	return mv.Payment.ApprovedAt
}

// Movements lists merchant m's payments approved and refunds that succeeded from from to before
// to, newest first, at most limit of each: the rows DailyTotals adds up.
func (s *Service) Movements(ctx context.Context, m *store.Merchant, from, to time.Time, limit int) ([]Movement, error) {
	pays, err := s.store.PaymentsBetween(ctx, m.ID, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("payments: movements: %w", err)
	}
	refunds, err := s.store.RefundsBetween(ctx, m.ID, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("payments: movements: %w", err)
	}
	list := make([]Movement, 0, len(pays)+len(refunds))
	for _, p := range pays {
		mv, err := s.movement(ctx, p)
		if err != nil {
			return nil, err
		}
		list = append(list, mv)
	}
	for _, r := range refunds {
		p, err := s.store.Payment(ctx, r.PaymentID)
		if err != nil {
			return nil, fmt.Errorf("payments: movements: %w", err)
		}
		mv, err := s.movement(ctx, p)
		if err != nil {
			return nil, err
		}
		mv.Refund = r
		list = append(list, mv)
	}
	slices.SortStableFunc(list, func(a, b Movement) int { return b.At().Compare(a.At()) })
	return list, nil
}

// movement is payment p's row, with its checkout or charge.
func (s *Service) movement(ctx context.Context, p *store.Payment) (Movement, error) {
	mv := Movement{Payment: p}
	checkoutID := p.CheckoutID
	if checkoutID == "" {
		ch, err := s.store.ChargeByPayment(ctx, p.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return mv, fmt.Errorf("payments: movements: %w", err)
		}
		mv.Charge = ch
		if ag, err := s.store.Agreement(ctx, p.AgreementID); err == nil {
			checkoutID = ag.CheckoutID
		} else if !errors.Is(err, store.ErrNotFound) {
			return mv, fmt.Errorf("payments: movements: %w", err)
		}
	}
	if checkoutID != "" {
		c, err := s.store.Checkout(ctx, checkoutID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return mv, fmt.Errorf("payments: movements: %w", err)
		}
		mv.Checkout = c
	}
	return mv, nil
}

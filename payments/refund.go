package payments

import (
	"context"
	"errors"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/store"
)

// RefundWindow is how long after approval a payment can be refunded.
const RefundWindow = 365 * 24 * time.Hour

// RefundParams is a refund request; a nil Amount refunds all that is left.
type RefundParams struct {
	Amount *int64
	Reason string
	Key    *domain.Reservation // the request's Idempotency-Key, bound to the refund before KakaoPay is called
}

// Payment reads one of a merchant's payments with its refunds.
func (s *Service) Payment(ctx context.Context, m *store.Merchant, id string) (*store.Payment, []*store.Refund, error) {
	p, err := domain.Owned(ctx, m, "payment", id, s.store.Payment, func(p *store.Payment) string { return p.MerchantID })
	if err != nil {
		return nil, nil, err
	}
	refunds, err := s.store.RefundsByPayment(ctx, id)
	if err != nil {
		return nil, nil, wrapf("payment", err)
	}
	return p, refunds, nil
}

// Refund reads one of a merchant's refunds.
func (s *Service) Refund(ctx context.Context, m *store.Merchant, id string) (*store.Refund, error) {
	return domain.Owned(ctx, m, "refund", id, s.store.Refund, func(r *store.Refund) string { return r.MerchantID })
}

// CreateRefund gives back part or all of a payment through KakaoPay's cancel. Refunds of one payment
// run one at a time on every instance: a pending refund row is the lock, checked and written in
// one transaction, so the amount left and KakaoPay's cancel_available_amount guard are exact.
// The refund and its Idempotency-Key binding are committed before KakaoPay is called. A
// KakaoPay refusal leaves the payment unchanged and says why; an answer that never came leaves
// the refund pending until the reconciler settles it from the order API.
func (s *Service) CreateRefund(ctx context.Context, m *store.Merchant, paymentID string, p RefundParams) (*store.Refund, error) {
	if p.Amount != nil && *p.Amount <= 0 {
		return nil, domain.Invalid("amount", "amount_invalid", "amount must be a positive whole number of won")
	}
	if len([]rune(p.Reason)) > 200 {
		return nil, domain.Invalid("reason", "string_too_long", "reason must be at most 200 characters")
	}
	if _, _, err := s.Payment(ctx, m, paymentID); err != nil {
		return nil, err
	}
	defer s.refunding.Lock(paymentID)() // spares this instance's waiters from polling each other
	r, pay, err := s.reserveRefund(ctx, paymentID, p)
	if err != nil {
		return nil, err
	}
	domain.Fault("refund.before_cancel")
	rctx := context.WithoutCancel(ctx) // the outcome is recorded past the call's deadline
	cctx, cancel := context.WithTimeout(rctx, s.approveT)
	defer cancel()
	res, err := s.kakao.Cancel(cctx, kakaopay.CancelRequest{
		CID: pay.CID, TID: pay.TID, CancelAmount: r.Amount, CancelTaxFreeAmount: r.TaxFreeAmount,
		CancelAvailableAmount: pay.Amount - pay.RefundedAmount, Payload: r.ID,
	})
	switch {
	case err == nil:
		domain.Fault("refund.after_cancel")
		if res.ApprovedCancelAmount.Total != 0 && res.ApprovedCancelAmount.Total != r.Amount {
			s.log.ErrorContext(ctx, "kakaopay refunded another amount", "refund", r.ID, "want", r.Amount, "got", res.ApprovedCancelAmount.Total)
		}
		err = s.finishRefund(rctx, r.ID, checkout.RefundSucceeded, "", "")
	case kakaopay.IsOutcomeUnknown(err):
		s.log.WarnContext(ctx, "kakaopay cancel outcome unknown; settling from the order API", "refund", r.ID, "err", err)
		return s.store.Refund(ctx, r.ID)
	default:
		code, msg := kakaopay.Failure(err)
		err = s.finishRefund(rctx, r.ID, checkout.RefundFailed, code, msg)
	}
	if err != nil {
		return nil, err
	}
	return s.RefundOutcome(ctx, r.ID)
}

// RefundOutcome answers a refund as its request would: the refund, or KakaoPay's refusal.
func (s *Service) RefundOutcome(ctx context.Context, id string) (*store.Refund, error) {
	r, err := s.store.Refund(ctx, id)
	if err != nil {
		return nil, wrapf("refund", err)
	}
	if checkout.RefundRefused(r) {
		return nil, refused(r.ID, "KakaoPay refused the refund "+r.ID+": "+r.FailureMessage)
	}
	return r, nil
}

// errRefundBusy means another refund of the payment is in flight.
var errRefundBusy = errors.New("checkout: another refund of this payment is in flight")

// reserveRefund waits until no other refund of the payment is in flight on any instance,
// settles one whose answer was lost, then reserves this one.
func (s *Service) reserveRefund(ctx context.Context, paymentID string, p RefundParams) (*store.Refund, *store.Payment, error) {
	deadline := time.Now().Add(s.settleAfter + s.approveT)
	for {
		if err := s.settleRefunds(ctx, paymentID, s.settleAfter); err != nil {
			return nil, nil, err
		}
		r, pay, err := s.tryReserveRefund(ctx, paymentID, p)
		if !errors.Is(err, errRefundBusy) {
			return r, pay, err
		}
		if time.Now().After(deadline) {
			return nil, nil, domain.Conflict("refund_in_progress", "another refund of this payment is being processed; retry shortly")
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// tryReserveRefund checks what is left and writes the pending refund, its event and its
// Idempotency-Key binding in one transaction, unless another refund is pending.
func (s *Service) tryReserveRefund(ctx context.Context, paymentID string, p RefundParams) (*store.Refund, *store.Payment, error) {
	now := s.clock.Now()
	var r *store.Refund
	var pay *store.Payment
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		var err error
		if pay, err = tx.LockPayment(ctx, paymentID); err != nil {
			return err
		}
		refunds, err := tx.RefundsByPayment(ctx, paymentID)
		if err != nil {
			return err
		}
		for _, x := range refunds {
			if checkout.RefundOpen(x) {
				return errRefundBusy
			}
		}
		left := pay.Amount - pay.RefundedAmount
		if left <= 0 {
			return domain.Conflict("payment_refunded", "this payment is already fully refunded")
		}
		amount := left
		if p.Amount != nil {
			amount = *p.Amount
		}
		if amount > left {
			return domain.Invalid("amount", "amount_exceeds_remaining", "amount %d won is more than the %d won left to refund", amount, left)
		}
		if now.Sub(pay.ApprovedAt) > RefundWindow {
			return domain.Conflict("refund_window_closed", "payments can be refunded for 365 days after approval")
		}
		r = &store.Refund{ID: domain.NewID("re"), PaymentID: pay.ID, MerchantID: pay.MerchantID, Amount: amount,
			TaxFreeAmount: taxFreeShare(pay, refunds, amount), Reason: p.Reason, Status: string(checkout.RefundPending),
			CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateRefund(ctx, r); err != nil {
			return err
		}
		if err := domain.Bind(ctx, tx, p.Key, domain.BoundRefund, r.ID); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, domain.NewEvent(pay.MerchantID, "refund.created", pay.CheckoutID, r.ID, refundData(r, pay), now))
	})
	switch {
	case errors.Is(err, errRefundBusy):
		return nil, nil, err
	case err != nil:
		return nil, nil, domain.Failed("payments", "refund", err)
	}
	return r, pay, nil
}

// taxFreeShare is the tax-free part of a refund of amount won: in proportion to what is left,
// and always such that neither the tax-free nor the taxable part left goes below zero, so the
// last won of a payment can always be refunded.
func taxFreeShare(pay *store.Payment, refunds []*store.Refund, amount int64) int64 {
	if pay.TaxFreeAmount == 0 {
		return 0
	}
	tfLeft := pay.TaxFreeAmount
	for _, r := range refunds {
		if checkout.Refunded(r) {
			tfLeft -= r.TaxFreeAmount
		}
	}
	left := pay.Amount - pay.RefundedAmount
	share := amount * tfLeft / left
	lo := max(0, tfLeft-(left-amount)) // the taxable part left must cover the rest
	hi := min(amount, tfLeft)
	return min(max(share, lo), hi)
}

// finishRefund records a pending refund's outcome once: the refund, the payment's refunded
// amount and the event in one transaction.
func (s *Service) finishRefund(ctx context.Context, refundID string, status checkout.RefundStatus, code, message string) error {
	now := s.clock.Now()
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		r, err := tx.Refund(ctx, refundID)
		if err != nil {
			return err
		}
		if !checkout.RefundOpen(r) {
			return nil
		}
		pay, err := tx.LockPayment(ctx, r.PaymentID)
		if err != nil {
			return err
		}
		if err := checkout.MoveRefund(r, status, now); err != nil {
			return err
		}
		r.FailureCode, r.FailureMessage = code, message
		if err := tx.UpdateRefund(ctx, r); err != nil {
			return err
		}
		if checkout.Refunded(r) {
			pay.RefundedAmount += r.Amount
			if err := tx.UpdatePayment(ctx, pay); err != nil {
				return err
			}
		}
		return tx.CreateEvent(ctx, domain.NewEvent(pay.MerchantID, "refund."+r.Status, pay.CheckoutID, r.ID, refundData(r, pay), now))
	})
	if err != nil {
		return wrapf("refund", err)
	}
	return nil
}

// settleRefunds settles a payment's pending refunds older than age from what KakaoPay's order
// API says was canceled: oldest first, each one KakaoPay counts is succeeded, the rest failed.
// The caller holds the payment's refund lock.
func (s *Service) settleRefunds(ctx context.Context, paymentID string, age time.Duration) error {
	refunds, err := s.store.RefundsByPayment(ctx, paymentID)
	if err != nil {
		return wrapf("settle refunds", err)
	}
	var pending []*store.Refund
	for _, r := range refunds {
		if checkout.RefundOpen(r) && s.clock.Now().Sub(r.CreatedAt) >= age {
			pending = append(pending, r)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	pay, err := s.store.Payment(ctx, paymentID)
	if err != nil {
		return wrapf("settle refunds", err)
	}
	order, err := s.kakao.Order(ctx, kakaopay.OrderRequest{CID: pay.CID, TID: pay.TID})
	if err != nil {
		return domain.Upstream("kakaopay_unavailable", "could not reach KakaoPay to settle an earlier refund", err)
	}
	extra := order.CanceledAmount.Total - pay.RefundedAmount
	for _, r := range pending {
		status, code, msg := checkout.RefundSucceeded, "", ""
		if extra >= r.Amount {
			extra -= r.Amount
		} else {
			status, code, msg = checkout.RefundFailed, "not_canceled", "KakaoPay did not carry out this refund"
		}
		if err := s.finishRefund(ctx, r.ID, status, code, msg); err != nil {
			return err
		}
	}
	return nil
}

// refundData is the data of refund events: the refund object, with its payment's checkout.
func refundData(r *store.Refund, pay *store.Payment) []byte {
	return objects.JSON(objects.NewRefund(r, pay.CheckoutID))
}

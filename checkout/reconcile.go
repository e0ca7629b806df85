package checkout

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/kakaopay"
)

// Reconcile settles, from KakaoPay's order API, what a shopper's return or KakaoPay's answer
// never settled: attempts whose return never came or whose approve call failed or timed out
// (approved at KakaoPay → paid here, once; quit or failed → ended; still pending past the
// tid's life → expired), and refunds whose answer was lost. The server runs it periodically.
func (s *Service) Reconcile(ctx context.Context) error {
	now := s.clock()
	// Settling while an approve is still under way is harmless: paid() records once, and an
	// attempt is only failed for good after its tid has died.
	attempts, err := s.store.LiveAttempts(ctx, now.Add(-5*time.Second), 100)
	if err != nil {
		return wrapf("reconcile", err)
	}
	for _, a := range attempts {
		st, err := s.read(ctx, a.CheckoutID)
		if err != nil {
			return err
		}
		order, err := s.kakao.Order(ctx, kakaopay.OrderRequest{CID: cidOf(st), TID: a.TID})
		if err != nil {
			s.log.WarnContext(ctx, "reconcile: kakaopay order failed", "attempt", a.ID, "err", err)
			continue
		}
		if err := s.apply(ctx, a.CheckoutID, a.ID, order); err != nil {
			return err
		}
		if !now.Before(a.ExpiresAt) && !isSettled(order.Status) {
			if a.PGToken != "" {
				// Approved in the wallet, but KakaoPay never took our approve: the tid is dead.
				if err := s.end(ctx, a.CheckoutID, a.ID, AttemptFailed, "APPROVE_UNCONFIRMED", ""); err != nil {
					return err
				}
			}
			if _, err := s.State(ctx, a.CheckoutID); err != nil { // expires what is due
				return err
			}
		}
	}
	refunds, err := s.store.PendingRefunds(ctx, 100)
	if err != nil {
		return wrapf("reconcile", err)
	}
	done := map[string]bool{}
	for _, r := range refunds {
		if done[r.PaymentID] || now.Sub(r.CreatedAt) < s.settleAfter {
			continue
		}
		done[r.PaymentID] = true
		unlock := s.refunding.lock(r.PaymentID)
		err := s.settleRefunds(ctx, r.PaymentID, s.settleAfter)
		unlock()
		if err != nil {
			s.log.WarnContext(ctx, "reconcile: settling refunds", "payment", r.PaymentID, "err", err)
		}
	}
	return nil
}

// isSettled reports whether an order status is final.
func isSettled(st kakaopay.OrderStatus) bool {
	switch st {
	case kakaopay.StatusSuccessPayment, kakaopay.StatusPartCancelPayment, kakaopay.StatusCancelPayment,
		kakaopay.StatusQuitPayment, kakaopay.StatusFailPayment, kakaopay.StatusFailAuthPassword:
		return true
	}
	return false
}

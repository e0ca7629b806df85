package checkout

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
)

// Reconcile settles, from KakaoPay, what a shopper's return or KakaoPay's answer never
// settled, each exactly once: attempts whose return never came, was kept while KakaoPay could
// not be asked, or whose approve call failed or timed out (approved at KakaoPay → paid here;
// quit or failed → ended; still pending past the tid's life → expired; never confirmable →
// failed after a grace period); refunds whose answer was lost (order API); deactivations whose
// answer was lost (subscription status); and charges whose answer was lost, which KakaoPay
// offers no look-up for (→ unknown). The server runs it periodically.
func (s *Service) Reconcile(ctx context.Context) error {
	now := s.clock()
	// Settling while an approve is still under way is harmless: paid() records once, and an
	// attempt is only failed for good after its tid has died.
	attempts, err := s.store.LiveAttempts(ctx, now.Add(-5*time.Second), 100)
	if err != nil {
		return wrapf("reconcile", err)
	}
	for _, a := range attempts {
		if err := s.reconcileAttempt(ctx, a, now); err != nil {
			return err
		}
	}
	if err := s.reconcileRefunds(ctx, now); err != nil {
		return err
	}
	if err := s.reconcileDeactivations(ctx, now); err != nil {
		return err
	}
	return s.reconcileCharges(ctx, now)
}

// reconcileAttempt settles one live attempt from KakaoPay's order API.
func (s *Service) reconcileAttempt(ctx context.Context, a *store.Attempt, now time.Time) error {
	if s.watched(a.CheckoutID) && !Confirming(a) && now.Before(a.ExpiresAt) {
		return nil // its watcher asks KakaoPay already
	}
	st, err := s.read(ctx, a.CheckoutID)
	if err != nil {
		return err
	}
	// The reconciler's look-ups share the watchers' rate: KakaoPay sees one bound in all.
	if err := s.watch.limiter.Wait(ctx); err != nil {
		return err
	}
	order, err := s.kakao.Order(ctx, kakaopay.OrderRequest{CID: cidOf(st), TID: a.TID})
	if err != nil {
		s.log.WarnContext(ctx, "reconcile: kakaopay order failed", "attempt", a.ID, "err", err)
		if a.PGToken != "" && !now.Before(a.ExpiresAt.Add(s.confirmGrace)) {
			// Approve was called and KakaoPay cannot tell us what came of it, long after the
			// tid died: end it, so that the checkout reaches a final status.
			if err := s.moveLive(ctx, a.CheckoutID, a.ID, AttemptFailed, "APPROVE_UNCONFIRMED", "KakaoPay could not confirm the payment"); err != nil {
				return err
			}
			_, err := s.State(ctx, a.CheckoutID) // expires what is due
			return err
		}
		return nil
	}
	if walletApproved(order.Status) && a.PGToken == "" && a.ReturnedPGToken != "" && now.Before(a.ExpiresAt) {
		// The shopper's return came while KakaoPay could not be asked: finish it now.
		if _, err := s.confirm(ctx, st, a, a.ReturnedPGToken); err != nil {
			s.log.WarnContext(ctx, "reconcile: confirming a kept return", "attempt", a.ID, "err", err)
		}
		return nil
	}
	if err := s.apply(ctx, a.CheckoutID, a.ID, order); err != nil {
		return err
	}
	if !now.Before(a.ExpiresAt) && !orderSettled(order.Status) {
		if a.PGToken != "" {
			// Approved in the wallet, but KakaoPay never took our approve: the tid is dead.
			if err := s.moveLive(ctx, a.CheckoutID, a.ID, AttemptFailed, "APPROVE_UNCONFIRMED", ""); err != nil {
				return err
			}
		}
		if _, err := s.State(ctx, a.CheckoutID); err != nil { // expires what is due
			return err
		}
	}
	return nil
}

// reconcileRefunds settles refunds whose KakaoPay answer was lost, old enough not to be in
// flight anywhere.
func (s *Service) reconcileRefunds(ctx context.Context, now time.Time) error {
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

// reconcileDeactivations finishes deactivations whose KakaoPay answer was lost, from the
// subscription status (asking KakaoPay to end the sid again only when it is still active).
func (s *Service) reconcileDeactivations(ctx context.Context, now time.Time) error {
	list, err := s.store.DeactivatingAgreements(ctx, now.Add(-s.settleAfter), 100)
	if err != nil {
		return wrapf("reconcile", err)
	}
	for _, ag := range list {
		unlock := s.charging.lock(ag.ID)
		err := s.deactivateAt(ctx, ag, true)
		unlock()
		if err != nil {
			s.log.WarnContext(ctx, "reconcile: deactivating", "agreement", ag.ID, "err", err)
		}
	}
	return nil
}

// reconcileCharges marks unknown the charges whose KakaoPay answer never came (the process
// died during the call): KakaoPay gives them no tid to look up, so the merchant must check.
func (s *Service) reconcileCharges(ctx context.Context, now time.Time) error {
	list, err := s.store.PendingCharges(ctx, now.Add(-s.settleAfter), 100)
	if err != nil {
		return wrapf("reconcile", err)
	}
	for _, ch := range list {
		if err := s.finishCharge(ctx, ch.ID, nil, ChargeUnknown, "kakaopay_no_answer",
			"KakaoPay's answer to the charge was lost; check it in KakaoPay's merchant admin"); err != nil {
			return err
		}
	}
	return nil
}

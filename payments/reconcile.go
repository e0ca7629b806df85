package payments

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
)

// reconcileRefunds settles refunds whose KakaoPay answer was lost, old enough not to be in
// flight anywhere; one instance looks a payment's refunds up at a time (its refunds lease),
// and each outcome is recorded once whoever records it (finishRefund checks the refund is
// still pending in its transaction).
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
		release, ok, err := s.leases.Take(ctx, "refunds:"+r.PaymentID, s.approveT+domain.LeaseMargin)
		if err != nil || !ok {
			continue
		}
		unlock := s.refunding.Lock(r.PaymentID)
		err = s.settleRefunds(ctx, r.PaymentID, s.settleAfter)
		unlock()
		release()
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
		// The process's lock first, then the lease, as Charge and Deactivate take them: the
		// lease is this instance's whichever of its requests holds it.
		unlock := s.charging.Lock(ag.ID)
		release, ok, err := s.leases.Take(ctx, agreementLease(ag.ID), s.agreementLeaseTTL())
		if err != nil || !ok {
			unlock()
			continue // another instance is at it
		}
		err = s.deactivateAt(ctx, ag, true)
		release()
		unlock()
		if err != nil {
			s.log.WarnContext(ctx, "reconcile: deactivating", "agreement", ag.ID, "err", err)
		}
	}
	return nil
}

// reconcileCharges marks unknown the charges whose KakaoPay answer never came (the process
// died during the call): KakaoPay gives them no tid to look up, so the merchant must check.
// Several instances may do it at once: nothing is asked of KakaoPay, and finishCharge records
// an outcome once (it checks the charge is still pending in its transaction).
func (s *Service) reconcileCharges(ctx context.Context, now time.Time) error {
	list, err := s.store.PendingCharges(ctx, now.Add(-s.settleAfter), 100)
	if err != nil {
		return wrapf("reconcile", err)
	}
	for _, ch := range list {
		if err := s.finishCharge(ctx, ch.ID, nil, checkout.ChargeUnknown, codeNoAnswer, messageNoAnswer); err != nil {
			return err
		}
	}
	return nil
}

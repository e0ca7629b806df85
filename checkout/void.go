package checkout

import (
	"context"
	"fmt"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/store"
)

// An approval KakaoPay made that cannot be its checkout's payment (a second tid of a paid
// checkout, an approval that landed after its checkout or attempt ended, or one past its link's
// cap) is a stray one: it is recorded with an event, canceled at KakaoPay (the shopper's money
// comes back), and the cancel is recorded with another. The claim in approve makes this rare; this is what keeps
// the books straight when it happens anyway.

// voidEvery is how often one stray approval is tried again at KakaoPay, and how often an
// approval that KakaoPay never confirmed is looked up again.
const voidEvery = 30 * time.Second

// watchUnconfirmedFor is how long an approval that KakaoPay never confirmed is still looked up
// after it ended, in case KakaoPay approves it after all.
const watchUnconfirmedFor = 24 * time.Hour

// strayReason is the type of the event that records KakaoPay's approval of a as a stray one, or
// "" when it is its checkout's payment: the checkout is paid already, or it or the attempt ended,
// or the link it was opened from was paid as often as it allows (which claim refuses first; this
// keeps the count whatever approved it).
func strayReason(ctx context.Context, tx store.Tx, st *State, a *store.Attempt) (string, error) {
	switch {
	case st.Payment != nil:
		return "attempt.approved_after_paid", nil
	case !isOpen(st.Checkout) || !Live(a):
		return "attempt.approved_after_expiry", nil
	}
	if full, err := linkFull(ctx, tx, st.Checkout, false); err != nil || !full {
		return "", err
	}
	return "attempt.approved_after_link_used_up", nil
}

// strayIn records, inside tx, KakaoPay's approval ap of attempt a that cannot be the checkout's
// payment: a live attempt is moved to approved; the attempt is marked to be canceled at
// KakaoPay, with an event of type typ that says why.
func (s *Service) strayIn(ctx context.Context, tx store.Tx, st *State, a *store.Attempt, ap approval, typ string, now time.Time) error {
	c := st.Checkout
	s.log.ErrorContext(ctx, "KakaoPay approved a payment that is not the checkout's; canceling it there",
		"checkout", c.ID, "checkout_status", c.Status, "attempt", a.ID, "attempt_status", a.Status, "tid", a.TID)
	if Live(a) {
		if err := moveAttempt(a, AttemptApproved, now); err != nil {
			return err
		}
	}
	if err := moveVoid(a, VoidPending, now); err != nil {
		return err
	}
	a.AID, a.Method = ap.aid, ap.method
	if ap.sid != "" {
		a.SID = ap.sid
	}
	if err := tx.UpdateAttempt(ctx, a); err != nil {
		return err
	}
	data := objects.JSON(objects.StrayApproval{Attempt: objects.NewAttempt(a), Amount: ap.amount, CheckoutStatus: c.Status})
	return tx.CreateEvent(ctx, domain.NewEvent(c.MerchantID, typ, c.ID, a.ID, data, now))
}

// voidNow cancels a stray approval at KakaoPay as soon as it is recorded; what fails is tried
// again by the reconciler.
func (s *Service) voidNow(ctx context.Context, checkoutID, attemptID string) {
	a, err := s.store.Attempt(ctx, attemptID)
	if err == nil {
		err = s.void(ctx, a)
	}
	if err != nil {
		s.log.WarnContext(ctx, "canceling a stray approval at KakaoPay; the reconciler tries again", "checkout", checkoutID, "attempt", attemptID, "err", err)
	}
}

// void cancels a stray approval at KakaoPay, under a lease so that one instance asks at a time,
// and records it once. KakaoPay's order API decides what is left to do: a cancel whose answer
// was lost shows there as CANCEL_PAYMENT, and is not sent again.
func (s *Service) void(ctx context.Context, a *store.Attempt) error {
	release, ok, err := s.leases.Take(ctx, "void:"+a.ID, 2*s.approveT+domain.LeaseMargin)
	if err != nil || !ok {
		return err
	}
	defer release()
	st, err := s.read(ctx, a.CheckoutID)
	if err != nil {
		return err
	}
	if a = st.attempt(a.ID); a == nil || !Voiding(a) {
		return nil
	}
	rctx := context.WithoutCancel(ctx)
	cctx, cancel := context.WithTimeout(rctx, s.approveT)
	defer cancel()
	cid := cidOf(st)
	order, err := s.kakao.Order(cctx, kakaopay.OrderRequest{CID: cid, TID: a.TID})
	if err != nil {
		return wrapf("void: order", err)
	}
	left := order.CancelAvailableAmount
	if orderMoveOf(order.Status).paid && left.Total > 0 {
		_, err := s.kakao.Cancel(cctx, kakaopay.CancelRequest{CID: cid, TID: a.TID, CancelAmount: left.Total,
			CancelTaxFreeAmount: left.TaxFree, CancelAvailableAmount: left.Total, Payload: a.ID})
		if err != nil {
			return wrapf("void: cancel", err) // a lost answer shows in the order API next time
		}
	} else if !orderMoveOf(order.Status).paid && !sidOnly(order.Status) {
		return fmt.Errorf("checkout: void: KakaoPay's order says %s for an approval", order.Status)
	}
	if sid := a.SID; sid != "" {
		sub, err := s.kakao.SubscriptionStatus(cctx, kakaopay.SIDRequest{CID: cid, SID: sid})
		if err == nil && subscriptionLive(sub.Status) {
			_, err = s.kakao.Inactive(cctx, kakaopay.SIDRequest{CID: cid, SID: sid})
		}
		if err != nil {
			return wrapf("void: inactive", err)
		}
	}
	return s.recordVoid(rctx, st.Checkout, a.ID, left.Total)
}

// recordVoid records, once, that a stray approval was canceled at KakaoPay.
func (s *Service) recordVoid(ctx context.Context, c *store.Checkout, attemptID string, canceled int64) error {
	now := s.clock.Now()
	_, err := s.update(ctx, c.ID, func(tx store.Tx) (bool, error) {
		a, err := tx.Attempt(ctx, attemptID)
		if err != nil || !Voiding(a) {
			return false, err
		}
		if err := moveVoid(a, VoidDone, now); err != nil {
			return false, err
		}
		if err := tx.UpdateAttempt(ctx, a); err != nil {
			return false, err
		}
		data := objects.JSON(objects.Void{Attempt: objects.NewAttempt(a), CanceledAmount: canceled})
		return true, tx.CreateEvent(ctx, domain.NewEvent(c.MerchantID, "attempt.voided", c.ID, a.ID, data, now))
	})
	if err != nil {
		return wrapf("record void", err)
	}
	return nil
}

// reconcileStrays cancels at KakaoPay the stray approvals not canceled yet, each at most every
// voidEvery.
func (s *Service) reconcileStrays(ctx context.Context, now time.Time) error {
	list, err := s.store.StrayApprovals(ctx, 100)
	if err != nil {
		return wrapf("reconcile", err)
	}
	for _, a := range list {
		if !s.polls.allow("void:"+a.ID, now, voidEvery) {
			continue
		}
		if err := s.void(ctx, a); err != nil {
			s.log.WarnContext(ctx, "reconcile: canceling a stray approval", "attempt", a.ID, "err", err)
		}
	}
	return nil
}

// reconcileUnconfirmed looks up, for a day after they ended, the approvals KakaoPay never
// confirmed (APPROVE_UNCONFIRMED): should KakaoPay approve one after all, it is recorded as a
// stray approval and canceled there.
func (s *Service) reconcileUnconfirmed(ctx context.Context, now time.Time) error {
	list, err := s.store.UnconfirmedApprovals(ctx, now.Add(-watchUnconfirmedFor), 100)
	if err != nil {
		return wrapf("reconcile", err)
	}
	for _, a := range list {
		if !s.polls.allow("unconfirmed:"+a.ID, now, voidEvery) {
			continue
		}
		_, order, err := s.lookUpOrder(ctx, a)
		if err != nil {
			return err
		}
		if order == nil {
			continue
		}
		if orderMoveOf(order.Status).paid {
			if err := s.paid(ctx, a.CheckoutID, a.ID, approvalFromOrder(order)); err != nil {
				return err
			}
		}
	}
	return nil
}

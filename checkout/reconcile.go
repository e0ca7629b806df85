package checkout

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
)

// Reconcile settles, from KakaoPay, what a shopper's return or KakaoPay's answer never
// settled, each exactly once: attempts whose return never came, was kept while KakaoPay could
// not be asked, or whose approve call failed or timed out (approved at KakaoPay → paid here;
// quit or failed → ended; still pending past the tid's life → expired; never confirmable →
// failed after a grace period), and the approvals that cannot be their checkout's payment
// (canceled at KakaoPay). The server runs it periodically, on every instance, with payments'
// Reconcile: each attempt is worked on under a lease, by one instance at a time.
func (s *Service) Reconcile(ctx context.Context) error {
	now := s.clock.Now()
	// Settling while an approve is still under way is harmless: paid() records once, and an
	// attempt is only failed for good after its tid has died.
	attempts, err := s.store.LiveAttempts(ctx, now.Add(-5*time.Second), 100)
	if err != nil {
		return wrapf("reconcile", err)
	}
	for _, a := range attempts {
		if err := s.reconcileLeased(ctx, a, now); err != nil {
			return err
		}
	}
	if err := s.reconcileUnconfirmed(ctx, now); err != nil {
		return err
	}
	return s.reconcileStrays(ctx, now)
}

// reconcileLeased reconciles one live attempt unless another instance is at it. The lease
// outlasts an approve call and the look-ups around it.
func (s *Service) reconcileLeased(ctx context.Context, a *store.Attempt, now time.Time) error {
	release, ok, err := s.leases.Take(ctx, "reconcile:"+a.ID, 2*s.approveT+domain.LeaseMargin)
	if err != nil || !ok {
		return err
	}
	defer release()
	return s.reconcileAttempt(ctx, a, now)
}

// reconcileAttempt settles one live attempt from KakaoPay's order API. An attempt whose approve
// was called holds its checkout until the order API gives a final answer, or until KakaoPay
// surely can no longer approve it (confirmBy).
func (s *Service) reconcileAttempt(ctx context.Context, a *store.Attempt, now time.Time) error {
	if s.watched(a.CheckoutID) && !Confirming(a) && now.Before(a.ExpiresAt) {
		return nil // its watcher asks KakaoPay already
	}
	st, order, err := s.lookUpOrder(ctx, a)
	if err != nil {
		return err
	}
	if order == nil {
		if inFlight(a) && !now.Before(s.confirmBy(a)) {
			// Approve was called and KakaoPay cannot tell us what came of it, long after the
			// tid died: end it, so that the checkout reaches a final status.
			return s.unconfirmed(ctx, a)
		}
		return nil
	}
	if walletApproved(order.Status) && inFlight(a) && a.ApproveSentAt.IsZero() && now.Before(s.tidEnd(a)) {
		// Claimed, and the claimer died before it called approve: approve it now.
		return s.takeOverClaim(ctx, st, a, now)
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
	if orderSettled(order.Status) {
		return nil
	}
	if inFlight(a) {
		// Sent: only KakaoPay's final answer settles it, or the end of its time to give one.
		// Never sent (its claimer died) and its tid dead: nothing can come of it.
		if !now.Before(s.confirmBy(a)) || (a.ApproveSentAt.IsZero() && !now.Before(s.tidEnd(a)) && now.Sub(a.UpdatedAt) >= s.approveLeaseTTL()) {
			return s.unconfirmed(ctx, a)
		}
		return nil
	}
	if !now.Before(a.ExpiresAt) {
		_, err := s.State(ctx, a.CheckoutID) // expires what is due
		return err
	}
	return nil
}

// tidEnd is when KakaoPay stops taking an approve for an attempt's tid: its life from ready,
// whatever its checkout's expiry (which may cut the attempt's own ExpiresAt short).
func (s *Service) tidEnd(a *store.Attempt) time.Time { return a.CreatedAt.Add(s.ttl) }

// confirmBy is when an approve KakaoPay never confirmed ends: the grace past its tid's life,
// by which KakaoPay has long finished any approve it took.
func (s *Service) confirmBy(a *store.Attempt) time.Time { return s.tidEnd(a).Add(s.confirmGrace) }

// unconfirmed ends an attempt whose approve KakaoPay never confirmed, as seen (a claimer that
// sent its call since is not overruled), and expires its checkout if due. The reconciler still
// looks it up for a while: a late approval is canceled at KakaoPay.
func (s *Service) unconfirmed(ctx context.Context, seen *store.Attempt) error {
	unchanged := func(a *store.Attempt) bool {
		return Live(a) && a.PGToken == seen.PGToken && a.ApproveSentAt.Equal(seen.ApproveSentAt)
	}
	err := s.moveAttemptIf(ctx, seen.CheckoutID, seen.ID, unchanged, AttemptFailed, codeApproveUnconfirmed, "KakaoPay could not confirm the payment")
	if err != nil {
		return wrapf("unconfirmed", err)
	}
	_, err = s.State(ctx, seen.CheckoutID) // expires what is due
	return err
}

// codeApproveUnconfirmed is the failure code of an attempt whose approve KakaoPay never confirmed.
const codeApproveUnconfirmed = "APPROVE_UNCONFIRMED"

// takeOverClaim approves, with its pg_token, an attempt whose claimer died between its claim
// and sending KakaoPay's approve, once the claimer's approve lease has lapsed: the approval the
// shopper made is not lost. A claim whose approve was sent is never taken over: KakaoPay may be
// working on it still, and only its order API tells what came of it.
func (s *Service) takeOverClaim(ctx context.Context, st *State, a *store.Attempt, now time.Time) error {
	if now.Sub(a.UpdatedAt) < s.approveLeaseTTL() {
		return nil // the claimer may still be about to call (a claim from before leases has none)
	}
	var took bool
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		cur, err := tx.Attempt(ctx, a.ID)
		// Checked on the row as it is now: a fresh claim of the same token (a reloaded return)
		// has a claimer of its own, who may be calling.
		if err != nil || cur.PGToken != a.PGToken || !Live(cur) || !cur.ApproveSentAt.IsZero() || now.Sub(cur.UpdatedAt) < s.approveLeaseTTL() {
			took = false
			return err
		}
		took, err = s.leases.TakeIn(ctx, tx, approveLease(a.ID), s.approveLeaseTTL())
		return err
	})
	if err != nil {
		return wrapf("take over claim", err)
	}
	if !took {
		return nil // another instance took it over
	}
	s.log.WarnContext(ctx, "reconcile: approving a claim whose instance died before it called KakaoPay", "checkout", a.CheckoutID, "attempt", a.ID)
	if _, err := s.approveClaimed(ctx, st, a, a.PGToken); err != nil {
		s.log.WarnContext(ctx, "reconcile: approving a taken-over claim", "attempt", a.ID, "err", err)
	}
	return nil
}

// lookUpOrder reads a's checkout and asks KakaoPay for a's order at the watchers' rate (KakaoPay
// sees one bound in all). A failed look-up is logged and answers a nil order: the caller tries
// again on its next pass.
func (s *Service) lookUpOrder(ctx context.Context, a *store.Attempt) (*State, *kakaopay.OrderResponse, error) {
	st, err := s.read(ctx, a.CheckoutID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.watch.limiter.Wait(ctx); err != nil {
		return nil, nil, err
	}
	order, err := s.kakao.Order(ctx, kakaopay.OrderRequest{CID: cidOf(st), TID: a.TID})
	if err != nil {
		s.log.WarnContext(ctx, "reconcile: kakaopay order failed", "attempt", a.ID, "err", err)
		return st, nil, nil
	}
	return st, order, nil
}

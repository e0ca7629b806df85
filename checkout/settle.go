package checkout

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/store"
)

// Return is a shopper's return from KakaoPay to one of our return URLs.
type Return struct {
	CheckoutID string
	AttemptID  string
	Kind       string // "approve", "cancel" or "fail"
	PGToken    string // approve only
}

// Outcome is what came of a return, for the page the shopper lands on.
type Outcome struct {
	State   *State
	Attempt *store.Attempt
	// Pending means KakaoPay's answer to approve did not come in time: the outcome is settled
	// later from KakaoPay's order API and the page follows the status.
	Pending bool
}

// HandleReturn settles an attempt from a shopper's return: an approval calls KakaoPay's approve
// exactly once however often it repeats; cancel and fail end the attempt as KakaoPay reports it.
func (s *Service) HandleReturn(ctx context.Context, r Return) (*Outcome, error) {
	st, err := s.State(ctx, r.CheckoutID)
	if err != nil {
		return nil, err
	}
	a := st.attempt(r.AttemptID)
	if a == nil || a.TID == "" {
		return nil, domain.NotFound("attempt", r.AttemptID)
	}
	switch r.Kind {
	case "approve":
		return s.approve(ctx, st, a, r.PGToken)
	case "cancel", "fail":
		if Live(a) && !inFlight(a) {
			s.refresh(ctx, st, a)
		}
		return s.outcome(ctx, r.CheckoutID, a.ID, false)
	}
	return nil, domain.Invalid("kind", "return_invalid", "unknown return %q", r.Kind)
}

func (s *Service) approve(ctx context.Context, st *State, a *store.Attempt, token string) (*Outcome, error) {
	if token == "" || len(token) > 100 {
		return nil, domain.Invalid("pg_token", "pg_token_missing", "pg_token is missing or malformed")
	}
	if a.PGToken != "" {
		if subtle.ConstantTimeCompare([]byte(a.PGToken), []byte(token)) != 1 {
			return nil, domain.Conflict("pg_token_mismatch", "this pg_token does not belong to this payment")
		}
		return s.awaitSettled(ctx, st.Checkout.ID, a.ID)
	}
	c := st.Checkout
	if !isOpen(c) {
		return nil, domain.Conflict("checkout_"+c.Status, "checkout is %s", c.Status)
	}
	if !Live(a) {
		return nil, domain.Conflict("attempt_"+a.Status, "this payment attempt is %s", a.Status)
	}
	// A pg_token is only worth an approve call once the wallet says the shopper approved:
	// a forged or stray token then changes nothing.
	order, err := s.orderRetried(ctx, cidOf(st), a.TID)
	if err != nil {
		// KakaoPay cannot be asked now: keep the token as received; the reconciler confirms it
		// with the order API and approves, so an approval the shopper made is not lost.
		s.log.WarnContext(ctx, "kakaopay order failed at the approve return; kept for the reconciler", "checkout", c.ID, "attempt", a.ID, "err", err)
		if err := s.keepReturn(ctx, c.ID, a.ID, token); err != nil {
			return nil, err
		}
		return s.outcome(ctx, c.ID, a.ID, true)
	}
	if !walletApproved(order.Status) {
		if err := s.apply(ctx, c.ID, a.ID, order); err != nil {
			return nil, err
		}
		out, err := s.outcome(ctx, c.ID, a.ID, false)
		if err != nil || Approved(out.Attempt) {
			return out, err
		}
		if !Live(out.Attempt) {
			return nil, domain.Conflict("attempt_"+out.Attempt.Status, "this payment attempt is %s", out.Attempt.Status)
		}
		return nil, domain.Conflict("not_approved", "the shopper has not approved this payment in KakaoPay")
	}
	return s.confirm(ctx, st, a, token)
}

// confirm claims an attempt the wallet approved and calls KakaoPay's approve with its token,
// once: the claim is what makes a repeated return wait instead of approving again.
func (s *Service) confirm(ctx context.Context, st *State, a *store.Attempt, token string) (*Outcome, error) {
	c := st.Checkout
	switch err := s.claim(ctx, c.ID, a.ID, token); {
	case errors.Is(err, errClaimed):
		return s.awaitSettled(ctx, c.ID, a.ID) // the same return, a moment earlier
	case errors.Is(err, errLinkFull):
		return s.outcome(ctx, c.ID, a.ID, false) // ended unapproved: nothing was charged
	case err != nil:
		return nil, err
	}
	return s.approveClaimed(ctx, st, a, token)
}

// approveLease names the lease an approve call is made under.
func approveLease(attemptID string) string { return "approve:" + attemptID }

// approveLeaseTTL is how long a claim's lease holds: past it the claimer's approve call has
// timed out for sure, and when it never reached KakaoPay (the claimer died first) the
// reconciler approves instead (see takeOverClaim).
func (s *Service) approveLeaseTTL() time.Duration { return s.approveT + domain.LeaseMargin }

// approveClaimed calls KakaoPay's approve for an attempt this instance claimed (or took over)
// with token, once, and records what came of it.
func (s *Service) approveClaimed(ctx context.Context, st *State, a *store.Attempt, token string) (*Outcome, error) {
	c := st.Checkout
	// What comes of the call is recorded whatever happens to the request that made it: a shopper
	// closing the tab, or the call's own deadline passing just after KakaoPay answered.
	rctx := context.WithoutCancel(ctx)
	sent, err := s.markSent(rctx, a.ID, token)
	if err != nil {
		return nil, err
	}
	if !sent {
		// Another instance took the claim over, or the call was sent already: its outcome comes
		// from KakaoPay's order API, never from a second approve of the tid.
		return s.outcome(ctx, c.ID, a.ID, true)
	}
	actx, cancel := context.WithTimeout(rctx, s.approveT)
	defer cancel()
	res, err := s.kakao.Approve(actx, kakaopay.ApproveRequest{
		CID: cidOf(st), TID: a.TID, PartnerOrderID: c.ID, PartnerUserID: c.ID, PGToken: token, TotalAmount: c.Amount,
	})
	switch {
	case err == nil:
		defer s.leases.Release(rctx, approveLease(a.ID))
		if err := s.keepSID(rctx, a.ID, res.SID); err != nil {
			return nil, err
		}
		domain.Fault("approve.after_kakaopay")
		if err := s.paid(rctx, c.ID, a.ID, approvalOf(res)); err != nil {
			return nil, err
		}
	case kakaopay.IsOutcomeUnknown(err):
		// The claim holds the checkout until KakaoPay's order API gives a final answer: the
		// call may land at KakaoPay any time yet.
		s.log.WarnContext(ctx, "kakaopay approve outcome unknown; settling from the order API", "checkout", c.ID, "attempt", a.ID, "err", err)
		return s.outcome(ctx, c.ID, a.ID, true)
	default:
		defer s.leases.Release(rctx, approveLease(a.ID))
		if err := s.approveRefused(rctx, st, a, token, err); err != nil {
			return nil, err
		}
	}
	return s.outcome(ctx, c.ID, a.ID, false)
}

// markSent records, just before KakaoPay's approve is called, that it is called for the claim
// of token, and reports whether this instance may call it: it holds the claim's lease and no
// call was sent for the claim yet. A claim whose call was sent is never approved again; one
// whose claimer died before sending is taken over (takeOverClaim).
func (s *Service) markSent(ctx context.Context, attemptID, token string) (bool, error) {
	now := s.clock.Now()
	sent := false
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		sent = false
		cur, err := tx.Attempt(ctx, attemptID)
		if err != nil || cur.PGToken != token || !Live(cur) || !cur.ApproveSentAt.IsZero() {
			return err
		}
		if ok, err := s.leases.TakeIn(ctx, tx, approveLease(attemptID), s.approveLeaseTTL()); err != nil || !ok {
			return err
		}
		cur.ApproveSentAt, cur.UpdatedAt = now, now
		sent = true
		return tx.UpdateAttempt(ctx, cur)
	})
	if err != nil {
		return false, wrapf("mark approve sent", err)
	}
	return sent, nil
}

// orderRetried asks KakaoPay's order API, trying again briefly when it fails.
func (s *Service) orderRetried(ctx context.Context, cid, tid string) (*kakaopay.OrderResponse, error) {
	var err error
	for _, wait := range []time.Duration{0, 200 * time.Millisecond, 800 * time.Millisecond} {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		var o *kakaopay.OrderResponse
		if o, err = s.kakao.Order(ctx, kakaopay.OrderRequest{CID: cid, TID: tid}); err == nil {
			return o, nil
		}
	}
	return nil, err
}

// keepReturn records the pg_token of an approve return that could not be checked with
// KakaoPay yet, for the reconciler.
func (s *Service) keepReturn(ctx context.Context, checkoutID, attemptID, token string) error {
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		a, err := tx.Attempt(ctx, attemptID)
		if err != nil || !Live(a) || a.PGToken != "" || a.ReturnedPGToken == token {
			return err
		}
		a.ReturnedPGToken, a.UpdatedAt = token, s.clock.Now()
		return tx.UpdateAttempt(ctx, a)
	})
	if err != nil {
		return wrapf("keep return", err)
	}
	s.changed(checkoutID) // the page says "confirming" now
	return nil
}

// keepSID stores the sid of a subscription's approve answer before the payment is recorded, so
// that the agreement survives a crash or a failed commit in between.
func (s *Service) keepSID(ctx context.Context, attemptID, sid string) error {
	if sid == "" {
		return nil
	}
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		a, err := tx.Attempt(ctx, attemptID)
		if err != nil || a.SID != "" {
			return err
		}
		a.SID, a.UpdatedAt = sid, s.clock.Now()
		return tx.UpdateAttempt(ctx, a)
	})
	if err != nil {
		return wrapf("keep sid", err)
	}
	return nil
}

// approveRefused handles KakaoPay refusing the approve call of a claim: a token it does not know
// leaves the attempt payable (the claim is released); a refused payment fails the attempt. The
// refusal answers this call, the only one made for the claim, so it is not mistaken for the
// answer of an earlier call still under way at KakaoPay.
func (s *Service) approveRefused(ctx context.Context, st *State, a *store.Attempt, token string, cause error) error {
	order, err := s.kakao.Order(ctx, kakaopay.OrderRequest{CID: cidOf(st), TID: a.TID})
	if err == nil && walletApproved(order.Status) {
		err := s.store.Transact(ctx, func(tx store.Tx) error {
			cur, err := tx.Attempt(ctx, a.ID)
			if err != nil || cur.PGToken != token || !Live(cur) {
				return err
			}
			cur.PGToken, cur.ApproveSentAt, cur.UpdatedAt = "", time.Time{}, s.clock.Now()
			return tx.UpdateAttempt(ctx, cur)
		})
		if err != nil {
			return wrapf("release", err)
		}
		s.changed(st.Checkout.ID)
		return &domain.Error{Kind: domain.KindConflict, Code: "pg_token_invalid", Message: "KakaoPay did not accept this pg_token", Err: cause}
	}
	if err == nil && orderMoveOf(order.Status).paid {
		return s.apply(ctx, st.Checkout.ID, a.ID, order) // approved after all
	}
	code, msg := kakaopay.Failure(cause)
	return s.moveLive(ctx, st.Checkout.ID, a.ID, AttemptFailed, code, msg)
}

// claim marks an attempt as being approved with token, under this instance's approve lease.
// Only one attempt of a checkout can be claimed at a time, and a token only once: this is what
// makes approve happen once, on one instance or several; the lease is what lets another
// instance finish the approval when this one dies before KakaoPay took it. A checkout whose link
// was paid, or is being paid, as often as it allows is not claimed: its attempt ends failed
// (LINK_USED_UP) and claim answers errLinkFull, so that KakaoPay's approve is never called.
func (s *Service) claim(ctx context.Context, checkoutID, attemptID, token string) error {
	now := s.clock.Now()
	full := false
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		full = false
		st, err := txState(ctx, tx, checkoutID)
		if err != nil {
			return err
		}
		a := st.attempt(attemptID)
		if a != nil && a.PGToken != "" {
			if subtle.ConstantTimeCompare([]byte(a.PGToken), []byte(token)) == 1 {
				return errClaimed // the same return, a moment earlier: its outcome is ours
			}
			return domain.Conflict("pg_token_used", "this payment is already being approved")
		}
		if !st.Open() || !now.Before(st.Checkout.ExpiresAt) {
			return domain.Conflict("checkout_"+st.Checkout.Status, "checkout is no longer payable")
		}
		for _, x := range st.Attempts {
			if x.ID != attemptID && (inFlight(x) || Approved(x)) {
				return domain.Conflict("payment_in_progress", "another payment of this checkout is being approved")
			}
		}
		if a == nil || !Live(a) || !now.Before(a.ExpiresAt) {
			return domain.Conflict("attempt_ended", "this payment attempt has ended")
		}
		// Counted in this transaction, with the other checkouts' claims: two shoppers of a one-time
		// link approving at once, on one instance or several, make one claim.
		if full, err = linkFull(ctx, tx, st.Checkout, true); err != nil || full {
			if err != nil {
				return err
			}
			return s.moveAttemptIn(ctx, tx, st.Checkout, a, AttemptFailed, CodeLinkUsedUp,
				"the payment link was paid as often as it allows; nothing was charged", now)
		}
		if ok, err := s.leases.TakeIn(ctx, tx, approveLease(a.ID), s.approveLeaseTTL()); err != nil || !ok {
			return cmp.Or(err, error(domain.Conflict("payment_in_progress", "this payment is being approved")))
		}
		a.PGToken, a.UpdatedAt = token, now
		return tx.UpdateAttempt(ctx, a)
	})
	if errors.Is(err, store.ErrConflict) {
		return domain.Conflict("pg_token_used", "this pg_token was already used")
	}
	if err != nil && !errors.Is(err, errClaimed) {
		return domain.Failed("checkout", "claim", err)
	}
	if err == nil {
		s.changed(checkoutID) // the page says "confirming" now, or why it ended
	}
	if err == nil && full {
		return errLinkFull
	}
	return err
}

// errClaimed means the attempt is already claimed with the same token.
var errClaimed = errors.New("checkout: attempt already claimed with this token")

// errLinkFull means the attempt was not claimed but ended: its link allows no more payments.
var errLinkFull = errors.New("checkout: the attempt's link allows no more payments")

// awaitSettled waits for a claimed attempt's approval to finish (a repeated return while the
// first one is still talking to KakaoPay), then answers its outcome.
func (s *Service) awaitSettled(ctx context.Context, checkoutID, attemptID string) (*Outcome, error) {
	deadline := time.NewTimer(s.approveT + 5*time.Second)
	defer deadline.Stop()
	for {
		woken, cancel := s.notifier.Subscribe(checkoutID)
		out, err := s.outcome(ctx, checkoutID, attemptID, false)
		if err != nil || !Live(out.Attempt) {
			cancel()
			return out, err
		}
		select {
		case <-woken:
			cancel()
		case <-deadline.C:
			cancel()
			out.Pending = true
			return out, nil
		case <-ctx.Done():
			cancel()
			return nil, ctx.Err()
		}
	}
}

func (s *Service) outcome(ctx context.Context, checkoutID, attemptID string, pending bool) (*Outcome, error) {
	st, err := s.read(ctx, checkoutID)
	if err != nil {
		return nil, err
	}
	if a := st.attempt(attemptID); a != nil {
		return &Outcome{State: st, Attempt: a, Pending: pending && Live(a)}, nil
	}
	return nil, domain.NotFound("attempt", attemptID)
}

// refresh asks KakaoPay how far a live attempt got, at most every two seconds per attempt, and
// applies it. Failures are logged: the next look tries again.
func (s *Service) refresh(ctx context.Context, st *State, a *store.Attempt) {
	if !s.polls.allow(a.ID, s.clock.Now(), 2*time.Second) {
		return
	}
	order, err := s.kakao.Order(ctx, kakaopay.OrderRequest{CID: cidOf(st), TID: a.TID})
	if err != nil {
		s.log.WarnContext(ctx, "kakaopay order failed", "checkout", st.Checkout.ID, "attempt", a.ID, "err", err)
		return
	}
	if err := s.apply(ctx, st.Checkout.ID, a.ID, order); err != nil {
		s.log.ErrorContext(ctx, "applying kakaopay order", "checkout", st.Checkout.ID, "attempt", a.ID, "err", err)
	}
}

// apply moves a live attempt to what KakaoPay's order status says.
func (s *Service) apply(ctx context.Context, checkoutID, attemptID string, o *kakaopay.OrderResponse) error {
	m := orderMoveOf(o.Status)
	switch {
	case m.paid:
		return s.paid(ctx, checkoutID, attemptID, approvalFromOrder(o))
	case m.ending:
		return s.moveLive(ctx, checkoutID, attemptID, m.to, string(o.Status), "")
	case m.to != "": // the shopper is somewhere in the wallet
		return s.moveLive(ctx, checkoutID, attemptID, m.to, "", "")
	}
	return nil
}

// approval is what a successful approve (or the order API) tells of a payment.
type approval struct {
	aid, method string
	sid         string // a subscription CID's key for later charges
	amount      int64
	approvedAt  time.Time
}

func approvalOf(r *kakaopay.ApproveResponse) approval {
	return approval{aid: r.AID, method: string(r.PaymentMethodType), sid: r.SID, amount: r.Amount.Total, approvedAt: r.ApprovedAt.Time}
}

func approvalFromOrder(o *kakaopay.OrderResponse) approval {
	ap := approval{method: string(o.PaymentMethodType), sid: o.SID, amount: o.Amount.Total, approvedAt: o.ApprovedAt.Time}
	for _, d := range o.PaymentActionDetails {
		if d.PaymentActionType == kakaopay.ActionPayment {
			ap.aid = d.AID
			if ap.approvedAt.IsZero() {
				ap.approvedAt = d.ApprovedAt.Time
			}
			break
		}
	}
	return ap
}

// paid records, once, that KakaoPay approved an attempt: the attempt, the checkout, the payment
// and the checkout.paid event in one transaction. An approval that cannot be the checkout's
// payment (it is paid already, or it ended, or the attempt did, or its link was paid as often
// as it allows) is recorded as a stray one and canceled at KakaoPay.
func (s *Service) paid(ctx context.Context, checkoutID, attemptID string, ap approval) error {
	now := s.clock.Now()
	if ap.approvedAt.IsZero() {
		ap.approvedAt = now
	}
	changed, stray := false, false
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		changed, stray = false, false
		st, err := txState(ctx, tx, checkoutID)
		if err != nil {
			return err
		}
		a := st.attempt(attemptID)
		if a == nil || Approved(a) || isStray(a) {
			return nil // already recorded
		}
		c := st.Checkout
		if ap.amount != 0 && ap.amount != c.Amount {
			s.log.ErrorContext(ctx, "kakaopay approved another amount", "checkout", c.ID, "want", c.Amount, "got", ap.amount)
		}
		if why, err := strayReason(ctx, tx, st, a); err != nil || why != "" {
			if err != nil {
				return err
			}
			changed, stray = true, true
			return s.strayIn(ctx, tx, st, a, ap, why, now)
		}
		if err := moveAttempt(a, AttemptApproved, now); err != nil {
			return err
		}
		a.AID, a.Method = ap.aid, ap.method
		if err := tx.UpdateAttempt(ctx, a); err != nil {
			return err
		}
		agreement := ""
		p := &store.Payment{
			ID: domain.NewID("pay"), CheckoutID: c.ID, AttemptID: a.ID, MerchantID: c.MerchantID, CID: cidOf(st), Amount: c.Amount,
			TaxFreeAmount: c.TaxFreeAmount, Method: ap.method, TID: a.TID, AID: ap.aid,
			ApprovedAt: ap.approvedAt.UTC(), CreatedAt: now,
		}
		if c.Mode == ModeSubscription {
			if ap.sid == "" {
				ap.sid = a.SID // kept from the approve answer before a crash
			}
			if ap.sid == "" {
				s.log.ErrorContext(ctx, "subscription paid without a sid: no agreement", "checkout", c.ID)
			} else {
				ag := &store.Agreement{ID: domain.NewID("agr"), MerchantID: c.MerchantID, CheckoutID: c.ID, CID: cidOf(st),
					SID: ap.sid, PartnerUserID: c.ID, Status: string(AgreementActive), CreatedAt: now, UpdatedAt: now}
				if err := tx.CreateAgreement(ctx, ag); err != nil {
					return err
				}
				p.AgreementID = ag.ID
				agreement = ag.ID
				if err := tx.CreateEvent(ctx, domain.NewEvent(c.MerchantID, "agreement.activated", c.ID, ag.ID, AgreementData(ag), now)); err != nil {
					return err
				}
			}
		}
		if err := tx.CreatePayment(ctx, p); err != nil {
			return err
		}
		if err := moveCheckout(c, StatusPaid, now); err != nil {
			return err
		}
		if err := tx.UpdateCheckout(ctx, c); err != nil {
			return err
		}
		changed = true
		return tx.CreateEvent(ctx, domain.NewEvent(c.MerchantID, "checkout.paid", c.ID, p.ID, s.checkoutData(c, st.Merchant, p, agreement), now))
	})
	if err != nil {
		return wrapf("paid", err)
	}
	if changed {
		s.changed(checkoutID)
	}
	if stray {
		s.voidNow(ctx, checkoutID, attemptID)
	}
	return nil
}

// moveLive moves a live attempt to status (authenticating, failed or canceled) with its event;
// an attempt that is no longer live, or already there, stays as it is.
func (s *Service) moveLive(ctx context.Context, checkoutID, attemptID string, status AttemptStatus, code, message string) error {
	due := func(a *store.Attempt) bool { return needsMove(a, status) }
	if err := s.moveAttemptIf(ctx, checkoutID, attemptID, due, status, code, message); err != nil {
		return wrapf("move attempt", err)
	}
	return nil
}

// moveAttemptIf moves an attempt of the checkout to status with its event when due says the
// attempt, as its transaction reads it, is still to be moved; otherwise it stays as it is.
func (s *Service) moveAttemptIf(ctx context.Context, checkoutID, attemptID string, due func(*store.Attempt) bool, status AttemptStatus, code, message string) error {
	now := s.clock.Now()
	_, err := s.update(ctx, checkoutID, func(tx store.Tx) (bool, error) {
		a, err := tx.Attempt(ctx, attemptID)
		if err != nil || a.CheckoutID != checkoutID || !due(a) {
			return false, err
		}
		c, err := tx.LockCheckout(ctx, checkoutID)
		if err != nil {
			return false, err
		}
		return true, s.moveAttemptIn(ctx, tx, c, a, status, code, message, now)
	})
	return err
}

// moveAttemptIn moves a live attempt to status inside tx, with its failure code and message and
// its event (attempt.<status>).
func (s *Service) moveAttemptIn(ctx context.Context, tx store.Tx, c *store.Checkout, a *store.Attempt, status AttemptStatus, code, message string, now time.Time) error {
	if err := moveAttempt(a, status, now); err != nil {
		return err
	}
	a.FailureCode, a.FailureMessage = code, message
	if err := tx.UpdateAttempt(ctx, a); err != nil {
		return err
	}
	return tx.CreateEvent(ctx, domain.NewEvent(c.MerchantID, "attempt."+string(status), c.ID, a.ID, attemptData(a), now))
}

func cidOf(st *State) string {
	if st.Checkout.Mode == ModeSubscription {
		return st.Merchant.SubscriptionCID
	}
	return st.Merchant.CID
}

// AgreementData is the data of agreement events, the agreement object: this package's when a
// payment activates one, package payments' when it is deactivated.
func AgreementData(a *store.Agreement) []byte { return objects.JSON(objects.NewAgreement(a)) }

// attemptData is the data of attempt events: the attempt object as it is now.
func attemptData(a *store.Attempt) []byte { return objects.JSON(objects.NewAttempt(a)) }

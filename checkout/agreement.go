package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
)

// Agreement and charge statuses.
const (
	AgreementActive   = "active"
	AgreementInactive = "inactive"
	ChargePending     = "pending" // KakaoPay is being asked
	ChargeSucceeded   = "succeeded"
	ChargeFailed      = "failed"
	ChargeUnknown     = "unknown" // KakaoPay's answer never came and cannot be looked up: never charged again by itself
)

// Chargeable reports whether an agreement may be charged: active, and not being deactivated.
func Chargeable(a *store.Agreement) bool {
	return a.Status == AgreementActive && a.DeactivateRequestedAt.IsZero()
}

// AgreementByID reads one of a merchant's agreements.
func (s *Service) AgreementByID(ctx context.Context, m *store.Merchant, id string) (*store.Agreement, error) {
	a, err := s.store.Agreement(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.MerchantID != m.ID) {
		return nil, notFound("agreement", id)
	}
	if err != nil {
		return nil, wrapf("agreement", err)
	}
	return a, nil
}

// AgreementOf reads the agreement a subscription checkout set up, or nil.
func (s *Service) AgreementOf(ctx context.Context, checkoutID string) (*store.Agreement, error) {
	a, err := s.store.AgreementByCheckout(ctx, checkoutID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapf("agreement", err)
	}
	return a, nil
}

// ListAgreements returns a page of a merchant's agreements, newest first, and whether more
// follow.
func (s *Service) ListAgreements(ctx context.Context, m *store.Merchant, p store.ListAgreements) ([]*store.Agreement, bool, error) {
	switch p.Status {
	case "", AgreementActive, AgreementInactive:
	default:
		return nil, false, invalid("status", "status_invalid", "status must be active or inactive")
	}
	p.MerchantID = m.ID
	want := p.Limit
	p.Limit++
	list, err := s.store.ListAgreements(ctx, p)
	if err != nil {
		return nil, false, wrapf("list agreements", err)
	}
	if len(list) > want {
		return list[:want], true, nil
	}
	return list, false, nil
}

// ChargeByID reads one of a merchant's charges.
func (s *Service) ChargeByID(ctx context.Context, m *store.Merchant, id string) (*store.Charge, error) {
	c, err := s.store.Charge(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.MerchantID != m.ID) {
		return nil, notFound("charge", id)
	}
	if err != nil {
		return nil, wrapf("charge", err)
	}
	return c, nil
}

// ChargeOf reads the charge a payment was made by, or nil.
func (s *Service) ChargeOf(ctx context.Context, paymentID string) (*store.Charge, error) {
	c, err := s.store.ChargeByPayment(ctx, paymentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapf("charge", err)
	}
	return c, nil
}

// ChargeParams is a charge on an agreement.
type ChargeParams struct {
	Amount    int64
	Reference string
	Key       *Key // the request's Idempotency-Key, bound to the charge before KakaoPay is called
}

// CheckCharge tells whether m may charge p's amount and reference (a dashboard checks before
// it asks for a confirmation); Charge checks the same.
func CheckCharge(m *store.Merchant, p ChargeParams) error {
	switch {
	case p.Amount <= 0:
		return invalid("amount", "amount_invalid", "amount must be a positive whole number of won")
	case p.Amount < m.MinAmount:
		return invalid("amount", "amount_too_small", "amount must be at least %d won", m.MinAmount)
	case p.Amount > m.MaxAmount:
		return invalid("amount", "amount_too_large", "amount must be at most %d won for this merchant", m.MaxAmount)
	case utf8.RuneCountInString(p.Reference) > 100 || strings.ContainsFunc(p.Reference, isControl):
		return invalid("reference", "string_invalid", "reference must be at most 100 characters, with no control characters")
	}
	return nil
}

// Charge takes an amount on an active agreement with no shopper present. The charge and its
// Idempotency-Key binding are committed before KakaoPay is called. A refusal records a failed
// charge and says why. A lost answer makes the charge unknown with a charge.unknown event:
// KakaoPay gives such a charge no tid to look up, so it is never charged again by itself.
func (s *Service) Charge(ctx context.Context, m *store.Merchant, agreementID string, p ChargeParams) (*store.Charge, error) {
	if err := CheckCharge(m, p); err != nil {
		return nil, err
	}
	if _, err := s.AgreementByID(ctx, m, agreementID); err != nil {
		return nil, err
	}
	defer s.charging.lock(agreementID)()
	release, err := s.leaseWait(ctx, agreementLease(agreementID), s.agreementLeaseTTL(), s.agreementLeaseTTL(), "agreement_busy")
	if err != nil {
		return nil, err
	}
	defer release()
	now := s.clock()
	var ag *store.Agreement
	ch := &store.Charge{ID: NewID("ch"), AgreementID: agreementID, MerchantID: m.ID, Amount: p.Amount, Reference: p.Reference,
		Status: ChargePending, CreatedAt: now, UpdatedAt: now}
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		var err error
		if ag, err = tx.Agreement(ctx, agreementID); err != nil {
			return err
		}
		if ag.Status != AgreementActive {
			return conflict("agreement_inactive", "this agreement is inactive and cannot be charged")
		}
		if !ag.DeactivateRequestedAt.IsZero() {
			return conflict("agreement_deactivating", "this agreement is being deactivated and cannot be charged")
		}
		if err := tx.CreateCharge(ctx, ch); err != nil {
			return err
		}
		if err := bindKey(ctx, tx, p.Key, BoundCharge, ch.ID); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, s.event(m.ID, "charge.created", ag.CheckoutID, ch.ID, chargeData(ch), now))
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, wrapf("charge", err)
	}
	name := p.Reference
	if name == "" {
		name = ch.ID
	}
	fault("charge.before_kakaopay")
	// The outcome is recorded whatever happens to the request, and after the call's own deadline
	// passed (a timeout is an outcome too: unknown).
	rctx := context.WithoutCancel(ctx)
	cctx, cancel := context.WithTimeout(rctx, s.approveT)
	defer cancel()
	res, err := s.kakao.Subscription(cctx, kakaopay.SubscriptionRequest{
		CID: ag.CID, SID: ag.SID, PartnerOrderID: ch.ID, PartnerUserID: ag.PartnerUserID, ItemName: truncate(name, 100),
		Quantity: 1, TotalAmount: p.Amount, TaxFreeAmount: 0,
	})
	switch {
	case err == nil:
		fault("charge.after_kakaopay")
		err = s.finishCharge(rctx, ch.ID, res, ChargeSucceeded, "", "")
	case kakaopay.IsOutcomeUnknown(err):
		s.log.ErrorContext(ctx, "kakaopay subscription charge outcome unknown; held as unknown", "charge", ch.ID, "err", err)
		err = s.finishCharge(rctx, ch.ID, nil, ChargeUnknown, "kakaopay_no_answer", "KakaoPay's answer to the charge was lost; check it in KakaoPay's merchant admin")
	default:
		code, msg := failureOf(err)
		err = s.finishCharge(rctx, ch.ID, nil, ChargeFailed, code, msg)
	}
	if err != nil {
		return nil, err
	}
	return s.ChargeOutcome(ctx, ch.ID)
}

// ChargeOutcome answers a charge as its request would: the charge, or KakaoPay's refusal.
func (s *Service) ChargeOutcome(ctx context.Context, id string) (*store.Charge, error) {
	ch, err := s.store.Charge(ctx, id)
	if err != nil {
		return nil, wrapf("charge", err)
	}
	if ch.Status == ChargeFailed {
		return nil, &Error{Kind: KindUpstream, Code: "kakaopay_refused", Param: ch.ID,
			Message: "KakaoPay refused the charge " + ch.ID + ": " + ch.FailureMessage}
	}
	return ch, nil
}

// ListCharges lists a merchant's charges, newest first, optionally of one status.
func (s *Service) ListCharges(ctx context.Context, p store.ListCharges) ([]*store.Charge, error) {
	switch p.Status {
	case "", ChargePending, ChargeSucceeded, ChargeFailed, ChargeUnknown:
	default:
		return nil, invalid("status", "status_invalid", "status must be pending, succeeded, failed or unknown")
	}
	list, err := s.store.ListCharges(ctx, p)
	if err != nil {
		return nil, wrapf("list charges", err)
	}
	return list, nil
}

// finishCharge records, once, a pending (or unknown) charge's outcome with its payment (on
// success) and event. An answer that comes after the charge was held as unknown still counts.
func (s *Service) finishCharge(ctx context.Context, chargeID string, res *kakaopay.ApproveResponse, status, code, message string) error {
	now := s.clock()
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		ch, err := tx.Charge(ctx, chargeID)
		if err != nil {
			return err
		}
		if ch.Status != ChargePending && (ch.Status != ChargeUnknown || status == ChargeUnknown) {
			return nil
		}
		ag, err := tx.Agreement(ctx, ch.AgreementID)
		if err != nil {
			return err
		}
		ch.Status, ch.FailureCode, ch.FailureMessage, ch.UpdatedAt = status, code, message, now
		if res != nil {
			approved := res.ApprovedAt.Time
			if approved.IsZero() {
				approved = now
			}
			p := &store.Payment{ID: NewID("pay"), AgreementID: ag.ID, MerchantID: ag.MerchantID, CID: ag.CID,
				Amount: ch.Amount, Method: string(res.PaymentMethodType), TID: res.TID, AID: res.AID,
				ApprovedAt: approved.UTC(), CreatedAt: now}
			if err := tx.CreatePayment(ctx, p); err != nil {
				return err
			}
			ch.PaymentID = p.ID
		}
		if err := tx.UpdateCharge(ctx, ch); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, s.event(ag.MerchantID, "charge."+status, ag.CheckoutID, ch.ID, chargeData(ch), now))
	})
	if err != nil {
		return wrapf("charge", err)
	}
	return nil
}

// Deactivate ends an agreement at KakaoPay and here; it cannot be charged afterwards. The
// request is written down before KakaoPay is asked, so that a lost answer (or a crash) is
// finished from KakaoPay's subscription status by a retry or by the reconciler.
// The request's Idempotency-Key (key, may be nil) is bound to the agreement before KakaoPay is
// asked, so a retry after a crash finishes this deactivation instead of waiting on the key.
func (s *Service) Deactivate(ctx context.Context, m *store.Merchant, agreementID string, key *Key) (*store.Agreement, error) {
	if _, err := s.AgreementByID(ctx, m, agreementID); err != nil {
		return nil, err
	}
	defer s.charging.lock(agreementID)()
	release, err := s.leaseWait(ctx, agreementLease(agreementID), s.agreementLeaseTTL(), s.agreementLeaseTTL(), "agreement_busy")
	if err != nil {
		return nil, err
	}
	defer release()
	var ag *store.Agreement
	asked := false // an earlier request asked KakaoPay already: its answer may have been lost
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		var err error
		if ag, err = tx.Agreement(ctx, agreementID); err != nil {
			return err
		}
		if ag.Status != AgreementActive {
			return conflict("agreement_inactive", "this agreement is already inactive")
		}
		if asked = !ag.DeactivateRequestedAt.IsZero(); !asked {
			ag.DeactivateRequestedAt, ag.UpdatedAt = s.clock(), s.clock()
			if err := tx.UpdateAgreement(ctx, ag); err != nil {
				return err
			}
		}
		return bindKey(ctx, tx, key, BoundDeactivation, ag.ID)
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, wrapf("deactivate", err)
	}
	if err := s.deactivateAt(ctx, ag, asked); err != nil {
		return nil, err
	}
	ag, err = s.store.Agreement(ctx, agreementID)
	if err != nil {
		return nil, wrapf("deactivate", err)
	}
	return ag, nil
}

// DeactivationOutcome answers a retried deactivation whose first request ended before its
// answer was stored: the agreement once it ended, after finishing the deactivation with
// KakaoPay when it is still under way.
func (s *Service) DeactivationOutcome(ctx context.Context, id string) (*store.Agreement, error) {
	defer s.charging.lock(id)()
	release, err := s.leaseWait(ctx, agreementLease(id), s.agreementLeaseTTL(), s.agreementLeaseTTL(), "agreement_busy")
	if err != nil {
		return nil, err
	}
	defer release()
	ag, err := s.store.Agreement(ctx, id)
	if err != nil {
		return nil, wrapf("deactivate", err)
	}
	if ag.Status == AgreementActive && !ag.DeactivateRequestedAt.IsZero() {
		if err := s.deactivateAt(ctx, ag, true); err != nil {
			return nil, err
		}
	}
	if ag, err = s.store.Agreement(ctx, id); err != nil {
		return nil, wrapf("deactivate", err)
	}
	if ag.Status == AgreementActive {
		return nil, &Error{Kind: KindUpstream, Code: "kakaopay_refused", Param: ag.ID, Message: "KakaoPay did not end the agreement " + ag.ID}
	}
	return ag, nil
}

// deactivateAt asks KakaoPay to end an agreement's sid and records what KakaoPay says. When
// the answer is lost or refused, the subscription status tells whether the sid ended after all
// (a repeated inactive is refused once it has); when an earlier request asked already (asked),
// the status is read first, so that a sid is asked to end once.
func (s *Service) deactivateAt(ctx context.Context, ag *store.Agreement, asked bool) error {
	rctx := context.WithoutCancel(ctx) // what KakaoPay said is recorded past the calls' deadline
	cctx, cancel := context.WithTimeout(rctx, s.approveT)
	defer cancel()
	if asked {
		st, err := s.kakao.SubscriptionStatus(cctx, kakaopay.SIDRequest{CID: ag.CID, SID: ag.SID})
		if err == nil && st.Status == kakaopay.SubscriptionInactive {
			return s.recordDeactivation(rctx, ag.ID, true)
		}
	}
	_, err := s.kakao.Inactive(cctx, kakaopay.SIDRequest{CID: ag.CID, SID: ag.SID})
	if err == nil {
		fault("deactivate.after_kakaopay")
		return s.recordDeactivation(rctx, ag.ID, true)
	}
	// A time-out used up the call's budget: the status look-up has one of its own.
	sctx, cancelStatus := context.WithTimeout(rctx, s.approveT)
	defer cancelStatus()
	st, serr := s.kakao.SubscriptionStatus(sctx, kakaopay.SIDRequest{CID: ag.CID, SID: ag.SID})
	switch {
	case serr == nil && st.Status == kakaopay.SubscriptionInactive:
		return s.recordDeactivation(rctx, ag.ID, true)
	case serr == nil && !kakaopay.IsOutcomeUnknown(err):
		// KakaoPay refused and the sid is still active: nothing is under way any more.
		if rerr := s.recordDeactivation(rctx, ag.ID, false); rerr != nil {
			return rerr
		}
		code, msg := failureOf(err)
		return &Error{Kind: KindUpstream, Code: "kakaopay_refused", Message: "KakaoPay did not end the agreement (" + code + "): " + msg, Err: err}
	}
	return &Error{Kind: KindUpstream, Code: "kakaopay_unavailable",
		Message: "KakaoPay did not answer; the deactivation is confirmed with KakaoPay in the background", Err: err}
}

// recordDeactivation records, once, that an agreement ended at KakaoPay (or, when ended is
// false, that KakaoPay refused to end it and the request is over).
func (s *Service) recordDeactivation(ctx context.Context, agreementID string, ended bool) error {
	now := s.clock()
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		ag, err := tx.Agreement(ctx, agreementID)
		if err != nil {
			return err
		}
		if ag.Status != AgreementActive {
			return nil
		}
		ag.DeactivateRequestedAt, ag.UpdatedAt = time.Time{}, now
		if !ended {
			return tx.UpdateAgreement(ctx, ag)
		}
		ag.Status = AgreementInactive
		if err := tx.UpdateAgreement(ctx, ag); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, s.event(ag.MerchantID, "agreement.deactivated", ag.CheckoutID, ag.ID, agreementData(ag), now))
	})
	if err != nil {
		return wrapf("deactivate", err)
	}
	return nil
}

// agreementLease names the lease that lets one charge or deactivation of an agreement talk to
// KakaoPay at a time, on any instance: a deactivation never races a charge, and a sid is asked
// to end once.
func agreementLease(agreementID string) string { return "agreement:" + agreementID }

// agreementLeaseTTL outlasts the KakaoPay calls of a charge or a deactivation (up to three, in
// one approveT budget).
func (s *Service) agreementLeaseTTL() time.Duration { return s.approveT + leaseMargin }

func agreementData(a *store.Agreement) []byte {
	b, _ := json.Marshal(map[string]any{"id": a.ID, "checkout": a.CheckoutID, "status": a.Status})
	return b
}

func chargeData(c *store.Charge) []byte {
	b, _ := json.Marshal(map[string]any{"id": c.ID, "agreement": c.AgreementID, "amount": c.Amount, "status": c.Status,
		"payment": c.PaymentID, "failure_code": c.FailureCode, "failure_message": c.FailureMessage})
	return b
}

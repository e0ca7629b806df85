package payments

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/store"
)

// Agreement reads one of a merchant's agreements.
func (s *Service) Agreement(ctx context.Context, m *store.Merchant, id string) (*store.Agreement, error) {
	return domain.Owned(ctx, m, "agreement", id, s.store.Agreement, func(a *store.Agreement) string { return a.MerchantID })
}

// AgreementOf reads the agreement a subscription checkout set up, or nil.
func (s *Service) AgreementOf(ctx context.Context, checkoutID string) (*store.Agreement, error) {
	return optional(ctx, "agreement", checkoutID, s.store.AgreementByCheckout)
}

// Agreements returns a page of a merchant's agreements, newest first, and whether more follow.
func (s *Service) Agreements(ctx context.Context, m *store.Merchant, p store.ListAgreements) ([]*store.Agreement, bool, error) {
	p.MerchantID = m.ID
	return filtered("list agreements", p.Status, checkout.ParseAgreementStatus, "active or inactive", p.Limit, func(limit int) ([]*store.Agreement, error) {
		p.Limit = limit
		return s.store.ListAgreements(ctx, p)
	})
}

// Charge reads one of a merchant's charges.
func (s *Service) Charge(ctx context.Context, m *store.Merchant, id string) (*store.Charge, error) {
	return domain.Owned(ctx, m, "charge", id, s.store.Charge, func(c *store.Charge) string { return c.MerchantID })
}

// ChargeOf reads the charge a payment was made by, or nil.
func (s *Service) ChargeOf(ctx context.Context, paymentID string) (*store.Charge, error) {
	return optional(ctx, "charge", paymentID, s.store.ChargeByPayment)
}

// ChargeParams is a charge on an agreement.
type ChargeParams struct {
	Amount    int64
	Reference string
	Key       *domain.Reservation // the request's Idempotency-Key, bound to the charge before KakaoPay is called
}

// CheckCharge tells whether m may charge p's amount and reference (a dashboard checks before
// it asks for a confirmation); Charge checks the same.
func CheckCharge(m *store.Merchant, p ChargeParams) error {
	switch {
	case p.Amount <= 0:
		return domain.Invalid("amount", "amount_invalid", "amount must be a positive whole number of won")
	case p.Amount < m.MinAmount:
		return domain.Invalid("amount", "amount_too_small", "amount must be at least %d won", m.MinAmount)
	case p.Amount > m.MaxAmount:
		return domain.Invalid("amount", "amount_too_large", "amount must be at most %d won for this merchant", m.MaxAmount)
	case utf8.RuneCountInString(p.Reference) > 100 || strings.ContainsFunc(p.Reference, domain.IsControl):
		return domain.Invalid("reference", "string_invalid", "reference must be at most 100 characters, with no control characters")
	}
	return nil
}

// CreateCharge takes an amount on an active agreement with no shopper present. The charge and its
// Idempotency-Key binding are committed before KakaoPay is called. A refusal records a failed
// charge and says why. A lost answer makes the charge unknown with a charge.unknown event:
// KakaoPay gives such a charge no tid to look up, so it is never charged again by itself.
func (s *Service) CreateCharge(ctx context.Context, m *store.Merchant, agreementID string, p ChargeParams) (*store.Charge, error) {
	if err := CheckCharge(m, p); err != nil {
		return nil, err
	}
	release, err := s.holdOwnAgreement(ctx, m, agreementID)
	if err != nil {
		return nil, err
	}
	defer release()
	now := s.clock.Now()
	var ag *store.Agreement
	ch := &store.Charge{ID: domain.NewID("ch"), AgreementID: agreementID, MerchantID: m.ID, Amount: p.Amount, Reference: p.Reference,
		Status: string(checkout.ChargePending), CreatedAt: now, UpdatedAt: now}
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		var err error
		if ag, err = liveAgreement(ctx, tx, agreementID, "this agreement is inactive and cannot be charged"); err != nil {
			return err
		}
		if checkout.Deactivating(ag) {
			return domain.Conflict("agreement_deactivating", "this agreement is being deactivated and cannot be charged")
		}
		if err := tx.CreateCharge(ctx, ch); err != nil {
			return err
		}
		if err := domain.Bind(ctx, tx, p.Key, domain.BoundCharge, ch.ID); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, domain.NewEvent(m.ID, "charge.created", ag.CheckoutID, ch.ID, chargeData(ch), now))
	})
	if err != nil {
		return nil, domain.Failed("payments", "charge", err)
	}
	name := p.Reference
	if name == "" {
		name = ch.ID
	}
	domain.Fault("charge.before_kakaopay")
	// The outcome is recorded whatever happens to the request, and after the call's own deadline
	// passed (a timeout is an outcome too: unknown).
	rctx := context.WithoutCancel(ctx)
	cctx, cancel := context.WithTimeout(rctx, s.approveT)
	defer cancel()
	res, err := s.kakao.Subscription(cctx, kakaopay.SubscriptionRequest{SID: ag.SID, Purchase: kakaopay.Purchase{
		CID: ag.CID, PartnerOrderID: ch.ID, PartnerUserID: ag.PartnerUserID, ItemName: domain.Truncate(name, 100),
		Quantity: 1, TotalAmount: p.Amount, TaxFreeAmount: 0,
	}})
	switch {
	case err == nil:
		domain.Fault("charge.after_kakaopay")
		err = s.finishCharge(rctx, ch.ID, res, checkout.ChargeSucceeded, "", "")
	case kakaopay.IsOutcomeUnknown(err):
		s.log.ErrorContext(ctx, "kakaopay subscription charge outcome unknown; held as unknown", "charge", ch.ID, "err", err)
		err = s.finishCharge(rctx, ch.ID, nil, checkout.ChargeUnknown, codeNoAnswer, messageNoAnswer)
	default:
		code, msg := kakaopay.Failure(err)
		err = s.finishCharge(rctx, ch.ID, nil, checkout.ChargeFailed, code, msg)
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
	if checkout.ChargeRefused(ch) {
		return nil, refused(ch.ID, "KakaoPay refused the charge "+ch.ID+": "+ch.FailureMessage)
	}
	return ch, nil
}

// Charges returns a page of a merchant's charges, newest first, of one status or agreement
// when p says so, and whether more follow.
func (s *Service) Charges(ctx context.Context, m *store.Merchant, p store.ListCharges) ([]*store.Charge, bool, error) {
	p.MerchantID = m.ID
	return filtered("list charges", p.Status, checkout.ParseChargeStatus, "pending, succeeded, failed or unknown", p.Limit, func(limit int) ([]*store.Charge, error) {
		p.Limit = limit
		return s.store.ListCharges(ctx, p)
	})
}

// finishCharge records, once, a pending (or unknown) charge's outcome with its payment (on
// success) and event. An answer that comes after the charge was held as unknown still counts.
func (s *Service) finishCharge(ctx context.Context, chargeID string, res *kakaopay.ApproveResponse, status checkout.ChargeStatus, code, message string) error {
	now := s.clock.Now()
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		ch, err := tx.Charge(ctx, chargeID)
		if err != nil {
			return err
		}
		if !checkout.ChargeSettles(ch, status) {
			return nil
		}
		ag, err := tx.Agreement(ctx, ch.AgreementID)
		if err != nil {
			return err
		}
		if err := checkout.MoveCharge(ch, status, now); err != nil {
			return err
		}
		ch.FailureCode, ch.FailureMessage = code, message
		if res != nil {
			approved := res.ApprovedAt.Time
			if approved.IsZero() {
				approved = now
			}
			p := &store.Payment{ID: domain.NewID("pay"), AgreementID: ag.ID, MerchantID: ag.MerchantID, CID: ag.CID,
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
		return tx.CreateEvent(ctx, domain.NewEvent(ag.MerchantID, "charge."+ch.Status, ag.CheckoutID, ch.ID, chargeData(ch), now))
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
func (s *Service) Deactivate(ctx context.Context, m *store.Merchant, agreementID string, key *domain.Reservation) (*store.Agreement, error) {
	release, err := s.holdOwnAgreement(ctx, m, agreementID)
	if err != nil {
		return nil, err
	}
	defer release()
	var ag *store.Agreement
	asked := false // an earlier request asked KakaoPay already: its answer may have been lost
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		var err error
		if ag, err = liveAgreement(ctx, tx, agreementID, "this agreement is already inactive"); err != nil {
			return err
		}
		if asked = checkout.Deactivating(ag); !asked {
			ag.DeactivateRequestedAt, ag.UpdatedAt = s.clock.Now(), s.clock.Now()
			if err := tx.UpdateAgreement(ctx, ag); err != nil {
				return err
			}
		}
		return domain.Bind(ctx, tx, key, domain.BoundDeactivation, ag.ID)
	})
	if err != nil {
		return nil, domain.Failed("payments", "deactivate", err)
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
	release, err := s.holdAgreement(ctx, id)
	if err != nil {
		return nil, err
	}
	defer release()
	ag, err := s.store.Agreement(ctx, id)
	if err != nil {
		return nil, wrapf("deactivate", err)
	}
	if checkout.Deactivating(ag) {
		if err := s.deactivateAt(ctx, ag, true); err != nil {
			return nil, err
		}
	}
	if ag, err = s.store.Agreement(ctx, id); err != nil {
		return nil, wrapf("deactivate", err)
	}
	if !checkout.AgreementEnded(ag) {
		return nil, refused(ag.ID, "KakaoPay did not end the agreement "+ag.ID)
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
		if err == nil && checkout.SubscriptionEnded(st.Status) {
			return s.recordDeactivation(rctx, ag.ID, true)
		}
	}
	_, err := s.kakao.Inactive(cctx, kakaopay.SIDRequest{CID: ag.CID, SID: ag.SID})
	if err == nil {
		domain.Fault("deactivate.after_kakaopay")
		return s.recordDeactivation(rctx, ag.ID, true)
	}
	// A time-out used up the call's budget: the status look-up has one of its own.
	sctx, cancelStatus := context.WithTimeout(rctx, s.approveT)
	defer cancelStatus()
	st, serr := s.kakao.SubscriptionStatus(sctx, kakaopay.SIDRequest{CID: ag.CID, SID: ag.SID})
	switch {
	case serr == nil && checkout.SubscriptionEnded(st.Status):
		return s.recordDeactivation(rctx, ag.ID, true)
	case serr == nil && !kakaopay.IsOutcomeUnknown(err):
		// KakaoPay refused and the sid is still active: nothing is under way any more.
		if rerr := s.recordDeactivation(rctx, ag.ID, false); rerr != nil {
			return rerr
		}
		code, msg := kakaopay.Failure(err)
		return domain.Upstream("kakaopay_refused", "KakaoPay did not end the agreement ("+code+"): "+msg, err)
	}
	return domain.Upstream("kakaopay_unavailable", "KakaoPay did not answer; the deactivation is confirmed with KakaoPay in the background", err)
}

// recordDeactivation records, once, that an agreement ended at KakaoPay (or, when ended is
// false, that KakaoPay refused to end it and the request is over).
func (s *Service) recordDeactivation(ctx context.Context, agreementID string, ended bool) error {
	now := s.clock.Now()
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		ag, err := tx.Agreement(ctx, agreementID)
		if err != nil {
			return err
		}
		if checkout.AgreementEnded(ag) {
			return nil
		}
		ag.DeactivateRequestedAt, ag.UpdatedAt = time.Time{}, now
		if !ended {
			return tx.UpdateAgreement(ctx, ag)
		}
		if err := checkout.MoveAgreement(ag, checkout.AgreementInactive, now); err != nil {
			return err
		}
		if err := tx.UpdateAgreement(ctx, ag); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, domain.NewEvent(ag.MerchantID, "agreement.deactivated", ag.CheckoutID, ag.ID, checkout.AgreementData(ag), now))
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

// holdAgreement holds an agreement, in this process and across instances, until release is
// called: its charges and its deactivation go one at a time. One held elsewhere for longer
// than a lease is refused as agreement_busy.
func (s *Service) holdAgreement(ctx context.Context, agreementID string) (release func(), err error) {
	unlock := s.charging.Lock(agreementID)
	free, err := s.leases.Wait(ctx, agreementLease(agreementID), s.agreementLeaseTTL(), s.agreementLeaseTTL(), "agreement_busy")
	if err != nil {
		unlock()
		return nil, err
	}
	return func() {
		free()
		unlock()
	}, nil
}

// holdOwnAgreement holds one of m's agreements as holdAgreement does; another merchant's is not
// found.
func (s *Service) holdOwnAgreement(ctx context.Context, m *store.Merchant, agreementID string) (release func(), err error) {
	if _, err := s.Agreement(ctx, m, agreementID); err != nil {
		return nil, err
	}
	return s.holdAgreement(ctx, agreementID)
}

// liveAgreement reads an agreement in tx and refuses one that ended (agreement_inactive), saying
// why it cannot be used.
func liveAgreement(ctx context.Context, tx store.Tx, agreementID, why string) (*store.Agreement, error) {
	ag, err := tx.Agreement(ctx, agreementID)
	if err != nil {
		return nil, err
	}
	if checkout.AgreementEnded(ag) {
		return nil, domain.Conflict("agreement_inactive", "%s", why)
	}
	return ag, nil
}

// agreementLeaseTTL outlasts the KakaoPay calls of a charge or a deactivation (up to three, in
// one approveT budget).
func (s *Service) agreementLeaseTTL() time.Duration { return s.approveT + domain.LeaseMargin }

// chargeData is the data of charge events: the charge object.
func chargeData(c *store.Charge) []byte { return objects.JSON(objects.NewCharge(c)) }

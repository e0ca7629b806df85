package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
)

// Agreement and charge statuses.
const (
	AgreementActive   = "active"
	AgreementInactive = "inactive"
	ChargePending     = "pending" // KakaoPay's answer never came: held for review, never charged again by itself
	ChargeSucceeded   = "succeeded"
	ChargeFailed      = "failed"
)

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

// Charge takes amount won on an active agreement with no shopper present. A refusal records a
// failed charge and says why; a lost answer leaves the charge pending for review, since
// KakaoPay gives it no tid to look up.
func (s *Service) Charge(ctx context.Context, m *store.Merchant, agreementID string, amount int64, reference string) (*store.Charge, error) {
	switch {
	case amount <= 0:
		return nil, invalid("amount", "amount_invalid", "amount must be a positive whole number of won")
	case amount < m.MinAmount:
		return nil, invalid("amount", "amount_too_small", "amount must be at least %d won", m.MinAmount)
	case amount > m.MaxAmount:
		return nil, invalid("amount", "amount_too_large", "amount must be at most %d won for this merchant", m.MaxAmount)
	case utf8.RuneCountInString(reference) > 100 || strings.ContainsFunc(reference, isControl):
		return nil, invalid("reference", "string_invalid", "reference must be at most 100 characters, with no control characters")
	}
	if _, err := s.AgreementByID(ctx, m, agreementID); err != nil {
		return nil, err
	}
	defer s.charging.lock(agreementID)()
	now := s.clock()
	var ag *store.Agreement
	ch := &store.Charge{ID: NewID("ch"), AgreementID: agreementID, MerchantID: m.ID, Amount: amount, Reference: reference,
		Status: ChargePending, CreatedAt: now, UpdatedAt: now}
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		var err error
		if ag, err = tx.Agreement(ctx, agreementID); err != nil {
			return err
		}
		if ag.Status != AgreementActive {
			return conflict("agreement_inactive", "this agreement is inactive and cannot be charged")
		}
		if err := tx.CreateCharge(ctx, ch); err != nil {
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
	name := reference
	if name == "" {
		name = ch.ID
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.approveT)
	defer cancel()
	res, err := s.kakao.Subscription(cctx, kakaopay.SubscriptionRequest{
		CID: ag.CID, SID: ag.SID, PartnerOrderID: ch.ID, PartnerUserID: ag.PartnerUserID, ItemName: truncate(name, 100),
		Quantity: 1, TotalAmount: amount, TaxFreeAmount: 0,
	})
	switch {
	case err == nil:
		err = s.finishCharge(cctx, ch, ag, res, "", "")
	case kakaopay.IsOutcomeUnknown(err):
		s.log.ErrorContext(ctx, "kakaopay subscription charge outcome unknown; held for review", "charge", ch.ID, "err", err)
		return ch, nil
	default:
		code, msg := failureOf(err)
		if ferr := s.finishCharge(cctx, ch, ag, nil, code, msg); ferr != nil {
			return nil, ferr
		}
		return nil, &Error{Kind: KindUpstream, Code: "kakaopay_refused", Message: "KakaoPay refused the charge: " + msg, Err: err}
	}
	if err != nil {
		return nil, err
	}
	return s.store.Charge(ctx, ch.ID)
}

// finishCharge records a charge's outcome with its payment (on success) and event.
func (s *Service) finishCharge(ctx context.Context, ch *store.Charge, ag *store.Agreement, res *kakaopay.ApproveResponse, code, message string) error {
	now := s.clock()
	return s.store.Transact(ctx, func(tx store.Tx) error {
		ch.UpdatedAt = now
		typ := "charge.failed"
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
			ch.Status, ch.PaymentID, typ = ChargeSucceeded, p.ID, "charge.succeeded"
		} else {
			ch.Status, ch.FailureCode, ch.FailureMessage = ChargeFailed, code, message
		}
		if err := tx.UpdateCharge(ctx, ch); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, s.event(ag.MerchantID, typ, ag.CheckoutID, ch.ID, chargeData(ch), now))
	})
}

// Deactivate ends an agreement at KakaoPay and here; it cannot be charged afterwards.
func (s *Service) Deactivate(ctx context.Context, m *store.Merchant, agreementID string) (*store.Agreement, error) {
	ag, err := s.AgreementByID(ctx, m, agreementID)
	if err != nil {
		return nil, err
	}
	defer s.charging.lock(agreementID)()
	if ag, err = s.store.Agreement(ctx, agreementID); err != nil {
		return nil, wrapf("deactivate", err)
	}
	if ag.Status != AgreementActive {
		return nil, conflict("agreement_inactive", "this agreement is already inactive")
	}
	if _, err := s.kakao.Inactive(ctx, kakaopay.SIDRequest{CID: ag.CID, SID: ag.SID}); err != nil {
		code, msg := failureOf(err)
		return nil, &Error{Kind: KindUpstream, Code: "kakaopay_refused", Message: "KakaoPay did not end the agreement (" + code + "): " + msg, Err: err}
	}
	now := s.clock()
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		ag.Status, ag.UpdatedAt = AgreementInactive, now
		if err := tx.UpdateAgreement(ctx, ag); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, s.event(ag.MerchantID, "agreement.deactivated", ag.CheckoutID, ag.ID, agreementData(ag), now))
	})
	if err != nil {
		return nil, wrapf("deactivate", err)
	}
	return ag, nil
}

func agreementData(a *store.Agreement) []byte {
	b, _ := json.Marshal(map[string]any{"id": a.ID, "checkout": a.CheckoutID, "status": a.Status})
	return b
}

func chargeData(c *store.Charge) []byte {
	b, _ := json.Marshal(map[string]any{"id": c.ID, "agreement": c.AgreementID, "amount": c.Amount, "status": c.Status,
		"payment": c.PaymentID, "failure_code": c.FailureCode, "failure_message": c.FailureMessage})
	return b
}

package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const agreementColumns = `id, merchant_id, checkout_id, cid, sid, partner_user_id, status, created_at, updated_at,
	deactivate_requested_at`

// CreateAgreement inserts an agreement.
func (t txQueries) CreateAgreement(ctx context.Context, a *store.Agreement) error {
	t.touch(a.CheckoutID)
	_, err := t.db.Exec(ctx, `INSERT INTO agreements (`+agreementColumns+`) VALUES (`+placeholders(10)+`)`,
		a.ID, a.MerchantID, a.CheckoutID, a.CID, a.SID, a.PartnerUserID, a.Status, ms(a.CreatedAt), ms(a.UpdatedAt),
		msOrZero(a.DeactivateRequestedAt))
	return t.wrap("create agreement", err)
}

// UpdateAgreement writes an agreement's status and deactivation request.
func (t txQueries) UpdateAgreement(ctx context.Context, a *store.Agreement) error {
	t.touch(a.CheckoutID)
	tag, err := t.db.Exec(ctx, `UPDATE agreements SET status = $1, deactivate_requested_at = $2, updated_at = $3 WHERE id = $4`,
		a.Status, msOrZero(a.DeactivateRequestedAt), ms(a.UpdatedAt), a.ID)
	return t.wrap("update agreement", oneRow(tag, err))
}

// DeactivatingAgreements lists active agreements whose deactivation was asked of KakaoPay
// before a time and never confirmed, oldest first.
func (q queries) DeactivatingAgreements(ctx context.Context, before time.Time, limit int) ([]*store.Agreement, error) {
	return q.agreements(ctx, `WHERE status = 'active' AND deactivate_requested_at > 0 AND deactivate_requested_at <= $1
		ORDER BY deactivate_requested_at LIMIT $2`, ms(before), limit)
}

// Agreement reads an agreement by id.
func (q queries) Agreement(ctx context.Context, id string) (*store.Agreement, error) {
	a, err := scanAgreement(q.db.QueryRow(ctx, `SELECT `+agreementColumns+` FROM agreements WHERE id = $1`, id))
	return a, q.wrap("agreement", err)
}

// AgreementByCheckout reads the agreement a subscription checkout set up.
func (q queries) AgreementByCheckout(ctx context.Context, checkoutID string) (*store.Agreement, error) {
	a, err := scanAgreement(q.db.QueryRow(ctx, `SELECT `+agreementColumns+` FROM agreements WHERE checkout_id = $1`, checkoutID))
	return a, q.wrap("agreement", err)
}

// ListAgreements lists a merchant's agreements, newest first.
func (q queries) ListAgreements(ctx context.Context, p store.ListAgreements) ([]*store.Agreement, error) {
	var args params
	where := []string{"merchant_id = " + args.add(p.MerchantID)}
	if p.Status != "" {
		where = append(where, "status = "+args.add(p.Status))
	}
	if p.StartingAfter != "" {
		where = append(where, `(created_at, id) < (SELECT created_at, id FROM agreements WHERE id = `+args.add(p.StartingAfter)+
			` AND merchant_id = `+args.add(p.MerchantID)+`)`)
	}
	return q.agreements(ctx, `WHERE `+strings.Join(where, " AND ")+` ORDER BY created_at DESC, id DESC LIMIT `+args.add(p.Limit), args...)
}

func (q queries) agreements(ctx context.Context, where string, args ...any) ([]*store.Agreement, error) {
	rows, err := q.db.Query(ctx, `SELECT `+agreementColumns+` FROM agreements `+where, args...)
	if err != nil {
		return nil, q.wrap("agreements", err)
	}
	defer rows.Close()
	var list []*store.Agreement
	for rows.Next() {
		a, err := scanAgreement(rows)
		if err != nil {
			return nil, q.wrap("agreements", err)
		}
		list = append(list, a)
	}
	return list, q.wrap("agreements", rows.Err())
}

func scanAgreement(s scanner) (*store.Agreement, error) {
	var a store.Agreement
	var created, updated, deactivate int64
	if err := s.Scan(&a.ID, &a.MerchantID, &a.CheckoutID, &a.CID, &a.SID, &a.PartnerUserID, &a.Status, &created, &updated, &deactivate); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	if deactivate > 0 {
		a.DeactivateRequestedAt = fromMS(deactivate)
	}
	return &a, nil
}

const chargeColumns = `id, agreement_id, merchant_id, amount, reference, status, payment_id, failure_code,
	failure_message, created_at, updated_at`

// CreateCharge inserts a charge.
func (t txQueries) CreateCharge(ctx context.Context, c *store.Charge) error {
	_, err := t.db.Exec(ctx, `INSERT INTO charges (`+chargeColumns+`) VALUES (`+placeholders(11)+`)`,
		c.ID, c.AgreementID, c.MerchantID, c.Amount, c.Reference, c.Status, nullable(c.PaymentID), c.FailureCode,
		c.FailureMessage, ms(c.CreatedAt), ms(c.UpdatedAt))
	return t.wrap("create charge", err)
}

// UpdateCharge writes a charge's outcome.
func (t txQueries) UpdateCharge(ctx context.Context, c *store.Charge) error {
	tag, err := t.db.Exec(ctx, `UPDATE charges SET status = $1, payment_id = $2, failure_code = $3, failure_message = $4, updated_at = $5 WHERE id = $6`,
		c.Status, nullable(c.PaymentID), c.FailureCode, c.FailureMessage, ms(c.UpdatedAt), c.ID)
	return t.wrap("update charge", oneRow(tag, err))
}

// Charge reads a charge by id.
func (q queries) Charge(ctx context.Context, id string) (*store.Charge, error) {
	c, err := scanCharge(q.db.QueryRow(ctx, `SELECT `+chargeColumns+` FROM charges WHERE id = $1`, id))
	return c, q.wrap("charge", err)
}

// ChargeByPayment reads the charge a payment was made by.
func (q queries) ChargeByPayment(ctx context.Context, paymentID string) (*store.Charge, error) {
	c, err := scanCharge(q.db.QueryRow(ctx, `SELECT `+chargeColumns+` FROM charges WHERE payment_id = $1`, paymentID))
	return c, q.wrap("charge", err)
}

// ListCharges lists a merchant's charges, newest first.
func (q queries) ListCharges(ctx context.Context, p store.ListCharges) ([]*store.Charge, error) {
	var args params
	where := []string{"merchant_id = " + args.add(p.MerchantID)}
	if p.Status != "" {
		where = append(where, "status = "+args.add(p.Status))
	}
	if p.AgreementID != "" {
		where = append(where, "agreement_id = "+args.add(p.AgreementID))
	}
	if p.StartingAfter != "" {
		where = append(where, `(created_at, id) < (SELECT created_at, id FROM charges WHERE id = `+args.add(p.StartingAfter)+
			` AND merchant_id = `+args.add(p.MerchantID)+`)`)
	}
	return q.charges(ctx, `WHERE `+strings.Join(where, " AND ")+` ORDER BY created_at DESC, id DESC LIMIT `+args.add(p.Limit), args...)
}

// PendingCharges lists charges still pending that were made before a time, oldest first.
func (q queries) PendingCharges(ctx context.Context, before time.Time, limit int) ([]*store.Charge, error) {
	return q.charges(ctx, `WHERE status = 'pending' AND created_at <= $1 ORDER BY created_at LIMIT $2`, ms(before), limit)
}

func (q queries) charges(ctx context.Context, where string, args ...any) ([]*store.Charge, error) {
	rows, err := q.db.Query(ctx, `SELECT `+chargeColumns+` FROM charges `+where, args...)
	if err != nil {
		return nil, q.wrap("charges", err)
	}
	defer rows.Close()
	var list []*store.Charge
	for rows.Next() {
		c, err := scanCharge(rows)
		if err != nil {
			return nil, q.wrap("charges", err)
		}
		list = append(list, c)
	}
	return list, q.wrap("charges", rows.Err())
}

func scanCharge(s scanner) (*store.Charge, error) {
	var c store.Charge
	var paymentID *string
	var created, updated int64
	err := s.Scan(&c.ID, &c.AgreementID, &c.MerchantID, &c.Amount, &c.Reference, &c.Status, &paymentID,
		&c.FailureCode, &c.FailureMessage, &created, &updated)
	if err != nil {
		return nil, err
	}
	c.PaymentID = str(paymentID)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return &c, nil
}

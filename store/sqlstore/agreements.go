package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const agreementColumns = `id, merchant_id, checkout_id, cid, sid, partner_user_id, status, created_at, updated_at,
	deactivate_requested_at`

// CreateAgreement inserts an agreement.
func (t paymentWrites) CreateAgreement(ctx context.Context, a *store.Agreement) error {
	t.touch(a.CheckoutID)
	_, err := t.conn.Exec(ctx, `INSERT INTO agreements (`+agreementColumns+`) VALUES (`+placeholders(10)+`)`,
		a.ID, a.MerchantID, a.CheckoutID, a.CID, a.SID, a.PartnerUserID, a.Status, ms(a.CreatedAt), ms(a.UpdatedAt),
		msOrZero(a.DeactivateRequestedAt))
	return t.wrap("create agreement", err)
}

// UpdateAgreement writes an agreement's status and deactivation request.
func (t paymentWrites) UpdateAgreement(ctx context.Context, a *store.Agreement) error {
	t.touch(a.CheckoutID)
	return t.exec(ctx, "update agreement", `UPDATE agreements SET status = ?, deactivate_requested_at = ?, updated_at = ? WHERE id = ?`,
		a.Status, msOrZero(a.DeactivateRequestedAt), ms(a.UpdatedAt), a.ID)
}

// DeactivatingAgreements lists active agreements whose deactivation was asked of KakaoPay
// before a time and never confirmed, oldest first.
func (q paymentReads) DeactivatingAgreements(ctx context.Context, before time.Time, limit int) ([]*store.Agreement, error) {
	return q.agreements(ctx, `WHERE status = 'active' AND deactivate_requested_at > 0 AND deactivate_requested_at <= ?
		ORDER BY deactivate_requested_at LIMIT ?`, ms(before), limit)
}

// Agreement reads an agreement by id.
func (q paymentReads) Agreement(ctx context.Context, id string) (*store.Agreement, error) {
	return one(ctx, q.runner, "agreement", scanAgreement, `SELECT `+agreementColumns+` FROM agreements WHERE id = ?`, id)
}

// AgreementByCheckout reads the agreement a subscription checkout set up.
func (q paymentReads) AgreementByCheckout(ctx context.Context, checkoutID string) (*store.Agreement, error) {
	return one(ctx, q.runner, "agreement", scanAgreement, `SELECT `+agreementColumns+` FROM agreements WHERE checkout_id = ?`, checkoutID)
}

// ListAgreements lists a merchant's agreements, newest first.
func (q paymentReads) ListAgreements(ctx context.Context, p store.ListAgreements) ([]*store.Agreement, error) {
	var w where
	w.and(true, "merchant_id = ?", p.MerchantID)
	w.and(p.Status != "", "status = ?", p.Status)
	query, args := w.newestFirst("agreements", "id", p.StartingAfter, p.MerchantID, p.Limit)
	return q.agreements(ctx, query, args...)
}

func (q paymentReads) agreements(ctx context.Context, where string, args ...any) ([]*store.Agreement, error) {
	return list(ctx, q.runner, "agreements", scanAgreement, `SELECT `+agreementColumns+` FROM agreements `+where, args...)
}

func scanAgreement(s Row) (*store.Agreement, error) {
	var a store.Agreement
	var created, updated, deactivate int64
	if err := s.Scan(&a.ID, &a.MerchantID, &a.CheckoutID, &a.CID, &a.SID, &a.PartnerUserID, &a.Status, &created, &updated, &deactivate); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt, a.DeactivateRequestedAt = fromMS(created), fromMS(updated), fromMSOrZero(deactivate)
	return &a, nil
}

const chargeColumns = `id, agreement_id, merchant_id, amount, reference, status, payment_id, failure_code,
	failure_message, created_at, updated_at`

// CreateCharge inserts a charge.
func (t paymentWrites) CreateCharge(ctx context.Context, c *store.Charge) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO charges (`+chargeColumns+`) VALUES (`+placeholders(11)+`)`,
		c.ID, c.AgreementID, c.MerchantID, c.Amount, c.Reference, c.Status, nullable(c.PaymentID), c.FailureCode,
		c.FailureMessage, ms(c.CreatedAt), ms(c.UpdatedAt))
	return t.wrap("create charge", err)
}

// UpdateCharge writes a charge's outcome.
func (t paymentWrites) UpdateCharge(ctx context.Context, c *store.Charge) error {
	return t.exec(ctx, "update charge", `UPDATE charges SET status = ?, payment_id = ?, failure_code = ?, failure_message = ?, updated_at = ? WHERE id = ?`,
		c.Status, nullable(c.PaymentID), c.FailureCode, c.FailureMessage, ms(c.UpdatedAt), c.ID)
}

// Charge reads a charge by id.
func (q paymentReads) Charge(ctx context.Context, id string) (*store.Charge, error) {
	return one(ctx, q.runner, "charge", scanCharge, `SELECT `+chargeColumns+` FROM charges WHERE id = ?`, id)
}

// ChargeByPayment reads the charge a payment was made by.
func (q paymentReads) ChargeByPayment(ctx context.Context, paymentID string) (*store.Charge, error) {
	return one(ctx, q.runner, "charge", scanCharge, `SELECT `+chargeColumns+` FROM charges WHERE payment_id = ?`, paymentID)
}

// ListCharges lists a merchant's charges, newest first.
func (q paymentReads) ListCharges(ctx context.Context, p store.ListCharges) ([]*store.Charge, error) {
	var w where
	w.and(true, "merchant_id = ?", p.MerchantID)
	w.and(p.Status != "", "status = ?", p.Status)
	w.and(p.AgreementID != "", "agreement_id = ?", p.AgreementID)
	query, args := w.newestFirst("charges", "id", p.StartingAfter, p.MerchantID, p.Limit)
	return q.charges(ctx, query, args...)
}

// PendingCharges lists charges still pending that were made before a time, oldest first.
func (q paymentReads) PendingCharges(ctx context.Context, before time.Time, limit int) ([]*store.Charge, error) {
	return q.charges(ctx, `WHERE status = 'pending' AND created_at <= ? ORDER BY created_at LIMIT ?`, ms(before), limit)
}

func (q paymentReads) charges(ctx context.Context, where string, args ...any) ([]*store.Charge, error) {
	return list(ctx, q.runner, "charges", scanCharge, `SELECT `+chargeColumns+` FROM charges `+where, args...)
}

func scanCharge(s Row) (*store.Charge, error) {
	var c store.Charge
	var paymentID sql.NullString
	var created, updated int64
	err := s.Scan(&c.ID, &c.AgreementID, &c.MerchantID, &c.Amount, &c.Reference, &c.Status, &paymentID,
		&c.FailureCode, &c.FailureMessage, &created, &updated)
	if err != nil {
		return nil, err
	}
	c.PaymentID = paymentID.String
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return &c, nil
}

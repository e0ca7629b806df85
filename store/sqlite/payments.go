package sqlite

import (
	"context"
	"database/sql"

	"github.com/kpcheckout/kpcheckout/store"
)

const paymentColumns = `id, checkout_id, attempt_id, agreement_id, merchant_id, cid, amount, tax_free_amount,
	refunded_amount, method, tid, aid, approved_at, created_at`

// CreatePayment inserts a payment; a second payment for one checkout is store.ErrConflict.
func (t txQueries) CreatePayment(ctx context.Context, p *store.Payment) error {
	_, err := t.exec(ctx, `INSERT INTO payments (`+paymentColumns+`) VALUES (`+placeholders(14)+`)`,
		p.ID, nullable(p.CheckoutID), nullable(p.AttemptID), nullable(p.AgreementID), p.MerchantID, p.CID, p.Amount,
		p.TaxFreeAmount, p.RefundedAmount, p.Method, p.TID, p.AID, ms(p.ApprovedAt), ms(p.CreatedAt))
	return wrap("create payment", err)
}

// UpdatePayment writes a payment's refunded amount.
func (t txQueries) UpdatePayment(ctx context.Context, p *store.Payment) error {
	res, err := t.exec(ctx, `UPDATE payments SET refunded_amount = ? WHERE id = ?`, p.RefundedAmount, p.ID)
	return wrap("update payment", oneRow(res, err))
}

// LockPayment reads a payment; the immediate transaction already holds SQLite's write lock.
func (t txQueries) LockPayment(ctx context.Context, id string) (*store.Payment, error) {
	return t.Payment(ctx, id)
}

// Payment reads a payment by id.
func (q queries) Payment(ctx context.Context, id string) (*store.Payment, error) {
	p, err := scanPayment(q.queryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`, id))
	return p, wrap("payment", err)
}

// PaymentByCheckout reads the payment of a paid checkout.
func (q queries) PaymentByCheckout(ctx context.Context, checkoutID string) (*store.Payment, error) {
	p, err := scanPayment(q.queryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE checkout_id = ?`, checkoutID))
	return p, wrap("payment", err)
}

func scanPayment(s scanner) (*store.Payment, error) {
	var p store.Payment
	var checkoutID, attemptID, agreementID sql.NullString
	var approved, created int64
	err := s.Scan(&p.ID, &checkoutID, &attemptID, &agreementID, &p.MerchantID, &p.CID, &p.Amount, &p.TaxFreeAmount,
		&p.RefundedAmount, &p.Method, &p.TID, &p.AID, &approved, &created)
	if err != nil {
		return nil, err
	}
	p.CheckoutID, p.AttemptID, p.AgreementID = checkoutID.String, attemptID.String, agreementID.String
	p.ApprovedAt, p.CreatedAt = fromMS(approved), fromMS(created)
	return &p, nil
}

package postgres

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

const paymentColumns = `id, checkout_id, attempt_id, agreement_id, merchant_id, cid, amount, tax_free_amount,
	refunded_amount, method, tid, aid, approved_at, created_at`

// CreatePayment inserts a payment; a second payment for one checkout is store.ErrConflict.
func (t txQueries) CreatePayment(ctx context.Context, p *store.Payment) error {
	t.touch(p.CheckoutID)
	_, err := t.db.Exec(ctx, `INSERT INTO payments (`+paymentColumns+`) VALUES (`+placeholders(14)+`)`,
		p.ID, nullable(p.CheckoutID), nullable(p.AttemptID), nullable(p.AgreementID), p.MerchantID, p.CID, p.Amount,
		p.TaxFreeAmount, p.RefundedAmount, p.Method, p.TID, p.AID, ms(p.ApprovedAt), ms(p.CreatedAt))
	return t.wrap("create payment", err)
}

// UpdatePayment writes a payment's refunded amount.
func (t txQueries) UpdatePayment(ctx context.Context, p *store.Payment) error {
	t.touch(p.CheckoutID)
	tag, err := t.db.Exec(ctx, `UPDATE payments SET refunded_amount = $1 WHERE id = $2`, p.RefundedAmount, p.ID)
	return t.wrap("update payment", oneRow(tag, err))
}

// LockPayment reads a payment and locks its row until the transaction ends.
func (t txQueries) LockPayment(ctx context.Context, id string) (*store.Payment, error) {
	p, err := scanPayment(t.db.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = $1 FOR UPDATE`, id))
	return p, t.wrap("lock payment", err)
}

// Payment reads a payment by id.
func (q queries) Payment(ctx context.Context, id string) (*store.Payment, error) {
	p, err := scanPayment(q.db.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = $1`, id))
	return p, q.wrap("payment", err)
}

// PaymentByCheckout reads the payment of a paid checkout.
func (q queries) PaymentByCheckout(ctx context.Context, checkoutID string) (*store.Payment, error) {
	p, err := scanPayment(q.db.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE checkout_id = $1`, checkoutID))
	return p, q.wrap("payment", err)
}

func scanPayment(s scanner) (*store.Payment, error) {
	var p store.Payment
	var checkoutID, attemptID, agreementID *string
	var approved, created int64
	err := s.Scan(&p.ID, &checkoutID, &attemptID, &agreementID, &p.MerchantID, &p.CID, &p.Amount, &p.TaxFreeAmount,
		&p.RefundedAmount, &p.Method, &p.TID, &p.AID, &approved, &created)
	if err != nil {
		return nil, err
	}
	p.CheckoutID, p.AttemptID, p.AgreementID = str(checkoutID), str(attemptID), str(agreementID)
	p.ApprovedAt, p.CreatedAt = fromMS(approved), fromMS(created)
	return &p, nil
}

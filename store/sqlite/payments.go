package sqlite

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

const paymentColumns = `id, checkout_id, attempt_id, merchant_id, amount, tax_free_amount, refunded_amount,
	method, tid, aid, approved_at, created_at`

// CreatePayment inserts a payment; a second payment for one checkout is store.ErrConflict.
func (t txQueries) CreatePayment(ctx context.Context, p *store.Payment) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO payments (`+paymentColumns+`) VALUES (`+placeholders(12)+`)`,
		p.ID, p.CheckoutID, p.AttemptID, p.MerchantID, p.Amount, p.TaxFreeAmount, p.RefundedAmount,
		p.Method, p.TID, p.AID, ms(p.ApprovedAt), ms(p.CreatedAt))
	return wrap("create payment", err)
}

// PaymentByCheckout reads the payment of a paid checkout.
func (q queries) PaymentByCheckout(ctx context.Context, checkoutID string) (*store.Payment, error) {
	var p store.Payment
	var approved, created int64
	err := q.q.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE checkout_id = ?`, checkoutID).Scan(
		&p.ID, &p.CheckoutID, &p.AttemptID, &p.MerchantID, &p.Amount, &p.TaxFreeAmount, &p.RefundedAmount,
		&p.Method, &p.TID, &p.AID, &approved, &created)
	if err != nil {
		return nil, wrap("payment", err)
	}
	p.ApprovedAt, p.CreatedAt = fromMS(approved), fromMS(created)
	return &p, nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const paymentColumns = `id, checkout_id, attempt_id, agreement_id, merchant_id, cid, amount, tax_free_amount,
	refunded_amount, method, tid, aid, approved_at, created_at`

// CreatePayment inserts a payment; a second payment for one checkout is store.ErrConflict.
func (t paymentWrites) CreatePayment(ctx context.Context, p *store.Payment) error {
	t.touch(p.CheckoutID)
	_, err := t.conn.Exec(ctx, `INSERT INTO payments (`+paymentColumns+`) VALUES (`+placeholders(14)+`)`,
		p.ID, nullable(p.CheckoutID), nullable(p.AttemptID), nullable(p.AgreementID), p.MerchantID, p.CID, p.Amount,
		p.TaxFreeAmount, p.RefundedAmount, p.Method, p.TID, p.AID, ms(p.ApprovedAt), ms(p.CreatedAt))
	return t.wrap("create payment", err)
}

// UpdatePayment writes a payment's refunded amount.
func (t paymentWrites) UpdatePayment(ctx context.Context, p *store.Payment) error {
	t.touch(p.CheckoutID)
	return t.exec(ctx, "update payment", `UPDATE payments SET refunded_amount = ? WHERE id = ?`, p.RefundedAmount, p.ID)
}

// LockPayment reads a payment and holds it against concurrent writers until the transaction
// ends.
func (t paymentWrites) LockPayment(ctx context.Context, id string) (*store.Payment, error) {
	return one(ctx, t.runner, "lock payment", scanPayment, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`+t.dialect.ForUpdate, id)
}

// Payment reads a payment by id.
func (q paymentReads) Payment(ctx context.Context, id string) (*store.Payment, error) {
	return one(ctx, q.runner, "payment", scanPayment, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`, id)
}

// PaymentByCheckout reads the payment of a paid checkout.
func (q paymentReads) PaymentByCheckout(ctx context.Context, checkoutID string) (*store.Payment, error) {
	return one(ctx, q.runner, "payment", scanPayment, `SELECT `+paymentColumns+` FROM payments WHERE checkout_id = ?`, checkoutID)
}

func scanPayment(s Row) (*store.Payment, error) {
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

const refundColumns = `id, payment_id, merchant_id, amount, tax_free_amount, reason, status, failure_code,
	failure_message, created_at, updated_at`

// CreateRefund inserts a refund.
func (t paymentWrites) CreateRefund(ctx context.Context, r *store.Refund) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO refunds (`+refundColumns+`) VALUES (`+placeholders(11)+`)`,
		r.ID, r.PaymentID, r.MerchantID, r.Amount, r.TaxFreeAmount, r.Reason, r.Status, r.FailureCode,
		r.FailureMessage, ms(r.CreatedAt), ms(r.UpdatedAt))
	return t.wrap("create refund", err)
}

// UpdateRefund writes a refund's outcome.
func (t paymentWrites) UpdateRefund(ctx context.Context, r *store.Refund) error {
	return t.exec(ctx, "update refund", `UPDATE refunds SET status = ?, failure_code = ?, failure_message = ?, updated_at = ? WHERE id = ?`,
		r.Status, r.FailureCode, r.FailureMessage, ms(r.UpdatedAt), r.ID)
}

// Refund reads a refund by id.
func (q paymentReads) Refund(ctx context.Context, id string) (*store.Refund, error) {
	return one(ctx, q.runner, "refund", scanRefund, `SELECT `+refundColumns+` FROM refunds WHERE id = ?`, id)
}

// RefundsByPayment lists a payment's refunds, oldest first.
func (q paymentReads) RefundsByPayment(ctx context.Context, paymentID string) ([]*store.Refund, error) {
	return list(ctx, q.runner, "refunds", scanRefund, `SELECT `+refundColumns+` FROM refunds WHERE payment_id = ? ORDER BY created_at, `+
		q.dialect.RowOrder, paymentID)
}

// PaymentsBetween lists a merchant's payments approved from from to before to, newest first.
func (q paymentReads) PaymentsBetween(ctx context.Context, merchantID string, from, to time.Time, limit int) ([]*store.Payment, error) {
	return list(ctx, q.runner, "payments between", scanPayment, `SELECT `+paymentColumns+` FROM payments WHERE merchant_id = ? AND approved_at >= ? AND approved_at < ? ORDER BY approved_at DESC, id DESC LIMIT ?`, merchantID, ms(from), ms(to), limit)
}

// RefundsBetween lists a merchant's succeeded refunds asked for from from to before to, newest
// first.
func (q paymentReads) RefundsBetween(ctx context.Context, merchantID string, from, to time.Time, limit int) ([]*store.Refund, error) {
	return list(ctx, q.runner, "refunds between", scanRefund, `SELECT `+refundColumns+` FROM refunds WHERE merchant_id = ? AND status = 'succeeded' AND created_at >= ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?`, merchantID, ms(from), ms(to), limit)
}

// PendingRefunds lists refunds whose outcome is unknown, oldest first.
func (q paymentReads) PendingRefunds(ctx context.Context, limit int) ([]*store.Refund, error) {
	return list(ctx, q.runner, "refunds", scanRefund, `SELECT `+refundColumns+` FROM refunds WHERE status = 'pending' ORDER BY created_at, `+
		q.dialect.RowOrder+` LIMIT ?`, limit)
}

func scanRefund(s Row) (*store.Refund, error) {
	var r store.Refund
	var created, updated int64
	err := s.Scan(&r.ID, &r.PaymentID, &r.MerchantID, &r.Amount, &r.TaxFreeAmount, &r.Reason, &r.Status,
		&r.FailureCode, &r.FailureMessage, &created, &updated)
	if err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return &r, nil
}

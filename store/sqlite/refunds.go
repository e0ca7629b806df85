package sqlite

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

const refundColumns = `id, payment_id, merchant_id, amount, tax_free_amount, reason, status, failure_code,
	failure_message, created_at, updated_at`

// CreateRefund inserts a refund.
func (t txQueries) CreateRefund(ctx context.Context, r *store.Refund) error {
	_, err := t.exec(ctx, `INSERT INTO refunds (`+refundColumns+`) VALUES (`+placeholders(11)+`)`,
		r.ID, r.PaymentID, r.MerchantID, r.Amount, r.TaxFreeAmount, r.Reason, r.Status, r.FailureCode,
		r.FailureMessage, ms(r.CreatedAt), ms(r.UpdatedAt))
	return wrap("create refund", err)
}

// UpdateRefund writes a refund's outcome.
func (t txQueries) UpdateRefund(ctx context.Context, r *store.Refund) error {
	res, err := t.exec(ctx, `UPDATE refunds SET status = ?, failure_code = ?, failure_message = ?, updated_at = ? WHERE id = ?`,
		r.Status, r.FailureCode, r.FailureMessage, ms(r.UpdatedAt), r.ID)
	return wrap("update refund", oneRow(res, err))
}

// Refund reads a refund by id.
func (q queries) Refund(ctx context.Context, id string) (*store.Refund, error) {
	r, err := scanRefund(q.queryRow(ctx, `SELECT `+refundColumns+` FROM refunds WHERE id = ?`, id))
	return r, wrap("refund", err)
}

// RefundsByPayment lists a payment's refunds, oldest first.
func (q queries) RefundsByPayment(ctx context.Context, paymentID string) ([]*store.Refund, error) {
	return q.refunds(ctx, `WHERE payment_id = ? ORDER BY created_at, rowid`, paymentID)
}

// PendingRefunds lists refunds whose outcome is unknown, oldest first.
func (q queries) PendingRefunds(ctx context.Context, limit int) ([]*store.Refund, error) {
	return q.refunds(ctx, `WHERE status = 'pending' ORDER BY created_at, rowid LIMIT ?`, limit)
}

func (q queries) refunds(ctx context.Context, where string, args ...any) ([]*store.Refund, error) {
	rows, err := q.query(ctx, `SELECT `+refundColumns+` FROM refunds `+where, args...)
	if err != nil {
		return nil, wrap("refunds", err)
	}
	defer rows.Close()
	var list []*store.Refund
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, wrap("refunds", err)
		}
		list = append(list, r)
	}
	return list, wrap("refunds", rows.Err())
}

func scanRefund(s scanner) (*store.Refund, error) {
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

package postgres

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

const refundColumns = `id, payment_id, merchant_id, amount, tax_free_amount, reason, status, failure_code,
	failure_message, created_at, updated_at`

// CreateRefund inserts a refund.
func (t txQueries) CreateRefund(ctx context.Context, r *store.Refund) error {
	_, err := t.db.Exec(ctx, `INSERT INTO refunds (`+refundColumns+`) VALUES (`+placeholders(11)+`)`,
		r.ID, r.PaymentID, r.MerchantID, r.Amount, r.TaxFreeAmount, r.Reason, r.Status, r.FailureCode,
		r.FailureMessage, ms(r.CreatedAt), ms(r.UpdatedAt))
	return t.wrap("create refund", err)
}

// UpdateRefund writes a refund's outcome.
func (t txQueries) UpdateRefund(ctx context.Context, r *store.Refund) error {
	tag, err := t.db.Exec(ctx, `UPDATE refunds SET status = $1, failure_code = $2, failure_message = $3, updated_at = $4 WHERE id = $5`,
		r.Status, r.FailureCode, r.FailureMessage, ms(r.UpdatedAt), r.ID)
	return t.wrap("update refund", oneRow(tag, err))
}

// Refund reads a refund by id.
func (q queries) Refund(ctx context.Context, id string) (*store.Refund, error) {
	r, err := scanRefund(q.db.QueryRow(ctx, `SELECT `+refundColumns+` FROM refunds WHERE id = $1`, id))
	return r, q.wrap("refund", err)
}

// RefundsByPayment lists a payment's refunds, oldest first.
func (q queries) RefundsByPayment(ctx context.Context, paymentID string) ([]*store.Refund, error) {
	return q.refunds(ctx, `WHERE payment_id = $1 ORDER BY created_at, seq`, paymentID)
}

// PendingRefunds lists refunds whose outcome is unknown, oldest first.
func (q queries) PendingRefunds(ctx context.Context, limit int) ([]*store.Refund, error) {
	return q.refunds(ctx, `WHERE status = 'pending' ORDER BY created_at, seq LIMIT $1`, limit)
}

func (q queries) refunds(ctx context.Context, where string, args ...any) ([]*store.Refund, error) {
	rows, err := q.db.Query(ctx, `SELECT `+refundColumns+` FROM refunds `+where, args...)
	if err != nil {
		return nil, q.wrap("refunds", err)
	}
	defer rows.Close()
	var list []*store.Refund
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, q.wrap("refunds", err)
		}
		list = append(list, r)
	}
	return list, q.wrap("refunds", rows.Err())
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

package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kpcheckout/kpcheckout/store"
)

const attemptColumns = `id, checkout_id, tid, status, device, pc_url, mobile_url, app_url, android_app_scheme,
	ios_app_scheme, pg_token, aid, method, failure_code, failure_message, expires_at, created_at, updated_at,
	returned_pg_token, sid, approve_sent_at, void_status`

// CreateAttempt inserts an attempt.
func (t txQueries) CreateAttempt(ctx context.Context, a *store.Attempt) error {
	t.touch(a.CheckoutID)
	_, err := t.db.Exec(ctx, `INSERT INTO attempts (`+attemptColumns+`) VALUES (`+placeholders(22)+`)`,
		a.ID, a.CheckoutID, nullable(a.TID), a.Status, a.Device, a.PCURL, a.MobileURL, a.AppURL, a.AndroidAppScheme,
		a.IOSAppScheme, nullable(a.PGToken), a.AID, a.Method, a.FailureCode, a.FailureMessage,
		ms(a.ExpiresAt), ms(a.CreatedAt), ms(a.UpdatedAt), a.ReturnedPGToken, a.SID, msOrZero(a.ApproveSentAt), a.VoidStatus)
	return t.wrap("create attempt", err)
}

// UpdateAttempt writes an attempt's mutable fields.
func (t txQueries) UpdateAttempt(ctx context.Context, a *store.Attempt) error {
	t.touch(a.CheckoutID)
	tag, err := t.db.Exec(ctx, `UPDATE attempts SET status = $1, pg_token = $2, aid = $3, method = $4,
		failure_code = $5, failure_message = $6, updated_at = $7, returned_pg_token = $8, sid = $9, approve_sent_at = $10,
		void_status = $11 WHERE id = $12`,
		a.Status, nullable(a.PGToken), a.AID, a.Method, a.FailureCode, a.FailureMessage, ms(a.UpdatedAt),
		a.ReturnedPGToken, a.SID, msOrZero(a.ApproveSentAt), a.VoidStatus, a.ID)
	return t.wrap("update attempt", oneRow(tag, err))
}

// Attempt reads an attempt by id.
func (q queries) Attempt(ctx context.Context, id string) (*store.Attempt, error) {
	a, err := scanAttempt(q.db.QueryRow(ctx, `SELECT `+attemptColumns+` FROM attempts WHERE id = $1`, id))
	return a, q.wrap("attempt", err)
}

// AttemptsByCheckout lists a checkout's attempts, oldest first.
func (q queries) AttemptsByCheckout(ctx context.Context, checkoutID string) ([]*store.Attempt, error) {
	rows, err := q.db.Query(ctx, `SELECT `+attemptColumns+` FROM attempts WHERE checkout_id = $1 ORDER BY created_at, seq`, checkoutID)
	return q.attempts(rows, err, "attempts")
}

// LiveAttempts lists ready or authenticating attempts made before a time, oldest first.
func (q queries) LiveAttempts(ctx context.Context, before time.Time, limit int) ([]*store.Attempt, error) {
	rows, err := q.db.Query(ctx, `SELECT `+attemptColumns+` FROM attempts
		WHERE status IN ('ready', 'authenticating') AND tid IS NOT NULL AND created_at <= $1 ORDER BY created_at LIMIT $2`, ms(before), limit)
	return q.attempts(rows, err, "live attempts")
}

// StrayApprovals lists attempts whose approval is to be canceled at KakaoPay, oldest first.
func (q queries) StrayApprovals(ctx context.Context, limit int) ([]*store.Attempt, error) {
	rows, err := q.db.Query(ctx, `SELECT `+attemptColumns+` FROM attempts
		WHERE void_status = 'pending' ORDER BY created_at LIMIT $1`, limit)
	return q.attempts(rows, err, "stray approvals")
}

// UnconfirmedApprovals lists attempts that ended APPROVE_UNCONFIRMED at or after since, oldest first.
func (q queries) UnconfirmedApprovals(ctx context.Context, since time.Time, limit int) ([]*store.Attempt, error) {
	rows, err := q.db.Query(ctx, `SELECT `+attemptColumns+` FROM attempts
		WHERE failure_code = 'APPROVE_UNCONFIRMED' AND status = 'failed' AND updated_at >= $1 ORDER BY updated_at LIMIT $2`, ms(since), limit)
	return q.attempts(rows, err, "unconfirmed approvals")
}

func (q queries) attempts(rows pgx.Rows, err error, op string) ([]*store.Attempt, error) {
	if err != nil {
		return nil, q.wrap(op, err)
	}
	defer rows.Close()
	var list []*store.Attempt
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, q.wrap(op, err)
		}
		list = append(list, a)
	}
	return list, q.wrap(op, rows.Err())
}

func scanAttempt(s scanner) (*store.Attempt, error) {
	var a store.Attempt
	var tid, token *string
	var expires, created, updated, sent int64
	err := s.Scan(&a.ID, &a.CheckoutID, &tid, &a.Status, &a.Device, &a.PCURL, &a.MobileURL, &a.AppURL,
		&a.AndroidAppScheme, &a.IOSAppScheme, &token, &a.AID, &a.Method, &a.FailureCode, &a.FailureMessage,
		&expires, &created, &updated, &a.ReturnedPGToken, &a.SID, &sent, &a.VoidStatus)
	if err != nil {
		return nil, err
	}
	a.TID, a.PGToken = str(tid), str(token)
	a.ExpiresAt, a.CreatedAt, a.UpdatedAt = fromMS(expires), fromMS(created), fromMS(updated)
	if sent != 0 {
		a.ApproveSentAt = fromMS(sent)
	}
	return &a, nil
}

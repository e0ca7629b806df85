package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const attemptColumns = `id, checkout_id, tid, status, device, pc_url, mobile_url, app_url, android_app_scheme,
	ios_app_scheme, pg_token, aid, method, failure_code, failure_message, expires_at, created_at, updated_at,
	returned_pg_token, sid, approve_sent_at, void_status`

// CreateAttempt inserts an attempt.
func (t checkoutWrites) CreateAttempt(ctx context.Context, a *store.Attempt) error {
	t.touch(a.CheckoutID)
	_, err := t.conn.Exec(ctx, `INSERT INTO attempts (`+attemptColumns+`) VALUES (`+placeholders(22)+`)`,
		a.ID, a.CheckoutID, nullable(a.TID), a.Status, a.Device, a.PCURL, a.MobileURL, a.AppURL, a.AndroidAppScheme,
		a.IOSAppScheme, nullable(a.PGToken), a.AID, a.Method, a.FailureCode, a.FailureMessage,
		ms(a.ExpiresAt), ms(a.CreatedAt), ms(a.UpdatedAt), a.ReturnedPGToken, a.SID, msOrZero(a.ApproveSentAt), a.VoidStatus)
	return t.wrap("create attempt", err)
}

// UpdateAttempt writes an attempt's mutable fields.
func (t checkoutWrites) UpdateAttempt(ctx context.Context, a *store.Attempt) error {
	t.touch(a.CheckoutID)
	return t.exec(ctx, "update attempt", `UPDATE attempts SET status = ?, pg_token = ?, aid = ?, method = ?,
		failure_code = ?, failure_message = ?, updated_at = ?, returned_pg_token = ?, sid = ?, approve_sent_at = ?,
		void_status = ? WHERE id = ?`,
		a.Status, nullable(a.PGToken), a.AID, a.Method, a.FailureCode, a.FailureMessage, ms(a.UpdatedAt),
		a.ReturnedPGToken, a.SID, msOrZero(a.ApproveSentAt), a.VoidStatus, a.ID)
}

// Attempt reads an attempt by id.
func (q checkoutReads) Attempt(ctx context.Context, id string) (*store.Attempt, error) {
	return one(ctx, q.runner, "attempt", scanAttempt, `SELECT `+attemptColumns+` FROM attempts WHERE id = ?`, id)
}

// AttemptsByCheckout lists a checkout's attempts, oldest first.
func (q checkoutReads) AttemptsByCheckout(ctx context.Context, checkoutID string) ([]*store.Attempt, error) {
	return list(ctx, q.runner, "attempts", scanAttempt, `SELECT `+attemptColumns+` FROM attempts WHERE checkout_id = ? ORDER BY created_at, `+
		q.dialect.RowOrder, checkoutID)
}

// LiveAttempts lists ready or authenticating attempts made before a time, oldest first.
func (q checkoutReads) LiveAttempts(ctx context.Context, before time.Time, limit int) ([]*store.Attempt, error) {
	return list(ctx, q.runner, "live attempts", scanAttempt, `SELECT `+attemptColumns+` FROM attempts
		WHERE status IN ('ready', 'authenticating') AND tid IS NOT NULL AND created_at <= ? ORDER BY created_at LIMIT ?`, ms(before), limit)
}

// StrayApprovals lists attempts whose approval is to be canceled at KakaoPay, oldest first.
func (q checkoutReads) StrayApprovals(ctx context.Context, limit int) ([]*store.Attempt, error) {
	return list(ctx, q.runner, "stray approvals", scanAttempt, `SELECT `+attemptColumns+` FROM attempts
		WHERE void_status = 'pending' ORDER BY created_at LIMIT ?`, limit)
}

// UnconfirmedApprovals lists attempts that ended APPROVE_UNCONFIRMED at or after since, oldest first.
func (q checkoutReads) UnconfirmedApprovals(ctx context.Context, since time.Time, limit int) ([]*store.Attempt, error) {
	return list(ctx, q.runner, "unconfirmed approvals", scanAttempt, `SELECT `+attemptColumns+` FROM attempts
		WHERE failure_code = 'APPROVE_UNCONFIRMED' AND status = 'failed' AND updated_at >= ? ORDER BY updated_at LIMIT ?`, ms(since), limit)
}

func scanAttempt(s Row) (*store.Attempt, error) {
	var a store.Attempt
	var tid, token sql.NullString
	var expires, created, updated, sent int64
	err := s.Scan(&a.ID, &a.CheckoutID, &tid, &a.Status, &a.Device, &a.PCURL, &a.MobileURL, &a.AppURL,
		&a.AndroidAppScheme, &a.IOSAppScheme, &token, &a.AID, &a.Method, &a.FailureCode, &a.FailureMessage,
		&expires, &created, &updated, &a.ReturnedPGToken, &a.SID, &sent, &a.VoidStatus)
	if err != nil {
		return nil, err
	}
	a.TID, a.PGToken = tid.String, token.String
	a.ExpiresAt, a.CreatedAt, a.UpdatedAt = fromMS(expires), fromMS(created), fromMS(updated)
	a.ApproveSentAt = fromMSOrZero(sent)
	return &a, nil
}

package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const endpointColumns = `id, merchant_id, url, description, enabled_events, disabled, secret, previous_secret,
	previous_secret_expires_at, created_at, updated_at`

// DeliveryColumns are the columns of a delivery that Dialect.ClaimDeliveries answers, in order.
const DeliveryColumns = `seq, id, event_id, endpoint_id, merchant_id, checkout_id, status, attempts, next_attempt_at,
	locked_until, created_at, updated_at`

// EnqueueDelivery adds one delivery and sets its Seq.
func (t webhookWrites) EnqueueDelivery(ctx context.Context, d *store.Delivery) error {
	seq, err := one(ctx, t.runner, "enqueue delivery", scanValue[int64], `INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id, checkout_id, status,
		attempts, next_attempt_at, locked_until, created_at, updated_at) VALUES (`+placeholders(11)+`) RETURNING seq`,
		d.ID, d.EventID, d.EndpointID, d.MerchantID, d.CheckoutID, d.Status, d.Attempts, ms(d.NextAttemptAt),
		msOrZero(d.LockedUntil), ms(d.CreatedAt), ms(d.UpdatedAt))
	if err != nil {
		return err
	}
	d.Seq = seq
	return nil
}

// ClaimDeliveries holds due deliveries for a worker (see store.Tx).
func (t webhookWrites) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit, perEndpoint int) ([]*store.Delivery, error) {
	return list(ctx, t.runner, "claim deliveries", scanDelivery, t.dialect.ClaimDeliveries, ms(now.Add(lease)), ms(now), limit, perEndpoint)
}

// waitedTooLong picks the pending deliveries, held by no worker, to a disabled endpoint that
// were made at or before ?2 (now less the retry window); ?1 is now.
const waitedTooLong = `status = 'pending' AND created_at <= ?2 AND locked_until <= ?1
	AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE disabled = TRUE)`

// ExpireWaitingDeliveries fails what waited too long for a disabled endpoint (see store.Tx).
func (t webhookWrites) ExpireWaitingDeliveries(ctx context.Context, now time.Time, retryFor time.Duration) (int, error) {
	_, err := t.conn.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, n, status_code, error, excerpt, latency_ms, at)
		SELECT id, attempts + 1, 0, ?3, '', 0, ?1 FROM webhook_deliveries WHERE `+waitedTooLong,
		ms(now), ms(now.Add(-retryFor)), store.ExpiredWhileDisabled)
	if err != nil {
		return 0, t.wrap("expire waiting deliveries", err)
	}
	return t.count(ctx, "expire waiting deliveries", `UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, updated_at = ?1
		WHERE `+waitedTooLong, ms(now), ms(now.Add(-retryFor)))
}

// RecordDeliveryAttempt stores a try and the delivery after it.
func (t webhookWrites) RecordDeliveryAttempt(ctx context.Context, d *store.Delivery, a *store.DeliveryAttempt) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, n, status_code, error, excerpt, latency_ms, at)
		VALUES (`+placeholders(7)+`)`, a.DeliveryID, a.N, a.StatusCode, a.Error, a.Excerpt, a.Latency.Milliseconds(), ms(a.At))
	if err != nil {
		return t.wrap("record delivery attempt", err)
	}
	return t.exec(ctx, "record delivery attempt", `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, locked_until = ?,
		updated_at = ? WHERE id = ?`, d.Status, d.Attempts, ms(d.NextAttemptAt), msOrZero(d.LockedUntil), ms(d.UpdatedAt), d.ID)
}

// DeliveriesByEvent lists an event's deliveries.
func (q webhookReads) DeliveriesByEvent(ctx context.Context, eventID string) ([]*store.Delivery, error) {
	return list(ctx, q.runner, "deliveries", scanDelivery, `SELECT `+DeliveryColumns+` FROM webhook_deliveries WHERE event_id = ? ORDER BY seq`, eventID)
}

// DeliveriesByEndpoint lists an endpoint's latest deliveries, newest first.
func (q webhookReads) DeliveriesByEndpoint(ctx context.Context, endpointID string, limit int) ([]*store.Delivery, error) {
	return list(ctx, q.runner, "deliveries of endpoint", scanDelivery,
		`SELECT `+DeliveryColumns+` FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY seq DESC LIMIT ?`, endpointID, limit)
}

func scanDelivery(s Row) (*store.Delivery, error) {
	var d store.Delivery
	var next, locked, created, updated int64
	if err := s.Scan(&d.Seq, &d.ID, &d.EventID, &d.EndpointID, &d.MerchantID, &d.CheckoutID, &d.Status, &d.Attempts,
		&next, &locked, &created, &updated); err != nil {
		return nil, err
	}
	d.NextAttemptAt, d.LockedUntil, d.CreatedAt, d.UpdatedAt = fromMS(next), fromMSOrZero(locked), fromMS(created), fromMS(updated)
	return &d, nil
}

// DeliveryAttempts lists a delivery's tries.
func (q webhookReads) DeliveryAttempts(ctx context.Context, deliveryID string) ([]*store.DeliveryAttempt, error) {
	return list(ctx, q.runner, "delivery attempts", scanDeliveryAttempt, `SELECT delivery_id, n, status_code, error, excerpt, latency_ms, at FROM webhook_attempts
		WHERE delivery_id = ? ORDER BY n`, deliveryID)
}

func scanDeliveryAttempt(s Row) (*store.DeliveryAttempt, error) {
	var a store.DeliveryAttempt
	var latency, at int64
	if err := s.Scan(&a.DeliveryID, &a.N, &a.StatusCode, &a.Error, &a.Excerpt, &latency, &at); err != nil {
		return nil, err
	}
	a.Latency, a.At = time.Duration(latency)*time.Millisecond, fromMS(at)
	return &a, nil
}

// LastDeliverySuccess is when an endpoint last took a delivery.
func (q webhookReads) LastDeliverySuccess(ctx context.Context, endpointID string) (time.Time, error) {
	last, err := one(ctx, q.runner, "last delivery success", scanValue[int64],
		`SELECT COALESCE(MAX(updated_at), 0) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'succeeded'`, endpointID)
	return fromMSOrZero(last), err
}

// CreateWebhookEndpoint inserts an endpoint.
func (t webhookWrites) CreateWebhookEndpoint(ctx context.Context, e *store.WebhookEndpoint) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO webhook_endpoints (`+endpointColumns+`) VALUES (`+placeholders(11)+`)`,
		e.ID, e.MerchantID, e.URL, e.Description, stringsJSON(e.EnabledEvents), e.Disabled, e.Secret, e.PreviousSecret,
		msOrZero(e.PreviousSecretExpiresAt), ms(e.CreatedAt), ms(e.UpdatedAt))
	return t.wrap("create webhook endpoint", err)
}

// UpdateWebhookEndpoint replaces an endpoint's row.
func (t webhookWrites) UpdateWebhookEndpoint(ctx context.Context, e *store.WebhookEndpoint) error {
	return t.exec(ctx, "update webhook endpoint", `UPDATE webhook_endpoints SET url = ?, description = ?, enabled_events = ?, disabled = ?,
		secret = ?, previous_secret = ?, previous_secret_expires_at = ?, updated_at = ? WHERE id = ?`,
		e.URL, e.Description, stringsJSON(e.EnabledEvents), e.Disabled, e.Secret, e.PreviousSecret, msOrZero(e.PreviousSecretExpiresAt),
		ms(e.UpdatedAt), e.ID)
}

// DeleteWebhookEndpoint removes an endpoint and fails its pending deliveries.
func (t webhookWrites) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	if err := t.exec(ctx, "delete webhook endpoint", `DELETE FROM webhook_endpoints WHERE id = ?`, id); err != nil {
		return err
	}
	_, err := t.conn.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', locked_until = 0 WHERE endpoint_id = ? AND status = 'pending'`, id)
	return t.wrap("delete webhook endpoint", err)
}

// WebhookEndpoint reads one endpoint.
func (q webhookReads) WebhookEndpoint(ctx context.Context, id string) (*store.WebhookEndpoint, error) {
	return one(ctx, q.runner, "webhook endpoint", scanEndpoint, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ?`, id)
}

// WebhookEndpoints lists a merchant's endpoints.
func (q webhookReads) WebhookEndpoints(ctx context.Context, merchantID string) ([]*store.WebhookEndpoint, error) {
	return list(ctx, q.runner, "webhook endpoints", scanEndpoint,
		`SELECT `+endpointColumns+` FROM webhook_endpoints WHERE merchant_id = ? ORDER BY created_at, id`, merchantID)
}

func scanEndpoint(s Row) (*store.WebhookEndpoint, error) {
	var e store.WebhookEndpoint
	var events string
	var prevExp, created, updated int64
	if err := s.Scan(&e.ID, &e.MerchantID, &e.URL, &e.Description, &events, &e.Disabled, &e.Secret, &e.PreviousSecret,
		&prevExp, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &e.EnabledEvents); err != nil {
		return nil, fmt.Errorf("events of endpoint %s: %w", e.ID, err)
	}
	e.PreviousSecretExpiresAt, e.CreatedAt, e.UpdatedAt = fromMSOrZero(prevExp), fromMS(created), fromMS(updated)
	return &e, nil
}

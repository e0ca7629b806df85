package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const endpointColumns = `id, merchant_id, url, description, enabled_events, disabled, secret, previous_secret,
	previous_secret_expires_at, created_at, updated_at`

const deliveryColumns = `seq, id, event_id, endpoint_id, merchant_id, checkout_id, status, attempts, next_attempt_at,
	locked_until, created_at, updated_at`

// enqueueMatching is the outbox: a pending delivery of the event to each endpoint of its merchant
// whose enabled_events hold its type or "*", disabled ones too (theirs wait until they are
// enabled again). Its arguments: the event id, then the event's type (for the filter).
const enqueueMatching = `INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id, checkout_id, status,
		attempts, next_attempt_at, locked_until, created_at, updated_at)
	SELECT 'whd_' || lower(hex(randomblob(12))), ev.id, ep.id, ev.merchant_id, ev.checkout_id, 'pending',
		0, ev.created_at, 0, ev.created_at, ev.created_at
	FROM events ev JOIN webhook_endpoints ep ON ep.merchant_id = ev.merchant_id
	WHERE ev.id = ? AND ev.type <> 'ping'
		AND EXISTS (SELECT 1 FROM json_each(ep.enabled_events) WHERE value IN ('*', ?))
	ORDER BY ep.created_at, ep.id`

// CreateEvent inserts an event and its deliveries (see store.Tx).
func (t txQueries) CreateEvent(ctx context.Context, e *store.Event) error {
	_, err := t.exec(ctx, `INSERT INTO events (`+eventColumns+`) VALUES (`+placeholders(7)+`)`,
		e.ID, e.MerchantID, e.Type, e.CheckoutID, e.ObjectID, string(e.Data), ms(e.CreatedAt))
	if err != nil {
		return wrap("create event", err)
	}
	_, err = t.exec(ctx, enqueueMatching, e.ID, e.Type)
	return wrap("enqueue deliveries", err)
}

// Event reads one event.
func (q queries) Event(ctx context.Context, id string) (*store.Event, error) {
	var e store.Event
	var data string
	var created int64
	err := q.queryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ?`, id).
		Scan(&e.ID, &e.MerchantID, &e.Type, &e.CheckoutID, &e.ObjectID, &data, &created)
	if err != nil {
		return nil, wrap("event", err)
	}
	e.Data, e.CreatedAt = []byte(data), fromMS(created)
	return &e, nil
}

// EnqueueDelivery adds one delivery.
func (t txQueries) EnqueueDelivery(ctx context.Context, d *store.Delivery) error {
	res, err := t.exec(ctx, `INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id, checkout_id, status,
		attempts, next_attempt_at, locked_until, created_at, updated_at) VALUES (`+placeholders(11)+`)`,
		d.ID, d.EventID, d.EndpointID, d.MerchantID, d.CheckoutID, d.Status, d.Attempts, ms(d.NextAttemptAt),
		msOrZero(d.LockedUntil), ms(d.CreatedAt), ms(d.UpdatedAt))
	if err != nil {
		return wrap("enqueue delivery", err)
	}
	d.Seq, err = res.LastInsertId()
	return wrap("enqueue delivery", err)
}

// claimDeliveries takes due deliveries, at most ?4 to an endpoint counting those already held
// by any worker (?2 is now). Each endpoint is a lane: its next due deliveries in order
// (webhook_deliveries_lane), each the oldest pending one of its checkout for the endpoint; of a
// disabled endpoint only pings, which test it on request (they belong to no checkout). slot
// numbers a lane's free deliveries after its held ones, so that ordering by slot takes every
// lane's next before any lane's second. Without statistics SQLite would read every pending
// delivery for held and for pings; INDEXED BY and CROSS JOIN (lanes first) make it find the few.
const claimDeliveries = `UPDATE webhook_deliveries SET locked_until = ?1
	WHERE seq IN (
		WITH held AS (
			SELECT endpoint_id, COUNT(*) AS n FROM webhook_deliveries INDEXED BY webhook_deliveries_held
			WHERE status = 'pending' AND locked_until > ?2 GROUP BY endpoint_id),
		lanes AS (
			SELECT ep.id, ep.disabled, COALESCE(h.n, 0) AS held
			FROM webhook_endpoints ep LEFT JOIN held h ON h.endpoint_id = ep.id
			WHERE COALESCE(h.n, 0) < ?4),
		free AS (
			SELECT l.id AS lane, l.held, d.seq, d.next_attempt_at FROM lanes l, webhook_deliveries d
			WHERE l.disabled = 0 AND d.seq IN (
				SELECT x.seq FROM webhook_deliveries x
				WHERE x.endpoint_id = l.id AND x.status = 'pending' AND x.next_attempt_at <= ?2 AND x.locked_until <= ?2
					AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
						WHERE e.endpoint_id = x.endpoint_id AND e.checkout_id = x.checkout_id AND x.checkout_id <> ''
							AND e.status = 'pending' AND e.seq < x.seq)
				ORDER BY x.next_attempt_at, x.seq LIMIT ?4)
			UNION ALL
			SELECT l.id, l.held, d.seq, d.next_attempt_at FROM lanes l
				CROSS JOIN webhook_deliveries d INDEXED BY webhook_deliveries_order
					ON d.endpoint_id = l.id AND d.checkout_id = '' AND d.status = 'pending'
			WHERE l.disabled = 1 AND d.next_attempt_at <= ?2 AND d.locked_until <= ?2
				AND EXISTS (SELECT 1 FROM events ev WHERE ev.id = d.event_id AND ev.type = 'ping'))
		SELECT seq FROM (
			SELECT seq, next_attempt_at, held + ROW_NUMBER() OVER (PARTITION BY lane ORDER BY next_attempt_at, seq) AS slot
			FROM free)
		WHERE slot <= ?4 ORDER BY slot, next_attempt_at, seq LIMIT ?3)
	RETURNING ` + deliveryColumns

// ClaimDeliveries holds due deliveries for a worker (see store.Tx).
func (t txQueries) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit, perEndpoint int) ([]*store.Delivery, error) {
	rows, err := t.query(ctx, claimDeliveries, ms(now.Add(lease)), ms(now), limit, perEndpoint)
	if err != nil {
		return nil, wrap("claim deliveries", err)
	}
	return scanDeliveries(rows)
}

// waitedTooLong picks the pending deliveries, held by no worker, to a disabled endpoint that
// were made at or before ?2 (now less the retry window); ?1 is now.
const waitedTooLong = `status = 'pending' AND created_at <= ?2 AND locked_until <= ?1
	AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE disabled = 1)`

// ExpireWaitingDeliveries fails what waited too long for a disabled endpoint (see store.Tx).
func (t txQueries) ExpireWaitingDeliveries(ctx context.Context, now time.Time, retryFor time.Duration) (int, error) {
	_, err := t.exec(ctx, `INSERT INTO webhook_attempts (delivery_id, n, status_code, error, excerpt, latency_ms, at)
		SELECT id, attempts + 1, 0, ?3, '', 0, ?1 FROM webhook_deliveries WHERE `+waitedTooLong,
		ms(now), ms(now.Add(-retryFor)), store.ExpiredWhileDisabled)
	if err != nil {
		return 0, wrap("expire waiting deliveries", err)
	}
	res, err := t.exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, updated_at = ?1
		WHERE `+waitedTooLong, ms(now), ms(now.Add(-retryFor)))
	if err != nil {
		return 0, wrap("expire waiting deliveries", err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap("expire waiting deliveries", err)
}

// RecordDeliveryAttempt stores a try and the delivery after it.
func (t txQueries) RecordDeliveryAttempt(ctx context.Context, d *store.Delivery, a *store.DeliveryAttempt) error {
	_, err := t.exec(ctx, `INSERT INTO webhook_attempts (delivery_id, n, status_code, error, excerpt, latency_ms, at)
		VALUES (`+placeholders(7)+`)`, a.DeliveryID, a.N, a.StatusCode, a.Error, a.Excerpt, a.Latency.Milliseconds(), ms(a.At))
	if err != nil {
		return wrap("record delivery attempt", err)
	}
	res, err := t.exec(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, locked_until = ?,
		updated_at = ? WHERE id = ?`, d.Status, d.Attempts, ms(d.NextAttemptAt), msOrZero(d.LockedUntil), ms(d.UpdatedAt), d.ID)
	return wrap("record delivery attempt", oneRow(res, err))
}

// DeliveriesByEvent lists an event's deliveries.
func (q queries) DeliveriesByEvent(ctx context.Context, eventID string) ([]*store.Delivery, error) {
	rows, err := q.query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE event_id = ? ORDER BY seq`, eventID)
	if err != nil {
		return nil, wrap("deliveries", err)
	}
	return scanDeliveries(rows)
}

// DeliveriesByEndpoint lists an endpoint's latest deliveries, newest first.
func (q queries) DeliveriesByEndpoint(ctx context.Context, endpointID string, limit int) ([]*store.Delivery, error) {
	rows, err := q.query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY seq DESC LIMIT ?`,
		endpointID, limit)
	if err != nil {
		return nil, wrap("deliveries of endpoint", err)
	}
	return scanDeliveries(rows)
}

// DeliveryAttempts lists a delivery's tries.
func (q queries) DeliveryAttempts(ctx context.Context, deliveryID string) ([]*store.DeliveryAttempt, error) {
	rows, err := q.query(ctx, `SELECT delivery_id, n, status_code, error, excerpt, latency_ms, at FROM webhook_attempts
		WHERE delivery_id = ? ORDER BY n`, deliveryID)
	if err != nil {
		return nil, wrap("delivery attempts", err)
	}
	defer rows.Close()
	var list []*store.DeliveryAttempt
	for rows.Next() {
		var a store.DeliveryAttempt
		var latency, at int64
		if err := rows.Scan(&a.DeliveryID, &a.N, &a.StatusCode, &a.Error, &a.Excerpt, &latency, &at); err != nil {
			return nil, wrap("delivery attempts", err)
		}
		a.Latency, a.At = time.Duration(latency)*time.Millisecond, fromMS(at)
		list = append(list, &a)
	}
	return list, wrap("delivery attempts", rows.Err())
}

// LastDeliverySuccess is when an endpoint last took a delivery.
func (q queries) LastDeliverySuccess(ctx context.Context, endpointID string) (time.Time, error) {
	var last int64
	err := q.queryRow(ctx, `SELECT COALESCE(MAX(updated_at), 0) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'succeeded'`,
		endpointID).Scan(&last)
	if err != nil || last == 0 {
		return time.Time{}, wrap("last delivery success", err)
	}
	return fromMS(last), nil
}

type rowsScanner interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}

func scanDeliveries(rows rowsScanner) ([]*store.Delivery, error) {
	defer rows.Close()
	var list []*store.Delivery
	for rows.Next() {
		var d store.Delivery
		var next, locked, created, updated int64
		if err := rows.Scan(&d.Seq, &d.ID, &d.EventID, &d.EndpointID, &d.MerchantID, &d.CheckoutID, &d.Status, &d.Attempts,
			&next, &locked, &created, &updated); err != nil {
			return nil, wrap("deliveries", err)
		}
		d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromMS(next), fromMS(created), fromMS(updated)
		if locked > 0 {
			d.LockedUntil = fromMS(locked)
		}
		list = append(list, &d)
	}
	return list, wrap("deliveries", rows.Err())
}

// CreateWebhookEndpoint inserts an endpoint.
func (t txQueries) CreateWebhookEndpoint(ctx context.Context, e *store.WebhookEndpoint) error {
	events, err := json.Marshal(e.EnabledEvents)
	if err != nil {
		return fmt.Errorf("store: endpoint events: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO webhook_endpoints (`+endpointColumns+`) VALUES (`+placeholders(11)+`)`,
		e.ID, e.MerchantID, e.URL, e.Description, string(events), e.Disabled, e.Secret, e.PreviousSecret,
		msOrZero(e.PreviousSecretExpiresAt), ms(e.CreatedAt), ms(e.UpdatedAt))
	return wrap("create webhook endpoint", err)
}

// UpdateWebhookEndpoint replaces an endpoint's row.
func (t txQueries) UpdateWebhookEndpoint(ctx context.Context, e *store.WebhookEndpoint) error {
	events, err := json.Marshal(e.EnabledEvents)
	if err != nil {
		return fmt.Errorf("store: endpoint events: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, enabled_events = ?, disabled = ?,
		secret = ?, previous_secret = ?, previous_secret_expires_at = ?, updated_at = ? WHERE id = ?`,
		e.URL, e.Description, string(events), e.Disabled, e.Secret, e.PreviousSecret, msOrZero(e.PreviousSecretExpiresAt),
		ms(e.UpdatedAt), e.ID)
	return wrap("update webhook endpoint", oneRow(res, err))
}

// DeleteWebhookEndpoint removes an endpoint and fails its pending deliveries.
func (t txQueries) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	res, err := t.exec(ctx, `DELETE FROM webhook_endpoints WHERE id = ?`, id)
	if err := oneRow(res, err); err != nil {
		return wrap("delete webhook endpoint", err)
	}
	_, err = t.exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', locked_until = 0 WHERE endpoint_id = ? AND status = 'pending'`, id)
	return wrap("delete webhook endpoint", err)
}

// WebhookEndpoint reads one endpoint.
func (q queries) WebhookEndpoint(ctx context.Context, id string) (*store.WebhookEndpoint, error) {
	rows, err := q.query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ?`, id)
	if err != nil {
		return nil, wrap("webhook endpoint", err)
	}
	list, err := scanEndpoints(rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, store.ErrNotFound
	}
	return list[0], nil
}

// WebhookEndpoints lists a merchant's endpoints.
func (q queries) WebhookEndpoints(ctx context.Context, merchantID string) ([]*store.WebhookEndpoint, error) {
	rows, err := q.query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE merchant_id = ? ORDER BY created_at, id`, merchantID)
	if err != nil {
		return nil, wrap("webhook endpoints", err)
	}
	return scanEndpoints(rows)
}

func scanEndpoints(rows rowsScanner) ([]*store.WebhookEndpoint, error) {
	defer rows.Close()
	var list []*store.WebhookEndpoint
	for rows.Next() {
		var e store.WebhookEndpoint
		var events string
		var prevExp, created, updated int64
		if err := rows.Scan(&e.ID, &e.MerchantID, &e.URL, &e.Description, &events, &e.Disabled, &e.Secret, &e.PreviousSecret,
			&prevExp, &created, &updated); err != nil {
			return nil, wrap("webhook endpoints", err)
		}
		if err := json.Unmarshal([]byte(events), &e.EnabledEvents); err != nil {
			return nil, fmt.Errorf("store: events of endpoint %s: %w", e.ID, err)
		}
		if prevExp > 0 {
			e.PreviousSecretExpiresAt = fromMS(prevExp)
		}
		e.CreatedAt, e.UpdatedAt = fromMS(created), fromMS(updated)
		list = append(list, &e)
	}
	return list, wrap("webhook endpoints", rows.Err())
}

package sqlstore

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

const eventColumns = `id, merchant_id, type, checkout_id, object_id, data, created_at`

// EnqueueMatching is the statement that inserts the outbox rows of an event: a pending delivery
// to each endpoint of its merchant whose enabled_events hold its type or "*", disabled ones too,
// its id "whd_" and randomHex24 (24 random hex digits). enabledEvents is the rows, in a column
// named value, of the JSON array of strings in an endpoint ep's enabled_events. Its arguments:
// the event id, its type.
func EnqueueMatching(randomHex24, enabledEvents string) string {
	return `INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id, checkout_id, status,
		attempts, next_attempt_at, locked_until, created_at, updated_at)
	SELECT 'whd_' || ` + randomHex24 + `, ev.id, ep.id, ev.merchant_id, ev.checkout_id, 'pending',
		0, ev.created_at, 0, ev.created_at, ev.created_at
	FROM events ev JOIN webhook_endpoints ep ON ep.merchant_id = ev.merchant_id
	WHERE ev.id = ? AND ev.type <> 'ping'
		AND EXISTS (SELECT 1 FROM ` + enabledEvents + ` WHERE value IN ('*', ?))
	ORDER BY ep.created_at, ep.id`
}

// CreateEvent inserts an event and its deliveries (see store.Tx).
func (t webhookWrites) CreateEvent(ctx context.Context, e *store.Event) error {
	t.touch(e.CheckoutID)
	_, err := t.conn.Exec(ctx, `INSERT INTO events (`+eventColumns+`) VALUES (`+placeholders(7)+`)`,
		e.ID, e.MerchantID, e.Type, e.CheckoutID, e.ObjectID, string(e.Data), ms(e.CreatedAt))
	if err != nil {
		return t.wrap("create event", err)
	}
	_, err = t.conn.Exec(ctx, t.dialect.EnqueueMatching, e.ID, e.Type)
	return t.wrap("enqueue deliveries", err)
}

// Event reads one event.
func (q webhookReads) Event(ctx context.Context, id string) (*store.Event, error) {
	return one(ctx, q.runner, "event", scanEvent, `SELECT `+eventColumns+` FROM events WHERE id = ?`, id)
}

// Events lists a merchant's events, newest first; events of one millisecond in the reverse of
// the order they were written (Dialect.RowOrder), so a checkout's timeline reads as it happened.
// Forward lists instead those after p.After in the order they were committed
// (Dialect.CommitOrder), which a later commit never enters before an event already listed.
func (q webhookReads) Events(ctx context.Context, p store.ListEvents) ([]*store.Event, error) {
	var w where
	w.and(true, "merchant_id = ?", p.MerchantID)
	w.and(p.Type != "", "type = ?", p.Type)
	w.and(p.CheckoutID != "", "checkout_id = ?", p.CheckoutID)
	if p.Forward {
		d := q.dialect
		w.and(d.Committed != "", d.Committed)
		w.and(p.After != "", `(`+d.CommitOrder+`) > (SELECT `+d.CommitOrder+` FROM events WHERE id = ? AND merchant_id = ?)`,
			p.After, p.MerchantID)
		return list(ctx, q.runner, "events", scanEvent, `SELECT `+eventColumns+` FROM events WHERE `+w.String()+
			` ORDER BY `+d.CommitOrder+` LIMIT ?`, append(w.args, p.Limit)...)
	}
	query, args := w.newestFirst("events", q.dialect.RowOrder, p.StartingAfter, p.MerchantID, p.Limit)
	return list(ctx, q.runner, "events", scanEvent, `SELECT `+eventColumns+` FROM events `+query, args...)
}

func scanEvent(s Row) (*store.Event, error) {
	var e store.Event
	var data string
	var created int64
	if err := s.Scan(&e.ID, &e.MerchantID, &e.Type, &e.CheckoutID, &e.ObjectID, &data, &created); err != nil {
		return nil, err
	}
	e.Data, e.CreatedAt = []byte(data), fromMS(created)
	return &e, nil
}

package postgres

import (
	"context"
	"strings"

	"github.com/kpcheckout/kpcheckout/store"
)

const eventColumns = `id, merchant_id, type, checkout_id, object_id, data, created_at`

// Events lists a merchant's events, newest first; events of one millisecond in the reverse of
// the order they were written (seq), so a checkout's timeline reads as it happened.
func (q queries) Events(ctx context.Context, p store.ListEvents) ([]*store.Event, error) {
	var args params
	where := []string{"merchant_id = " + args.add(p.MerchantID)}
	if p.Type != "" {
		where = append(where, "type = "+args.add(p.Type))
	}
	if p.CheckoutID != "" {
		where = append(where, "checkout_id = "+args.add(p.CheckoutID))
	}
	order := ` ORDER BY created_at DESC, seq DESC LIMIT `
	switch {
	case p.Forward:
		// Only events of transactions older than every one still running: no later commit can
		// come before them in (xid, seq) order, as it could in seq order alone.
		where = append(where, `xid < pg_snapshot_xmin(pg_current_snapshot())`)
		if p.After != "" {
			where = append(where, `(xid, seq) > (SELECT xid, seq FROM events WHERE id = `+args.add(p.After)+
				` AND merchant_id = `+args.add(p.MerchantID)+`)`)
		}
		order = ` ORDER BY xid, seq LIMIT `
	case p.StartingAfter != "":
		where = append(where, `(created_at, seq) < (SELECT created_at, seq FROM events WHERE id = `+args.add(p.StartingAfter)+
			` AND merchant_id = `+args.add(p.MerchantID)+`)`)
	}
	rows, err := q.db.Query(ctx, `SELECT `+eventColumns+` FROM events WHERE `+strings.Join(where, " AND ")+
		order+args.add(p.Limit), args...)
	if err != nil {
		return nil, q.wrap("events", err)
	}
	defer rows.Close()
	var list []*store.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, q.wrap("events", err)
		}
		list = append(list, e)
	}
	return list, q.wrap("events", rows.Err())
}

// Event reads one event.
func (q queries) Event(ctx context.Context, id string) (*store.Event, error) {
	e, err := scanEvent(q.db.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1`, id))
	return e, q.wrap("event", err)
}

func scanEvent(s scanner) (*store.Event, error) {
	var e store.Event
	var data string
	var created int64
	if err := s.Scan(&e.ID, &e.MerchantID, &e.Type, &e.CheckoutID, &e.ObjectID, &data, &created); err != nil {
		return nil, err
	}
	e.Data, e.CreatedAt = []byte(data), fromMS(created)
	return &e, nil
}

package sqlite

import (
	"context"
	"strings"

	"github.com/kpcheckout/kpcheckout/store"
)

const eventColumns = `id, merchant_id, type, checkout_id, object_id, data, created_at`

// Events lists a merchant's events, newest first; events of one millisecond in the reverse of
// the order they were written (rowid), so a checkout's timeline reads as it happened.
func (q queries) Events(ctx context.Context, p store.ListEvents) ([]*store.Event, error) {
	where := []string{"merchant_id = ?"}
	args := []any{p.MerchantID}
	if p.Type != "" {
		where = append(where, "type = ?")
		args = append(args, p.Type)
	}
	if p.CheckoutID != "" {
		where = append(where, "checkout_id = ?")
		args = append(args, p.CheckoutID)
	}
	order := ` ORDER BY created_at DESC, rowid DESC LIMIT ?`
	switch {
	case p.Forward:
		// One connection writes, so rowids grow in the order of commits.
		if p.After != "" {
			where = append(where, `rowid > (SELECT rowid FROM events WHERE id = ? AND merchant_id = ?)`)
			args = append(args, p.After, p.MerchantID)
		}
		order = ` ORDER BY rowid LIMIT ?`
	case p.StartingAfter != "":
		where = append(where, `(created_at, rowid) < (SELECT created_at, rowid FROM events WHERE id = ? AND merchant_id = ?)`)
		args = append(args, p.StartingAfter, p.MerchantID)
	}
	args = append(args, p.Limit)
	rows, err := q.query(ctx, `SELECT `+eventColumns+` FROM events WHERE `+strings.Join(where, " AND ")+order, args...)
	if err != nil {
		return nil, wrap("events", err)
	}
	defer rows.Close()
	var list []*store.Event
	for rows.Next() {
		var e store.Event
		var data string
		var created int64
		if err := rows.Scan(&e.ID, &e.MerchantID, &e.Type, &e.CheckoutID, &e.ObjectID, &data, &created); err != nil {
			return nil, wrap("events", err)
		}
		e.Data, e.CreatedAt = []byte(data), fromMS(created)
		list = append(list, &e)
	}
	return list, wrap("events", rows.Err())
}

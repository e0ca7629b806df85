package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// changesChannel is where write transactions announce the checkouts they changed, each as
// "<origin> <checkout id>".
const changesChannel = "kpcheckout_checkout"

// listenIdle is how long the listener waits for a notification before it checks that its
// connection still answers: a connection that died silently would never say so.
const listenIdle = 30 * time.Second

// touch records that the transaction changed a checkout's state, for announce.
func (st *txState) touch(checkoutID string) {
	if st.changed == nil {
		st.changed = make(map[string]bool)
	}
	st.changed[checkoutID] = true
}

// announce notifies the listeners of every instance of the checkouts the transaction changed,
// in one statement.
func (st *txState) announce(ctx context.Context, tx pgx.Tx, origin string) error {
	if len(st.changed) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(st.changed))
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2 || ' ' || id) FROM unnest($3::text[]) AS id`, changesChannel, origin, ids)
	return wrap("announce", err)
}

// Listen implements store.Broadcaster on a connection outside the pool: LISTEN belongs to one
// session, and a pooled connection goes back to others.
func (db *DB) Listen(ctx context.Context, ready func(), changed func(checkoutID string)) error {
	cfg := db.pool.Config().ConnConfig
	cfg.RuntimeParams["application_name"] = "kpcheckout listener"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	ready()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenIdle)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if origin, id, ok := strings.Cut(n.Payload, " "); ok && origin != db.origin {
				changed(id)
			}
		case ctx.Err() != nil:
			return nil
		case wctx.Err() != nil: // quiet for listenIdle
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				return fmt.Errorf("store: listen: ping: %w", err)
			}
		default:
			return fmt.Errorf("store: listen: %w", err)
		}
	}
}

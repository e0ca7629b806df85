package postgres

import "github.com/kpcheckout/kpcheckout/store/sqlstore"

// dialect is what PostgreSQL says its own way in the shared queries.
var dialect = sqlstore.Dialect{
	RowOrder:    "seq",
	Like:        "ILIKE",
	ForUpdate:   " FOR UPDATE",
	CommitOrder: "xid, seq",
	Committed:   "xid < pg_snapshot_xmin(pg_current_snapshot())",
	// A delivery's id is 24 hex digits, as SQLite makes them.
	EnqueueMatching: sqlstore.EnqueueMatching("substr(md5(gen_random_uuid()::text), 1, 24)",
		"jsonb_array_elements_text(ep.enabled_events::jsonb) AS t(value)"),
	ClaimDeliveries: claimDeliveries,
}

// claimDeliveries takes due deliveries, at most $4 to an endpoint counting those already held
// by any worker ($2 is now). Each endpoint is a lane: its next due deliveries in order
// (webhook_deliveries_lane), each the oldest pending one of its checkout for the endpoint; of a
// disabled endpoint only pings, which test it on request (they belong to no checkout). slot
// numbers a lane's free deliveries after its held ones, so that ordering by slot takes every
// lane's next before any lane's second. Two instances claiming at once both read what the
// other writes: the serializable transaction makes one of them try again, so the cap holds
// across instances.
const claimDeliveries = `WITH held AS (
		SELECT endpoint_id, COUNT(*) AS n FROM webhook_deliveries
		WHERE status = 'pending' AND locked_until > $2 GROUP BY endpoint_id),
	lanes AS (
		SELECT ep.id, ep.disabled, COALESCE(h.n, 0) AS held
		FROM webhook_endpoints ep LEFT JOIN held h ON h.endpoint_id = ep.id
		WHERE COALESCE(h.n, 0) < $4),
	free AS (
		SELECT l.id AS lane, l.held, f.seq, f.next_attempt_at FROM lanes l CROSS JOIN LATERAL (
			SELECT d.seq, d.next_attempt_at FROM webhook_deliveries d
			WHERE d.endpoint_id = l.id AND d.status = 'pending' AND d.next_attempt_at <= $2 AND d.locked_until <= $2
				AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
					WHERE e.endpoint_id = d.endpoint_id AND e.checkout_id = d.checkout_id AND d.checkout_id <> ''
						AND e.status = 'pending' AND e.seq < d.seq)
			ORDER BY d.next_attempt_at, d.seq LIMIT $4) f
		WHERE NOT l.disabled
		UNION ALL
		SELECT l.id, l.held, d.seq, d.next_attempt_at FROM lanes l
			JOIN webhook_deliveries d ON d.endpoint_id = l.id AND d.checkout_id = '' AND d.status = 'pending'
		WHERE l.disabled AND d.next_attempt_at <= $2 AND d.locked_until <= $2
			AND EXISTS (SELECT 1 FROM events ev WHERE ev.id = d.event_id AND ev.type = 'ping')),
	picked AS (
		SELECT seq FROM (
			SELECT seq, next_attempt_at, held + ROW_NUMBER() OVER (PARTITION BY lane ORDER BY next_attempt_at, seq) AS slot
			FROM free) f
		WHERE slot <= $4 ORDER BY slot, next_attempt_at, seq LIMIT $3),
	claimed AS (
		UPDATE webhook_deliveries SET locked_until = $1 WHERE seq IN (SELECT seq FROM picked)
		RETURNING ` + sqlstore.DeliveryColumns + `)
	SELECT ` + sqlstore.DeliveryColumns + ` FROM claimed ORDER BY next_attempt_at, seq`

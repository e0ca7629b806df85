package sqlite

import "github.com/kpcheckout/kpcheckout/store/sqlstore"

// dialect is what SQLite says its own way in the shared queries.
var dialect = sqlstore.Dialect{
	RowOrder:        "rowid",
	Like:            "LIKE",
	CommitOrder:     "rowid",
	EnqueueMatching: sqlstore.EnqueueMatching("lower(hex(randomblob(12)))", "json_each(ep.enabled_events)"),
	ClaimDeliveries: claimDeliveries,
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
	RETURNING ` + sqlstore.DeliveryColumns

package storetest

import (
	"database/sql"
	"testing"
)

// kept is true of the rows made since the oldest event still kept (none: no row): the rules
// that an object has its events hold for those only, as the retention pass prunes old events
// (oldest first; the checks assume no event older than the cut is held by a pending delivery).
const kept = ` >= (SELECT COALESCE(MIN(created_at), 9223372036854775807) FROM events)`

// invariants are what must hold in the database after any test: each query counts the rows
// that break one rule.
var invariants = []struct{ rule, query string }{
	{"a paid checkout has exactly one payment",
		`SELECT COUNT(*) FROM checkouts c WHERE c.status = 'paid' AND (SELECT COUNT(*) FROM payments p WHERE p.checkout_id = c.id) != 1`},
	{"only a paid checkout has a payment",
		`SELECT COUNT(*) FROM payments p JOIN checkouts c ON c.id = p.checkout_id WHERE c.status != 'paid'`},
	{"refunded_amount is the sum of succeeded refunds",
		`SELECT COUNT(*) FROM payments p WHERE p.refunded_amount != (SELECT COALESCE(SUM(amount), 0) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'succeeded')`},
	{"refunds never exceed the payment",
		`SELECT COUNT(*) FROM payments p WHERE p.refunded_amount > p.amount OR (SELECT COALESCE(SUM(amount), 0) FROM refunds r WHERE r.payment_id = p.id AND r.status != 'failed') > p.amount`},
	{"a paid checkout has one checkout.paid event, others none",
		`SELECT COUNT(*) FROM checkouts c WHERE c.created_at` + kept + ` AND (SELECT COUNT(*) FROM events e WHERE e.checkout_id = c.id AND e.type = 'checkout.paid') != (c.status = 'paid')`},
	{"an expired checkout has one checkout.expired event, others none",
		`SELECT COUNT(*) FROM checkouts c WHERE c.created_at` + kept + ` AND (SELECT COUNT(*) FROM events e WHERE e.checkout_id = c.id AND e.type = 'checkout.expired') != (c.status = 'expired')`},
	{"every checkout has its checkout.created event",
		`SELECT COUNT(*) FROM checkouts c WHERE c.created_at` + kept + ` AND (SELECT COUNT(*) FROM events e WHERE e.object_id = c.id AND e.type = 'checkout.created') != 1`},
	{"every attempt has its attempt.created (or failed ready) event",
		`SELECT COUNT(*) FROM attempts a WHERE a.created_at` + kept + ` AND (SELECT COUNT(*) FROM events e WHERE e.object_id = a.id AND e.type IN ('attempt.created', 'attempt.failed')) < 1`},
	{"an ended attempt has one event of its end",
		`SELECT COUNT(*) FROM attempts a WHERE a.created_at` + kept + ` AND a.status IN ('canceled', 'failed', 'expired') AND (SELECT COUNT(*) FROM events e WHERE e.object_id = a.id AND e.type = 'attempt.' || a.status) != 1`},
	{"an approved attempt is the payment of its checkout, unless it is a stray approval",
		`SELECT COUNT(*) FROM attempts a WHERE (a.status = 'approved' AND a.void_status = '') != EXISTS (SELECT 1 FROM payments p WHERE p.attempt_id = a.id)`},
	{"a stray approval has one event that found it, and one that voided it once voided",
		`SELECT COUNT(*) FROM attempts a WHERE a.created_at` + kept + ` AND a.void_status != '' AND ((SELECT COUNT(*) FROM events e WHERE e.object_id = a.id
			AND e.type IN ('attempt.approved_after_paid', 'attempt.approved_after_expiry', 'attempt.approved_after_link_used_up')) != 1
			OR (SELECT COUNT(*) FROM events e WHERE e.object_id = a.id AND e.type = 'attempt.voided') != (a.void_status = 'voided'))`},
	{"a link is paid at most as often as it allows (once when one-time, max_uses when set)",
		`SELECT COUNT(*) FROM links l WHERE (NOT l.reusable OR l.max_uses > 0)
			AND (SELECT COUNT(*) FROM checkouts c WHERE c.link_id = l.id AND c.status = 'paid') > CASE WHEN NOT l.reusable THEN 1 ELSE l.max_uses END`},
	{"a refund's end has one event",
		`SELECT COUNT(*) FROM refunds r WHERE r.created_at` + kept + ` AND r.status != 'pending' AND (SELECT COUNT(*) FROM events e WHERE e.object_id = r.id AND e.type = 'refund.' || r.status) != 1`},
	{"a charge's end has one event and a succeeded charge one payment",
		`SELECT COUNT(*) FROM charges c WHERE (c.created_at` + kept + ` AND c.status != 'pending' AND (SELECT COUNT(*) FROM events e WHERE e.object_id = c.id AND e.type = 'charge.' || c.status) != 1)
			OR ((c.status = 'succeeded') != (c.payment_id IS NOT NULL))`},
	{"refunds of one payment run one at a time: at most one is pending",
		`SELECT COUNT(*) FROM (SELECT payment_id FROM refunds WHERE status = 'pending' GROUP BY payment_id HAVING COUNT(*) > 1)`},
	{"a paid subscription checkout has its agreement",
		`SELECT COUNT(*) FROM checkouts c WHERE c.mode = 'subscription' AND c.status = 'paid' AND NOT EXISTS (SELECT 1 FROM agreements a WHERE a.checkout_id = c.id)`},
	{"an Idempotency-Key bound to an object names one of its merchant's that exists (an endpoint may be deleted since)",
		`SELECT COUNT(*) FROM idempotency_keys k WHERE k.object_type != '' AND NOT CASE
			WHEN k.object_type = 'refund' THEN EXISTS (SELECT 1 FROM refunds r WHERE r.id = k.object_id)
			WHEN k.object_type = 'charge' THEN EXISTS (SELECT 1 FROM charges c WHERE c.id = k.object_id)
			WHEN k.object_type = 'agreement' THEN EXISTS (SELECT 1 FROM agreements a WHERE a.id = k.object_id)
			WHEN k.object_type IN ('checkout', 'checkout.expire') THEN EXISTS (SELECT 1 FROM checkouts c WHERE c.id = k.object_id AND c.merchant_id = k.merchant_id)
			WHEN k.object_type = 'attempt' THEN EXISTS (SELECT 1 FROM attempts a JOIN checkouts c ON c.id = a.checkout_id WHERE a.id = k.object_id AND c.merchant_id = k.merchant_id)
			WHEN k.object_type IN ('link', 'link.deactivate') THEN EXISTS (SELECT 1 FROM links l WHERE l.id = k.object_id AND l.merchant_id = k.merchant_id)
			WHEN k.object_type IN ('ping', 'event.redeliver') THEN NOT (k.created_at` + kept + `) OR EXISTS (SELECT 1 FROM events e WHERE e.id = k.object_id AND e.merchant_id = k.merchant_id)
			WHEN k.object_type = 'merchant.update' THEN k.object_id = k.merchant_id
			WHEN k.object_type IN ('webhook_endpoint', 'webhook_endpoint.update', 'webhook_endpoint.rotate_secret')
				THEN NOT EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = k.object_id AND w.merchant_id != k.merchant_id)
			ELSE FALSE END`},
	{"an agreement has its activation event, and a deactivation event when inactive",
		`SELECT COUNT(*) FROM agreements a WHERE a.created_at` + kept + ` AND ((SELECT COUNT(*) FROM events e WHERE e.object_id = a.id AND e.type = 'agreement.activated') != 1
			OR (SELECT COUNT(*) FROM events e WHERE e.object_id = a.id AND e.type = 'agreement.deactivated') != (a.status = 'inactive'))`},
}

// CheckInvariants fails t for every invariant the database breaks: the money rules that must
// hold after any flow, crash or race (a paid checkout has exactly one payment, refunds add up
// and never exceed the payment, every state change has its event).
func CheckInvariants(t testing.TB, db *sql.DB) {
	t.Helper()
	for _, inv := range invariants {
		var n int
		if err := db.QueryRow(inv.query).Scan(&n); err != nil {
			t.Errorf("invariant %q: %v", inv.rule, err)
			continue
		}
		if n != 0 {
			t.Errorf("invariant broken in %d rows: %s", n, inv.rule)
		}
	}
}

package sqlstore

import "strings"

// Schema is what a backend's migrations say their own way. The steps are written once, here,
// in PostgreSQL's types; SQLite renames them (Types), and each {…} in a step stands for a field.
type Schema struct {
	// Types renames the column types, in pairs old, new: SQLite's INTEGER for BIGINT (times,
	// amounts) and BOOLEAN (0/1 flags), its BLOB for BYTEA; none in PostgreSQL.
	Types []string
	// Seq ({seq}) is the first column of the tables whose rows of one millisecond are ordered
	// as they were written, a number taken at insert; none in SQLite, where the rowid does it.
	// With it, the indexes on those tables end in seq ({, seq}) and a merchant's events are
	// indexed by seq ({seq or id}); without, they end in the rowid (id, then the rowid, for the
	// events).
	Seq string
	// Serial ({serial}) is the type of webhook_deliveries.seq, a primary key numbered at insert.
	Serial string
	// RandomKeyID ({random key id}) is 26 random upper-case hex digits: the id of a merchant's
	// key moved to api_keys.
	RandomKeyID string
	// CommitOrder ({commit order}) is the step that orders a merchant's events as they were
	// committed, for followers (see Dialect.CommitOrder).
	CommitOrder string
}

// Migrations are the steps of the schema in s's words, oldest first.
func (s Schema) Migrations() []string {
	seq, seqLast, seqOrID := "", "", "id"
	if s.Seq != "" {
		seq, seqLast, seqOrID = "\n\t\t"+s.Seq+",", ", seq", "seq"
	}
	words := append([]string{"\n\t\t{seq},", seq, "{, seq}", seqLast, "{seq or id}", seqOrID, "{serial}", s.Serial,
		"{random key id}", s.RandomKeyID, "{commit order}", s.CommitOrder}, s.Types...)
	r := strings.NewReplacer(words...)
	steps := make([]string, len(migrations))
	for i, step := range migrations {
		steps[i] = r.Replace(step)
	}
	return steps
}

// migrations are applied in order, each in its own transaction; append, never edit. A step's
// first line, a "-- " comment, names it where `kpcheckout migrate` lists it (a step without one
// is named by its first statement).
var migrations = []string{
	`-- merchants, checkouts, attempts, payments, refunds, agreements, charges, events, idempotency keys
	CREATE TABLE merchants (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		api_key_prefix TEXT NOT NULL UNIQUE,
		api_key_hash BYTEA NOT NULL,
		livemode BOOLEAN NOT NULL,
		webhook_url TEXT NOT NULL,
		webhook_secret TEXT NOT NULL,
		cid TEXT NOT NULL,
		subscription_cid TEXT NOT NULL,
		min_amount BIGINT NOT NULL,
		max_amount BIGINT NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE TABLE checkouts (
		id TEXT PRIMARY KEY,
		merchant_id TEXT NOT NULL REFERENCES merchants(id),
		mode TEXT NOT NULL,
		status TEXT NOT NULL,
		amount BIGINT NOT NULL CHECK (amount > 0),
		tax_free_amount BIGINT NOT NULL CHECK (tax_free_amount >= 0),
		currency TEXT NOT NULL,
		reference TEXT NOT NULL,
		description TEXT NOT NULL,
		items TEXT NOT NULL,
		customer_name TEXT NOT NULL,
		customer_email TEXT NOT NULL,
		success_url TEXT NOT NULL,
		failure_url TEXT NOT NULL,
		locale TEXT NOT NULL,
		metadata TEXT NOT NULL,
		expires_at BIGINT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE INDEX checkouts_merchant_created ON checkouts (merchant_id, created_at, id);
	CREATE INDEX checkouts_open_expiry ON checkouts (expires_at) WHERE status = 'open';
	CREATE TABLE attempts (
		{seq},
		id TEXT PRIMARY KEY,
		checkout_id TEXT NOT NULL REFERENCES checkouts(id),
		tid TEXT UNIQUE,
		status TEXT NOT NULL,
		device TEXT NOT NULL,
		pc_url TEXT NOT NULL,
		mobile_url TEXT NOT NULL,
		app_url TEXT NOT NULL,
		android_app_scheme TEXT NOT NULL,
		ios_app_scheme TEXT NOT NULL,
		pg_token TEXT UNIQUE,
		aid TEXT NOT NULL,
		method TEXT NOT NULL,
		failure_code TEXT NOT NULL,
		failure_message TEXT NOT NULL,
		expires_at BIGINT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE INDEX attempts_checkout ON attempts (checkout_id, created_at{, seq});
	CREATE INDEX attempts_live ON attempts (created_at) WHERE status IN ('ready', 'authenticating');
	CREATE TABLE payments (
		id TEXT PRIMARY KEY,
		checkout_id TEXT UNIQUE REFERENCES checkouts(id),
		attempt_id TEXT UNIQUE REFERENCES attempts(id),
		agreement_id TEXT,
		merchant_id TEXT NOT NULL REFERENCES merchants(id),
		cid TEXT NOT NULL,
		amount BIGINT NOT NULL CHECK (amount > 0),
		tax_free_amount BIGINT NOT NULL,
		refunded_amount BIGINT NOT NULL CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
		method TEXT NOT NULL,
		tid TEXT NOT NULL,
		aid TEXT NOT NULL,
		approved_at BIGINT NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE TABLE refunds (
		{seq},
		id TEXT PRIMARY KEY,
		payment_id TEXT NOT NULL REFERENCES payments(id),
		merchant_id TEXT NOT NULL REFERENCES merchants(id),
		amount BIGINT NOT NULL CHECK (amount > 0),
		tax_free_amount BIGINT NOT NULL,
		reason TEXT NOT NULL,
		status TEXT NOT NULL,
		failure_code TEXT NOT NULL,
		failure_message TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE INDEX refunds_payment ON refunds (payment_id, created_at{, seq});
	CREATE INDEX refunds_pending ON refunds (created_at{, seq}) WHERE status = 'pending';
	CREATE TABLE agreements (
		id TEXT PRIMARY KEY,
		merchant_id TEXT NOT NULL REFERENCES merchants(id),
		checkout_id TEXT NOT NULL UNIQUE REFERENCES checkouts(id),
		cid TEXT NOT NULL,
		sid TEXT NOT NULL UNIQUE,
		partner_user_id TEXT NOT NULL,
		status TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE TABLE charges (
		id TEXT PRIMARY KEY,
		agreement_id TEXT NOT NULL REFERENCES agreements(id),
		merchant_id TEXT NOT NULL REFERENCES merchants(id),
		amount BIGINT NOT NULL CHECK (amount > 0),
		reference TEXT NOT NULL,
		status TEXT NOT NULL,
		payment_id TEXT,
		failure_code TEXT NOT NULL,
		failure_message TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE INDEX charges_agreement ON charges (agreement_id, created_at);
	CREATE TABLE events (
		{seq},
		id TEXT PRIMARY KEY,
		merchant_id TEXT NOT NULL REFERENCES merchants(id),
		type TEXT NOT NULL,
		checkout_id TEXT NOT NULL,
		object_id TEXT NOT NULL,
		data TEXT NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE INDEX events_merchant_created ON events (merchant_id, created_at, {seq or id});
	CREATE INDEX events_checkout ON events (checkout_id, created_at);
	CREATE TABLE idempotency_keys (
		merchant_id TEXT NOT NULL REFERENCES merchants(id),
		key TEXT NOT NULL,
		request_hash TEXT NOT NULL,
		status_code INTEGER NOT NULL,
		body BYTEA NOT NULL,
		created_at BIGINT NOT NULL,
		PRIMARY KEY (merchant_id, key)
	);`,
	// Money under faults: an Idempotency-Key is held by one request (owner) and bound to the
	// money object it creates; the approve answer's sid and a return's pg_token are kept before
	// they are acted on; a deactivation is remembered until KakaoPay confirms it.
	`-- money under faults: idempotency key owners, kept sid and pg_token, pending deactivations
	ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
	ALTER TABLE idempotency_keys ADD COLUMN object_type TEXT NOT NULL DEFAULT '';
	ALTER TABLE idempotency_keys ADD COLUMN object_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE attempts ADD COLUMN sid TEXT NOT NULL DEFAULT '';
	ALTER TABLE attempts ADD COLUMN returned_pg_token TEXT NOT NULL DEFAULT '';
	ALTER TABLE agreements ADD COLUMN deactivate_requested_at BIGINT NOT NULL DEFAULT 0;
	CREATE INDEX charges_merchant_created ON charges (merchant_id, created_at, id);
	CREATE INDEX charges_pending ON charges (created_at) WHERE status = 'pending';
	CREATE INDEX agreements_deactivating ON agreements (deactivate_requested_at) WHERE status = 'active' AND deactivate_requested_at > 0;`,
	`-- webhook endpoints and the delivery outbox
	CREATE TABLE webhook_endpoints (
		id TEXT PRIMARY KEY,
		merchant_id TEXT NOT NULL REFERENCES merchants(id),
		url TEXT NOT NULL,
		description TEXT NOT NULL,
		enabled_events TEXT NOT NULL,
		disabled BOOLEAN NOT NULL,
		secret TEXT NOT NULL,
		previous_secret TEXT NOT NULL,
		previous_secret_expires_at BIGINT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, created_at);
	CREATE TABLE webhook_deliveries (
		seq {serial},
		id TEXT NOT NULL UNIQUE,
		event_id TEXT NOT NULL REFERENCES events(id),
		endpoint_id TEXT NOT NULL,
		merchant_id TEXT NOT NULL,
		checkout_id TEXT NOT NULL,
		status TEXT NOT NULL,
		attempts INTEGER NOT NULL,
		next_attempt_at BIGINT NOT NULL,
		locked_until BIGINT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
	CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, checkout_id, seq) WHERE status = 'pending';
	CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
	CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, status, updated_at);
	CREATE TABLE webhook_attempts (
		delivery_id TEXT NOT NULL,
		n INTEGER NOT NULL,
		status_code INTEGER NOT NULL,
		error TEXT NOT NULL,
		excerpt TEXT NOT NULL,
		latency_ms BIGINT NOT NULL,
		at BIGINT NOT NULL,
		PRIMARY KEY (delivery_id, n)
	);`,
	`-- payment links
	CREATE TABLE links (
		id TEXT PRIMARY KEY,
		slug TEXT NOT NULL UNIQUE,
		merchant_id TEXT NOT NULL REFERENCES merchants(id),
		amount BIGINT NOT NULL CHECK (amount > 0),
		items TEXT NOT NULL,
		description TEXT NOT NULL,
		success_url TEXT NOT NULL,
		failure_url TEXT NOT NULL,
		reusable BOOLEAN NOT NULL,
		max_uses INTEGER NOT NULL,
		active BOOLEAN NOT NULL,
		expires_at BIGINT NOT NULL,
		metadata TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE INDEX links_merchant_created ON links (merchant_id, created_at, id);
	ALTER TABLE checkouts ADD COLUMN link_id TEXT NOT NULL DEFAULT '';
	CREATE INDEX checkouts_link_paid ON checkouts (link_id) WHERE link_id <> '' AND status = 'paid';`,
	`-- origins that may frame a merchant's checkouts
	ALTER TABLE merchants ADD COLUMN embed_origins TEXT NOT NULL DEFAULT '[]';`,
	`-- dashboard users
	CREATE TABLE users (
		id TEXT PRIMARY KEY,
		merchant_id TEXT NOT NULL REFERENCES merchants(id),
		email TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		role TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
		created_at BIGINT NOT NULL,
		password_changed_at BIGINT NOT NULL
	);
	CREATE UNIQUE INDEX users_email ON users (lower(email));
	CREATE INDEX payments_merchant_approved ON payments (merchant_id, approved_at);
	CREATE INDEX refunds_merchant_created ON refunds (merchant_id, created_at);`,
	`-- shared secrets and failed sign-in counts
	CREATE TABLE secrets (
		name TEXT PRIMARY KEY,
		value BYTEA NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE TABLE login_failures (
		key TEXT PRIMARY KEY,
		count INTEGER NOT NULL,
		last_at BIGINT NOT NULL
	);`,
	// Several API keys per merchant. Each merchant's one key moves here unchanged, so it keeps
	// working (its last four characters are not known). merchants.api_key_prefix and
	// api_key_hash stay, as SQLite cannot drop a UNIQUE column without rebuilding the table (and
	// PostgreSQL's schema is the same), but nothing reads them any more: a new merchant fills
	// them with its id and no hash.
	`-- several API keys per merchant
	CREATE TABLE api_keys (
		id TEXT PRIMARY KEY,
		merchant_id TEXT NOT NULL REFERENCES merchants(id),
		prefix TEXT NOT NULL,
		hash BYTEA NOT NULL,
		last4 TEXT NOT NULL,
		label TEXT NOT NULL,
		create_token TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		last_used_at BIGINT,
		revoked_at BIGINT
	);
	CREATE UNIQUE INDEX api_keys_prefix ON api_keys (prefix);
	CREATE INDEX api_keys_merchant ON api_keys (merchant_id, created_at);
	CREATE UNIQUE INDEX api_keys_create_token ON api_keys (merchant_id, create_token) WHERE create_token <> '';
	INSERT INTO api_keys (id, merchant_id, prefix, hash, last4, label, create_token, created_at)
		SELECT 'key_' || {random key id}, id, api_key_prefix, api_key_hash, '', '', '', created_at FROM merchants;`,
	// Leases: named work (an approve under way, a reconciliation, a deactivation) held by one
	// instance until it gives it up or the lease lapses, so that several instances over one
	// database do it once, and one that dies loses it to another.
	`-- leases on work that one instance does at a time
	CREATE TABLE leases (
		name TEXT PRIMARY KEY,
		holder TEXT NOT NULL,
		expires_at BIGINT NOT NULL
	);`,
	// Approvals whose outcome is unknown, and approvals that are not their checkout's payment:
	// approve_sent_at is when the one approve call of an attempt's claim was sent (a tid is never
	// approved twice); void_status is 'pending' for an approval KakaoPay made that must be
	// canceled there (a second tid of a paid checkout, or a checkout that ended), then 'voided'.
	`-- approvals whose outcome is unknown, and approvals to cancel at KakaoPay
	ALTER TABLE attempts ADD COLUMN approve_sent_at BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE attempts ADD COLUMN void_status TEXT NOT NULL DEFAULT '';
	CREATE INDEX attempts_voiding ON attempts (created_at) WHERE void_status = 'pending';
	CREATE INDEX attempts_unconfirmed ON attempts (updated_at) WHERE failure_code = 'APPROVE_UNCONFIRMED';`,
	// Webhook lanes: a claim takes each endpoint's next due deliveries in order (lane) and counts
	// the deliveries held now (held), without reading every pending one.
	`-- webhook lanes: each endpoint's next due deliveries, and those held now
	CREATE INDEX webhook_deliveries_lane ON webhook_deliveries (endpoint_id, next_attempt_at, seq) WHERE status = 'pending';
	CREATE INDEX webhook_deliveries_held ON webhook_deliveries (locked_until) WHERE status = 'pending';`,
	// Dashboard sessions, one row per sign-in: the cookie carries a token whose hash is the id,
	// so that signing out, a password change or a removed user ends every copy of the cookie on
	// every instance. Ended rows are deleted by the reconciler. user_id has no foreign key: a
	// removal deletes the user's sessions itself, and a session whose user is gone is refused.
	`-- dashboard sessions, one row per sign-in
	CREATE TABLE sessions (
		id TEXT PRIMARY KEY,
		user_id TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		seen_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL
	);
	CREATE INDEX sessions_user ON sessions (user_id);`,
	// A user belongs to one merchant: an e-mail is unique among a merchant's users, and the same
	// person may have an account, with its own password, at several merchants (a sign-in looks
	// them all up by e-mail). Ids do not change.
	`-- e-mails unique per merchant: one person may have accounts at several
	DROP INDEX users_email;
	CREATE UNIQUE INDEX users_merchant_email ON users (merchant_id, lower(email));
	CREATE INDEX users_by_email ON users (lower(email));`,
	// A link's cap is checked against all its checkouts (paid, or open with an approval being
	// confirmed) before each approval: found by the link, not by a scan of every checkout.
	`-- a link's checkouts, for its cap at each approval
	CREATE INDEX checkouts_link ON checkouts (link_id) WHERE link_id <> '';`,
	// Retention: the periodic pass finds old Idempotency-Keys, ended deliveries and old events by
	// their age, a batch at a time, without scanning the tables.
	`-- retention: old Idempotency-Keys, ended deliveries and old events by their age
	CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
	CREATE INDEX webhook_deliveries_ended ON webhook_deliveries (updated_at, seq) WHERE status <> 'pending';
	CREATE INDEX events_created ON events (created_at);`,
	// Followers of a merchant's events (kpcheckout listen) read them in the order of the
	// transactions that wrote them.
	`-- events in the order of their transactions, for followers
	{commit order}`,
}

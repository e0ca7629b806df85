// Package store defines kpcheckout's persistent records and the interface a database backend
// implements, Store: store/sqlite (one process) and store/postgres (several instances), over the
// SQL they share in store/sqlstore; store/storetest is the conformance suite both pass. Its reads
// (Reader) and a transaction's writes (Tx) are made of one interface per aggregate (checkouts,
// payments, accounts, links, webhooks, Idempotency-Keys, leases), so that code using one
// aggregate can say so.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a row does not exist; never nil, nil.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a unique constraint refuses a write (a reused pg_token, a second
// payment for one checkout).
var ErrConflict = errors.New("store: conflict")

// ErrUnavailable is returned when the database cannot be reached or used for now: PostgreSQL
// restarting, refusing connections or out of them; the SQLite file deleted or replaced under the
// running server, or its lock held past the busy timeout. The request may succeed if retried
// later; it is not a fault of the request nor of the code.
var ErrUnavailable = errors.New("store: database unavailable")

// Store is a database holding every kpcheckout record.
type Store interface {
	Reader
	// Transact runs fn in one write transaction: it commits when fn returns nil and rolls back
	// on an error or a panic. A state change and its event row always go through one Transact.
	// Transactions behave as if run one at a time; a backend may run fn again when the database
	// refuses it for a concurrent one (PostgreSQL's serialization failures), so fn only reads and
	// writes through its Tx and sets its own results.
	Transact(ctx context.Context, fn func(Tx) error) error
	// View runs fn over one consistent snapshot of the database: what several reads see was all
	// committed together (a checkout and its attempts, never one before a commit and the other
	// after it).
	View(ctx context.Context, fn func(Reader) error) error
	// Ping tells whether the database answers and its migrations are current.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Broadcaster is a Store that several instances share and that tells each of them which
// checkouts the others changed: every Transact that writes a checkout, its attempts, its payment
// or agreement, or one of its events announces the checkout when it commits. store/postgres is
// one; SQLite, on one host, needs none.
type Broadcaster interface {
	// Listen holds a connection of its own, calls ready once it hears every later commit, then
	// changed with the id of each checkout another instance changed, until ctx ends (it returns
	// nil) or the connection fails (an error: call it again). What committed while it was not
	// listening is not told: ready is where the caller re-reads what it waits on.
	Listen(ctx context.Context, ready func(), changed func(checkoutID string)) error
}

// Reader holds the queries that read, one interface per aggregate; a service that reads one
// aggregate only may ask for its part.
type Reader interface {
	CheckoutReader
	PaymentReader
	AccountReader
	LinkReader
	WebhookReader
	IdempotencyReader
	LeaseReader
}

// CheckoutReader reads checkouts and their KakaoPay attempts.
type CheckoutReader interface {
	Checkout(ctx context.Context, id string) (*Checkout, error)
	ListCheckouts(ctx context.Context, p ListCheckouts) ([]*Checkout, error)
	// DueCheckouts lists open checkouts whose expires_at has come, oldest first, but for those an
	// approval being confirmed holds (a live attempt with a pg_token).
	DueCheckouts(ctx context.Context, now time.Time, limit int) ([]string, error)
	Attempt(ctx context.Context, id string) (*Attempt, error)
	AttemptsByCheckout(ctx context.Context, checkoutID string) ([]*Attempt, error)
	// LiveAttempts lists ready or authenticating attempts made before, oldest first.
	LiveAttempts(ctx context.Context, before time.Time, limit int) ([]*Attempt, error)
	// StrayApprovals lists attempts whose approval must be canceled at KakaoPay (VoidStatus
	// "pending"), oldest first.
	StrayApprovals(ctx context.Context, limit int) ([]*Attempt, error)
	// UnconfirmedApprovals lists attempts that ended failed with APPROVE_UNCONFIRMED (KakaoPay
	// never said what came of their approve call) at or after since, oldest first.
	UnconfirmedApprovals(ctx context.Context, since time.Time, limit int) ([]*Attempt, error)
	// DailyTotals are a merchant's numbers for each day from the day of from to the day of to,
	// days counted in loc, oldest first, a row for every day.
	DailyTotals(ctx context.Context, merchantID string, from, to time.Time, loc *time.Location) ([]DayTotals, error)
}

// PaymentReader reads payments, refunds, agreements and their charges.
type PaymentReader interface {
	PaymentByCheckout(ctx context.Context, checkoutID string) (*Payment, error)
	Payment(ctx context.Context, id string) (*Payment, error)
	Refund(ctx context.Context, id string) (*Refund, error)
	RefundsByPayment(ctx context.Context, paymentID string) ([]*Refund, error)
	// PaymentsBetween lists a merchant's payments approved from from to before to, newest first:
	// the payments DailyTotals adds up.
	PaymentsBetween(ctx context.Context, merchantID string, from, to time.Time, limit int) ([]*Payment, error)
	// RefundsBetween lists a merchant's succeeded refunds asked for from from to before to,
	// newest first: the refunds DailyTotals adds up.
	RefundsBetween(ctx context.Context, merchantID string, from, to time.Time, limit int) ([]*Refund, error)
	// PendingRefunds lists refunds whose KakaoPay outcome is not known yet, oldest first.
	PendingRefunds(ctx context.Context, limit int) ([]*Refund, error)
	Agreement(ctx context.Context, id string) (*Agreement, error)
	AgreementByCheckout(ctx context.Context, checkoutID string) (*Agreement, error)
	// ListAgreements lists a merchant's agreements, newest first.
	ListAgreements(ctx context.Context, p ListAgreements) ([]*Agreement, error)
	Charge(ctx context.Context, id string) (*Charge, error)
	ChargeByPayment(ctx context.Context, paymentID string) (*Charge, error)
	ListCharges(ctx context.Context, p ListCharges) ([]*Charge, error)
	// PendingCharges lists charges still pending that were made before a time, oldest first.
	PendingCharges(ctx context.Context, before time.Time, limit int) ([]*Charge, error)
	// DeactivatingAgreements lists active agreements whose deactivation was asked of KakaoPay
	// before a time and is not confirmed yet, oldest first.
	DeactivatingAgreements(ctx context.Context, before time.Time, limit int) ([]*Agreement, error)
}

// AccountReader reads merchants, their dashboard users, sessions, API keys and shared secrets.
type AccountReader interface {
	Merchant(ctx context.Context, id string) (*Merchant, error)
	MerchantByName(ctx context.Context, name string) (*Merchant, error)
	// MerchantIDsByName lists the ids of the merchants with that display name, oldest first.
	MerchantIDsByName(ctx context.Context, name string) ([]string, error)
	APIKey(ctx context.Context, id string) (*APIKey, error)
	// APIKeyByPrefix finds a key, revoked or not, by the first characters of its secret.
	APIKeyByPrefix(ctx context.Context, prefix string) (*APIKey, error)
	// APIKeys lists a merchant's keys, revoked ones too, newest first.
	APIKeys(ctx context.Context, merchantID string) ([]*APIKey, error)
	User(ctx context.Context, id string) (*User, error)
	// Session reads a dashboard session by id, ended or not.
	Session(ctx context.Context, id string) (*Session, error)
	// Secret reads a named secret the instances share (the session key); ErrNotFound when none.
	Secret(ctx context.Context, name string) ([]byte, error)
	// LoginFailures reads the failed sign-ins counted against key; zero when there are none.
	LoginFailures(ctx context.Context, key string) (LoginFailures, error)
	// UsersByEmail lists the users with an e-mail, whatever its case, at every merchant,
	// oldest first; none is no error.
	UsersByEmail(ctx context.Context, email string) ([]*User, error)
	// Users lists a merchant's dashboard users, oldest first.
	Users(ctx context.Context, merchantID string) ([]*User, error)
}

// LinkReader reads payment links.
type LinkReader interface {
	Link(ctx context.Context, id string) (*Link, error)
	LinkBySlug(ctx context.Context, slug string) (*Link, error)
	// Links lists a merchant's links, newest first.
	Links(ctx context.Context, merchantID string, limit int) ([]*Link, error)
	// LinkPaidCount counts the paid checkouts opened from a link.
	LinkPaidCount(ctx context.Context, linkID string) (int, error)
	// LinkUses counts the checkouts opened from a link, but for exceptCheckoutID, that are paid
	// or whose approval is being confirmed (a live attempt with a pg_token): what a link's cap
	// is checked against before its next approval.
	LinkUses(ctx context.Context, linkID, exceptCheckoutID string) (int, error)
}

// WebhookReader reads events, webhook endpoints and their deliveries.
type WebhookReader interface {
	Events(ctx context.Context, p ListEvents) ([]*Event, error)
	Event(ctx context.Context, id string) (*Event, error)
	WebhookEndpoint(ctx context.Context, id string) (*WebhookEndpoint, error)
	// WebhookEndpoints lists a merchant's endpoints, oldest first.
	WebhookEndpoints(ctx context.Context, merchantID string) ([]*WebhookEndpoint, error)
	// DeliveriesByEvent lists an event's deliveries, oldest first.
	DeliveriesByEvent(ctx context.Context, eventID string) ([]*Delivery, error)
	// DeliveriesByEndpoint lists an endpoint's latest deliveries, newest first, at most limit.
	DeliveriesByEndpoint(ctx context.Context, endpointID string, limit int) ([]*Delivery, error)
	// DeliveryAttempts lists a delivery's tries, first first.
	DeliveryAttempts(ctx context.Context, deliveryID string) ([]*DeliveryAttempt, error)
	// LastDeliverySuccess is when an endpoint last took a delivery; zero when never.
	LastDeliverySuccess(ctx context.Context, endpointID string) (time.Time, error)
}

// IdempotencyReader reads Idempotency-Key reservations.
type IdempotencyReader interface {
	IdempotencyKey(ctx context.Context, merchantID, key string) (*IdempotencyKey, error)
}

// LeaseReader reads leases, which let one instance do a piece of work.
type LeaseReader interface {
	// Lease reads a named lease, lapsed or not; ErrNotFound when nobody holds or held it.
	Lease(ctx context.Context, name string) (*Lease, error)
}

// Tx is one write transaction: every read, and the writes of each aggregate.
type Tx interface {
	Reader
	CheckoutWriter
	PaymentWriter
	AccountWriter
	LinkWriter
	WebhookWriter
	IdempotencyWriter
	LeaseWriter
}

// CheckoutWriter writes, in a transaction, checkouts and attempts.
type CheckoutWriter interface {
	// LockCheckout reads a checkout and holds it against concurrent writers until the
	// transaction ends.
	LockCheckout(ctx context.Context, id string) (*Checkout, error)
	CreateCheckout(ctx context.Context, c *Checkout) error
	UpdateCheckout(ctx context.Context, c *Checkout) error
	CreateAttempt(ctx context.Context, a *Attempt) error
	UpdateAttempt(ctx context.Context, a *Attempt) error
}

// PaymentWriter writes, in a transaction, payments, refunds, agreements and charges.
type PaymentWriter interface {
	CreatePayment(ctx context.Context, p *Payment) error
	// LockPayment reads a payment and holds it against concurrent writers.
	LockPayment(ctx context.Context, id string) (*Payment, error)
	UpdatePayment(ctx context.Context, p *Payment) error
	CreateRefund(ctx context.Context, r *Refund) error
	UpdateRefund(ctx context.Context, r *Refund) error
	CreateAgreement(ctx context.Context, a *Agreement) error
	UpdateAgreement(ctx context.Context, a *Agreement) error
	CreateCharge(ctx context.Context, c *Charge) error
	UpdateCharge(ctx context.Context, c *Charge) error
}

// AccountWriter writes, in a transaction, merchants, users, sessions, API keys, secrets and
// sign-in failures.
type AccountWriter interface {
	CreateMerchant(ctx context.Context, m *Merchant) error
	// CreateSecret stores a named secret; ErrConflict when the name has one.
	CreateSecret(ctx context.Context, name string, value []byte) error
	// PutLoginFailures sets the failed sign-ins counted against key; a zero count forgets it.
	PutLoginFailures(ctx context.Context, key string, f LoginFailures) error
	// ForgetLoginFailures deletes the counts whose last failure was before before; it answers
	// how many.
	ForgetLoginFailures(ctx context.Context, before time.Time) (int, error)
	// CreateUser inserts a dashboard user; ErrConflict when its merchant has a user with its
	// e-mail, whatever its case.
	CreateUser(ctx context.Context, u *User) error
	// LockUsers lists a merchant's users, oldest first, and holds them against concurrent
	// writers until the transaction ends: the rule that a merchant keeps an owner is checked on it.
	LockUsers(ctx context.Context, merchantID string) ([]*User, error)
	// UpdateUser writes a user's password hash, password_changed_at and role; ErrNotFound when
	// it is gone.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser removes a dashboard user; ErrNotFound when it is gone.
	DeleteUser(ctx context.Context, id string) error
	// CreateSession inserts a dashboard session; ErrConflict when its id is taken.
	CreateSession(ctx context.Context, s *Session) error
	// TouchSession records a request of a session at at, unless its SeenAt is already at or
	// after notBefore: a busy session is written at most once per interval.
	TouchSession(ctx context.Context, id string, at, notBefore time.Time) error
	// DeleteSession ends a session; one already gone is no error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions ends every session of a user and answers how many there were.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// DropEndedSessions deletes the sessions that expired at or before now or were last seen
	// before idleSince, and answers how many.
	DropEndedSessions(ctx context.Context, now, idleSince time.Time) (int, error)
	// UpdateMerchantEmbedOrigins replaces the origins that may frame a merchant's checkouts.
	UpdateMerchantEmbedOrigins(ctx context.Context, m *Merchant) error
	// CreateAPIKey inserts a merchant's API key; ErrConflict when its prefix, or its
	// CreateToken for that merchant, is taken.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// RevokeAPIKey marks a key revoked at at; a key already revoked keeps its first time.
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
	// TouchAPIKey records that a key was used at at, unless its last use is already at or
	// after notBefore: busy keys are written at most once per interval.
	TouchAPIKey(ctx context.Context, id string, at, notBefore time.Time) error
	// UpdateMerchantSettings writes a merchant's display name and amount limits.
	UpdateMerchantSettings(ctx context.Context, m *Merchant) error
}

// LinkWriter writes, in a transaction, payment links.
type LinkWriter interface {
	CreateLink(ctx context.Context, l *Link) error
	// UpdateLink writes a link's active flag and updated_at.
	UpdateLink(ctx context.Context, l *Link) error
}

// WebhookWriter writes, in a transaction, events (each with its outbox deliveries), webhook
// endpoints and deliveries.
type WebhookWriter interface {
	// CreateEvent inserts an event and, in the same transaction, a pending delivery of it to
	// each endpoint of its merchant whose enabled_events match its type (the outbox), disabled
	// ones too: theirs wait until they are enabled again. A ping is delivered only where it is
	// sent (EnqueueDelivery).
	CreateEvent(ctx context.Context, e *Event) error
	// EnqueueDelivery adds a delivery of an event to one endpoint (a redelivery, a ping).
	EnqueueDelivery(ctx context.Context, d *Delivery) error
	// ClaimDeliveries holds, until now+lease, up to limit pending deliveries whose time has come
	// and that no worker holds, each the oldest pending one of its checkout for its endpoint,
	// none to a disabled endpoint but pings. It takes at most perEndpoint to an endpoint,
	// counting those any worker holds already, and each endpoint's next before any's second: an
	// endpoint that hangs holds only its own few.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit, perEndpoint int) ([]*Delivery, error)
	// ExpireWaitingDeliveries ends failed the pending deliveries to disabled endpoints that are
	// retryFor old at now and held by no worker, each with a try at now whose error is
	// ExpiredWhileDisabled, and answers how many.
	ExpireWaitingDeliveries(ctx context.Context, now time.Time, retryFor time.Duration) (int, error)
	// RecordDeliveryAttempt stores a try and the delivery as it is after it.
	RecordDeliveryAttempt(ctx context.Context, d *Delivery, a *DeliveryAttempt) error
	CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error
	UpdateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error
	// DeleteWebhookEndpoint removes an endpoint; its pending deliveries end failed.
	DeleteWebhookEndpoint(ctx context.Context, id string) error
	// PruneDeliveries deletes up to limit deliveries that ended (succeeded or failed) before
	// before, oldest first, with their tries, and answers how many deliveries. Pending ones stay.
	PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneEvents deletes up to limit events created before before that no delivery names (a
	// pending one, or one that ended since before), oldest first, and answers how many.
	PruneEvents(ctx context.Context, before time.Time, limit int) (int, error)
}

// IdempotencyWriter writes, in a transaction, Idempotency-Key reservations.
type IdempotencyWriter interface {
	CreateIdempotencyKey(ctx context.Context, k *IdempotencyKey) error
	// UpdateIdempotencyKey replaces a key's row (a reservation taking over an abandoned one).
	UpdateIdempotencyKey(ctx context.Context, k *IdempotencyKey) error
	// BindIdempotencyKey binds the reservation k.Owner holds to k.ObjectType and k.ObjectID;
	// ErrConflict when another request holds it now.
	BindIdempotencyKey(ctx context.Context, k *IdempotencyKey) error
	// CompleteIdempotencyKey stores the answer of the reservation k.Owner holds; ErrConflict
	// when another request holds it now.
	CompleteIdempotencyKey(ctx context.Context, k *IdempotencyKey) error
	// ReleaseIdempotencyKey forgets the reservation owner holds, unless it is bound to an
	// object: a request that may have reached KakaoPay never frees its key.
	ReleaseIdempotencyKey(ctx context.Context, merchantID, key, owner string) error
	// PruneIdempotencyKeys deletes up to limit Idempotency-Keys created before before, oldest
	// first, and answers how many. A key bound to a money object whose outcome is still open
	// stays, so that a retry with it never acts twice: a pending refund (ObjectType "refund"),
	// a pending or unknown charge ("charge"), an agreement whose deactivation KakaoPay has not
	// confirmed ("agreement"), a ready or authenticating attempt ("attempt").
	PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error)
}

// LeaseWriter writes, in a transaction, leases.
type LeaseWriter interface {
	// TakeLease gives l.Name to l.Holder until l.ExpiresAt when nobody holds it, its lease
	// lapsed by now, or l.Holder holds it already (which renews it); it reports whether
	// l.Holder holds it now.
	TakeLease(ctx context.Context, l *Lease, now time.Time) (bool, error)
	// ReleaseLease gives up holder's lease of name; another holder's is left as it is.
	ReleaseLease(ctx context.Context, name, holder string) error
	// DropLapsedLeases forgets the leases lapsed before before (left by instances that died)
	// and answers how many.
	DropLapsedLeases(ctx context.Context, before time.Time) (int, error)
}

// ListCheckouts selects a merchant's checkouts, newest first.
type ListCheckouts struct {
	MerchantID    string
	Status        string    // empty: any
	Search        string    // empty: any; else a checkout id, a reference starting so, or a customer e-mail
	CreatedFrom   time.Time // zero: any; else created at or after it
	CreatedBefore time.Time // zero: any; else created before it
	StartingAfter string    // a checkout id: only older ones
	Limit         int
}

// ListCharges selects a merchant's charges, newest first.
type ListCharges struct {
	MerchantID    string
	Status        string // empty: any
	AgreementID   string // empty: any
	StartingAfter string
	Limit         int
}

// ListAgreements selects a merchant's agreements, newest first.
type ListAgreements struct {
	MerchantID    string
	Status        string // empty: any
	StartingAfter string // an agreement id: only older ones
	Limit         int
}

// ListEvents selects a merchant's events, newest first.
type ListEvents struct {
	MerchantID    string
	Type          string // empty: any
	CheckoutID    string // empty: any
	StartingAfter string
	Limit         int
	// Forward lists instead the events that follow After (every event when After is empty),
	// oldest first, in an order that a later commit never enters before an event already
	// listed: a follower that lists forward from the last event it got misses none.
	Forward bool
	After   string
}

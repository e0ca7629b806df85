package store

import "time"

// Merchant is a shop that takes payments through kpcheckout.
type Merchant struct {
	ID              string
	Name            string
	Livemode        bool
	WebhookURL      string
	WebhookSecret   string
	CID             string
	SubscriptionCID string
	MinAmount       int64
	MaxAmount       int64
	CreatedAt       time.Time
	// EmbedOrigins are the origins ("https://shop.example") whose pages may frame the merchant's
	// checkouts (/c/{id}?embed=1); none may when empty.
	EmbedOrigins []string
}

// Checkout is one order a shopper pays on the hosted page.
type Checkout struct {
	ID            string
	MerchantID    string
	Mode          string
	Status        string
	Amount        int64
	TaxFreeAmount int64
	Currency      string
	Reference     string
	Description   string
	Items         []Item
	CustomerName  string
	CustomerEmail string
	SuccessURL    string
	FailureURL    string
	Locale        string
	Metadata      map[string]string
	ExpiresAt     time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	LinkID        string // the payment link a shopper opened it from, or ""
}

// Link is a payment link: a public URL (/l/{slug}) whose pay button opens a fresh checkout.
type Link struct {
	ID          string
	Slug        string // the public URL's last part; not derived from ID
	MerchantID  string
	Amount      int64
	Items       []Item
	Description string
	SuccessURL  string
	FailureURL  string
	Reusable    bool // false: it stops after one paid checkout
	MaxUses     int  // paid checkouts it allows; 0: no limit
	Active      bool
	ExpiresAt   time.Time // zero: never
	Metadata    map[string]string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Item is one line of a checkout.
type Item struct {
	Name      string
	Quantity  int64
	UnitPrice int64
}

// Attempt is one KakaoPay ready call for a checkout, and what came of it.
type Attempt struct {
	ID               string
	CheckoutID       string
	TID              string
	Status           string
	Device           string
	PCURL            string
	MobileURL        string
	AppURL           string
	AndroidAppScheme string
	IOSAppScheme     string
	PGToken          string // set once, when the approve return claims the attempt
	ReturnedPGToken  string // the token of an approve return seen while KakaoPay could not be asked; the reconciler confirms it
	SID              string // a subscription's sid from the approve answer, kept before the payment is recorded
	AID              string
	Method           string
	FailureCode      string
	FailureMessage   string
	ExpiresAt        time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// ApproveSentAt is when KakaoPay's approve was called for the claim (PGToken); zero when it
	// was not. Once sent, only KakaoPay's order API settles the claim: a tid is approved once.
	ApproveSentAt time.Time
	// VoidStatus is "" for an approval that is its checkout's payment (or none); "pending" for
	// one KakaoPay made that is not (a second tid of a paid checkout, or a checkout that ended),
	// to be canceled at KakaoPay; "voided" once it is.
	VoidStatus string
}

// Payment is money KakaoPay approved: the approved attempt of a paid checkout, or a charge of
// a recurring agreement.
type Payment struct {
	ID             string
	CheckoutID     string // "" for a charge
	AttemptID      string // "" for a charge
	AgreementID    string // the agreement a charge was made on, or that the checkout set up
	MerchantID     string
	CID            string // the KakaoPay CID it was paid with, for refunds
	Amount         int64
	TaxFreeAmount  int64
	RefundedAmount int64
	Method         string
	TID            string
	AID            string
	ApprovedAt     time.Time
	CreatedAt      time.Time
}

// Event is one entry of the timeline; the source of webhooks.
type Event struct {
	ID         string
	MerchantID string
	Type       string
	CheckoutID string
	ObjectID   string
	Data       []byte // JSON
	CreatedAt  time.Time
}

// IdempotencyKey remembers the first answer to a POST made with an Idempotency-Key. A zero
// StatusCode is a reservation: the first request is still running, or it ended before its
// answer was known; a reservation bound to an object (ObjectID) answers from that object.
type IdempotencyKey struct {
	MerchantID  string
	Key         string
	RequestHash string
	StatusCode  int
	Body        []byte
	Owner       string // the request holding the reservation; only it may bind, complete or release it
	ObjectType  string // "refund", "charge", "agreement" (a deactivation): what the request made KakaoPay act on, bound before it was called
	ObjectID    string
	CreatedAt   time.Time
}

// Refund is one KakaoPay cancel of part or all of a payment.
type Refund struct {
	ID             string
	PaymentID      string
	MerchantID     string
	Amount         int64
	TaxFreeAmount  int64
	Reason         string
	Status         string // pending, succeeded, failed
	FailureCode    string
	FailureMessage string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Agreement is a shopper's consent to recurring payments: KakaoPay's sid.
type Agreement struct {
	ID            string
	MerchantID    string
	CheckoutID    string
	CID           string
	SID           string
	PartnerUserID string
	Status        string // active, inactive
	// DeactivateRequestedAt is when KakaoPay was asked to end the sid; zero when not asked, or
	// when KakaoPay refused. The reconciler finishes a deactivation whose answer was lost.
	DeactivateRequestedAt time.Time
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// Charge is a payment made on an agreement with no shopper present.
type Charge struct {
	ID             string
	AgreementID    string
	MerchantID     string
	Amount         int64
	Reference      string
	Status         string // pending, succeeded, failed, unknown
	PaymentID      string
	FailureCode    string
	FailureMessage string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// WebhookEndpoint is a URL of a merchant's that receives its events.
type WebhookEndpoint struct {
	ID            string
	MerchantID    string
	URL           string
	Description   string
	EnabledEvents []string // event types, or "*" for every one
	Disabled      bool
	Secret        string // whsec_…, signs every delivery
	// PreviousSecret still signs deliveries, beside Secret, until PreviousSecretExpiresAt: a
	// rotation's overlap.
	PreviousSecret          string
	PreviousSecretExpiresAt time.Time
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// Delivery is one event to POST to one endpoint: the outbox row, written in the transaction of
// the state change whose event it carries.
type Delivery struct {
	ID            string
	Seq           int64 // the outbox's order; a checkout's deliveries to an endpoint go in it
	EventID       string
	EndpointID    string
	MerchantID    string
	CheckoutID    string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LockedUntil   time.Time // a worker holds it until then
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ExpiredWhileDisabled is the error of the try that ends a delivery whose retry window passed
// while its endpoint was disabled (Tx.ExpireWaitingDeliveries).
const ExpiredWhileDisabled = "expired while the endpoint was disabled"

// DeliveryAttempt is one POST of a delivery and what came of it.
type DeliveryAttempt struct {
	DeliveryID string
	N          int    // 1 for the first try
	StatusCode int    // 0 when no answer came
	Error      string // a connection error, a timeout, a refused address
	Excerpt    string // the start of the answer's body (at most 1 KB)
	Latency    time.Duration
	At         time.Time
}

// APIKey is one of a merchant's secret API keys; a merchant may have several. The key itself
// is never stored.
type APIKey struct {
	ID          string
	MerchantID  string
	Prefix      string // the key's first characters, to find the row
	Hash        []byte // SHA-256 of the whole key, compared in constant time
	Last4       string // the key's last four characters, to tell keys apart; "" for a key made before keys had rows of their own
	Label       string // the owner's name for it, or ""
	CreateToken string // the dashboard form's one-time token that made it, so that a resent form makes no second key; "" otherwise
	CreatedAt   time.Time
	LastUsedAt  time.Time // zero: never used
	RevokedAt   time.Time // zero: active
}

// User is a person who signs in to a merchant's dashboard.
type User struct {
	ID                string
	MerchantID        string
	Email             string // unique among its merchant's users, compared case-insensitively
	PasswordHash      string // argon2id, in the $argon2id$v=19$m=…,t=…,p=…$salt$hash form
	Role              string // owner or staff
	CreatedAt         time.Time
	PasswordChangedAt time.Time
}

// Session is a signed-in dashboard session. Every copy of its cookie works until the row is
// gone: signing out, a password change or the user's removal deletes it on every instance.
type Session struct {
	ID        string // the SHA-256 of the token the cookie carries, in hex: a copy of the database signs nobody in
	UserID    string
	CreatedAt time.Time // when the user signed in
	SeenAt    time.Time // the latest request, written at most about once a minute
	ExpiresAt time.Time // the end however busy the session is
}

// LoginFailures counts the failed dashboard sign-ins of one account or one client address.
type LoginFailures struct {
	Count int
	Last  time.Time // the latest failure
}

// DayTotals are one day's numbers of a merchant, for the dashboard.
type DayTotals struct {
	Day            time.Time // midnight, in the location asked for
	Opened         int       // checkouts created that day
	Paid           int       // payments approved that day
	PaidAmount     int64
	RefundedAmount int64 // refunds that succeeded, by the day they were asked
}

// Lease is a named piece of work one instance holds until it gives it up or ExpiresAt passes:
// an instance that dies holding it loses it then, and another takes the work over.
type Lease struct {
	Name      string // the work, e.g. "approve:att_…"
	Holder    string // the instance holding it
	ExpiresAt time.Time
}

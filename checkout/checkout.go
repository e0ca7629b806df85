// Package checkout is kpcheckout's domain: checkouts, KakaoPay attempts and payments, the KRW
// amount rules, the state machine, and the service that runs each flow over the store and
// KakaoPay. It knows nothing of HTTP.
package checkout

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/locales"
	"github.com/kpcheckout/kpcheckout/store"
)

// Checkout modes.
const (
	ModePayment      = "payment"
	ModeSubscription = "subscription"
)

// Device kinds an attempt is made for.
const (
	DeviceDesktop = "desktop"
	DeviceMobile  = "mobile"
)

// KakaoPay is the part of KakaoPay's API the service calls: the real one or the sandbox peer,
// both through kakaopay.Client.
type KakaoPay interface {
	Ready(ctx context.Context, req kakaopay.ReadyRequest) (*kakaopay.ReadyResponse, error)
	Approve(ctx context.Context, req kakaopay.ApproveRequest) (*kakaopay.ApproveResponse, error)
	Order(ctx context.Context, req kakaopay.OrderRequest) (*kakaopay.OrderResponse, error)
	Cancel(ctx context.Context, req kakaopay.CancelRequest) (*kakaopay.CancelResponse, error)
	Subscription(ctx context.Context, req kakaopay.SubscriptionRequest) (*kakaopay.ApproveResponse, error)
	Inactive(ctx context.Context, req kakaopay.SIDRequest) (*kakaopay.SubscriptionStatusResponse, error)
	SubscriptionStatus(ctx context.Context, req kakaopay.SIDRequest) (*kakaopay.SubscriptionStatusResponse, error)
}

// Config holds what a Service needs.
type Config struct {
	Store    store.Store
	KakaoPay KakaoPay
	// ReturnURL builds the URL KakaoPay returns a shopper to after an attempt: kind is
	// "approve", "cancel" or "fail". The routes are the HTTP layer's (handlers/web.ReturnURL).
	ReturnURL func(checkoutID, attemptID, kind string) string
	// Bundle holds the messages of what the service words itself (the item name KakaoPay shows);
	// locales.Bundle() when nil.
	Bundle *i18n.Bundle
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// AttemptTTL is how long a KakaoPay tid stays payable; 15 minutes when zero.
	AttemptTTL time.Duration
	// ApproveTimeout bounds one approve call; past it the outcome is unknown and is settled
	// from KakaoPay's order API. 20 seconds when zero.
	ApproveTimeout time.Duration
	// SettleAfter is how old a refund whose KakaoPay answer was lost must be before the
	// reconciler settles it from the order API, so that it never races a call still under way
	// on another instance. 30 seconds when zero.
	SettleAfter time.Duration
	// ConfirmGrace is how long past its tid's life an attempt whose approve was called is still
	// looked up at KakaoPay before it ends as failed (APPROVE_UNCONFIRMED). 1 hour when zero.
	ConfirmGrace time.Duration
	// WebhookAllowPrivate lets every merchant's webhook endpoints be (and resolve to) addresses
	// that are not public: on a server that runs the sandbox, or whose operator allows it.
	WebhookAllowPrivate bool
	// Sandbox says the server runs against its KakaoPay sandbox (no KakaoPay secret key): embed
	// origins may then be http on a loopback host, for trying embedding on this computer. The
	// rule is the server's, whatever the merchant.
	Sandbox bool
	// OrderLookups bounds the KakaoPay order look-ups per second that the watchers of waiting
	// pages make, all together. 50 when zero.
	OrderLookups float64
	// RetainEvents is how long events, and webhook deliveries once they ended, are kept before
	// the reconciler prunes them: DefaultRetainEvents when zero, at least MinRetainEvents.
	RetainEvents time.Duration
}

// Service runs the checkout flows.
type Service struct {
	store               store.Store
	kakao               KakaoPay
	returnURL           func(checkoutID, attemptID, kind string) string
	bundle              *i18n.Bundle
	webhookAllowPrivate bool
	sandbox             bool
	log                 *slog.Logger
	now                 func() time.Time
	ttl                 time.Duration
	approveT            time.Duration
	settleAfter         time.Duration
	confirmGrace        time.Duration
	holder              string // this instance, as the holder of its leases
	notifier            *Notifier
	snaps               *snapshots
	watch               *watchers
	following           atomic.Bool // FollowChanges hears the other instances now
	polls               *throttle
	// The stripes spare this instance's requests from polling each other for a lease or a
	// pending row: the database is what serializes them across instances.
	starting  stripes // Pay per checkout (with the start lease)
	refunding stripes // refunds per payment (with the pending refund row)
	charging  stripes // charges and deactivations per agreement (with the agreement lease)
	retention retention
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.KakaoPay == nil {
		return nil, errors.New("checkout: a store and a KakaoPay client are required")
	}
	if cfg.ReturnURL == nil {
		return nil, errors.New("checkout: a return URL builder is required")
	}
	s := &Service{
		store: cfg.Store, kakao: cfg.KakaoPay, returnURL: cfg.ReturnURL, bundle: cfg.Bundle, webhookAllowPrivate: cfg.WebhookAllowPrivate, sandbox: cfg.Sandbox, log: cfg.Logger,
		now: cfg.Now, ttl: cfg.AttemptTTL, approveT: cfg.ApproveTimeout, settleAfter: cfg.SettleAfter,
		confirmGrace: cfg.ConfirmGrace,
		holder:       NewID("inst"), notifier: NewNotifier(), polls: newThrottle(),
	}
	if s.bundle == nil {
		b, err := locales.Bundle()
		if err != nil {
			return nil, err
		}
		s.bundle = b
	}
	if cfg.OrderLookups == 0 {
		cfg.OrderLookups = 50
	}
	s.watch = newWatchers(cfg.OrderLookups)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.snaps = newSnapshots(s.now)
	if s.ttl == 0 {
		s.ttl = 15 * time.Minute
	}
	if s.approveT == 0 {
		s.approveT = 20 * time.Second
	}
	if s.settleAfter == 0 {
		s.settleAfter = 30 * time.Second
	}
	if s.confirmGrace == 0 {
		s.confirmGrace = time.Hour
	}
	var err error
	if s.retention, err = newRetention(cfg.RetainEvents); err != nil {
		return nil, err
	}
	return s, nil
}

// Notifier returns the notifier that wakes status waiters.
func (s *Service) Notifier() *Notifier { return s.notifier }

// NewID returns a fresh identifier such as "cs_4KQ…": the prefix and 128 random bits in
// base32 (crypto/rand.Text).
func NewID(prefix string) string { return prefix + "_" + rand.Text() }

// event builds an event row for a state change.
func (s *Service) event(merchantID, typ, checkoutID, objectID string, data []byte, now time.Time) *store.Event {
	if data == nil {
		data = []byte("{}")
	}
	return &store.Event{ID: NewID("evt"), MerchantID: merchantID, Type: typ, CheckoutID: checkoutID,
		ObjectID: objectID, Data: data, CreatedAt: now}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

func wrapf(op string, err error) error { return fmt.Errorf("checkout: %s: %w", op, err) }

// stripes are mutexes picked by a key's hash.
type stripes [64]sync.Mutex

// lock locks key's stripe and returns its unlock.
func (st *stripes) lock(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	mu := &st[h.Sum32()%uint32(len(st))]
	mu.Lock()
	return mu.Unlock
}

// Package checkout is kpcheckout's checkout flows: checkouts and their KRW amount rules, the
// KakaoPay attempts that pay them (ready, the shopper's return, approve), the payment an approval
// records, the status the pages follow (snapshots, the notifier, the watchers), and the
// reconciliation of attempts whose outcome was lost. Its state machine (status.go) is every
// status rule of kpcheckout, those of what follows a payment (package payments) and of payment
// links too. It knows nothing of HTTP.
package checkout

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/kpcheckout/kpcheckout/domain"
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
	// PageURL builds a checkout's hosted page URL, the url its events' checkout object carries;
	// "" when nil.
	PageURL func(checkoutID string) string
	// Bundle holds the messages of what the service words itself (the item name KakaoPay shows);
	// locales.Bundle() when nil.
	Bundle *i18n.Bundle
	Logger *slog.Logger
	Clock  domain.Clock
	// AttemptTTL is how long a KakaoPay tid stays payable; 15 minutes when zero.
	AttemptTTL time.Duration
	// ApproveTimeout bounds one approve call; past it the outcome is unknown and is settled
	// from KakaoPay's order API. 20 seconds when zero.
	ApproveTimeout time.Duration
	// ConfirmGrace is how long past its tid's life an attempt whose approve was called is still
	// looked up at KakaoPay before it ends as failed (APPROVE_UNCONFIRMED). 1 hour when zero.
	ConfirmGrace time.Duration
	// OrderLookups bounds the KakaoPay order look-ups per second that the watchers of waiting
	// pages make, all together. 50 when zero.
	OrderLookups float64
}

// Service runs the checkout flows: creating checkouts, starting KakaoPay attempts, settling
// them from the shoppers' returns and KakaoPay's order API, the status the pages follow, and
// the reconciliation of what was left unsettled.
type Service struct {
	store        store.Store
	kakao        KakaoPay
	returnURL    func(checkoutID, attemptID, kind string) string
	pageURL      func(checkoutID string) string
	bundle       *i18n.Bundle
	log          *slog.Logger
	clock        domain.Clock
	ttl          time.Duration
	approveT     time.Duration
	confirmGrace time.Duration
	leases       *domain.Leases
	notifier     *Notifier
	snaps        *snapshots
	watch        *watchers
	following    atomic.Bool // FollowChanges hears the other instances now
	polls        *throttle
	starting     domain.Stripes // Pay per checkout (with the start lease)
	parked       sync.WaitGroup // the parked waits not answered yet (park.go)
	arrivals     arrivals       // and those whose first look is to come
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.KakaoPay == nil {
		return nil, errors.New("checkout: a store and a KakaoPay client are required")
	}
	if cfg.ReturnURL == nil {
		return nil, errors.New("checkout: a return URL builder is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PageURL == nil {
		cfg.PageURL = func(string) string { return "" }
	}
	s := &Service{
		store: cfg.Store, kakao: cfg.KakaoPay, returnURL: cfg.ReturnURL, pageURL: cfg.PageURL, bundle: cfg.Bundle, log: cfg.Logger,
		clock: cfg.Clock, ttl: cmp.Or(cfg.AttemptTTL, 15*time.Minute), approveT: cmp.Or(cfg.ApproveTimeout, 20*time.Second),
		confirmGrace: cmp.Or(cfg.ConfirmGrace, time.Hour),
		leases:       domain.NewLeases(cfg.Store, cfg.Clock, cfg.Logger), notifier: NewNotifier(), polls: newThrottle(),
		watch: newWatchers(cmp.Or(cfg.OrderLookups, 50)),
	}
	if s.bundle == nil {
		b, err := locales.Bundle()
		if err != nil {
			return nil, err
		}
		s.bundle = b
	}
	s.snaps = newSnapshots(s.clock.Now)
	return s, nil
}

// Notifier returns the notifier that wakes status waiters.
func (s *Service) Notifier() *Notifier { return s.notifier }

func wrapf(op string, err error) error { return fmt.Errorf("checkout: %s: %w", op, err) }

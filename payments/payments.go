// Package payments is what follows an approved payment: reading a merchant's payments, refunds
// through KakaoPay's cancel, the agreements a subscription's first payment sets up, the charges
// made on them with no shopper present and their deactivation, the dashboard's daily totals, and
// the reconciliation of the KakaoPay answers those calls lost. The statuses of refunds,
// agreements and charges are checkout's state machine (checkout/status.go). It knows nothing of
// HTTP.
package payments

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
)

// KakaoPay is the part of KakaoPay's API that payments call: cancel (refunds), the order API
// (to settle a refund whose answer was lost), and a subscription's payment, inactive and status.
type KakaoPay interface {
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
	Logger   *slog.Logger
	Clock    domain.Clock
	// ApproveTimeout bounds one KakaoPay call that moves money; past it the outcome is unknown.
	// 20 seconds when zero.
	ApproveTimeout time.Duration
	// SettleAfter is how old a refund, charge or deactivation whose KakaoPay answer was lost
	// must be before the reconciler settles it, so that it never races a call still under way
	// on another instance. 30 seconds when zero.
	SettleAfter time.Duration
}

// Service runs refunds, charges and deactivations, and reads payments and what followed them.
type Service struct {
	store       store.Store
	kakao       KakaoPay
	log         *slog.Logger
	clock       domain.Clock
	approveT    time.Duration
	settleAfter time.Duration
	leases      *domain.Leases
	refunding   domain.Stripes // refunds per payment (with the pending refund row)
	charging    domain.Stripes // charges and deactivations per agreement (with the agreement lease)
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.KakaoPay == nil {
		return nil, errors.New("payments: a store and a KakaoPay client are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: cfg.Store, kakao: cfg.KakaoPay, log: cfg.Logger, clock: cfg.Clock,
		approveT: cmp.Or(cfg.ApproveTimeout, 20*time.Second), settleAfter: cmp.Or(cfg.SettleAfter, 30*time.Second),
		leases: domain.NewLeases(cfg.Store, cfg.Clock, cfg.Logger)}, nil
}

// Reconcile settles, from KakaoPay, the money calls whose answer was lost, each exactly once:
// refunds (order API), deactivations (subscription status), and charges, which KakaoPay offers
// no look-up for (→ unknown). The server runs it periodically, on every instance, with
// checkout's: each payment and agreement is worked on under a lease, by one instance at a time.
func (s *Service) Reconcile(ctx context.Context) error {
	now := s.clock.Now()
	if err := s.reconcileRefunds(ctx, now); err != nil {
		return err
	}
	if err := s.reconcileDeactivations(ctx, now); err != nil {
		return err
	}
	return s.reconcileCharges(ctx, now)
}

// DailyTotals are a merchant's numbers for the days days up to today, days counted in loc,
// oldest first.
func (s *Service) DailyTotals(ctx context.Context, m *store.Merchant, days int, loc *time.Location) ([]store.DayTotals, error) {
	now := s.clock.Now().In(loc)
	list, err := s.store.DailyTotals(ctx, m.ID, now.AddDate(0, 0, -(days-1)), now, loc)
	if err != nil {
		return nil, wrapf("daily totals", err)
	}
	return list, nil
}

// The failure of a charge whose KakaoPay answer was lost.
const (
	codeNoAnswer    = "kakaopay_no_answer"
	messageNoAnswer = "KakaoPay's answer to the charge was lost; check it in KakaoPay's merchant admin"
)

// refused answers KakaoPay's refusal of the money call that made id, as its request did.
func refused(id, message string) *domain.Error {
	e := domain.Upstream("kakaopay_refused", message, nil)
	e.Param = id
	return e
}

func wrapf(op string, err error) error { return fmt.Errorf("payments: %s: %w", op, err) }

// optional reads what read finds by key, or nil where there is none (a checkout with no
// agreement, a payment made by no charge).
func optional[T any](ctx context.Context, what, key string, read func(context.Context, string) (*T, error)) (*T, error) {
	v, err := read(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapf(what, err)
	}
	return v, nil
}

// filtered reads one page of a list filtered by status when status is set, which parse must know
// (want words the statuses it knows, for the refusal), and whether more follow.
func filtered[S ~string, T any](op, status string, parse func(string) (S, bool), want string, limit int, read func(limit int) ([]T, error)) ([]T, bool, error) {
	if _, ok := parse(status); status != "" && !ok {
		return nil, false, domain.Invalid("status", "status_invalid", "status must be %s", want)
	}
	return page(op, limit, read)
}

// page reads one page of a list and whether more follow.
func page[T any](op string, limit int, read func(limit int) ([]T, error)) ([]T, bool, error) {
	list, more, err := domain.Page(limit, read)
	if err != nil {
		return nil, false, wrapf(op, err)
	}
	return list, more, nil
}

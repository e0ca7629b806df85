// Package app builds kpcheckout's domain services over one store and one KakaoPay client, wired
// to each other: checkouts (checkout), what follows a payment (payments), payment links (links),
// merchants and dashboard users (accounts), webhook endpoints and events (webhook), and the
// Idempotency-Keys every POST holds (domain). The server, the commands and the tests build them
// here; the HTTP handlers take them from Services.
package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/links"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// KakaoPay is what the services call of KakaoPay's API: the real one or the sandbox peer, both
// through kakaopay.Client.
type KakaoPay interface {
	checkout.KakaoPay
	payments.KakaoPay
}

// Config holds what the services need.
type Config struct {
	Store    store.Store
	KakaoPay KakaoPay
	// ReturnURL builds the URL KakaoPay returns a shopper to after an attempt: kind is
	// "approve", "cancel" or "fail". The routes are the HTTP layer's (handlers/web.ReturnURL).
	ReturnURL func(checkoutID, attemptID, kind string) string
	// PageURL builds a checkout's hosted page URL (handlers/web.PageURL), the url its events'
	// checkout object carries; "" when nil.
	PageURL func(checkoutID string) string
	// Bundle holds the messages of what the services word themselves (the item name KakaoPay
	// shows); locales.Bundle() when nil.
	Bundle *i18n.Bundle
	Logger *slog.Logger
	// Clock is the services' time; time.Now when nil.
	Clock domain.Clock
	// AttemptTTL is how long a KakaoPay tid stays payable; 15 minutes when zero.
	AttemptTTL time.Duration
	// ApproveTimeout bounds one KakaoPay call that moves money (approve, cancel, a charge); past
	// it the outcome is unknown and is settled from KakaoPay. 20 seconds when zero.
	ApproveTimeout time.Duration
	// SettleAfter is how old a refund, charge or deactivation whose KakaoPay answer was lost must
	// be before the reconciler settles it, so that it never races a call still under way on
	// another instance. 30 seconds when zero.
	SettleAfter time.Duration
	// ConfirmGrace is how long past its tid's life an attempt whose approve was called is still
	// looked up at KakaoPay before it ends as failed (APPROVE_UNCONFIRMED). 1 hour when zero.
	ConfirmGrace time.Duration
	// WebhookAllowPrivate lets every merchant's webhook endpoints be (and resolve to) addresses
	// that are not public: on a server that runs the sandbox, or whose operator allows it.
	WebhookAllowPrivate bool
	// Sandbox says the server runs against its KakaoPay sandbox (no KakaoPay secret key): embed
	// origins may then be http on a loopback host, and a test merchant's webhook endpoints http
	// on a private network. The rule is the server's, whatever the merchant.
	Sandbox bool
	// OrderLookups bounds the KakaoPay order look-ups per second that the watchers of waiting
	// pages make, all together. 50 when zero.
	OrderLookups float64
	// RetainEvents is how long events, and webhook deliveries once they ended, are kept before
	// the reconciler prunes them: domain.DefaultRetainEvents when zero, at least
	// domain.MinRetainEvents.
	RetainEvents time.Duration
}

// Services are kpcheckout's domain services over one store.
type Services struct {
	Clock       domain.Clock
	Checkouts   *checkout.Service
	Payments    *payments.Service
	Links       *links.Service
	Merchants   *accounts.Merchants
	Users       *accounts.Users
	Endpoints   *webhook.Endpoints
	Events      *webhook.Events
	Idempotency *domain.Idempotency
	Retention   *domain.Retention
}

// New returns the services of cfg.
func New(cfg Config) (*Services, error) {
	if cfg.Store == nil || cfg.KakaoPay == nil {
		return nil, errors.New("app: a store and a KakaoPay client are required")
	}
	s := &Services{Clock: cfg.Clock, Idempotency: domain.NewIdempotency(cfg.Store, cfg.Clock),
		Events: webhook.NewEvents(cfg.Store, cfg.Clock)}
	var err error
	s.Checkouts, err = checkout.New(checkout.Config{Store: cfg.Store, KakaoPay: cfg.KakaoPay, ReturnURL: cfg.ReturnURL, PageURL: cfg.PageURL,
		Bundle: cfg.Bundle, Logger: cfg.Logger, Clock: cfg.Clock, AttemptTTL: cfg.AttemptTTL, ApproveTimeout: cfg.ApproveTimeout,
		ConfirmGrace: cfg.ConfirmGrace, OrderLookups: cfg.OrderLookups})
	if err != nil {
		return nil, err
	}
	s.Payments, err = payments.New(payments.Config{Store: cfg.Store, KakaoPay: cfg.KakaoPay, Logger: cfg.Logger,
		Clock: cfg.Clock, ApproveTimeout: cfg.ApproveTimeout, SettleAfter: cfg.SettleAfter})
	if err != nil {
		return nil, err
	}
	if s.Retention, err = domain.NewRetention(cfg.Store, cfg.RetainEvents, cfg.Clock, cfg.Logger); err != nil {
		return nil, err
	}
	s.Links = links.New(cfg.Store, s.Checkouts, cfg.Clock)
	rule := webhook.URLRule{AllowPrivate: cfg.WebhookAllowPrivate, Sandbox: cfg.Sandbox}
	s.Endpoints = webhook.NewEndpoints(cfg.Store, rule, cfg.Clock)
	acfg := accounts.Config{Store: cfg.Store, Logger: cfg.Logger, Clock: cfg.Clock, Webhooks: rule, Sandbox: cfg.Sandbox}
	if s.Merchants, err = accounts.NewMerchants(acfg); err != nil {
		return nil, err
	}
	if s.Users, err = accounts.NewUsers(acfg); err != nil {
		return nil, err
	}
	return s, nil
}

// Reconcile settles with KakaoPay what was left unsettled, checkouts' and payments' (each
// service's Reconcile), forgets the dashboard's ended sessions and stale failed sign-ins, and
// prunes what is kept only for a while (Retention). The server runs it periodically on every
// instance; each part runs whatever another's error.
func (s *Services) Reconcile(ctx context.Context) error {
	return errors.Join(s.Checkouts.Reconcile(ctx), s.Payments.Reconcile(ctx), s.Users.Sweep(ctx), s.Retention.Prune(ctx))
}

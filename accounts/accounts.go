// Package accounts is who may use kpcheckout: merchants with their settings and API keys
// (Merchants), and the dashboard's users with their sign-in, sessions and roles (Users). It
// knows nothing of HTTP.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// Config holds what Merchants and Users need.
type Config struct {
	Store  store.Store
	Logger *slog.Logger
	Clock  domain.Clock
	// Webhooks is the server's rule for where webhook endpoints may be: a new merchant's first
	// endpoint (its webhook URL) is held to it.
	Webhooks webhook.URLRule
	// Sandbox says the server runs against its KakaoPay sandbox: embed origins may then be http
	// on a loopback host, for trying embedding on this computer. The rule is the server's,
	// whatever the merchant.
	Sandbox bool
}

// Merchants keeps the merchants: their creation, settings, embed origins and API keys.
type Merchants struct {
	store    store.Store
	log      *slog.Logger
	clock    domain.Clock
	webhooks webhook.URLRule
	sandbox  bool
	keys     keyCache
}

// NewMerchants returns the merchants kept in cfg.Store.
func NewMerchants(cfg Config) (*Merchants, error) {
	if cfg.Store == nil {
		return nil, errors.New("accounts: a store is required")
	}
	return &Merchants{store: cfg.Store, log: logger(cfg), clock: cfg.Clock, webhooks: cfg.Webhooks, sandbox: cfg.Sandbox}, nil
}

// Users keeps the dashboard's users: their accounts at merchants, passwords, roles, sign-in and
// sessions.
type Users struct {
	store store.Store
	log   *slog.Logger
	clock domain.Clock
}

// NewUsers returns the users kept in cfg.Store.
func NewUsers(cfg Config) (*Users, error) {
	if cfg.Store == nil {
		return nil, errors.New("accounts: a store is required")
	}
	return &Users{store: cfg.Store, log: logger(cfg), clock: cfg.Clock}, nil
}

func logger(cfg Config) *slog.Logger {
	if cfg.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return cfg.Logger
}

func wrapf(op string, err error) error { return fmt.Errorf("accounts: %s: %w", op, err) }

// all reads every record of merchant m that read lists; what names them in an error.
func all[T any](ctx context.Context, what string, m *store.Merchant, read func(context.Context, string) ([]*T, error)) ([]*T, error) {
	list, err := read(ctx, m.ID)
	if err != nil {
		return nil, wrapf(what, err)
	}
	return list, nil
}

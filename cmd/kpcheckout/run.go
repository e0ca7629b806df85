package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
)

// version is set by the build (-ldflags "-X main.version=…").
var version = "dev"

// sandboxSecretKey is what kpcheckout's own client sends to the built-in sandbox, which takes any
// key.
const sandboxSecretKey = "kpcheckout-sandbox-secret-key"

// run dispatches to a subcommand; serve is the default.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, _, err := parseConfig("serve", args, getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, newLogger(cfg, stderr))
	case "migrate":
		cfg, _, err := parseConfig("migrate", args, getenv, stderr)
		if err != nil {
			return err
		}
		db, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		fmt.Fprintln(stdout, "migrations are current")
		return nil
	case "merchant":
		if len(args) == 0 || args[0] != "create" {
			return errors.New("usage: kpcheckout merchant create --name N [--webhook-url U] [--cid C] [--subscription-cid C] [--live]")
		}
		return createMerchant(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "kpcheckout", buildVersion())
		return nil
	}
	return fmt.Errorf("unknown command %q (serve, migrate, merchant create, version)", cmd)
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

func openStore(ctx context.Context, cfg *Config) (*sqlite.DB, error) {
	path, err := cfg.sqlitePath()
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, path)
}

// createMerchant serves `kpcheckout merchant create`, printing {"id","api_key","webhook_secret"}.
func createMerchant(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("merchant create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the merchant's display name, shown to shoppers (required)")
	webhook := fs.String("webhook-url", "", "where events are POSTed")
	cid := fs.String("cid", kakaopay.TestCID, "KakaoPay CID for one-time payments")
	subCID := fs.String("subscription-cid", kakaopay.TestSubscriptionCID, "KakaoPay CID for recurring payments")
	live := fs.Bool("live", false, "issue a live key (sk_live_…) for use with real KakaoPay credentials")
	cfg := newConfig(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc, err := checkout.New(checkout.Config{Store: db, KakaoPay: noKakaoPay{}, ReturnURL: handlers.ReturnURL(cfg.BaseURL)})
	if err != nil {
		return err
	}
	cm, err := svc.CreateMerchant(ctx, checkout.NewMerchant{Name: *name, WebhookURL: *webhook, CID: *cid, SubscriptionCID: *subCID, Livemode: *live})
	if err != nil {
		var ce *checkout.Error
		if errors.As(err, &ce) {
			return errors.New(ce.Message)
		}
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]string{"id": cm.Merchant.ID, "api_key": cm.APIKey, "webhook_secret": cm.WebhookSecret})
}

// noKakaoPay stands in for KakaoPay in commands that never pay.
type noKakaoPay struct{ checkout.KakaoPay }

// Command shop is a small merchant web shop that takes payment through kpcheckout: it creates a
// checkout for each order, sends the shopper to it, and learns that an order is paid only from
// kpcheckout's signed webhooks, never from the shopper's return to its success_url. It imports
// the standard library only (verify.go checks the webhooks' signatures): copy its folder into a
// module of your own and it builds.
//
//	KPCHECKOUT_API_KEY=sk_test_… go run ./examples/shop
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, log); err != nil {
		log.Error("shop stopped", "err", err)
		os.Exit(1)
	}
}

// config is what the shop needs to run.
type config struct {
	Addr          string // where it listens
	BaseURL       string // its own public URL: kpcheckout sends shoppers and webhooks there
	Kpcheckout    string // kpcheckout's base URL
	APIKey        string // the merchant's secret API key (sk_test_… or sk_live_…)
	WebhookSecret string // the webhook endpoint's secret; empty: register an endpoint on start
}

// parseConfig reads the flags in args and the environment through getenv.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	cfg := config{APIKey: getenv("KPCHECKOUT_API_KEY"), WebhookSecret: getenv("KPCHECKOUT_WEBHOOK_SECRET")}
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8081", "listen address")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "the shop's public URL (default http://ADDR)")
	fs.StringVar(&cfg.Kpcheckout, "kpcheckout", cmp.Or(getenv("KPCHECKOUT_URL"), "http://127.0.0.1:8080"), "kpcheckout's base URL (env KPCHECKOUT_URL)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if cfg.APIKey == "" {
		return config{}, errors.New("KPCHECKOUT_API_KEY is not set: use the sk_test_… key `make run` prints")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.Addr
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	cfg.Kpcheckout = strings.TrimSuffix(cfg.Kpcheckout, "/")
	return cfg, nil
}

// run serves the shop until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger) error {
	cfg, err := parseConfig(args, getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	// Listen before registering the webhook endpoint, so that its URL is ours when kpcheckout uses it.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	s, err := newShop(ctx, cfg, log)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Info("shop is running", "url", cfg.BaseURL, "kpcheckout", cfg.Kpcheckout)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

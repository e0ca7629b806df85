package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Config is every setting of kpcheckout, from flags and KPCHECKOUT_* variables.
type Config struct {
	Addr              string
	BaseURL           string
	DatabaseURL       string
	KakaoPayAPIBase   string
	KakaoPaySecretKey string
	SessionKey        string
	LogLevel          string
	ExpirySweep       time.Duration
	SettleAfter       time.Duration
	KakaoPayTimeout   time.Duration
	ConfirmGrace      time.Duration
	MaxWaiting        int
	MaxWaitingPerIP   int
	OrderLookups      float64
	PprofAddr         string
}

// Sandbox reports whether the server runs against its own KakaoPay sandbox.
func (c *Config) Sandbox() bool { return c.KakaoPaySecretKey == "" }

// parseConfig reads the environment, then flags that override it.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (*Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := newConfig(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	return c, fs.Args(), c.validate()
}

// newConfig defines the configuration flags on fs, with defaults from KPCHECKOUT_* variables.
// Call validate after fs.Parse.
func newConfig(fs *flag.FlagSet, getenv func(string) string) *Config {
	env := func(key, def string) string {
		if v := getenv("KPCHECKOUT_" + key); v != "" {
			return v
		}
		return def
	}
	c := &Config{}
	fs.StringVar(&c.Addr, "addr", env("ADDR", "127.0.0.1:8080"), "listen address (KPCHECKOUT_ADDR)")
	fs.StringVar(&c.BaseURL, "base-url", env("BASE_URL", ""), "public URL of this server, used in KakaoPay's return URLs (KPCHECKOUT_BASE_URL; default http://ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", "sqlite:kpcheckout.db"), "sqlite:PATH (KPCHECKOUT_DATABASE_URL)")
	fs.StringVar(&c.KakaoPayAPIBase, "kakaopay-api-base", env("KAKAOPAY_API_BASE", ""), "KakaoPay API base URL (KPCHECKOUT_KAKAOPAY_API_BASE; default: the built-in sandbox, or KakaoPay's when a secret key is set)")
	fs.StringVar(&c.KakaoPaySecretKey, "kakaopay-secret-key", env("KAKAOPAY_SECRET_KEY", ""), "KakaoPay secret key; empty runs the sandbox (KPCHECKOUT_KAKAOPAY_SECRET_KEY)")
	fs.StringVar(&c.SessionKey, "session-key", env("SESSION_KEY", ""), "key that signs shopper session cookies, at least 32 characters (KPCHECKOUT_SESSION_KEY; default: random at each start)")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (KPCHECKOUT_LOG_LEVEL)")
	fs.DurationVar(&c.ExpirySweep, "expiry-sweep", 5*time.Second, "how often overdue checkouts are expired and unsettled payments reconciled with KakaoPay")
	fs.DurationVar(&c.SettleAfter, "settle-after", 30*time.Second, "how old a refund, charge or deactivation whose KakaoPay answer was lost must be before it is settled; longer than --kakaopay-timeout")
	fs.DurationVar(&c.KakaoPayTimeout, "kakaopay-timeout", 10*time.Second, "how long one KakaoPay call may take before its outcome counts as unknown")
	fs.IntVar(&c.MaxWaiting, "max-waiting", 20000, "status long-polls that may wait at once; past it a poll answers at once with Retry-After")
	fs.IntVar(&c.MaxWaitingPerIP, "max-waiting-per-ip", 100, "status long-polls one client address may hold at once")
	fs.Float64Var(&c.OrderLookups, "order-lookups", 50, "KakaoPay order look-ups per second that watched checkouts may make, all together")
	fs.StringVar(&c.PprofAddr, "pprof-addr", env("PPROF_ADDR", ""), "serve Go's profiles (net/http/pprof) on this loopback address, for profiling; off when empty (KPCHECKOUT_PPROF_ADDR)")
	fs.DurationVar(&c.ConfirmGrace, "confirm-grace", time.Hour, "how long past its tid's life an approval KakaoPay cannot confirm is looked up before it ends as failed")
	return c
}

func (c *Config) validate() error {
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base URL %q must be an absolute http(s) URL", c.BaseURL)
	}
	if c.KakaoPayAPIBase == "" {
		if c.Sandbox() {
			c.KakaoPayAPIBase = c.BaseURL + "/sandbox"
		} else {
			c.KakaoPayAPIBase = "https://open-api.kakaopay.com"
		}
	}
	if c.SessionKey != "" && len(c.SessionKey) < 32 {
		return errors.New("session key must be at least 32 characters")
	}
	if c.ExpirySweep <= 0 || c.SettleAfter <= 0 || c.KakaoPayTimeout <= 0 || c.ConfirmGrace <= 0 {
		return errors.New("expiry sweep, settle-after, kakaopay-timeout and confirm-grace must be positive")
	}
	if c.MaxWaiting <= 0 || c.MaxWaitingPerIP <= 0 || c.OrderLookups <= 0 {
		return errors.New("max-waiting, max-waiting-per-ip and order-lookups must be positive")
	}
	if c.SettleAfter <= c.KakaoPayTimeout {
		// A call still under way must never be settled as lost.
		return errors.New("settle-after must be longer than kakaopay-timeout")
	}
	return nil
}

// sqlitePath returns the file of a sqlite: database URL.
func (c *Config) sqlitePath() (string, error) {
	switch {
	case strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(c.DatabaseURL, "sqlite:"), "//")
		if p == "" {
			return "", errors.New("database URL sqlite: needs a file path")
		}
		return p, nil
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		return "", errors.New("PostgreSQL is not supported by this build yet; use sqlite:PATH")
	}
	return "", fmt.Errorf("database URL %q: use sqlite:PATH", c.DatabaseURL)
}

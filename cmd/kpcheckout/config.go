package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
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
	WebhookTimeout    time.Duration
	ConfirmGrace      time.Duration
	MaxWaiting        int
	MaxWaitingPerIP   int
	TrustedProxies    string
	proxies           web.Proxies // TrustedProxies, read by validate
	// MetricsNetworks are the networks whose clients may read /metrics, judged behind the
	// trusted proxies; metricsNetworks is the list read by validate.
	MetricsNetworks string
	metricsNetworks []netip.Prefix
	OrderLookups    float64
	PprofAddr       string
	// SandboxReturnHosts are the hosts, besides this server's and loopback, that the built-in
	// sandbox's wallet may send a shopper back to (a client's approval_url, cancel_url, fail_url).
	SandboxReturnHosts []string
	// WebhookAllowPrivate lets webhook endpoints be (and resolve to) loopback, private and
	// link-local addresses with real KakaoPay credentials; the sandbox always allows them.
	WebhookAllowPrivate bool
	// Scheduled backups of the SQLite database (backups.go); off when BackupDir is empty.
	BackupDir   string
	BackupEvery time.Duration
	BackupKeep  int

	// HTTPS on one box: with TLSDomain or TLSCert/TLSKey serve terminates TLS on Addr and
	// redirects plain HTTP from HTTPAddr (see https.go).
	TLSDomain     string
	TLSCert       string
	TLSKey        string
	HTTPAddr      string
	ACMEDirectory string
	ACMECacheDir  string

	// LinkCheckoutsPerMinute and PaymentStartsPerMinute limit, per client address, the checkouts
	// opened from payment links and the KakaoPay payments started from the shopper pages.
	LinkCheckoutsPerMinute int
	PaymentStartsPerMinute int

	// RetainEvents is how long events and ended webhook deliveries are kept before the
	// reconciler prunes them (at least domain.MinRetainEvents).
	RetainEvents time.Duration

	envErrs []error // KPCHECKOUT_* variables that did not parse
}

// webhookAllowPrivate reports whether webhooks may go to addresses that are not public.
func (c *Config) webhookAllowPrivate() bool { return c.Sandbox() || c.WebhookAllowPrivate }

// Sandbox reports whether the server runs against its own KakaoPay sandbox.
func (c *Config) Sandbox() bool { return c.KakaoPaySecretKey == "" }

// parseConfig reads the environment, then flags that override it.
func parseConfig(name string, args []string, getenv func(string) string, stdout io.Writer) (*Config, []string, error) {
	fs := newFlagSet(name, stdout)
	c := newConfig(fs, getenv)
	if err := parseFlags(fs, args); err != nil {
		return nil, nil, err
	}
	return c, fs.Args(), c.validate()
}

// newConfig defines the configuration flags on fs. Each flag has a KPCHECKOUT_* variable, its
// name in capitals with _ for - (--base-url: KPCHECKOUT_BASE_URL), which sets it unless the flag
// is given. Call validate after fs.Parse: it reports a variable that does not parse.
func newConfig(fs *flag.FlagSet, getenv func(string) string) *Config {
	c := &Config{}
	mine := flag.NewFlagSet("", flag.ContinueOnError)
	mine.StringVar(&c.Addr, "addr", "", "listen address (default 127.0.0.1:8080, or :443 with TLS on)")
	mine.StringVar(&c.BaseURL, "base-url", "", "public URL of this server, used in KakaoPay's return URLs (default http://ADDR)")
	mine.StringVar(&c.DatabaseURL, "database-url", "sqlite:kpcheckout.db", "sqlite:PATH, or postgres://USER:PASSWORD@HOST/DATABASE for PostgreSQL, which several instances can share")
	mine.StringVar(&c.KakaoPayAPIBase, "kakaopay-api-base", "", "KakaoPay API base URL (default: the built-in sandbox, or KakaoPay's when a secret key is set)")
	mine.StringVar(&c.KakaoPaySecretKey, "kakaopay-secret-key", "", "KakaoPay secret key; empty runs the sandbox")
	mine.StringVar(&c.SessionKey, "session-key", "", "secret that encrypts and signs shopper and dashboard session cookies, at least 32 characters; every instance needs the same (default: a random key made once and kept in the database)")
	mine.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	mine.DurationVar(&c.ExpirySweep, "expiry-sweep", 5*time.Second, "how often overdue checkouts are expired and unsettled payments reconciled with KakaoPay")
	mine.DurationVar(&c.SettleAfter, "settle-after", 30*time.Second, "how old a refund, charge or deactivation whose KakaoPay answer was lost must be before it is settled; longer than --kakaopay-timeout")
	mine.DurationVar(&c.KakaoPayTimeout, "kakaopay-timeout", 10*time.Second, "how long one KakaoPay call may take before its outcome counts as unknown")
	mine.DurationVar(&c.WebhookTimeout, "webhook-timeout", 10*time.Second, "how long one webhook POST may take; a delivery an instance claimed is taken over by another three times this long after, when the first died")
	mine.IntVar(&c.MaxWaiting, "max-waiting", 20000, "status long-polls that may wait at once; past it a poll answers at once with Retry-After")
	mine.IntVar(&c.MaxWaitingPerIP, "max-waiting-per-ip", 100, "status long-polls one client address may hold at once")
	mine.IntVar(&c.LinkCheckoutsPerMinute, "link-checkouts-per-minute", 30, "checkouts one client address may open from payment links a minute; past it the page answers 429")
	mine.IntVar(&c.PaymentStartsPerMinute, "payment-starts-per-minute", 60, "KakaoPay payments (ready calls) one client address may start from the shopper pages a minute; past it the page answers 429")
	mine.StringVar(&c.TrustedProxies, "trusted-proxies", "", "load balancers in front of kpcheckout whose X-Forwarded-For names the client, as addresses or CIDR prefixes separated by commas (default: none; each connection's own address counts)")
	mine.StringVar(&c.MetricsNetworks, "metrics-allowed-networks", "127.0.0.0/8,::1/128", "networks (CIDR prefixes or addresses, comma-separated) whose clients may read /metrics, judged behind --trusted-proxies; others get 404")
	mine.Float64Var(&c.OrderLookups, "order-lookups", 50, "KakaoPay order look-ups per second that watched checkouts may make, all together")
	mine.StringVar(&c.PprofAddr, "pprof-addr", "", "serve Go's profiles (net/http/pprof) on this loopback address, for profiling; off when empty")
	mine.DurationVar(&c.ConfirmGrace, "confirm-grace", time.Hour, "how long past its tid's life an approval KakaoPay cannot confirm is looked up before it ends as failed")
	mine.Func("sandbox-return-hosts", "comma-separated hosts, besides this server's and loopback, that the sandbox's wallet may return shoppers to", func(v string) error {
		c.SandboxReturnHosts = nil
		for h := range strings.SplitSeq(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				c.SandboxReturnHosts = append(c.SandboxReturnHosts, h)
			}
		}
		return nil
	})
	mine.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", false, "let webhook endpoints reach loopback, private and link-local addresses with real KakaoPay credentials (always allowed in sandbox mode)")
	// HTTPS on one box.
	mine.StringVar(&c.TLSDomain, "tls-domain", "", "serve HTTPS for this domain with certificates from an ACME CA, obtained and renewed on their own; its DNS must point here and ports 80 and 443 reach this server")
	mine.StringVar(&c.TLSCert, "tls-cert", "", "serve HTTPS with this certificate file (PEM, leaf first, then its chain), read again when it changes; with --tls-key and an https --base-url")
	mine.StringVar(&c.TLSKey, "tls-key", "", "the private key file (PEM) of --tls-cert")
	mine.StringVar(&c.HTTPAddr, "http-addr", ":80", "with TLS on, the plain-HTTP listen address, which redirects to HTTPS and answers ACME's HTTP-01 challenges")
	mine.StringVar(&c.ACMEDirectory, "acme-directory", acme.LetsEncryptURL, "directory URL of the ACME CA that issues --tls-domain's certificates")
	mine.StringVar(&c.ACMECacheDir, "acme-cache-dir", "", "directory that keeps the ACME account key and --tls-domain's certificates (default: certs beside the SQLite file)")
	mine.StringVar(&c.BackupDir, "backup-dir", "", "write a backup of the SQLite database into this directory every --backup-every, keeping the newest --backup-keep; off when empty")
	mine.DurationVar(&c.BackupEvery, "backup-every", 24*time.Hour, "how often a backup is written into --backup-dir")
	mine.IntVar(&c.BackupKeep, "backup-keep", 7, "how many backups --backup-dir keeps; older ones are deleted")
	c.RetainEvents = domain.DefaultRetainEvents
	mine.Var((*days)(&c.RetainEvents), "retain-events", "how long events and ended webhook deliveries are kept before they are pruned, in days (30d) or as a duration (720h); at least 7d")
	mine.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		if v := getenv(name); v != "" {
			if err := f.Value.Set(v); err != nil {
				c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
		fs.Var(f.Value, f.Name, f.Usage+" ("+name+")")
	})
	return c
}

// days is a duration flag that also takes whole days ("90d"), as retention is counted.
type days time.Duration

// String shows whole days as "90d", other durations as Go writes them.
func (d *days) String() string {
	if v := time.Duration(*d); v%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(v/(24*time.Hour)), 10) + "d"
	}
	return time.Duration(*d).String()
}

// Set reads "30d" or a Go duration ("720h").
func (d *days) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.ParseUint(n, 10, 16)
		if err != nil {
			return fmt.Errorf("%q is not a number of days", s)
		}
		*d = days(time.Duration(v) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is neither days (90d) nor a duration (2160h)", s)
	}
	*d = days(v)
	return nil
}

// envName is the KPCHECKOUT_* variable of a flag.
func envName(flagName string) string {
	return "KPCHECKOUT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (c *Config) validate() error {
	if err := errors.Join(c.envErrs...); err != nil {
		return err
	}
	if err := c.validateTLS(); err != nil {
		return err
	}
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
		return fmt.Errorf("the session key is %d characters; it must be at least 32: set KPCHECKOUT_SESSION_KEY to a longer secret, or leave it empty for a random key kept in the database", len(c.SessionKey))
	}
	if c.ExpirySweep <= 0 || c.SettleAfter <= 0 || c.KakaoPayTimeout <= 0 || c.ConfirmGrace <= 0 || c.WebhookTimeout <= 0 {
		return errors.New("expiry sweep, settle-after, kakaopay-timeout, confirm-grace and webhook-timeout must be positive")
	}
	if c.MaxWaiting <= 0 || c.MaxWaitingPerIP <= 0 || c.OrderLookups <= 0 {
		return errors.New("max-waiting, max-waiting-per-ip and order-lookups must be positive")
	}
	if c.LinkCheckoutsPerMinute <= 0 || c.PaymentStartsPerMinute <= 0 {
		return errors.New("link-checkouts-per-minute and payment-starts-per-minute must be positive")
	}
	if c.proxies, err = web.ParseProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("KPCHECKOUT_TRUSTED_PROXIES: %w", err)
	}
	if c.metricsNetworks, err = web.ParseNetworks(c.MetricsNetworks); err != nil || len(c.metricsNetworks) == 0 {
		return fmt.Errorf("KPCHECKOUT_METRICS_ALLOWED_NETWORKS=%q: give one or more CIDR prefixes or addresses, separated by commas", c.MetricsNetworks)
	}
	if err := c.validateBackups(); err != nil {
		return err
	}
	if c.RetainEvents < domain.MinRetainEvents {
		return fmt.Errorf("--retain-events (KPCHECKOUT_RETAIN_EVENTS) is %s; events must be kept at least 7 days (7d): webhook endpoints are judged by their deliveries of the last 3 days", (*days)(&c.RetainEvents))
	}
	if c.SettleAfter <= c.KakaoPayTimeout {
		// A call still under way must never be settled as lost.
		return errors.New("settle-after must be longer than kakaopay-timeout")
	}
	return nil
}

// Database backends a database URL selects.
const (
	backendSQLite   = "sqlite"
	backendPostgres = "postgres"
)

// database reads the database URL: the SQLite backend and its file's path (sqlite:PATH), or the
// PostgreSQL backend and the URL itself (postgres://… or postgresql://…).
func (c *Config) database() (backend, target string, err error) {
	switch {
	case strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(c.DatabaseURL, "sqlite:"), "//")
		if p == "" {
			return "", "", errors.New("database URL sqlite: needs a file path")
		}
		return backendSQLite, p, nil
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		return backendPostgres, c.DatabaseURL, nil
	}
	return "", "", fmt.Errorf("database URL %q: use sqlite:PATH, or postgres://USER:PASSWORD@HOST/DATABASE for PostgreSQL", c.databaseName())
}

// databaseName is the database URL as messages may show it: without its password.
func (c *Config) databaseName() string {
	if u, err := url.Parse(c.DatabaseURL); err == nil && u.User != nil {
		return u.Redacted()
	}
	return c.DatabaseURL
}

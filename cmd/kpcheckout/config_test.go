package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestEveryFlagHasItsVariable(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	vars := map[string]string{}
	newConfig(fs, func(k string) string { return vars[k] })
	fs.VisitAll(func(f *flag.Flag) {
		name := "KPCHECKOUT_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if !strings.Contains(f.Usage, name) {
			t.Errorf("--%s: usage does not name %s", f.Name, name)
		}
	})
	vars["KPCHECKOUT_EXPIRY_SWEEP"] = "7s"
	vars["KPCHECKOUT_SETTLE_AFTER"] = "45s"
	vars["KPCHECKOUT_MAX_WAITING_PER_IP"] = "9"
	vars["KPCHECKOUT_LINK_CHECKOUTS_PER_MINUTE"] = "12"
	cfg, _, err := parseConfig("serve", []string{"--settle-after=50s", "--payment-starts-per-minute=24"}, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ExpirySweep != 7*time.Second || cfg.SettleAfter != 50*time.Second || cfg.MaxWaitingPerIP != 9 ||
		cfg.LinkCheckoutsPerMinute != 12 || cfg.PaymentStartsPerMinute != 24 {
		t.Errorf("from the environment and flags: %+v", cfg)
	}
	vars["KPCHECKOUT_ORDER_LOOKUPS"] = "many"
	if _, _, err := parseConfig("serve", nil, func(k string) string { return vars[k] }, io.Discard); err == nil || !strings.Contains(err.Error(), "KPCHECKOUT_ORDER_LOOKUPS") {
		t.Errorf("a variable that does not parse: %v", err)
	}
}

func TestDatabaseURLChoosesTheBackend(t *testing.T) {
	for _, tc := range []struct{ url, backend, target string }{
		{"sqlite:kp.db", backendSQLite, "kp.db"},
		{"sqlite:///var/lib/kp.db", backendSQLite, "/var/lib/kp.db"},
		{"postgres://kp:secret@db.internal/kp", backendPostgres, "postgres://kp:secret@db.internal/kp"},
		{"postgresql://db.internal/kp?sslmode=require", backendPostgres, "postgresql://db.internal/kp?sslmode=require"},
		{"mysql://kp:secret@db.internal/kp", "", ""},
		{"sqlite:", "", ""},
	} {
		c := &Config{DatabaseURL: tc.url}
		backend, target, err := c.database()
		if backend != tc.backend || target != tc.target || (err != nil) != (tc.backend == "") {
			t.Errorf("%s: %q %q %v", tc.url, backend, target, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", tc.url, err)
		}
		if strings.Contains(c.databaseName(), "secret") {
			t.Errorf("%s: databaseName shows the password: %s", tc.url, c.databaseName())
		}
	}
}

func TestMetricsAllowedNetworks(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want string // the networks read, or "" for an error
	}{
		{"", "[127.0.0.0/8 ::1/128]"},
		{"10.0.0.0/8, 192.0.2.7", "[10.0.0.0/8 192.0.2.7/32]"},
		{"10.0.0.0/33", ""},
		{"prometheus.internal", ""},
	} {
		cfg, _, err := parseConfig("serve", nil, func(k string) string {
			if k == "KPCHECKOUT_METRICS_ALLOWED_NETWORKS" {
				return tc.env
			}
			return ""
		}, io.Discard)
		switch {
		case tc.want == "" && (err == nil || !strings.Contains(err.Error(), "KPCHECKOUT_METRICS_ALLOWED_NETWORKS")):
			t.Errorf("%q: %v, want an error naming the variable", tc.env, err)
		case tc.want != "" && (err != nil || fmt.Sprint(cfg.metricsNetworks) != tc.want):
			t.Errorf("%q: %v %v, want %s", tc.env, cfg, err, tc.want)
		}
	}
	if _, _, err := parseConfig("serve", []string{"--metrics-allowed-networks="}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("an empty list is taken: nobody could read the metrics")
	}
}

// TestDocsListEveryFlag keeps the configuration table of docs/operations.md true: a row for every
// flag, with its variable.
func TestDocsListEveryFlag(t *testing.T) {
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(doc), "## Configuration\n")
	table, _, _ = strings.Cut(table, "\n## ")
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	newConfig(fs, func(string) string { return "" })
	fs.VisitAll(func(f *flag.Flag) {
		if row := "| `" + envName(f.Name) + "` | `--" + f.Name + "` |"; !strings.Contains(table, row) {
			t.Errorf("docs/operations.md's configuration table has no row %s", row)
		}
	})
}

func TestRetainEventsTakesDaysAndRefusesTooShort(t *testing.T) {
	parse := func(env string, args ...string) (*Config, error) {
		cfg, _, err := parseConfig("serve", args, func(k string) string {
			if k == "KPCHECKOUT_RETAIN_EVENTS" {
				return env
			}
			return ""
		}, io.Discard)
		return cfg, err
	}
	for _, tc := range []struct {
		env  string
		args []string
		want time.Duration
	}{
		{"", nil, 90 * 24 * time.Hour},
		{"30d", nil, 30 * 24 * time.Hour},
		{"200h", nil, 200 * time.Hour},
		{"30d", []string{"--retain-events=365d"}, 365 * 24 * time.Hour},
	} {
		if cfg, err := parse(tc.env, tc.args...); err != nil || cfg.RetainEvents != tc.want {
			t.Errorf("%q %v: %v, %v; want %v", tc.env, tc.args, cfg, err, tc.want)
		}
	}
	for env, says := range map[string]string{"3d": "at least 7 days", "ninety": "KPCHECKOUT_RETAIN_EVENTS", "-5d": "KPCHECKOUT_RETAIN_EVENTS"} {
		if _, err := parse(env); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("KPCHECKOUT_RETAIN_EVENTS=%s: %v, want it to say %q", env, err, says)
		}
	}
}

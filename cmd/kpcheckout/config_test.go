package main

import (
	"flag"
	"io"
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
	cfg, _, err := parseConfig("serve", []string{"--settle-after=50s"}, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ExpirySweep != 7*time.Second || cfg.SettleAfter != 50*time.Second || cfg.MaxWaitingPerIP != 9 {
		t.Errorf("from the environment and flags: %+v", cfg)
	}
	vars["KPCHECKOUT_ORDER_LOOKUPS"] = "many"
	if _, _, err := parseConfig("serve", nil, func(k string) string { return vars[k] }, io.Discard); err == nil || !strings.Contains(err.Error(), "KPCHECKOUT_ORDER_LOOKUPS") {
		t.Errorf("a variable that does not parse: %v", err)
	}
}

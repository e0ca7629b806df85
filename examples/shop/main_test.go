package main

import (
	"io"
	"testing"
)

func TestParseConfig(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	if _, err := parseConfig(nil, env(nil), io.Discard); err == nil {
		t.Error("no KPCHECKOUT_API_KEY: no error")
	}
	cfg, err := parseConfig(nil, env(map[string]string{"KPCHECKOUT_API_KEY": "sk_test_x"}), io.Discard)
	want := config{Addr: "127.0.0.1:8081", BaseURL: "http://127.0.0.1:8081", Kpcheckout: "http://127.0.0.1:8080", APIKey: "sk_test_x"}
	if err != nil || cfg != want {
		t.Errorf("defaults: %+v, %v; want %+v", cfg, err, want)
	}
	cfg, err = parseConfig(nil, env(map[string]string{"KPCHECKOUT_API_KEY": "sk_test_x", "KPCHECKOUT_URL": "http://10.0.0.2:9000"}), io.Discard)
	want = config{Addr: "127.0.0.1:8081", BaseURL: "http://127.0.0.1:8081", Kpcheckout: "http://10.0.0.2:9000", APIKey: "sk_test_x"}
	if err != nil || cfg != want {
		t.Errorf("KPCHECKOUT_URL: %+v, %v; want %+v", cfg, err, want)
	}
	cfg, err = parseConfig([]string{"-addr", "0.0.0.0:9000", "-base-url", "https://shop.example/", "-kpcheckout", "https://pay.example/"},
		env(map[string]string{"KPCHECKOUT_API_KEY": "sk_test_x", "KPCHECKOUT_WEBHOOK_SECRET": "whsec_y"}), io.Discard)
	want = config{Addr: "0.0.0.0:9000", BaseURL: "https://shop.example", Kpcheckout: "https://pay.example", APIKey: "sk_test_x", WebhookSecret: "whsec_y"}
	if err != nil || cfg != want {
		t.Errorf("flags: %+v, %v; want %+v", cfg, err, want)
	}
}

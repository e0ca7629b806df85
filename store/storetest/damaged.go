package storetest

import (
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

// CheckDamagedRows writes, through exec (plain SQL on the database s is open on), JSON columns
// no kpcheckout wrote, and checks that reading each row through s is an error that names it:
// never a half-read record, never a panic.
func CheckDamagedRows(t *testing.T, s store.Store, exec func(query string) error) {
	t.Helper()
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.NewCheckout(t, s, m, "cs_items", fixture.T0)
	fixture.NewCheckout(t, s, m, "cs_meta", fixture.T0)
	newLink(t, s, m, "lnk_1", 0)
	fixture.AddEndpoint(t, s, m, "we_1", false)
	fixture.Merchant(t, s, "mer_2")
	for _, q := range []string{
		`UPDATE checkouts SET items = '{"not":"a list"}' WHERE id = 'cs_items'`,
		`UPDATE checkouts SET metadata = '[1, 2]' WHERE id = 'cs_meta'`,
		`UPDATE links SET items = 'garbage' WHERE id = 'lnk_1'`,
		`UPDATE webhook_endpoints SET enabled_events = '"*"' WHERE id = 'we_1'`,
		`UPDATE merchants SET embed_origins = '{' WHERE id = 'mer_2'`,
	} {
		if err := exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for name, read := range map[string]func() error{
		"cs_items": func() error { _, err := s.Checkout(ctx, "cs_items"); return err },
		"cs_meta": func() error {
			_, err := s.ListCheckouts(ctx, store.ListCheckouts{MerchantID: m.ID, Limit: 10})
			return err
		},
		"lnk_1": func() error { _, err := s.Links(ctx, m.ID, 10); return err },
		"we_1":  func() error { _, err := s.WebhookEndpoint(ctx, "we_1"); return err },
		"mer_2": func() error { _, err := s.Merchant(ctx, "mer_2"); return err },
	} {
		if err := read(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("reading the damaged %s: %v", name, err)
		}
	}
}

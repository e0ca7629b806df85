package accounts_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
)

func TestUpdateMerchantSettings(t *testing.T) {
	h := apptest.New(t)
	m, err := h.Merchants.UpdateSettings(h.Ctx, h.M, accounts.SettingsParams{Name: "  새 카페  ", MinAmount: 500, MaxAmount: 30000,
		EmbedOrigins: []string{"https://Shop.example"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.Merchants.Merchant(h.Ctx, h.M.ID)
	if err != nil || got.Name != "새 카페" || got.MinAmount != 500 || got.MaxAmount != 30000 || !slices.Equal(got.EmbedOrigins, []string{"https://shop.example"}) {
		t.Fatalf("saved %+v, read %+v %v", m, got, err)
	}
	// The new limits hold for checkouts and links made after.
	for _, amount := range []int64{499, 30001} {
		_, err := h.Checkouts.Create(h.Ctx, got, checkout.CreateParams{Amount: amount, SuccessURL: "https://shop.example/ok", FailureURL: "https://shop.example/no"})
		var ce *domain.Error
		if !errors.As(err, &ce) || ce.Param != "amount" {
			t.Errorf("a checkout of %d won: %v", amount, err)
		}
	}

	for _, c := range []struct {
		p     accounts.SettingsParams
		param string
	}{
		{accounts.SettingsParams{Name: " ", MinAmount: 1, MaxAmount: 1}, "name"},
		{accounts.SettingsParams{Name: strings.Repeat("가", 101), MinAmount: 1, MaxAmount: 1}, "name"},
		{accounts.SettingsParams{Name: "a\x00b", MinAmount: 1, MaxAmount: 1}, "name"},
		{accounts.SettingsParams{Name: "카페", MinAmount: 0, MaxAmount: 100}, "min_amount"},
		{accounts.SettingsParams{Name: "카페", MinAmount: -5, MaxAmount: 100}, "min_amount"},
		{accounts.SettingsParams{Name: "카페", MinAmount: 1000, MaxAmount: 999}, "max_amount"},
		{accounts.SettingsParams{Name: "카페", MinAmount: 1, MaxAmount: accounts.MaxAmountCeiling + 1}, "max_amount"},
		{accounts.SettingsParams{Name: "카페", MinAmount: 1, MaxAmount: 100, EmbedOrigins: []string{"http://shop.example"}}, "embed_origins[0]"},
	} {
		_, err := h.Merchants.UpdateSettings(h.Ctx, got, c.p)
		var ce *domain.Error
		if !errors.As(err, &ce) || ce.Kind != domain.KindInvalid || ce.Param != c.param {
			t.Errorf("%+v: %v, want invalid %s", c.p, err, c.param)
		}
	}
	// A refused update writes nothing, not even the origins that were valid.
	_, err = h.Merchants.UpdateSettings(h.Ctx, got, accounts.SettingsParams{Name: "카페", MinAmount: 0, MaxAmount: 100, EmbedOrigins: []string{}})
	if err == nil {
		t.Fatal("min 0 accepted")
	}
	if again, _ := h.Merchants.Merchant(h.Ctx, h.M.ID); again.Name != "새 카페" || again.MinAmount != 500 || len(again.EmbedOrigins) != 1 {
		t.Errorf("a refused update changed the merchant: %+v", again)
	}
}

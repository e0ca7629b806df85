package checkout

import (
	"testing"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/locales"
	"github.com/kpcheckout/kpcheckout/store"
)

func TestValidate(t *testing.T) {
	m := &store.Merchant{MinAmount: accounts.DefaultMinAmount, MaxAmount: accounts.DefaultMaxAmount}
	ok := func() CreateParams {
		return CreateParams{Amount: 11000, SuccessURL: "https://shop.example/ok", FailureURL: "http://localhost:3000/cart",
			Items: []store.Item{{Name: "커피", Quantity: 2, UnitPrice: 4500}, {Name: "빵", Quantity: 1, UnitPrice: 2000}}}
	}
	p := ok()
	if err := Validate(m, &p); err != nil {
		t.Fatalf("valid params refused: %v", err)
	}
	if p.Currency != "KRW" || p.Mode != ModePayment || p.ExpiresIn != DefaultExpiresIn {
		t.Errorf("defaults not filled: %+v", p)
	}
	for _, tc := range []struct {
		name, param, code string
		edit              func(*CreateParams)
	}{
		{"zero", "amount", "amount_invalid", func(p *CreateParams) { p.Amount, p.Items = 0, nil }},
		{"negative", "amount", "amount_invalid", func(p *CreateParams) { p.Amount, p.Items = -100, nil }},
		{"below minimum", "amount", "amount_too_small", func(p *CreateParams) { p.Amount, p.Items = 99, nil }},
		{"above limit", "amount", "amount_too_large", func(p *CreateParams) { p.Amount, p.Items = 2_000_001, nil }},
		{"dollars", "currency", "currency_unsupported", func(p *CreateParams) { p.Currency = "USD" }},
		{"items short", "items", "items_total_mismatch", func(p *CreateParams) { p.Amount = 12000 }},
		{"huge quantity", "items[0].quantity", "item_quantity_invalid", func(p *CreateParams) { p.Items[0].Quantity = 1 << 40 }},
		{"no success url", "success_url", "url_missing", func(p *CreateParams) { p.SuccessURL = "" }},
		{"javascript", "success_url", "url_invalid", func(p *CreateParams) { p.SuccessURL = "javascript:alert(1)" }},
		{"plain http", "failure_url", "url_invalid", func(p *CreateParams) { p.FailureURL = "http://shop.example/cart" }},
		{"relative", "failure_url", "url_invalid", func(p *CreateParams) { p.FailureURL = "/cart" }},
		{"tax free above", "tax_free_amount", "tax_free_amount_invalid", func(p *CreateParams) { p.TaxFreeAmount = 11001 }},
		{"short expiry", "expires_in", "expires_in_invalid", func(p *CreateParams) { p.ExpiresIn = 60 }},
		{"locale", "locale", "locale_invalid", func(p *CreateParams) { p.Locale = "fr" }},
		{"control chars", "reference", "string_invalid", func(p *CreateParams) { p.Reference = "a\x00b" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ok()
			tc.edit(&p)
			err := Validate(m, &p)
			e, isErr := err.(*domain.Error)
			if !isErr || e.Kind != domain.KindInvalid || e.Param != tc.param || e.Code != tc.code {
				t.Fatalf("got %v, want %s on %s", err, tc.code, tc.param)
			}
		})
	}
}

func TestItemName(t *testing.T) {
	bundle, err := locales.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{bundle: bundle}
	two := []store.Item{{Name: "아메리카노"}, {Name: "라떼"}}
	three := append(two, store.Item{Name: "빵"})
	for _, tc := range []struct {
		c    *store.Checkout
		want string
	}{
		{&store.Checkout{ID: "cs_1", Items: three}, "아메리카노 외 2건"},
		{&store.Checkout{ID: "cs_1", Items: three, Locale: "ko"}, "아메리카노 외 2건"},
		{&store.Checkout{ID: "cs_1", Items: two, Locale: "en"}, "아메리카노 and 1 more item"},
		{&store.Checkout{ID: "cs_1", Items: three, Locale: "en"}, "아메리카노 and 2 more items"},
		{&store.Checkout{ID: "cs_1", Items: two[:1]}, "아메리카노"},
		{&store.Checkout{ID: "cs_1", Reference: "R-1"}, "R-1"},
	} {
		if got := s.itemName(tc.c); got != tc.want {
			t.Errorf("itemName(%v, %q) = %q, want %q", len(tc.c.Items), tc.c.Locale, got, tc.want)
		}
	}
}

func TestIsEmailAddress(t *testing.T) {
	for s, want := range map[string]bool{
		"kim@example.com": true, "kim.cs+shop@mail.example.co.kr": true,
		"not-an-email": false, "kim@": false, "@example.com": false, "kim@@example.com": false,
		"김철수 <kim@example.com>": false, "kim@example.com, lee@example.com": false, " kim@example.com": false,
	} {
		if got := isEmailAddress(s); got != want {
			t.Errorf("isEmailAddress(%q) = %v, want %v", s, got, want)
		}
	}
}

package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

// testMerchantSettings: a merchant's name and limits are written together, leave its key and
// embed origins alone, and a missing merchant is not found.
func testMerchantSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	other := fixture.Merchant(t, s, "mer_2")
	m.EmbedOrigins = []string{"https://shop.example"}
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateMerchantEmbedOrigins(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	m.Name, m.MinAmount, m.MaxAmount = "새 이름 카페", 1000, 50000
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateMerchantSettings(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	got, err := s.Merchant(ctx, m.ID)
	if err != nil || got.Name != "새 이름 카페" || got.MinAmount != 1000 || got.MaxAmount != 50000 ||
		got.CID != m.CID || !slices.Equal(got.EmbedOrigins, m.EmbedOrigins) {
		t.Fatalf("after the update: %+v %v", got, err)
	}
	if got, err := s.Merchant(ctx, other.ID); err != nil || got.Name != other.Name || got.MaxAmount != other.MaxAmount {
		t.Errorf("another merchant changed: %+v %v", got, err)
	}
	missing := *m
	missing.ID = "mer_nope"
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateMerchantSettings(ctx, &missing) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing merchant: %v", err)
	}
}

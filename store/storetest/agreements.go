package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// testListAgreements lists one merchant's agreements newest first (one millisecond ordered by
// id), by status and a page at a time; another merchant's agreement or cursor gives nothing.
func testListAgreements(t *testing.T, s store.Store) {
	ctx := context.Background()
	m, other := merchant(t, s, "mer_1"), merchant(t, s, "mer_2")
	add := func(m *store.Merchant, id, status string, at time.Time) {
		t.Helper()
		c := newCheckout(t, s, m, "cs_"+id, at)
		a := &store.Agreement{ID: id, MerchantID: m.ID, CheckoutID: c.ID, CID: m.SubscriptionCID, SID: "S" + id,
			PartnerUserID: "u", Status: status, CreatedAt: at, UpdatedAt: at}
		if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateAgreement(ctx, a) }); err != nil {
			t.Fatal(err)
		}
	}
	add(m, "agr_a", "active", t0)
	add(m, "agr_b", "inactive", t0.Add(time.Second))
	add(m, "agr_c", "active", t0.Add(time.Second)) // the same millisecond as agr_b
	add(other, "agr_x", "active", t0.Add(time.Hour))
	agreementIDs := func(list []*store.Agreement) []string {
		var out []string
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	list, err := s.ListAgreements(ctx, store.ListAgreements{MerchantID: m.ID, Limit: 2})
	if err != nil || len(list) != 2 || list[0].ID != "agr_c" || list[1].ID != "agr_b" || list[1].Status != "inactive" ||
		list[0].CheckoutID != "cs_agr_c" || !list[0].CreatedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("first page: %v %v", agreementIDs(list), err)
	}
	if list, _ = s.ListAgreements(ctx, store.ListAgreements{MerchantID: m.ID, Limit: 2, StartingAfter: "agr_b"}); len(list) != 1 || list[0].ID != "agr_a" {
		t.Errorf("second page: %v", agreementIDs(list))
	}
	if list, _ = s.ListAgreements(ctx, store.ListAgreements{MerchantID: m.ID, Status: "active", Limit: 10}); len(list) != 2 || list[0].ID != "agr_c" || list[1].ID != "agr_a" {
		t.Errorf("active only: %v", agreementIDs(list))
	}
	if list, _ = s.ListAgreements(ctx, store.ListAgreements{MerchantID: m.ID, Limit: 10, StartingAfter: "agr_x"}); len(list) != 0 {
		t.Errorf("another merchant's cursor gave %v", agreementIDs(list))
	}
	if list, _ = s.ListAgreements(ctx, store.ListAgreements{MerchantID: "mer_none", Limit: 10}); len(list) != 0 {
		t.Errorf("a merchant with no agreements: %v", agreementIDs(list))
	}
}

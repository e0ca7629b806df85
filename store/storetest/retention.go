package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

// testPruneIdempotencyKeys: keys older than the cut go, oldest first and limit at a time, but
// for those bound to a money object whose outcome is still open; those go once it is settled.
func testPruneIdempotencyKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := moneyObjects(t, s)
	keys := []struct {
		key, objectType, objectID string
		kept                      bool
	}{
		{"answered", "", "", false},
		{"reservation", "", "", false},
		{"checkout", "checkout", "cs_1", false},
		{"refund-pending", "refund", "re_pending", true},
		{"refund-done", "refund", "re_done", false},
		{"charge-pending", "charge", "ch_pending", true},
		{"charge-unknown", "charge", "ch_unknown", true},
		{"charge-failed", "charge", "ch_failed", false},
		{"deactivating", "agreement", "agr_deactivating", true},
		{"deactivated", "agreement", "agr_inactive", false},
		{"attempt-live", "attempt", "att_live", true},
		{"attempt-ended", "attempt", "att_ended", false},
	}
	cut := fixture.T0.Add(24 * time.Hour)
	// Each prune runs in a transaction of its own and answers how many it deleted.
	prune := func(limit int) int {
		return fixture.Commit(t, s, func(tx store.Tx) (int, error) { return tx.PruneIdempotencyKeys(ctx, cut, limit) })
	}
	err := s.Transact(ctx, func(tx store.Tx) error {
		for i, k := range keys {
			row := &store.IdempotencyKey{MerchantID: m.ID, Key: k.key, RequestHash: "h", Owner: "o", ObjectType: k.objectType,
				ObjectID: k.objectID, CreatedAt: fixture.T0.Add(time.Duration(i) * time.Second)}
			if k.key != "reservation" {
				row.StatusCode, row.Body = 201, []byte(`{}`)
			}
			if err := tx.CreateIdempotencyKey(ctx, row); err != nil {
				return err
			}
		}
		return tx.CreateIdempotencyKey(ctx, &store.IdempotencyKey{MerchantID: m.ID, Key: "fresh", RequestHash: "h", CreatedAt: cut})
	})
	if err != nil {
		t.Fatal(err)
	}
	exists := func(key string) bool {
		t.Helper()
		_, err := s.IdempotencyKey(ctx, m.ID, key)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	if n := prune(3); n != 3 {
		t.Fatalf("pruned %d keys, want the limit of 3", n)
	}
	if exists("answered") || exists("checkout") || !exists("refund-done") {
		t.Error("the oldest keys were not the first to go")
	}
	if n := prune(100); n != 4 {
		t.Errorf("pruned %d more keys, want 4", n)
	}
	for _, k := range keys {
		if exists(k.key) != k.kept {
			t.Errorf("key %s (bound to %s %s): kept %v, want %v", k.key, k.objectType, k.objectID, !k.kept, k.kept)
		}
	}
	if !exists("fresh") {
		t.Error("a key made at the cut was pruned")
	}
	// KakaoPay's answer to the refund is settled: its key may go now.
	err = s.Transact(ctx, func(tx store.Tx) error {
		r, err := tx.Refund(ctx, "re_pending")
		if err != nil {
			return err
		}
		r.Status, r.UpdatedAt = "succeeded", cut
		return tx.UpdateRefund(ctx, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := prune(100); n != 1 || exists("refund-pending") {
		t.Errorf("pruned %d keys once the refund settled, want its key", n)
	}
}

// moneyObjects makes mer_1 with a checkout cs_1, its attempts att_live (ready), att_ended
// (expired) and att_paid (its payment pay_1, refunded by re_pending and re_done), and agreements
// with charges: agr_deactivating (active, deactivation asked), agr_inactive, and agr_on with
// ch_pending, ch_unknown and ch_failed.
func moneyObjects(t *testing.T, s store.Store) *store.Merchant {
	t.Helper()
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.NewCheckout(t, s, m, "cs_1", fixture.T0)
	for _, id := range []string{"agr_deactivating", "agr_inactive", "agr_on"} {
		fixture.NewCheckout(t, s, m, "cs_"+id, fixture.T0)
	}
	err := s.Transact(ctx, func(tx store.Tx) error {
		live, ended, paid := fixture.Attempt("att_live", "cs_1", "T1"), fixture.Attempt("att_ended", "cs_1", "T2"), fixture.Attempt("att_paid", "cs_1", "T3")
		ended.Status, paid.Status = "expired", "approved"
		for _, a := range []*store.Attempt{live, ended, paid} {
			if err := tx.CreateAttempt(ctx, a); err != nil {
				return err
			}
		}
		if err := tx.CreatePayment(ctx, &store.Payment{ID: "pay_1", CheckoutID: "cs_1", AttemptID: "att_paid", MerchantID: m.ID,
			Amount: 11000, Method: "MONEY", ApprovedAt: fixture.T0, CreatedAt: fixture.T0}); err != nil {
			return err
		}
		for id, status := range map[string]string{"re_pending": "pending", "re_done": "succeeded"} {
			if err := tx.CreateRefund(ctx, &store.Refund{ID: id, PaymentID: "pay_1", MerchantID: m.ID, Amount: 1000, Status: status,
				CreatedAt: fixture.T0, UpdatedAt: fixture.T0}); err != nil {
				return err
			}
		}
		for id, status := range map[string]string{"agr_deactivating": "active", "agr_inactive": "inactive", "agr_on": "active"} {
			ag := &store.Agreement{ID: id, MerchantID: m.ID, CheckoutID: "cs_" + id, CID: m.SubscriptionCID, SID: "S" + id,
				PartnerUserID: "u", Status: status, CreatedAt: fixture.T0, UpdatedAt: fixture.T0}
			if id == "agr_deactivating" {
				ag.DeactivateRequestedAt = fixture.T0
			}
			if err := tx.CreateAgreement(ctx, ag); err != nil {
				return err
			}
		}
		for id, status := range map[string]string{"ch_pending": "pending", "ch_unknown": "unknown", "ch_failed": "failed"} {
			if err := tx.CreateCharge(ctx, &store.Charge{ID: id, AgreementID: "agr_on", MerchantID: m.ID, Amount: 5000,
				Reference: id, Status: status, CreatedAt: fixture.T0, UpdatedAt: fixture.T0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testPruneDeliveriesAndEvents: deliveries that ended before the cut go with their tries, oldest
// first; pending ones stay. Events before the cut go once no delivery names them.
func testPruneDeliveriesAndEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	cut := fixture.T0.Add(24 * time.Hour)
	// Each prune runs in a transaction of its own and answers how many it deleted.
	pruneEvents := func(limit int) int {
		return fixture.Commit(t, s, func(tx store.Tx) (int, error) { return tx.PruneEvents(ctx, cut, limit) })
	}
	pruneDeliveries := func(limit int) int {
		return fixture.Commit(t, s, func(tx store.Tx) (int, error) { return tx.PruneDeliveries(ctx, cut, limit) })
	}
	// Each event with a delivery that ends at its time (zero: still pending; none: no delivery).
	events := []struct {
		id    string
		at    time.Time
		ended time.Time
		none  bool
	}{
		{id: "evt_done", at: fixture.T0, ended: fixture.T0.Add(time.Minute)},
		{id: "evt_failed", at: fixture.T0.Add(time.Second), ended: fixture.T0.Add(2 * time.Minute)},
		{id: "evt_pending", at: fixture.T0.Add(2 * time.Second)},
		{id: "evt_late", at: fixture.T0.Add(3 * time.Second), ended: cut.Add(time.Hour)},
		{id: "evt_none", at: fixture.T0.Add(4 * time.Second), none: true},
		{id: "evt_new", at: cut, none: true},
	}
	for _, e := range events {
		err := s.Transact(ctx, func(tx store.Tx) error {
			if err := tx.CreateEvent(ctx, &store.Event{ID: e.id, MerchantID: m.ID, Type: "checkout.created", CheckoutID: "cs_1",
				ObjectID: "cs_1", Data: []byte(`{}`), CreatedAt: e.at}); err != nil || e.none {
				return err
			}
			d := &store.Delivery{ID: "whd_" + e.id, EventID: e.id, EndpointID: "we_1", MerchantID: m.ID, CheckoutID: "cs_1",
				Status: store.DeliveryPending, NextAttemptAt: e.at, CreatedAt: e.at, UpdatedAt: e.at}
			if err := tx.EnqueueDelivery(ctx, d); err != nil || e.ended.IsZero() {
				return err
			}
			return endDelivery(ctx, tx, d, e.ended, e.id != "evt_failed")
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := pruneEvents(100); n != 1 {
		t.Errorf("pruned %d events while their deliveries are kept, want evt_none only", n)
	}
	if n := pruneDeliveries(1); n != 1 {
		t.Fatalf("pruned %d deliveries, want the limit of 1", n)
	}
	if list, err := s.DeliveriesByEvent(ctx, "evt_done"); err != nil || len(list) != 0 {
		t.Errorf("the oldest ended delivery is kept: %d %v", len(list), err)
	}
	if tries, err := s.DeliveryAttempts(ctx, "whd_evt_done"); err != nil || len(tries) != 0 {
		t.Errorf("a pruned delivery left %d tries (%v)", len(tries), err)
	}
	if n := pruneDeliveries(100); n != 1 {
		t.Errorf("pruned %d more deliveries, want the failed one", n)
	}
	for _, id := range []string{"evt_pending", "evt_late"} {
		if list, err := s.DeliveriesByEvent(ctx, id); err != nil || len(list) != 1 {
			t.Errorf("%s has %d deliveries (%v), want its one kept", id, len(list), err)
		}
	}
	if tries, err := s.DeliveryAttempts(ctx, "whd_evt_late"); err != nil || len(tries) != 2 {
		t.Errorf("a kept delivery has %d tries (%v)", len(tries), err)
	}
	if n := pruneEvents(1); n != 1 {
		t.Fatalf("pruned %d events, want the limit of 1", n)
	}
	if _, err := s.Event(ctx, "evt_done"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the oldest event is kept: %v", err)
	}
	if n := pruneEvents(100); n != 1 {
		t.Errorf("pruned %d more events, want evt_failed", n)
	}
	for _, e := range events {
		_, err := s.Event(ctx, e.id)
		kept := e.id == "evt_pending" || e.id == "evt_late" || e.id == "evt_new"
		if kept != (err == nil) {
			t.Errorf("%s: kept %v (%v), want %v", e.id, err == nil, err, kept)
		}
	}
	// The pending delivery ends before the cut: it goes, and then its event.
	err := s.Transact(ctx, func(tx store.Tx) error {
		list, err := tx.DeliveriesByEvent(ctx, "evt_pending")
		if err != nil {
			return err
		}
		return endDelivery(ctx, tx, list[0], fixture.T0.Add(time.Hour), true)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := pruneDeliveries(100); n != 1 {
		t.Errorf("pruned %d deliveries once the pending one ended, want 1", n)
	}
	if n := pruneEvents(100); n != 1 {
		t.Errorf("pruned %d events once its delivery went, want 1", n)
	}
}

// endDelivery records a failed try of d, then (when ok) a succeeded one at at, or a last failed
// one.
func endDelivery(ctx context.Context, tx store.Tx, d *store.Delivery, at time.Time, ok bool) error {
	d.Attempts, d.UpdatedAt, d.NextAttemptAt = 1, at.Add(-time.Second), at
	if err := tx.RecordDeliveryAttempt(ctx, d, &store.DeliveryAttempt{DeliveryID: d.ID, N: 1, StatusCode: 500, At: d.UpdatedAt}); err != nil {
		return err
	}
	d.Attempts, d.UpdatedAt, d.Status = 2, at, store.DeliverySucceeded
	if !ok {
		d.Status = store.DeliveryFailed
	}
	return tx.RecordDeliveryAttempt(ctx, d, &store.DeliveryAttempt{DeliveryID: d.ID, N: 2, StatusCode: 200, At: at})
}

// Package storetest is the conformance suite every store.Store backend passes; the cases about
// events and webhooks are in store/storetest/webhooktest, which Run runs too.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
	"github.com/kpcheckout/kpcheckout/store/storetest/webhooktest"
)

// Run runs the suite against fresh stores made by open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := map[string]func(t *testing.T, s store.Store){
		"MerchantRoundTrip":      testMerchant,
		"CheckoutRoundTrip":      testCheckout,
		"ListNewestFirst":        testList,
		"AttemptTokenIsUnique":   testAttemptToken,
		"OnePaymentPerCheckout":  testOnePayment,
		"RollbackLeavesNothing":  testRollback,
		"ConcurrentTransactions": testConcurrent,
		"ConcurrentAllOrNothing": testConcurrentAllOrNothing,
		"Idempotency":            testIdempotency,
		"IdempotencyReservation": testIdempotencyReservation,
		"DueCheckouts":           testDue,
		"ViewIsOneSnapshot":      testView,
		"Users":                  testUsers,
		"Secrets":                testSecrets,
		"LoginFailures":          testLoginFailures,
		"Sessions":               testSessions,
		"APIKeys":                testAPIKeys,
		"DailyTotals":            testDailyTotals,
		"ListAgreements":         testListAgreements,
		"MerchantSettings":       testMerchantSettings,
		"DuplicateApprove":       testDuplicateApprove,
		"RacingRefunds":          testRacingRefunds,
		"ConcurrentIdempotency":  testConcurrentIdempotencyKeys,
		"ConcurrentClaims":       testConcurrentClaims,
		"RacingOwnerRemovals":    testRacingOwnerRemovals,
		"Leases":                 testLeases,
		"RacingLeases":           testRacingLeases,
		"ApprovalsToSettle":      testApprovalsToSettle,
		"LinkUses":               testLinkUses,
		"RacingLinkClaims":       testRacingLinkClaims,
		"PruneIdempotencyKeys":   testPruneIdempotencyKeys,
		"PruneDeliveriesEvents":  testPruneDeliveriesAndEvents,
		"SearchCheckouts":        testSearchCheckouts,
		"UpdateIdempotencyKey":   testUpdateIdempotencyKey,
		"LiveAttempts":           testLiveAttempts,
		"Refunds":                testRefunds,
		"Agreements":             testAgreements,
		"Charges":                testCharges,
		"Links":                  testLinks,
		"TransactCanceled":       testTransactCanceled,
		"Closed":                 testClosed,
	}
	maps.Copy(tests, webhooktest.Cases())
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) { fn(t, open(t)) })
	}
}

func testMerchant(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	got, err := s.Merchant(ctx, m.ID)
	if err != nil || got.Name != m.Name || got.CID != m.CID || got.MaxAmount != m.MaxAmount || !got.CreatedAt.Equal(fixture.T0) {
		t.Fatalf("by id: %+v %v", got, err)
	}
	if _, err := s.Merchant(ctx, "mer_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing merchant: %v", err)
	}
	if got, err := s.MerchantByName(ctx, m.Name); err != nil || got.ID != m.ID {
		t.Errorf("by name: %+v %v", got, err)
	}
	twin := *m
	twin.ID, twin.CreatedAt = "mer_twin", fixture.T0.Add(time.Second)
	fixture.Write(t, s, store.Tx.CreateMerchant, &twin)
	if ids, err := s.MerchantIDsByName(ctx, m.Name); err != nil || !slices.Equal(ids, []string{m.ID, "mer_twin"}) {
		t.Errorf("ids by name: %v %v", ids, err)
	}
	if ids, err := s.MerchantIDsByName(ctx, "no such shop"); err != nil || len(ids) != 0 {
		t.Errorf("ids by an unknown name: %v %v", ids, err)
	}
}

func testCheckout(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	c := fixture.NewCheckout(t, s, m, "cs_1", fixture.T0)
	got, err := s.Checkout(ctx, "cs_1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Amount != 11000 || got.Items[0].Name != "아메리카노 <b>" || got.Metadata["k"] != "v" || !got.ExpiresAt.Equal(c.ExpiresAt) {
		t.Errorf("round trip: %+v", got)
	}
	got.Status, got.UpdatedAt = "paid", fixture.T0.Add(time.Minute)
	fixture.Write(t, s, store.Tx.UpdateCheckout, got)
	if again, _ := s.Checkout(ctx, "cs_1"); again.Status != "paid" {
		t.Errorf("status %q after update", again.Status)
	}
	if _, err := s.Checkout(ctx, "cs_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing checkout: %v", err)
	}
	err = s.Transact(ctx, func(tx store.Tx) error {
		return tx.UpdateCheckout(ctx, &store.Checkout{ID: "cs_nope"})
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a missing checkout: %v", err)
	}
}

func testList(t *testing.T, s store.Store) {
	ctx := t.Context()
	m, other := fixture.Merchant(t, s, "mer_1"), fixture.Merchant(t, s, "mer_2")
	for i, id := range []string{"cs_a", "cs_b", "cs_c"} {
		fixture.NewCheckout(t, s, m, id, fixture.T0.Add(time.Duration(i)*time.Second))
	}
	fixture.NewCheckout(t, s, other, "cs_x", fixture.T0.Add(time.Hour))
	list, err := s.ListCheckouts(ctx, store.ListCheckouts{MerchantID: m.ID, Limit: 2})
	if err != nil || len(list) != 2 || list[0].ID != "cs_c" || list[1].ID != "cs_b" {
		t.Fatalf("first page: %v %v", ids(list), err)
	}
	list, _ = s.ListCheckouts(ctx, store.ListCheckouts{MerchantID: m.ID, Limit: 2, StartingAfter: "cs_b"})
	if len(list) != 1 || list[0].ID != "cs_a" {
		t.Errorf("second page: %v", ids(list))
	}
	list, _ = s.ListCheckouts(ctx, store.ListCheckouts{MerchantID: m.ID, Limit: 10, StartingAfter: "cs_x"})
	if len(list) != 0 {
		t.Errorf("another merchant's cursor gave %v", ids(list))
	}
	// Dates: from is inclusive, before is not.
	list, _ = s.ListCheckouts(ctx, store.ListCheckouts{MerchantID: m.ID, Limit: 10, CreatedFrom: fixture.T0.Add(time.Second), CreatedBefore: fixture.T0.Add(2 * time.Second)})
	if len(list) != 1 || list[0].ID != "cs_b" {
		t.Errorf("created in [fixture.T0+1s, fixture.T0+2s): %v", ids(list))
	}
	list, _ = s.ListCheckouts(ctx, store.ListCheckouts{MerchantID: m.ID, Limit: 10, CreatedFrom: fixture.T0.Add(time.Second), StartingAfter: "cs_c"})
	if len(list) != 1 || list[0].ID != "cs_b" {
		t.Errorf("from fixture.T0+1s after cs_c: %v", ids(list))
	}
}

func ids(list []*store.Checkout) []string {
	return fixture.IDs(list, func(c *store.Checkout) string { return c.ID })
}

func testAttemptToken(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.NewCheckout(t, s, m, "cs_1", fixture.T0)
	err := s.Transact(ctx, func(tx store.Tx) error {
		for _, a := range []*store.Attempt{fixture.Attempt("att_1", "cs_1", "T1"), fixture.Attempt("att_2", "cs_1", "T2"), fixture.Attempt("att_3", "cs_1", "")} {
			if err := tx.CreateAttempt(ctx, a); err != nil {
				return err
			}
		}
		return tx.CreateAttempt(ctx, fixture.Attempt("att_4", "cs_1", "")) // no tid twice: allowed
	})
	if err != nil {
		t.Fatal(err)
	}
	set := func(id, token string) error {
		return s.Transact(ctx, func(tx store.Tx) error {
			a, err := tx.Attempt(ctx, id)
			if err != nil {
				return err
			}
			a.PGToken = token
			return tx.UpdateAttempt(ctx, a)
		})
	}
	if err := set("att_1", "tok"); err != nil {
		t.Fatal(err)
	}
	if err := set("att_2", "tok"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a pg_token used twice: %v", err)
	}
	list, _ := s.AttemptsByCheckout(ctx, "cs_1")
	if len(list) != 4 || list[0].ID != "att_1" || list[0].PGToken != "tok" || list[2].TID != "" {
		t.Errorf("attempts %+v", list)
	}
}

// testApprovalsToSettle: an attempt keeps when its approve was sent and its void status, and the
// reconciler finds the approvals to cancel at KakaoPay and the ones KakaoPay never confirmed.
func testApprovalsToSettle(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.NewCheckout(t, s, m, "cs_1", fixture.T0)
	sent := fixture.T0.Add(time.Minute)
	rows := []*store.Attempt{
		fixture.Attempt("att_stray", "cs_1", "T1"), fixture.Attempt("att_voided", "cs_1", "T2"),
		fixture.Attempt("att_unconfirmed", "cs_1", "T3"), fixture.Attempt("att_failed", "cs_1", "T4"), fixture.Attempt("att_sent", "cs_1", "T5"),
	}
	rows[0].Status, rows[0].VoidStatus = "approved", "pending"
	rows[1].Status, rows[1].VoidStatus = "approved", "voided"
	rows[2].Status, rows[2].FailureCode, rows[2].ApproveSentAt, rows[2].UpdatedAt = "failed", "APPROVE_UNCONFIRMED", sent, fixture.T0.Add(time.Hour)
	rows[3].Status, rows[3].FailureCode, rows[3].ApproveSentAt = "failed", "INSUFFICIENT_BALANCE", sent
	rows[4].PGToken, rows[4].ApproveSentAt = "tok", sent
	fixture.Write(t, s, store.Tx.CreateAttempt, rows...)
	if a, err := s.Attempt(ctx, "att_sent"); err != nil || !a.ApproveSentAt.Equal(sent) || a.VoidStatus != "" {
		t.Errorf("sent attempt: %v %+v", err, a)
	}
	if a, err := s.Attempt(ctx, "att_stray"); err != nil || !a.ApproveSentAt.IsZero() || a.VoidStatus != "pending" {
		t.Errorf("stray attempt: %v %+v", err, a)
	}
	if list, err := s.StrayApprovals(ctx, 10); err != nil || len(list) != 1 || list[0].ID != "att_stray" {
		t.Errorf("stray approvals: %v %+v", err, list)
	}
	if list, err := s.UnconfirmedApprovals(ctx, fixture.T0, 10); err != nil || len(list) != 1 || list[0].ID != "att_unconfirmed" {
		t.Errorf("unconfirmed approvals: %v %+v", err, list)
	}
	if list, err := s.UnconfirmedApprovals(ctx, fixture.T0.Add(2*time.Hour), 10); err != nil || len(list) != 0 {
		t.Errorf("unconfirmed approvals ended before since: %v %+v", err, list)
	}
	// Voiding one, and clearing a sent time when a refused claim is released, are written.
	err := s.Transact(ctx, func(tx store.Tx) error {
		a, err := tx.Attempt(ctx, "att_stray")
		if err != nil {
			return err
		}
		a.VoidStatus = "voided"
		if err := tx.UpdateAttempt(ctx, a); err != nil {
			return err
		}
		if a, err = tx.Attempt(ctx, "att_sent"); err != nil {
			return err
		}
		a.PGToken, a.ApproveSentAt = "", time.Time{}
		return tx.UpdateAttempt(ctx, a)
	})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := s.StrayApprovals(ctx, 10); err != nil || len(list) != 0 {
		t.Errorf("stray approvals after voiding: %v %+v", err, list)
	}
	if a, err := s.Attempt(ctx, "att_sent"); err != nil || !a.ApproveSentAt.IsZero() || a.PGToken != "" {
		t.Errorf("released attempt: %v %+v", err, a)
	}
}

// testLiveAttempts: the reconciler asks KakaoPay about the attempts still ready or
// authenticating (those with a tid: a ready call answered) made at or before a time, oldest first.
func testLiveAttempts(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.NewCheckout(t, s, m, "cs_1", fixture.T0)
	rows := []*store.Attempt{
		fixture.Attempt("att_ready", "cs_1", "T1"), fixture.Attempt("att_auth", "cs_1", "T2"), fixture.Attempt("att_no_tid", "cs_1", ""),
		fixture.Attempt("att_failed", "cs_1", "T3"), fixture.Attempt("att_later", "cs_1", "T4"),
	}
	rows[0].CreatedAt = fixture.T0.Add(time.Second)
	rows[1].Status = "authenticating"
	rows[3].Status = "failed"
	rows[4].CreatedAt = fixture.T0.Add(time.Hour)
	fixture.Write(t, s, store.Tx.CreateAttempt, rows...)
	attemptIDs := fixture.IDsBy(t, func(a *store.Attempt) string { return a.ID })
	live := func(before time.Time, limit int) []string { return attemptIDs(s.LiveAttempts(ctx, before, limit)) }
	if got := live(fixture.T0.Add(time.Minute), 10); !slices.Equal(got, []string{"att_auth", "att_ready"}) {
		t.Errorf("live at fixture.T0+1m: %v", got)
	}
	if got := live(fixture.T0.Add(time.Hour), 1); !slices.Equal(got, []string{"att_auth"}) {
		t.Errorf("live at fixture.T0+1h, one: %v", got)
	}
	if got := live(fixture.T0.Add(time.Hour), 10); !slices.Equal(got, []string{"att_auth", "att_ready", "att_later"}) {
		t.Errorf("live at fixture.T0+1h: %v", got)
	}
	if _, err := s.Attempt(ctx, "att_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing attempt: %v", err)
	}
	err := s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateAttempt(ctx, &store.Attempt{ID: "att_nope"}) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a missing attempt: %v", err)
	}
}

func testOnePayment(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.NewCheckout(t, s, m, "cs_1", fixture.T0)
	pay := func(id, attemptID string) error {
		return s.Transact(ctx, func(tx store.Tx) error {
			if err := tx.CreateAttempt(ctx, fixture.Attempt(attemptID, "cs_1", "T"+attemptID)); err != nil {
				return err
			}
			return tx.CreatePayment(ctx, &store.Payment{ID: id, CheckoutID: "cs_1", AttemptID: attemptID, MerchantID: m.ID,
				Amount: 11000, Method: "MONEY", ApprovedAt: fixture.T0, CreatedAt: fixture.T0})
		})
	}
	if err := pay("pay_1", "att_1"); err != nil {
		t.Fatal(err)
	}
	if err := pay("pay_2", "att_2"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second payment: %v", err)
	}
	p, err := s.PaymentByCheckout(ctx, "cs_1")
	if err != nil || p.ID != "pay_1" || p.Amount != 11000 {
		t.Errorf("payment %+v %v", p, err)
	}
	if list, _ := s.AttemptsByCheckout(ctx, "cs_1"); len(list) != 1 {
		t.Errorf("the failed transaction left %d attempts", len(list))
	}
}

func testRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	boom := errors.New("boom")
	err := s.Transact(ctx, func(tx store.Tx) error {
		c := &store.Checkout{ID: "cs_1", MerchantID: m.ID, Mode: "payment", Status: "open", Amount: 100, Currency: "KRW",
			ExpiresAt: fixture.T0, CreatedAt: fixture.T0, UpdatedAt: fixture.T0}
		if err := tx.CreateCheckout(ctx, c); err != nil {
			return err
		}
		if err := tx.CreateEvent(ctx, &store.Event{ID: "evt_1", MerchantID: m.ID, Type: "checkout.created", CheckoutID: "cs_1", ObjectID: "cs_1", Data: []byte("{}"), CreatedAt: fixture.T0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Transact returned %v", err)
	}
	if _, err := s.Checkout(ctx, "cs_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rolled-back checkout: %v", err)
	}
	if ev, _ := s.Events(ctx, store.ListEvents{MerchantID: m.ID, Limit: 10}); len(ev) != 0 {
		t.Errorf("rolled-back events: %d", len(ev))
	}
	func() {
		defer func() { recover() }()
		s.Transact(ctx, func(tx store.Tx) error {
			tx.CreateEvent(ctx, &store.Event{ID: "evt_2", MerchantID: m.ID, Type: "x", Data: []byte("{}"), CreatedAt: fixture.T0})
			panic("boom")
		})
	}()
	if ev, _ := s.Events(ctx, store.ListEvents{MerchantID: m.ID, Limit: 10}); len(ev) != 0 {
		t.Errorf("a panic left %d events", len(ev))
	}
}

// testConcurrent makes many writers race on one counter: transactions must serialize.
func testConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.NewCheckout(t, s, m, "cs_1", fixture.T0)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Transact(ctx, func(tx store.Tx) error {
				c, err := tx.LockCheckout(ctx, "cs_1")
				if err != nil {
					return err
				}
				c.ExpiresAt = c.ExpiresAt.Add(time.Second)
				return tx.UpdateCheckout(ctx, c)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c, _ := s.Checkout(ctx, "cs_1")
	if want := fixture.T0.Add(time.Hour + 20*time.Second); !c.ExpiresAt.Equal(want) {
		t.Errorf("lost updates: expires_at %v, want %v", c.ExpiresAt, want)
	}
}

func testIdempotency(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	k := &store.IdempotencyKey{MerchantID: m.ID, Key: "k1", RequestHash: "h", StatusCode: 201, Body: []byte(`{"id":"cs_1"}`), CreatedAt: fixture.T0}
	fixture.Write(t, s, store.Tx.CreateIdempotencyKey, k)
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateIdempotencyKey(ctx, k) }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a key saved twice: %v", err)
	}
	got, err := s.IdempotencyKey(ctx, m.ID, "k1")
	if err != nil || got.StatusCode != 201 || string(got.Body) != `{"id":"cs_1"}` {
		t.Errorf("read back %+v %v", got, err)
	}
	if _, err := s.IdempotencyKey(ctx, "mer_other", "k1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another merchant's key: %v", err)
	}
}

func testIdempotencyReservation(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	tx := func(fn func(tx store.Tx) error) error { return s.Transact(ctx, fn) }
	res := &store.IdempotencyKey{MerchantID: m.ID, Key: "k", RequestHash: "h", Owner: "first", CreatedAt: fixture.T0}
	if err := tx(func(tx store.Tx) error { return tx.CreateIdempotencyKey(ctx, res) }); err != nil {
		t.Fatal(err)
	}
	other := &store.IdempotencyKey{MerchantID: m.ID, Key: "k", Owner: "second", ObjectType: "refund", ObjectID: "re_1"}
	if err := tx(func(tx store.Tx) error { return tx.BindIdempotencyKey(ctx, other) }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("another owner bound the key: %v", err)
	}
	bind := &store.IdempotencyKey{MerchantID: m.ID, Key: "k", Owner: "first", ObjectType: "refund", ObjectID: "re_1"}
	if err := tx(func(tx store.Tx) error { return tx.BindIdempotencyKey(ctx, bind) }); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if err := tx(func(tx store.Tx) error { return tx.ReleaseIdempotencyKey(ctx, m.ID, "k", "first") }); err != nil {
		t.Fatal(err)
	}
	got, err := s.IdempotencyKey(ctx, m.ID, "k")
	if err != nil || got.ObjectType != "refund" || got.ObjectID != "re_1" || got.StatusCode != 0 {
		t.Fatalf("a bound key was released: %+v %v", got, err)
	}
	done := &store.IdempotencyKey{MerchantID: m.ID, Key: "k", Owner: "second", StatusCode: 201, Body: []byte("{}")}
	if err := tx(func(tx store.Tx) error { return tx.CompleteIdempotencyKey(ctx, done) }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("another owner completed the key: %v", err)
	}
	done.Owner = "first"
	if err := tx(func(tx store.Tx) error { return tx.CompleteIdempotencyKey(ctx, done) }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.IdempotencyKey(ctx, m.ID, "k"); got.StatusCode != 201 {
		t.Errorf("completed key %+v", got)
	}
	free := &store.IdempotencyKey{MerchantID: m.ID, Key: "free", RequestHash: "h", Owner: "o", CreatedAt: fixture.T0}
	if err := tx(func(tx store.Tx) error { return tx.CreateIdempotencyKey(ctx, free) }); err != nil {
		t.Fatal(err)
	}
	if err := tx(func(tx store.Tx) error { return tx.ReleaseIdempotencyKey(ctx, m.ID, "free", "o") }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IdempotencyKey(ctx, m.ID, "free"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unbound key was kept: %v", err)
	}
}

func testDue(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.NewCheckout(t, s, m, "cs_1", fixture.T0)                  // expires fixture.T0+1h
	fixture.NewCheckout(t, s, m, "cs_2", fixture.T0.Add(time.Minute)) // expires fixture.T0+1h1m
	due, err := s.DueCheckouts(ctx, fixture.T0.Add(time.Hour), 10)
	if err != nil || len(due) != 1 || due[0] != "cs_1" {
		t.Errorf("due %v %v", due, err)
	}
	// An approval being confirmed holds its checkout past expires_at; an ended one does not.
	held, ended := fixture.Attempt("att_held", "cs_1", "T1"), fixture.Attempt("att_ended", "cs_2", "T2")
	held.PGToken, ended.PGToken, ended.Status = "tok1", "tok2", "failed"
	err = s.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateAttempt(ctx, held); err != nil {
			return err
		}
		return tx.CreateAttempt(ctx, ended)
	})
	if err != nil {
		t.Fatal(err)
	}
	if due, err := s.DueCheckouts(ctx, fixture.T0.Add(2*time.Hour), 10); err != nil || len(due) != 1 || due[0] != "cs_2" {
		t.Errorf("due with a held checkout %v %v", due, err)
	}
}

// testConcurrentAllOrNothing races transactions that commit, fail or panic after writing: each
// one's writes are all there or all gone, whatever the others did at the same time.
func testConcurrentAllOrNothing(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	boom := errors.New("boom")
	const n = 120
	outcomes := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					outcomes[i] = fmt.Sprint("panic: ", p)
				}
			}()
			id := fmt.Sprintf("cs_%03d", i)
			err := s.Transact(ctx, func(tx store.Tx) error {
				c := &store.Checkout{ID: id, MerchantID: m.ID, Mode: "payment", Status: "open", Amount: 100, Currency: "KRW",
					ExpiresAt: fixture.T0, CreatedAt: fixture.T0, UpdatedAt: fixture.T0}
				if err := tx.CreateCheckout(ctx, c); err != nil {
					return err
				}
				if err := tx.CreateEvent(ctx, &store.Event{ID: "evt_" + id, MerchantID: m.ID, Type: "checkout.created",
					CheckoutID: id, ObjectID: id, Data: []byte("{}"), CreatedAt: fixture.T0}); err != nil {
					return err
				}
				switch i % 5 {
				case 1:
					return boom
				case 3:
					panic(id)
				}
				return nil
			})
			switch {
			case err == nil:
				outcomes[i] = "ok"
			case errors.Is(err, boom):
				outcomes[i] = "boom"
			default:
				outcomes[i] = err.Error()
			}
		}()
	}
	wg.Wait()
	events, err := s.Events(ctx, store.ListEvents{MerchantID: m.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != n/5*3 {
		t.Errorf("%d events committed, want %d", len(events), n/5*3)
	}
	for i, got := range outcomes {
		id := fmt.Sprintf("cs_%03d", i)
		want := map[int]string{1: "boom", 3: "panic: " + id}[i%5]
		if want == "" {
			want = "ok"
		}
		if got != want {
			t.Errorf("%s: Transact gave %q, want %q", id, got, want)
		}
		_, err := s.Checkout(ctx, id)
		if committed := err == nil; committed != (want == "ok") {
			t.Errorf("%s (%s): checkout committed = %v", id, want, committed)
		}
	}
}

// testView: reads inside one View see the database as it was at the first of them, though a
// write commits in between; a View after the commit sees it.
func testView(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.NewCheckout(t, s, m, "cs_1", fixture.T0)
	var before, during string
	err := s.View(ctx, func(r store.Reader) error {
		c, err := r.Checkout(ctx, "cs_1")
		if err != nil {
			return err
		}
		before = c.Status
		paid := *c
		paid.Status = "paid"
		if err := s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateCheckout(ctx, &paid) }); err != nil {
			return err
		}
		if c, err = r.Checkout(ctx, "cs_1"); err != nil {
			return err
		}
		during = c.Status
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if before != "open" || during != "open" {
		t.Errorf("inside one view the checkout read %q, then %q after another commit; want open both times", before, during)
	}
	err = s.View(ctx, func(r store.Reader) error {
		c, err := r.Checkout(ctx, "cs_1")
		if err == nil && c.Status != "paid" {
			t.Errorf("a later view reads %q", c.Status)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(r store.Reader) error { _, err := r.Checkout(ctx, "cs_nope"); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a view's error: %v", err)
	}
}

// testSearchCheckouts: a search finds a checkout by its id, by the start of its reference
// (whatever the case of ASCII letters; % and _ are letters like any other), or by its
// customer's whole e-mail, whatever its case; a status narrows the list.
func testSearchCheckouts(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	err := s.Transact(ctx, func(tx store.Tx) error {
		for i, c := range []*store.Checkout{
			{ID: "cs_s1", Reference: "Order_100%", CustomerEmail: "Kim@Example.com", Status: "paid"},
			{ID: "cs_s2", Reference: "order_1000", CustomerName: "이영희", Status: "open"},
			{ID: "cs_s3", Reference: "order-9", Status: "open", Description: "선물", Locale: "en", TaxFreeAmount: 100},
		} {
			at := fixture.T0.Add(time.Duration(i) * time.Second)
			c.MerchantID, c.Mode, c.Amount, c.Currency, c.ExpiresAt, c.CreatedAt, c.UpdatedAt = m.ID, "payment", 1000, "KRW", at.Add(time.Hour), at, at
			if err := tx.CreateCheckout(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for search, want := range map[string][]string{
		"cs_s2":           {"cs_s2"},
		"ORDER_":          {"cs_s2", "cs_s1"},
		"order_100%":      {"cs_s1"},
		"order%":          nil,
		"kim@example.com": {"cs_s1"},
		"Kim@":            nil,
		"":                {"cs_s3", "cs_s2", "cs_s1"},
	} {
		list, err := s.ListCheckouts(ctx, store.ListCheckouts{MerchantID: m.ID, Search: search, Limit: 10})
		if err != nil || !slices.Equal(ids(list), want) {
			t.Errorf("search %q: %v %v, want %v", search, ids(list), err, want)
		}
	}
	list, err := s.ListCheckouts(ctx, store.ListCheckouts{MerchantID: m.ID, Status: "open", Limit: 10})
	if err != nil || !slices.Equal(ids(list), []string{"cs_s3", "cs_s2"}) {
		t.Errorf("open: %v %v", ids(list), err)
	}
	if len(list) == 2 && (list[0].Description != "선물" || list[0].Locale != "en" || list[0].TaxFreeAmount != 100 ||
		list[0].Items != nil || len(list[0].Metadata) != 0 || list[1].CustomerName != "이영희") {
		t.Errorf("listed rows: %+v %+v", list[0], list[1])
	}
}

// testUpdateIdempotencyKey: a reservation taking over an abandoned one replaces the whole row.
func testUpdateIdempotencyKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	old := &store.IdempotencyKey{MerchantID: m.ID, Key: "k", RequestHash: "h1", Owner: "first", ObjectType: "refund", ObjectID: "re_1", CreatedAt: fixture.T0}
	fixture.Write(t, s, store.Tx.CreateIdempotencyKey, old)
	later := fixture.T0.Add(time.Hour)
	k := &store.IdempotencyKey{MerchantID: m.ID, Key: "k", RequestHash: "h2", Owner: "second", CreatedAt: later}
	fixture.Write(t, s, store.Tx.UpdateIdempotencyKey, k)
	got, err := s.IdempotencyKey(ctx, m.ID, "k")
	if err != nil || got.RequestHash != "h2" || got.Owner != "second" || got.ObjectType != "" || got.ObjectID != "" ||
		got.StatusCode != 0 || len(got.Body) != 0 || !got.CreatedAt.Equal(later) {
		t.Errorf("taken over: %+v %v", got, err)
	}
	k.Key = "k_nope"
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateIdempotencyKey(ctx, k) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a missing key: %v", err)
	}
}

// testTransactCanceled: a Transact whose context has ended runs nothing, commits nothing and
// says why.
func testTransactCanceled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	m := fixture.Merchant(t, s, "mer_1")
	ran := false
	err := s.Transact(ctx, func(tx store.Tx) error {
		ran = true
		return tx.CreateCheckout(ctx, &store.Checkout{ID: "cs_1", MerchantID: m.ID, Mode: "payment", Status: "open",
			Amount: 100, Currency: "KRW", ExpiresAt: fixture.T0, CreatedAt: fixture.T0, UpdatedAt: fixture.T0})
	})
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Transact with an ended context: %v (fn ran: %v)", err, ran)
	}
	if _, err := s.Checkout(t.Context(), "cs_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after a canceled Transact: %v", err)
	}
}

// testClosed: once closed, a store runs no transaction and answers no read, with an error.
func testClosed(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ran := false
	if err := s.Transact(ctx, func(tx store.Tx) error { ran = true; return nil }); err == nil || ran {
		t.Errorf("Transact after Close: %v (fn ran: %v)", err, ran)
	}
	if err := s.View(ctx, func(r store.Reader) error { ran = true; return nil }); err == nil || ran {
		t.Errorf("View after Close: %v (fn ran: %v)", err, ran)
	}
	if _, err := s.Merchant(ctx, m.ID); err == nil {
		t.Error("a read after Close answered")
	}
	if _, err := s.ListCheckouts(ctx, store.ListCheckouts{MerchantID: m.ID, Limit: 10}); err == nil {
		t.Error("a list after Close answered")
	}
}

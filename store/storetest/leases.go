package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

// take takes a lease for holder until until, as of now.
func take(t *testing.T, s store.Store, name, holder string, now, until time.Time) bool {
	t.Helper()
	return fixture.Commit(t, s, func(tx store.Tx) (bool, error) {
		return tx.TakeLease(t.Context(), &store.Lease{Name: name, Holder: holder, ExpiresAt: until}, now)
	})
}

func testLeases(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.Lease(ctx, "approve:att_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no lease yet: %v", err)
	}
	if !take(t, s, "approve:att_1", "a", fixture.T0, fixture.T0.Add(time.Minute)) {
		t.Fatal("a free lease was not taken")
	}
	if l, err := s.Lease(ctx, "approve:att_1"); err != nil || l.Holder != "a" || !l.ExpiresAt.Equal(fixture.T0.Add(time.Minute)) {
		t.Errorf("lease: %+v %v", l, err)
	}
	if take(t, s, "approve:att_1", "b", fixture.T0.Add(59*time.Second), fixture.T0.Add(2*time.Minute)) {
		t.Error("a held lease was taken by another")
	}
	if !take(t, s, "approve:att_1", "a", fixture.T0.Add(30*time.Second), fixture.T0.Add(90*time.Second)) {
		t.Error("its holder could not renew a lease")
	}
	if !take(t, s, "other", "b", fixture.T0, fixture.T0.Add(time.Minute)) {
		t.Error("a lease of another name was not taken")
	}
	// a dies: its lease lapses and b takes the work over.
	if !take(t, s, "approve:att_1", "b", fixture.T0.Add(90*time.Second), fixture.T0.Add(3*time.Minute)) {
		t.Error("a lapsed lease was not taken over")
	}
	if l, _ := s.Lease(ctx, "approve:att_1"); l == nil || l.Holder != "b" {
		t.Errorf("taken over: %+v", l)
	}
	release := func(name, holder string) {
		t.Helper()
		if err := s.Transact(ctx, func(tx store.Tx) error { return tx.ReleaseLease(ctx, name, holder) }); err != nil {
			t.Fatal(err)
		}
	}
	release("approve:att_1", "a") // a, back from the dead, cannot free what b holds
	if l, _ := s.Lease(ctx, "approve:att_1"); l == nil || l.Holder != "b" {
		t.Errorf("released by its former holder: %+v", l)
	}
	release("approve:att_1", "b")
	if _, err := s.Lease(ctx, "approve:att_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("released: %v", err)
	}
	if !take(t, s, "approve:att_1", "c", fixture.T0.Add(91*time.Second), fixture.T0.Add(2*time.Minute)) {
		t.Error("a released lease was not taken")
	}
	var n int
	err := s.Transact(ctx, func(tx store.Tx) (err error) {
		n, err = tx.DropLapsedLeases(ctx, fixture.T0.Add(90*time.Second))
		return err
	})
	if err != nil || n != 1 {
		t.Errorf("dropped %d lapsed leases (%v), want 1", n, err)
	}
	if _, err := s.Lease(ctx, "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the lapsed lease is still there: %v", err)
	}
	if _, err := s.Lease(ctx, "approve:att_1"); err != nil {
		t.Errorf("a live lease was dropped: %v", err)
	}
}

var errLeaseHeld = errors.New("the lease is held")

// testRacingLeases: instances taking one free (or lapsed) lease at once, each in its own
// transaction, leave it to exactly one of them.
func testRacingLeases(t *testing.T, s store.Store) {
	for round, now := range []time.Time{fixture.T0, fixture.T0.Add(2 * time.Minute)} { // free, then lapsed
		errs := fixture.Race(8, func(i int) error {
			if !take(t, s, "reconcile:att_1", fmt.Sprintf("inst-%d-%d", round, i), now, now.Add(time.Minute)) {
				return errLeaseHeld
			}
			return nil
		})
		if winners := fixture.Won(t, errs, errLeaseHeld, "instance"); winners != 1 {
			t.Errorf("round %d: %d instances took one lease", round, winners)
		}
	}
}

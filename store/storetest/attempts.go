package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

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

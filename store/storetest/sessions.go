package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	tx := func(fn func(tx store.Tx) error) error { return s.Transact(ctx, fn) }
	create := func(id, userID string, at time.Time) {
		t.Helper()
		se := &store.Session{ID: id, UserID: userID, CreatedAt: at, SeenAt: at, ExpiresAt: at.Add(12 * time.Hour)}
		if err := tx(func(tx store.Tx) error { return tx.CreateSession(ctx, se) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Session(ctx, "sess_a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no session yet: %v", err)
	}
	create("sess_a", "usr_1", fixture.T0)
	got, err := s.Session(ctx, "sess_a")
	if err != nil || got.UserID != "usr_1" || !got.CreatedAt.Equal(fixture.T0) || !got.SeenAt.Equal(fixture.T0) || !got.ExpiresAt.Equal(fixture.T0.Add(12*time.Hour)) {
		t.Fatalf("read back: %+v %v", got, err)
	}
	dup := &store.Session{ID: "sess_a", UserID: "usr_2", CreatedAt: fixture.T0, SeenAt: fixture.T0, ExpiresAt: fixture.T0}
	if err := tx(func(tx store.Tx) error { return tx.CreateSession(ctx, dup) }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a taken id: %v", err)
	}

	// Touched once a minute at most: a later touch within the minute writes nothing.
	touch := func(at time.Time) {
		t.Helper()
		if err := tx(func(tx store.Tx) error { return tx.TouchSession(ctx, "sess_a", at, at.Add(-time.Minute)) }); err != nil {
			t.Fatal(err)
		}
	}
	touch(fixture.T0.Add(30 * time.Second))
	if got, _ := s.Session(ctx, "sess_a"); !got.SeenAt.Equal(fixture.T0) {
		t.Errorf("touched within the minute: seen %v", got.SeenAt)
	}
	touch(fixture.T0.Add(2 * time.Minute))
	if got, _ := s.Session(ctx, "sess_a"); !got.SeenAt.Equal(fixture.T0.Add(2*time.Minute)) || !got.CreatedAt.Equal(fixture.T0) {
		t.Errorf("touched after two minutes: %+v", got)
	}
	if err := tx(func(tx store.Tx) error { return tx.TouchSession(ctx, "sess_none", fixture.T0, fixture.T0) }); err != nil {
		t.Errorf("touching a session that is gone: %v", err)
	}

	testSessionEnds(t, s)
}

// testSessionEnds deletes one session, a user's sessions, and ended ones.
func testSessionEnds(t *testing.T, s store.Store) {
	ctx := t.Context()
	tx := func(fn func(tx store.Tx) error) error { return s.Transact(ctx, fn) }
	for _, se := range []*store.Session{
		{ID: "sess_b", UserID: "usr_1", CreatedAt: fixture.T0, SeenAt: fixture.T0, ExpiresAt: fixture.T0.Add(12 * time.Hour)},
		{ID: "sess_c", UserID: "usr_2", CreatedAt: fixture.T0, SeenAt: fixture.T0, ExpiresAt: fixture.T0.Add(12 * time.Hour)},
		{ID: "sess_idle", UserID: "usr_2", CreatedAt: fixture.T0, SeenAt: fixture.T0.Add(-time.Hour), ExpiresAt: fixture.T0.Add(12 * time.Hour)},
		{ID: "sess_old", UserID: "usr_3", CreatedAt: fixture.T0.Add(-12 * time.Hour), SeenAt: fixture.T0, ExpiresAt: fixture.T0},
	} {
		if err := tx(func(tx store.Tx) error { return tx.CreateSession(ctx, se) }); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // a second sign-out finds nothing to end, and that is no error
		if err := tx(func(tx store.Tx) error { return tx.DeleteSession(ctx, "sess_a") }); err != nil {
			t.Errorf("delete: %v", err)
		}
	}
	if _, err := s.Session(ctx, "sess_a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted session: %v", err)
	}
	var n int
	err := tx(func(tx store.Tx) (err error) { n, err = tx.DeleteUserSessions(ctx, "usr_1"); return err })
	if _, gone := s.Session(ctx, "sess_b"); err != nil || n != 1 || !errors.Is(gone, store.ErrNotFound) {
		t.Errorf("the user's sessions: %d %v, read after: %v", n, err, gone)
	}
	err = tx(func(tx store.Tx) (err error) {
		n, err = tx.DropEndedSessions(ctx, fixture.T0, fixture.T0.Add(-30*time.Minute))
		return err
	})
	if err != nil || n != 2 {
		t.Errorf("dropping the expired and the idle: %d %v", n, err)
	}
	for id, live := range map[string]bool{"sess_c": true, "sess_idle": false, "sess_old": false} {
		if _, err := s.Session(ctx, id); (err == nil) != live {
			t.Errorf("%s after the drop: %v, want live %v", id, err, live)
		}
	}
}

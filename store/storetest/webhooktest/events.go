package webhooktest

import (
	"slices"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

// addEvent commits one event of m.
func addEvent(t *testing.T, s store.Store, m *store.Merchant, id, typ string, at time.Time) {
	t.Helper()
	fixture.Write(t, s, store.Tx.CreateEvent, &store.Event{ID: id, MerchantID: m.ID, Type: typ, Data: []byte("{}"), CreatedAt: at})
}

func eventIDs(list []*store.Event) []string {
	return fixture.IDs(list, func(e *store.Event) string { return e.ID })
}

// testEventsForward: listed forward, a merchant's events come oldest first in the order they
// were committed, whatever their created_at, after a given one, of a type, a page at a time.
func testEventsForward(t *testing.T, s store.Store) {
	ctx := t.Context()
	m, other := fixture.Merchant(t, s, "mer_1"), fixture.Merchant(t, s, "mer_2")
	addEvent(t, s, m, "evt_a", "checkout.created", fixture.T0.Add(2*time.Second))
	addEvent(t, s, other, "evt_x", "checkout.created", fixture.T0)
	addEvent(t, s, m, "evt_b", "checkout.paid", fixture.T0) // an earlier clock, committed later
	addEvent(t, s, m, "evt_c", "checkout.created", fixture.T0.Add(time.Second))
	for _, tc := range []struct {
		p    store.ListEvents
		want []string
	}{
		{store.ListEvents{Forward: true, Limit: 10}, []string{"evt_a", "evt_b", "evt_c"}},
		{store.ListEvents{Forward: true, After: "evt_a", Limit: 10}, []string{"evt_b", "evt_c"}},
		{store.ListEvents{Forward: true, After: "evt_a", Limit: 1}, []string{"evt_b"}},
		{store.ListEvents{Forward: true, After: "evt_c", Limit: 10}, []string{}},
		{store.ListEvents{Forward: true, Type: "checkout.created", Limit: 10}, []string{"evt_a", "evt_c"}},
		{store.ListEvents{Forward: true, After: "evt_x", Limit: 10}, []string{}}, // another merchant's
	} {
		tc.p.MerchantID = m.ID
		list, err := s.Events(ctx, tc.p)
		if got := eventIDs(list); err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %v %v, want %v", tc.p, got, err, tc.want)
		}
	}
}

// testEventsForwardMissNone: a follower that reads forward while a transaction that wrote an
// event first is still open, and another that wrote one after it has committed, gets both once
// every transaction is done, each once.
func testEventsForwardMissNone(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	addEvent(t, s, m, "evt_anchor", "checkout.created", fixture.T0)
	wrote, release, firstDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		firstDone <- s.Transact(ctx, func(tx store.Tx) error {
			err := tx.CreateEvent(ctx, &store.Event{ID: "evt_first", MerchantID: m.ID, Type: "checkout.created", Data: []byte("{}"), CreatedAt: fixture.T0})
			if err == nil {
				close(wrote)
				<-release
			}
			return err
		})
	}()
	<-wrote
	secondDone := make(chan error, 1)
	go func() {
		secondDone <- s.Transact(ctx, func(tx store.Tx) error {
			return tx.CreateEvent(ctx, &store.Event{ID: "evt_second", MerchantID: m.ID, Type: "checkout.created", Data: []byte("{}"), CreatedAt: fixture.T0})
		})
	}()
	// Where several connections write (PostgreSQL, a Broadcaster), the second commits while the
	// first is open, and the follower reads then; with SQLite's one writer the second waits.
	if _, shared := s.(store.Broadcaster); shared {
		if err := <-secondDone; err != nil {
			t.Fatal(err)
		}
		secondDone <- nil
	}
	seen, err := s.Events(ctx, store.ListEvents{MerchantID: m.ID, Forward: true, After: "evt_anchor", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if err := <-secondDone; err != nil {
		t.Fatal(err)
	}
	cursor := "evt_anchor"
	if len(seen) > 0 {
		cursor = seen[len(seen)-1].ID
	}
	rest, err := s.Events(ctx, store.ListEvents{MerchantID: m.ID, Forward: true, After: cursor, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := append(eventIDs(seen), eventIDs(rest)...)
	if len(got) != 2 || !slices.Contains(got, "evt_first") || !slices.Contains(got, "evt_second") {
		t.Errorf("the follower got %v while the first was open, then %v: want evt_first and evt_second once each", eventIDs(seen), eventIDs(rest))
	}
}

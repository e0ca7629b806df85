package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// testDeliveriesByEndpoint lists one endpoint's deliveries, newest first, and none of another's.
func testDeliveriesByEndpoint(t *testing.T, s store.Store) {
	ctx := context.Background()
	m, other := merchant(t, s, "mer_1"), merchant(t, s, "mer_2")
	endpoint := func(id string, m *store.Merchant, events ...string) {
		e := &store.WebhookEndpoint{ID: id, MerchantID: m.ID, URL: "https://shop.example/" + id, EnabledEvents: events,
			Secret: "whsec_" + id, CreatedAt: t0, UpdatedAt: t0}
		if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateWebhookEndpoint(ctx, e) }); err != nil {
			t.Fatal(err)
		}
	}
	endpoint("we_all", m, "*")
	endpoint("we_paid", m, "checkout.paid")
	endpoint("we_other", other, "*")
	for i, typ := range []string{"checkout.created", "checkout.paid", "checkout.expired"} {
		ev := &store.Event{ID: "evt_" + typ, MerchantID: m.ID, Type: typ, CheckoutID: "cs_1", Data: []byte(`{}`),
			CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateEvent(ctx, ev) }); err != nil {
			t.Fatal(err)
		}
	}
	events := func(list []*store.Delivery) []string {
		var out []string
		for _, d := range list {
			out = append(out, d.EventID)
		}
		return out
	}
	list, err := s.DeliveriesByEndpoint(ctx, "we_all", 2)
	if err != nil || len(list) != 2 || list[0].EventID != "evt_checkout.expired" || list[1].EventID != "evt_checkout.paid" ||
		list[0].EndpointID != "we_all" || list[0].Status != store.DeliveryPending {
		t.Fatalf("newest two of we_all: %v %v", events(list), err)
	}
	if list, err := s.DeliveriesByEndpoint(ctx, "we_paid", 10); err != nil || len(list) != 1 || list[0].EventID != "evt_checkout.paid" {
		t.Errorf("we_paid: %v %v", events(list), err)
	}
	for _, id := range []string{"we_other", "we_nope"} {
		if list, err := s.DeliveriesByEndpoint(ctx, id, 10); err != nil || len(list) != 0 {
			t.Errorf("%s: %v %v", id, events(list), err)
		}
	}
}

// addEndpoint adds an endpoint of m's for every event.
func addEndpoint(t *testing.T, s store.Store, m *store.Merchant, id string, disabled bool) {
	t.Helper()
	ctx := context.Background()
	e := &store.WebhookEndpoint{ID: id, MerchantID: m.ID, URL: "https://shop.example/" + id, EnabledEvents: []string{"*"},
		Disabled: disabled, Secret: "whsec_" + id, CreatedAt: t0, UpdatedAt: t0}
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.CreateWebhookEndpoint(ctx, e) }); err != nil {
		t.Fatal(err)
	}
}

// addEvents writes n events of m, each of its own checkout (so that none waits for another),
// named prefix_00, prefix_01, …, the first at from and one a millisecond after the other.
func addEvents(t *testing.T, s store.Store, m *store.Merchant, prefix string, from time.Time, n int) {
	t.Helper()
	ctx := context.Background()
	err := s.Transact(ctx, func(tx store.Tx) error {
		for i := range n {
			id := fmt.Sprintf("%s_%02d", prefix, i)
			ev := &store.Event{ID: id, MerchantID: m.ID, Type: "checkout.created", CheckoutID: "cs_" + id, ObjectID: "cs_" + id, Data: []byte(`{}`),
				CreatedAt: from.Add(time.Duration(i) * time.Millisecond)}
			if err := tx.CreateEvent(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// claim claims in a transaction of its own and counts what it got by endpoint.
func claim(t *testing.T, s store.Store, now time.Time, limit, perEndpoint int) ([]*store.Delivery, map[string]int) {
	t.Helper()
	ctx := context.Background()
	var got []*store.Delivery
	err := s.Transact(ctx, func(tx store.Tx) (err error) {
		got, err = tx.ClaimDeliveries(ctx, now, time.Minute, limit, perEndpoint)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for _, d := range got {
		by[d.EndpointID]++
	}
	return got, by
}

// testClaimPerEndpoint: a claim takes at most perEndpoint deliveries to an endpoint, counting
// those any worker holds already, and the first of each endpoint before the second of any; a
// slot frees when a delivery is recorded or its claim runs out.
func testClaimPerEndpoint(t *testing.T, s store.Store) {
	ctx := context.Background()
	m, other := merchant(t, s, "mer_1"), merchant(t, s, "mer_2")
	addEndpoint(t, s, m, "we_busy", false)
	addEndpoint(t, s, other, "we_quiet", false)
	addEvents(t, s, m, "evt_busy", t0, 10)
	addEvents(t, s, other, "evt_quiet", t0.Add(time.Second), 2) // after all of we_busy's
	now := t0.Add(time.Minute)
	if _, by := claim(t, s, now, 2, 3); by["we_busy"] != 1 || by["we_quiet"] != 1 {
		t.Errorf("two of twelve: %v, want one of each endpoint", by)
	}
	if _, by := claim(t, s, now, 100, 3); by["we_busy"] != 2 || by["we_quiet"] != 1 {
		t.Errorf("the rest up to the cap: %v, want we_busy 2 (3 held), we_quiet 1 (its last)", by)
	}
	held, by := claim(t, s, now, 100, 3)
	if len(held) != 0 {
		t.Errorf("with 3 held, another claim got %v", by)
	}
	// Another worker's claim (a second instance) counts the same: recording one frees one slot.
	first, err := s.DeliveriesByEvent(ctx, "evt_busy_00")
	if err != nil || len(first) != 1 {
		t.Fatalf("%v %v", first, err)
	}
	d := first[0]
	d.Status, d.Attempts, d.LockedUntil, d.UpdatedAt = store.DeliverySucceeded, 1, time.Time{}, now
	err = s.Transact(ctx, func(tx store.Tx) error {
		return tx.RecordDeliveryAttempt(ctx, d, &store.DeliveryAttempt{DeliveryID: d.ID, N: 1, StatusCode: 204, At: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, by := claim(t, s, now, 100, 3); len(got) != 1 || by["we_busy"] != 1 || got[0].EventID != "evt_busy_03" {
		t.Errorf("after one was recorded: %v, want evt_busy_03", by)
	}
	// Claims that ran out (a dead instance's) hold nothing: the next claim takes over.
	if _, by := claim(t, s, now.Add(2*time.Minute), 100, 3); by["we_busy"] != 3 || by["we_quiet"] != 2 {
		t.Errorf("after the claims ran out: %v, want we_busy 3, we_quiet 2", by)
	}
}

// testConcurrentClaimsKeepTheCap: workers (instances) claiming at once still hold at most
// perEndpoint deliveries to an endpoint between them.
func testConcurrentClaimsKeepTheCap(t *testing.T, s store.Store) {
	ctx := context.Background()
	m := merchant(t, s, "mer_1")
	addEndpoint(t, s, m, "we_1", false)
	addEndpoint(t, s, m, "we_2", false)
	addEvents(t, s, m, "evt", t0, 20)
	now := t0.Add(time.Minute)
	var mu sync.Mutex
	by := map[string]int{}
	errs := race(6, func(int) error {
		var got []*store.Delivery
		err := s.Transact(ctx, func(tx store.Tx) (err error) {
			got, err = tx.ClaimDeliveries(ctx, now, time.Minute, 100, 3)
			return err
		})
		mu.Lock()
		defer mu.Unlock()
		for _, d := range got {
			by[d.EndpointID]++
		}
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	if by["we_1"] != 3 || by["we_2"] != 3 {
		t.Errorf("held between 6 workers: %v, want 3 of each endpoint", by)
	}
}

// testDisabledEndpointsKeepTheirDeliveries: an event is queued for a disabled endpoint too, and
// waits there, unclaimed (a ping is claimed all the same), until its retry window has passed:
// then it ends failed, with a try that says why. An enabled endpoint's are not touched. Deleted,
// the endpoint's waiting ones end failed.
func testDisabledEndpointsKeepTheirDeliveries(t *testing.T, s store.Store) {
	ctx := context.Background()
	m := merchant(t, s, "mer_1")
	addEndpoint(t, s, m, "we_off", true)
	addEndpoint(t, s, m, "we_on", false)
	addEvents(t, s, m, "evt", t0, 3)
	list, err := s.DeliveriesByEndpoint(ctx, "we_off", 10)
	if err != nil || len(list) != 3 || list[0].Status != store.DeliveryPending {
		t.Fatalf("queued for a disabled endpoint: %d %v", len(list), err)
	}
	ping := &store.Event{ID: "evt_ping", MerchantID: m.ID, Type: "ping", ObjectID: "we_off", Data: []byte(`{}`), CreatedAt: t0}
	err = s.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateEvent(ctx, ping); err != nil {
			return err
		}
		return tx.EnqueueDelivery(ctx, &store.Delivery{ID: "whd_ping", EventID: ping.ID, EndpointID: "we_off", MerchantID: m.ID,
			Status: store.DeliveryPending, NextAttemptAt: t0, CreatedAt: t0, UpdatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := claim(t, s, t0.Add(time.Minute), 100, 10)
	var off []string
	for _, d := range got {
		if d.EndpointID == "we_off" {
			off = append(off, d.EventID)
		}
	}
	if len(off) != 1 || off[0] != "evt_ping" || len(got) != 4 {
		t.Errorf("claimed of the disabled endpoint: %v (of %d), want only the ping", off, len(got))
	}
	expire := func(now time.Time) int {
		var n int
		err := s.Transact(ctx, func(tx store.Tx) (err error) {
			n, err = tx.ExpireWaitingDeliveries(ctx, now, 72*time.Hour)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := expire(t0.Add(72*time.Hour - time.Millisecond)); n != 0 {
		t.Errorf("%d expired within the retry window", n)
	}
	// evt_00 and evt_01 were made at or before t0+1ms; so was the ping, whose claim ran out.
	if n := expire(t0.Add(72*time.Hour + time.Millisecond)); n != 3 {
		t.Errorf("%d expired, want 3", n)
	}
	list, err = s.DeliveriesByEndpoint(ctx, "we_off", 10)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, d := range list {
		status[d.EventID] = d.Status
	}
	if status["evt_00"] != store.DeliveryFailed || status["evt_01"] != store.DeliveryFailed || status["evt_02"] != store.DeliveryPending {
		t.Errorf("after expiry: %v", status)
	}
	d := list[len(list)-1] // evt_00's
	tries, err := s.DeliveryAttempts(ctx, d.ID)
	if err != nil || d.Attempts != 1 || len(tries) != 1 || tries[0].Error != store.ExpiredWhileDisabled || tries[0].StatusCode != 0 {
		t.Errorf("the expired delivery %+v: tries %+v %v", d, tries, err)
	}
	if on, err := s.DeliveriesByEndpoint(ctx, "we_on", 10); err != nil || len(on) != 3 || on[2].Status != store.DeliveryPending {
		t.Errorf("an enabled endpoint's: %d %v", len(on), err)
	}
	if err := s.Transact(ctx, func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(ctx, "we_off") }); err != nil {
		t.Fatal(err)
	}
	list, err = s.DeliveriesByEndpoint(ctx, "we_off", 10)
	if err != nil || len(list) != 4 {
		t.Fatalf("after deleting the endpoint: %d %v", len(list), err)
	}
	for _, d := range list {
		if d.Status != store.DeliveryFailed {
			t.Errorf("after deleting the endpoint, %s is %s", d.EventID, d.Status)
		}
	}
}

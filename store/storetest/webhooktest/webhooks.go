package webhooktest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

// testDeliveriesByEndpoint lists one endpoint's deliveries, newest first, and none of another's.
func testDeliveriesByEndpoint(t *testing.T, s store.Store) {
	ctx := t.Context()
	m, other := fixture.Merchant(t, s, "mer_1"), fixture.Merchant(t, s, "mer_2")
	endpoint := func(id string, m *store.Merchant, events ...string) {
		e := &store.WebhookEndpoint{ID: id, MerchantID: m.ID, URL: "https://shop.example/" + id, EnabledEvents: events,
			Secret: "whsec_" + id, CreatedAt: fixture.T0, UpdatedAt: fixture.T0}
		fixture.Write(t, s, store.Tx.CreateWebhookEndpoint, e)
	}
	endpoint("we_all", m, "*")
	endpoint("we_paid", m, "checkout.paid")
	endpoint("we_other", other, "*")
	for i, typ := range []string{"checkout.created", "checkout.paid", "checkout.expired"} {
		ev := &store.Event{ID: "evt_" + typ, MerchantID: m.ID, Type: typ, CheckoutID: "cs_1", Data: []byte(`{}`),
			CreatedAt: fixture.T0.Add(time.Duration(i) * time.Second)}
		fixture.Write(t, s, store.Tx.CreateEvent, ev)
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

// addEvents writes n events of m, each of its own checkout (so that none waits for another),
// named prefix_00, prefix_01, …, the first at from and one a millisecond after the other.
func addEvents(t *testing.T, s store.Store, m *store.Merchant, prefix string, from time.Time, n int) {
	t.Helper()
	events := make([]*store.Event, n)
	for i := range n {
		id := fmt.Sprintf("%s_%02d", prefix, i)
		events[i] = &store.Event{ID: id, MerchantID: m.ID, Type: "checkout.created", CheckoutID: "cs_" + id, ObjectID: "cs_" + id, Data: []byte(`{}`),
			CreatedAt: from.Add(time.Duration(i) * time.Millisecond)}
	}
	fixture.Write(t, s, store.Tx.CreateEvent, events...)
}

// queued stores merchant mer_1 with two endpoints for every event, we_1 and we_2, and n events
// (evt_00, …, from T0) queued to both.
func queued(t *testing.T, s store.Store, n int) *store.Merchant {
	t.Helper()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.AddEndpoint(t, s, m, "we_1", false)
	fixture.AddEndpoint(t, s, m, "we_2", false)
	addEvents(t, s, m, "evt", fixture.T0, n)
	return m
}

// claim claims in a transaction of its own and counts what it got by endpoint.
func claim(t *testing.T, s store.Store, now time.Time, limit, perEndpoint int) ([]*store.Delivery, map[string]int) {
	t.Helper()
	got := fixture.Commit(t, s, func(tx store.Tx) ([]*store.Delivery, error) {
		return tx.ClaimDeliveries(t.Context(), now, time.Minute, limit, perEndpoint)
	})
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
	ctx := t.Context()
	m, other := fixture.Merchant(t, s, "mer_1"), fixture.Merchant(t, s, "mer_2")
	fixture.AddEndpoint(t, s, m, "we_busy", false)
	fixture.AddEndpoint(t, s, other, "we_quiet", false)
	addEvents(t, s, m, "evt_busy", fixture.T0, 10)
	addEvents(t, s, other, "evt_quiet", fixture.T0.Add(time.Second), 2) // after all of we_busy's
	now := fixture.T0.Add(time.Minute)
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
	ctx := t.Context()
	queued(t, s, 20)
	now := fixture.T0.Add(time.Minute)
	var mu sync.Mutex
	by := map[string]int{}
	errs := fixture.Race(6, func(int) error {
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
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.AddEndpoint(t, s, m, "we_off", true)
	fixture.AddEndpoint(t, s, m, "we_on", false)
	addEvents(t, s, m, "evt", fixture.T0, 3)
	list, err := s.DeliveriesByEndpoint(ctx, "we_off", 10)
	if err != nil || len(list) != 3 || list[0].Status != store.DeliveryPending {
		t.Fatalf("queued for a disabled endpoint: %d %v", len(list), err)
	}
	ping := &store.Event{ID: "evt_ping", MerchantID: m.ID, Type: "ping", ObjectID: "we_off", Data: []byte(`{}`), CreatedAt: fixture.T0}
	err = s.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateEvent(ctx, ping); err != nil {
			return err
		}
		return tx.EnqueueDelivery(ctx, &store.Delivery{ID: "whd_ping", EventID: ping.ID, EndpointID: "we_off", MerchantID: m.ID,
			Status: store.DeliveryPending, NextAttemptAt: fixture.T0, CreatedAt: fixture.T0, UpdatedAt: fixture.T0})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := claim(t, s, fixture.T0.Add(time.Minute), 100, 10)
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
		return fixture.Commit(t, s, func(tx store.Tx) (int, error) { return tx.ExpireWaitingDeliveries(ctx, now, 72*time.Hour) })
	}
	if n := expire(fixture.T0.Add(72*time.Hour - time.Millisecond)); n != 0 {
		t.Errorf("%d expired within the retry window", n)
	}
	// evt_00 and evt_01 were made at or before fixture.T0+1ms; so was the ping, whose claim ran out.
	if n := expire(fixture.T0.Add(72*time.Hour + time.Millisecond)); n != 3 {
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
	fixture.Write(t, s, store.Tx.DeleteWebhookEndpoint, "we_off")
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

// testWebhookEndpoints: an endpoint reads back with its events, its flag and a rotation's
// previous secret; a merchant's list oldest first; an update replaces the row and a deletion
// removes it.
func testWebhookEndpoints(t *testing.T, s store.Store) {
	ctx := t.Context()
	m, other := fixture.Merchant(t, s, "mer_1"), fixture.Merchant(t, s, "mer_2")
	fixture.AddEndpoint(t, s, m, "we_b", false)
	fixture.AddEndpoint(t, s, m, "we_a", true) // the same millisecond: by id
	fixture.AddEndpoint(t, s, other, "we_x", false)
	rotated := fixture.T0.Add(24 * time.Hour)
	e := &store.WebhookEndpoint{ID: "we_c", MerchantID: m.ID, URL: "https://shop.example/hooks", Description: "주문 알림",
		EnabledEvents: []string{"checkout.paid", "refund.succeeded"}, Secret: "whsec_new", PreviousSecret: "whsec_old",
		PreviousSecretExpiresAt: rotated, CreatedAt: fixture.T0.Add(time.Second), UpdatedAt: fixture.T0.Add(time.Second)}
	fixture.Write(t, s, store.Tx.CreateWebhookEndpoint, e)
	got, err := s.WebhookEndpoint(ctx, "we_c")
	if err != nil || got.MerchantID != m.ID || got.URL != e.URL || got.Description != e.Description ||
		!slices.Equal(got.EnabledEvents, e.EnabledEvents) || got.Disabled || got.Secret != "whsec_new" ||
		got.PreviousSecret != "whsec_old" || !got.PreviousSecretExpiresAt.Equal(rotated) || !got.CreatedAt.Equal(e.CreatedAt) {
		t.Fatalf("by id: %+v %v", got, err)
	}
	if got, err := s.WebhookEndpoint(ctx, "we_a"); err != nil || !got.Disabled || !got.PreviousSecretExpiresAt.IsZero() ||
		!slices.Equal(got.EnabledEvents, []string{"*"}) {
		t.Errorf("we_a: %+v %v", got, err)
	}
	byID := fixture.IDsBy(t, func(e *store.WebhookEndpoint) string { return e.ID })
	endpointIDs := func(merchantID string) []string { return byID(s.WebhookEndpoints(ctx, merchantID)) }
	if got := endpointIDs(m.ID); !slices.Equal(got, []string{"we_a", "we_b", "we_c"}) {
		t.Errorf("mer_1's endpoints: %v", got)
	}
	e.URL, e.Description, e.EnabledEvents, e.Disabled = "https://shop.example/v2", "", []string{"*"}, true
	e.PreviousSecret, e.PreviousSecretExpiresAt, e.UpdatedAt = "", time.Time{}, fixture.T0.Add(time.Minute)
	fixture.Write(t, s, store.Tx.UpdateWebhookEndpoint, e)
	if got, err := s.WebhookEndpoint(ctx, "we_c"); err != nil || got.URL != e.URL || got.Description != "" || !got.Disabled ||
		!slices.Equal(got.EnabledEvents, []string{"*"}) || got.PreviousSecret != "" || !got.PreviousSecretExpiresAt.IsZero() ||
		!got.UpdatedAt.Equal(e.UpdatedAt) || !got.CreatedAt.Equal(fixture.T0.Add(time.Second)) {
		t.Errorf("updated: %+v %v", got, err)
	}
	fixture.Write(t, s, store.Tx.DeleteWebhookEndpoint, "we_b")
	if got := endpointIDs(m.ID); !slices.Equal(got, []string{"we_a", "we_c"}) {
		t.Errorf("after deleting we_b: %v", got)
	}
	for _, err := range []error{
		func() error { _, err := s.WebhookEndpoint(ctx, "we_b"); return err }(),
		s.Transact(ctx, func(tx store.Tx) error { return tx.UpdateWebhookEndpoint(ctx, &store.WebhookEndpoint{ID: "we_b"}) }),
		s.Transact(ctx, func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(ctx, "we_b") }),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a deleted endpoint: %v", err)
		}
	}
}

// testDeliveries: an event's deliveries list in the order they were made, a try is kept with
// its answer, and an endpoint's last success is the latest delivery it took.
func testDeliveries(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := queued(t, s, 2)
	if last, err := s.LastDeliverySuccess(ctx, "we_1"); err != nil || !last.IsZero() {
		t.Errorf("before any success: %v %v", last, err)
	}
	list, err := s.DeliveriesByEvent(ctx, "evt_00")
	if err != nil || len(list) != 2 || list[0].EndpointID != "we_1" || list[1].EndpointID != "we_2" || list[0].Seq >= list[1].Seq ||
		list[0].CheckoutID != "cs_evt_00" || list[0].MerchantID != m.ID || list[0].Attempts != 0 || !list[0].NextAttemptAt.Equal(fixture.T0) ||
		!list[0].LockedUntil.IsZero() || !list[0].CreatedAt.Equal(fixture.T0) {
		t.Fatalf("deliveries of evt_00: %+v %v", list, err)
	}
	// A redelivery is made after them, with its own seq.
	again := &store.Delivery{ID: "whd_again", EventID: "evt_00", EndpointID: "we_1", MerchantID: m.ID, CheckoutID: "cs_evt_00",
		Status: store.DeliveryPending, NextAttemptAt: fixture.T0.Add(time.Hour), LockedUntil: fixture.T0.Add(time.Hour), CreatedAt: fixture.T0.Add(time.Hour), UpdatedAt: fixture.T0.Add(time.Hour)}
	fixture.Write(t, s, store.Tx.EnqueueDelivery, again)
	if list, err := s.DeliveriesByEvent(ctx, "evt_00"); err != nil || len(list) != 3 || list[2].ID != "whd_again" ||
		list[2].Seq != again.Seq || list[2].Seq <= list[1].Seq || !list[2].LockedUntil.Equal(again.LockedUntil) {
		t.Errorf("after a redelivery (seq %d): %+v %v", again.Seq, list, err)
	}
	record := func(d *store.Delivery, status string, code int, at time.Time) {
		t.Helper()
		d.Status, d.Attempts, d.NextAttemptAt, d.LockedUntil, d.UpdatedAt = status, d.Attempts+1, at.Add(time.Minute), time.Time{}, at
		err := s.Transact(ctx, func(tx store.Tx) error {
			return tx.RecordDeliveryAttempt(ctx, d, &store.DeliveryAttempt{DeliveryID: d.ID, N: d.Attempts, StatusCode: code,
				Error: map[bool]string{true: "timeout"}[code == 0], Excerpt: "ok", Latency: 1500 * time.Millisecond, At: at})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	d := list[0]
	record(d, store.DeliveryPending, 0, fixture.T0.Add(time.Second))
	record(d, store.DeliverySucceeded, 200, fixture.T0.Add(2*time.Second))
	tries, err := s.DeliveryAttempts(ctx, d.ID)
	if err != nil || len(tries) != 2 || tries[0].N != 1 || tries[0].Error != "timeout" || tries[0].StatusCode != 0 ||
		tries[1].N != 2 || tries[1].StatusCode != 200 || tries[1].Excerpt != "ok" || tries[1].Latency != 1500*time.Millisecond ||
		!tries[1].At.Equal(fixture.T0.Add(2*time.Second)) {
		t.Errorf("tries: %+v %v", tries, err)
	}
	if tries, err := s.DeliveryAttempts(ctx, "whd_nope"); err != nil || len(tries) != 0 {
		t.Errorf("tries of no delivery: %v %v", tries, err)
	}
	if last, err := s.LastDeliverySuccess(ctx, "we_1"); err != nil || !last.Equal(fixture.T0.Add(2*time.Second)) {
		t.Errorf("last success of we_1: %v %v", last, err)
	}
	if last, err := s.LastDeliverySuccess(ctx, "we_2"); err != nil || !last.IsZero() {
		t.Errorf("we_2 took none: %v %v", last, err)
	}
	err = s.Transact(ctx, func(tx store.Tx) error {
		return tx.RecordDeliveryAttempt(ctx, &store.Delivery{ID: "whd_nope"}, &store.DeliveryAttempt{DeliveryID: "whd_nope", N: 1})
	})
	if err == nil {
		t.Error("a try of a missing delivery was recorded")
	}
}

// testEvents: a merchant's events list newest first (one millisecond in the reverse of the order
// they were written), by type, by checkout and a page at a time; one reads back by id.
func testEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	m, other := fixture.Merchant(t, s, "mer_1"), fixture.Merchant(t, s, "mer_2")
	events := []*store.Event{
		{ID: "evt_z", Type: "checkout.created", CheckoutID: "cs_1", CreatedAt: fixture.T0},
		{ID: "evt_y", Type: "attempt.created", CheckoutID: "cs_1", CreatedAt: fixture.T0},
		{ID: "evt_x", Type: "checkout.created", CheckoutID: "cs_2", CreatedAt: fixture.T0},
		{ID: "evt_w", Type: "checkout.paid", CheckoutID: "cs_1", CreatedAt: fixture.T0.Add(time.Second)},
		{ID: "evt_o", Type: "checkout.created", CheckoutID: "cs_o", MerchantID: other.ID, CreatedAt: fixture.T0.Add(time.Hour)},
	}
	for i, e := range events {
		e.MerchantID = cmp.Or(e.MerchantID, m.ID)
		e.ObjectID, e.Data = e.CheckoutID, []byte(fmt.Sprintf(`{"n":%d}`, i))
	}
	fixture.Write(t, s, store.Tx.CreateEvent, events...)
	e, err := s.Event(ctx, "evt_y")
	if err != nil || e.MerchantID != m.ID || e.Type != "attempt.created" || e.CheckoutID != "cs_1" || e.ObjectID != "cs_1" ||
		string(e.Data) != `{"n":1}` || !e.CreatedAt.Equal(fixture.T0) {
		t.Fatalf("by id: %+v %v", e, err)
	}
	if _, err := s.Event(ctx, "evt_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing event: %v", err)
	}
	eventIDs := fixture.IDsBy(t, func(e *store.Event) string { return e.ID })
	for name, tc := range map[string]struct {
		p    store.ListEvents
		want []string
	}{
		"all":          {store.ListEvents{}, []string{"evt_w", "evt_x", "evt_y", "evt_z"}},
		"first page":   {store.ListEvents{Limit: 2}, []string{"evt_w", "evt_x"}},
		"second page":  {store.ListEvents{StartingAfter: "evt_x"}, []string{"evt_y", "evt_z"}},
		"by type":      {store.ListEvents{Type: "checkout.created"}, []string{"evt_x", "evt_z"}},
		"by checkout":  {store.ListEvents{CheckoutID: "cs_1"}, []string{"evt_w", "evt_y", "evt_z"}},
		"both":         {store.ListEvents{CheckoutID: "cs_1", Type: "checkout.created"}, []string{"evt_z"}},
		"both, after":  {store.ListEvents{CheckoutID: "cs_1", StartingAfter: "evt_y"}, []string{"evt_z"}},
		"other cursor": {store.ListEvents{StartingAfter: "evt_o"}, nil},
	} {
		tc.p.MerchantID, tc.p.Limit = m.ID, cmp.Or(tc.p.Limit, 10)
		if got := eventIDs(s.Events(ctx, tc.p)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}

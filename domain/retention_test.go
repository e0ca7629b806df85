package domain_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// TestRetentionBoundsTheDatabase: under a steady load of checkouts made with Idempotency-Keys,
// half paid and half abandoned, their events delivered to a webhook endpoint, the rows of
// events, deliveries, their tries and keys stop growing once the retention applies, and so do
// the pages they take in the file. Checkouts, attempts and payments are all kept, and an old
// checkout still reads, its timeline pruned.
func TestRetentionBoundsTheDatabase(t *testing.T) {
	t.Parallel()
	const retain, round, perRound, rounds = 10 * 24 * time.Hour, 4 * 24 * time.Hour, 4, 7
	h := apptest.NewWith(t, apptest.Options{RetainEvents: retain})
	deliver := webhookEndpoint(h)
	var first *store.Checkout
	var sizes []retained
	for i := range rounds {
		for j := range perRound {
			c := createKeyed(h, fmt.Sprintf("r%d-paid-%d", i, j))
			h.Pay(c)
			if first == nil {
				first = c
			}
			h.Start(createKeyed(h, fmt.Sprintf("r%d-left-%d", i, j)).ID) // abandoned on the wallet page
		}
		h.Clock.Add(2 * time.Hour) // the abandoned ones expire
		h.Reconcile()
		deliver()
		h.Clock.Add(round - 2*time.Hour)
		h.Reconcile() // the retention pass
		sizes = append(sizes, measure(h))
		t.Logf("after round %d: %+v", i, sizes[i])
	}
	// Round i is pruned in the pass after round i+2 (12 days old): two rounds are kept from then on.
	steady := sizes[2]
	if steady.events == 0 || steady.deliveries == 0 || steady.tries == 0 {
		t.Fatalf("nothing kept: %+v", steady)
	}
	for i, got := range sizes[2:] {
		if got.events != steady.events || got.deliveries != steady.deliveries || got.tries != steady.tries || got.keys != 0 {
			t.Errorf("round %d keeps %+v, want the rows of round 2 %+v and no keys", i+2, got, steady)
		}
		// B-tree pages fill and split unevenly: a few pages either way, never a round's worth.
		if bound := steady.prunedPages * 5 / 4; got.prunedPages > bound {
			t.Errorf("round %d: the pruned tables take %d pages, more than %d (round 2's and a quarter)", i+2, got.prunedPages, bound)
		}
		if bound := steady.usedPages - steady.keptPages + steady.prunedPages/4; got.usedPages-got.keptPages > bound {
			t.Errorf("round %d: the file uses %d pages besides the %d of what is kept for ever, more than %d", i+2,
				got.usedPages-got.keptPages, got.keptPages, bound)
		}
		if want := (i + 3) * perRound * 2; got.checkouts != want || got.payments != want/2 {
			t.Errorf("round %d: %d checkouts and %d payments, want all %d and %d", i+2, got.checkouts, got.payments, want, want/2)
		}
	}
	// The oldest checkout reads as before, with a shorter timeline.
	st := h.State(first.ID)
	if st.Checkout.Status != string(checkout.StatusPaid) || st.Payment == nil || len(st.Attempts) != 1 {
		t.Errorf("the oldest checkout reads %s, payment %v, %d attempts", st.Checkout.Status, st.Payment, len(st.Attempts))
	}
	if ev := h.EventTypes(first.ID); len(ev) != 0 {
		t.Errorf("the oldest checkout's timeline: %v, want it pruned", ev)
	}
}

// TestRetentionKeepsTheKeyOfAnUnsettledRefund: a refund whose KakaoPay answer was lost keeps
// its Idempotency-Key past 24 hours while KakaoPay cannot be asked, so a retry still answers
// that refund and refunds nothing twice; once it is settled the key goes after 24 hours.
func TestRetentionKeepsTheKeyOfAnUnsettledRefund(t *testing.T) {
	t.Parallel()
	h := apptest.New(t)
	pay := h.Pay(h.Create(0))
	const hash = "sha256 of the request"
	refund := func() (*store.Refund, error) {
		held, prev, err := h.Idempotency.Reserve(h.Ctx, h.M.ID, "refund-1", hash, time.Second)
		if err != nil {
			return nil, err
		}
		if prev != nil {
			return h.Payments.RefundOutcome(h.Ctx, prev.ObjectID)
		}
		return h.Payments.CreateRefund(h.Ctx, h.M, pay.ID, payments.RefundParams{Amount: apptest.Won(1000), Key: held})
	}
	h.Faults.Set("cancel", "drop", 1) // KakaoPay refunds, and its answer is lost
	h.Faults.Set("order", "fail", -1) // and its order API is down for days
	r, err := refund()
	if err != nil || r.Status != string(checkout.RefundPending) {
		t.Fatalf("refund with a lost answer: %v %+v", err, r)
	}
	h.Clock.Add(25 * time.Hour)
	h.Reconcile()
	if again, err := refund(); err != nil || again.ID != r.ID {
		t.Fatalf("a retry a day later: %v %+v, want the refund %s", err, again, r.ID)
	}
	h.Faults.Clear("order")
	h.Reconcile()
	if got, _ := h.Payments.Refund(h.Ctx, h.M, r.ID); got.Status != string(checkout.RefundSucceeded) {
		t.Fatalf("the refund settled %s", got.Status)
	}
	h.Clock.Add(2 * time.Hour) // past the hour between two passes
	h.Reconcile()
	if _, prev, err := h.Idempotency.Reserve(h.Ctx, h.M.ID, "refund-1", "another request", time.Second); err != nil || prev != nil {
		t.Errorf("the key of a settled refund, a day old, is kept: %v %+v", err, prev)
	}
	if info := h.TID(pay.TID); info.CanceledAmount != 1000 {
		t.Errorf("KakaoPay refunded %d, want 1000 once", info.CanceledAmount)
	}
}

// TestRetentionPassIsHourlyOnOneInstance: a backlog larger than one pass is pruned over the
// next sweeps; then no instance prunes again within the hour, and one does after it.
func TestRetentionPassIsHourlyOnOneInstance(t *testing.T) {
	t.Parallel()
	h := apptest.NewWith(t, apptest.Options{RetainEvents: domain.MinRetainEvents})
	domain.SetPruneBatches(h.Retention, 2, 2) // 4 rows of a table a pass
	for range 5 {
		h.Create(0) // one event each
	}
	h.Clock.Add(30 * time.Minute)
	late := h.Create(0)
	other := h.Another(apptest.Options{RetainEvents: domain.MinRetainEvents}).Retention
	events := func() int { return h.Number(`SELECT COUNT(*) FROM events`) }
	h.Clock.Add(domain.MinRetainEvents - 29*time.Minute) // the first five are due, late is not
	h.Reconcile()
	if n := events(); n != 2 {
		t.Fatalf("%d events after a pass of 4, want 2", n)
	}
	h.Reconcile() // the next sweep goes on with the backlog
	if n := events(); n != 1 {
		t.Fatalf("%d events after the backlog, want late's", n)
	}
	h.Clock.Add(40 * time.Minute) // late's event is due too, but a pass ran 40 minutes ago
	h.Reconcile()
	if err := other.Prune(h.Ctx); err != nil {
		t.Fatal(err)
	}
	if n := events(); n != 1 {
		t.Fatalf("%d events: a pass ran again within the hour", n)
	}
	h.Clock.Add(25 * time.Minute)
	if err := other.Prune(h.Ctx); err != nil {
		t.Fatal(err)
	}
	if n := events(); n != 0 {
		t.Errorf("%d events an hour later; late %s's is still there", n, late.ID)
	}
}

// retained is what the retention bounds, and what it keeps for ever, in a database.
type retained struct {
	events, deliveries, tries, keys int
	checkouts, payments             int
	prunedPages                     int // pages of the pruned tables and their indexes
	keptPages                       int // pages of the tables never pruned and their indexes
	usedPages                       int // the file's pages less its free ones
}

// measure tells what the database retains.
func measure(h *apptest.Harness) retained {
	h.T.Helper()
	const pruned = `('events', 'webhook_deliveries', 'webhook_attempts', 'idempotency_keys')`
	const kept = `('checkouts', 'attempts', 'payments')`
	pages := func(tables string) string {
		return `SELECT COUNT(*) FROM dbstat WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name IN ` + tables + `)`
	}
	return retained{
		events: h.Number(`SELECT COUNT(*) FROM events`), deliveries: h.Number(`SELECT COUNT(*) FROM webhook_deliveries`),
		tries: h.Number(`SELECT COUNT(*) FROM webhook_attempts`), keys: h.Number(`SELECT COUNT(*) FROM idempotency_keys`),
		checkouts: h.Number(`SELECT COUNT(*) FROM checkouts`), payments: h.Number(`SELECT COUNT(*) FROM payments`),
		prunedPages: h.Number(pages(pruned)), keptPages: h.Number(pages(kept)),
		usedPages: h.Number(`SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count)`),
	}
}

// createKeyed makes an open checkout as the API does with an Idempotency-Key: reserved, bound
// to the checkout, then completed with its answer.
func createKeyed(h *apptest.Harness, key string) *store.Checkout {
	h.T.Helper()
	held := h.Hold(key, "sha256 of "+key)
	c := h.CreateWith(checkout.CreateParams{Amount: 11000, Reference: key, Key: held,
		Items: []store.Item{{Name: "아메리카노", Quantity: 2, UnitPrice: 4500}, {Name: "크루아상", Quantity: 1, UnitPrice: 2000}}})
	body, err := json.Marshal(c)
	if err != nil {
		h.T.Fatal(err)
	}
	if err := h.Idempotency.Complete(h.Ctx, held, http.StatusCreated, body); err != nil {
		h.T.Fatal(err)
	}
	return c
}

// webhookEndpoint adds an endpoint for every event, on a receiver that takes them all, and
// returns what delivers every due delivery.
func webhookEndpoint(h *apptest.Harness) (deliver func()) {
	h.T.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	h.T.Cleanup(srv.Close)
	if _, err := h.Endpoints.Create(h.Ctx, h.M, webhook.EndpointParams{URL: &srv.URL}); err != nil {
		h.T.Fatal(err)
	}
	d := webhook.NewDeliverer(webhook.Config{Store: h.DB, AllowPrivate: true, Now: h.Clock.Now})
	return func() {
		h.T.Helper()
		for {
			n, err := d.DeliverDue(h.Ctx)
			if err != nil {
				h.T.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		if n := h.Number(`SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'succeeded'`); n != 0 {
			h.T.Fatalf("%d deliveries not delivered", n)
		}
	}
}

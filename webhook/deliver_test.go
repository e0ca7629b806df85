package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

func TestDeliveriesReachOnlyPublicAddressesUnlessAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	res, err := webhook.NewClient(false, time.Second).Post(srv.URL, "application/json", nil)
	if err == nil {
		res.Body.Close()
		t.Fatal("a delivery reached 127.0.0.1 with private addresses refused")
	}
	if !errors.Is(err, webhook.ErrPrivateAddress) {
		t.Errorf("refused with %v, want ErrPrivateAddress", err)
	}
	res, err = webhook.NewClient(true, time.Second).Post(srv.URL, "application/json", nil)
	if err != nil || res.StatusCode != 204 {
		t.Fatalf("with private addresses allowed: %v %v", err, res)
	}
	res.Body.Close()
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("the redirect was followed") }))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	res, err := webhook.NewClient(true, time.Second).Post(srv.URL, "application/json", nil)
	if err != nil || res.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("%v %v", err, res)
	}
	res.Body.Close()
}

func TestPublic(t *testing.T) {
	for ip, want := range map[string]bool{
		"8.8.8.8": true, "2001:4860:4860::8888": true, "211.249.220.24": true, "1.1.1.1": true, "2404:6800:4004:80c::200e": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.0.10": false,
		"169.254.169.254": false, "fe80::1": false, "0.0.0.0": false, "fc00::1": false, "224.0.0.1": false,
		// IANA's special-purpose registries: none of these is a public host.
		"0.1.2.3": false, "100.64.0.1": false, "100.100.100.200": false, "192.0.0.1": false, "192.0.0.170": false,
		"192.0.2.1": false, "192.88.99.1": false, "198.18.0.1": false, "198.19.255.254": false, "198.51.100.7": false,
		"203.0.113.9": false, "240.0.0.1": false, "255.255.255.255": false,
		"::": false, "::a00:1": false, "::ffff:10.0.0.1": false, "::ffff:127.0.0.1": false, "::ffff:8.8.8.8": true,
		"64:ff9b::a00:1": false, "64:ff9b::808:808": false, "64:ff9b:1::1": false, "100::1": false,
		"2001::1": false, "2001:2::1": false, "2001:db8::1": false, "2002:a00:1::1": false, "3fff::1": false,
		"5f00::1": false, "fd12:3456::1": false, "fec0::1": false, "ff02::1": false,
	} {
		if got := webhook.Public(net.ParseIP(ip)); got != want {
			t.Errorf("Public(%s) = %v, want %v", ip, got, want)
		}
	}
}

// TestPrivateAddressesAreRefusedForEveryMerchant: unless the server allows private addresses
// (the sandbox, or --webhook-allow-private), no merchant's delivery reaches one: a test
// merchant's neither, on a server with real KakaoPay credentials.
func TestPrivateAddressesAreRefusedForEveryMerchant(t *testing.T) {
	db, _ := apptest.OpenDB(t)
	url, ids := arrivals(t)
	addEndpoint(t, db, "mer_test", "we_1", url) // a test merchant (Livemode false)
	addEvent(t, db, "mer_test", "evt_1", "cs_1", time.Now())
	d := webhook.NewDeliverer(webhook.Config{Store: db})
	if n, err := d.DeliverDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("DeliverDue: %d %v", n, err)
	}
	select {
	case id := <-ids:
		t.Fatalf("delivery %s reached 127.0.0.1", id)
	default:
	}
	list, err := db.DeliveriesByEndpoint(context.Background(), "we_1", 10)
	if err != nil || len(list) != 1 {
		t.Fatal(err, list)
	}
	tries, err := db.DeliveryAttempts(context.Background(), list[0].ID)
	if err != nil || len(tries) != 1 || !strings.Contains(tries[0].Error, "not a public one") {
		t.Errorf("tries %+v %v", tries, err)
	}
}

func TestBackoffGrowsWithJitterAndStops(t *testing.T) {
	prev := time.Duration(0)
	for n := 1; n <= 20; n++ {
		b := webhook.Backoff(n)
		base := min(10*time.Second<<min(n-1, 12), 6*time.Hour)
		if b < base-base/10 || b > base+base/10 {
			t.Errorf("Backoff(%d) = %v, want %v ± 10%%", n, b, base)
		}
		if n <= 10 && b < prev/2 {
			t.Errorf("Backoff(%d) = %v shrank from %v", n, b, prev)
		}
		prev = b
	}
}

// addEndpoint gives merchant id (made when new) an endpoint at url for every event.
func addEndpoint(t *testing.T, db store.Store, merchantID, id, url string) *store.WebhookEndpoint {
	t.Helper()
	ctx, now := context.Background(), time.Now()
	ep := &store.WebhookEndpoint{ID: id, MerchantID: merchantID, URL: url, EnabledEvents: []string{"*"},
		Secret: webhook.NewSecret(), CreatedAt: now, UpdatedAt: now}
	err := db.Transact(ctx, func(tx store.Tx) error {
		if _, err := tx.Merchant(ctx, merchantID); errors.Is(err, store.ErrNotFound) {
			m := &store.Merchant{ID: merchantID, Name: merchantID, CID: "TC0ONETIME", MinAmount: 100, MaxAmount: 2000000, CreatedAt: now}
			if err := tx.CreateMerchant(ctx, m); err != nil {
				return err
			}
		}
		return tx.CreateWebhookEndpoint(ctx, ep)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// addEvent writes an event of a checkout, and so its deliveries, as a state change does.
func addEvent(t *testing.T, db store.Store, merchantID, id, checkoutID string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	ev := &store.Event{ID: id, MerchantID: merchantID, Type: "checkout.created", CheckoutID: checkoutID, ObjectID: checkoutID,
		Data: []byte(`{}`), CreatedAt: at}
	if err := db.Transact(ctx, func(tx store.Tx) error { return tx.CreateEvent(ctx, ev) }); err != nil {
		t.Fatal(err)
	}
}

// setDisabled disables or enables an endpoint, as the API and the dashboard do.
func setDisabled(t *testing.T, db store.Store, ep *store.WebhookEndpoint, disabled bool) {
	t.Helper()
	ctx := context.Background()
	ep.Disabled, ep.UpdatedAt = disabled, time.Now()
	if err := db.Transact(ctx, func(tx store.Tx) error { return tx.UpdateWebhookEndpoint(ctx, ep) }); err != nil {
		t.Fatal(err)
	}
}

// arrivals is an endpoint that answers 204 and tells each delivery's event id, in order.
func arrivals(t *testing.T) (url string, ids chan string) {
	ids = make(chan string, 256)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids <- r.Header.Get("Webhook-Id")
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, ids
}

// receive waits for n deliveries (10 s at most: a guard, not a bound) and returns their ids.
func receive(t *testing.T, ids <-chan string, n int) []string {
	t.Helper()
	var got []string
	guard := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case id := <-ids:
			got = append(got, id)
		case <-guard:
			t.Fatalf("%d of %d deliveries arrived within 10 s: %v", len(got), n, got)
		}
	}
	return got
}

// TestHangingEndpointHoldsOnlyItsOwnLane: an endpoint that never answers, with 64 events
// queued, holds PerEndpoint POSTs open; meanwhile the deliveries to another endpoint, of another
// merchant or of the same one, all arrive.
func TestHangingEndpointHoldsOnlyItsOwnLane(t *testing.T) {
	for name, sameMerchant := range map[string]bool{"another merchant's": false, "the same merchant's": true} {
		t.Run(name, func(t *testing.T) {
			db, _ := apptest.OpenDB(t)
			release := make(chan struct{})
			hanging := make(chan string, 256)
			hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hanging <- r.Header.Get("Webhook-Id")
				<-release
			}))
			t.Cleanup(hang.Close)
			url, healthy := arrivals(t)
			addEndpoint(t, db, "mer_slow", "we_hang", hang.URL)
			merchant, n := "mer_fast", 1
			if sameMerchant {
				merchant, n = "mer_slow", 64 // every event goes to both endpoints
			}
			addEndpoint(t, db, merchant, "we_ok", url)
			now := time.Now()
			for i := range 64 {
				addEvent(t, db, "mer_slow", fmt.Sprintf("evt_slow_%02d", i), fmt.Sprintf("cs_%02d", i), now)
			}
			// A POST outlasts the test: only what does not wait for the hanging ones can arrive.
			d := webhook.NewDeliverer(webhook.Config{Store: db, AllowPrivate: true, Timeout: time.Minute, MaxInFlight: 8, PerEndpoint: 3})
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() { defer close(stopped); d.Run(ctx) }()
			t.Cleanup(func() { close(release); cancel(); <-stopped })
			receive(t, hanging, 1) // the deliverer is busy with the hanging endpoint
			if !sameMerchant {
				addEvent(t, db, merchant, "evt_fast", "cs_fast", time.Now())
				d.Wake()
			}
			receive(t, healthy, n)
			// Those that reached the hanging endpoint are all still open: no more were sent.
			if held := 1 + len(hanging); held > 3 {
				t.Errorf("the hanging endpoint holds %d POSTs, more than its 3", held)
			}
		})
	}
}

// TestDisabledEndpointGetsWhatWaitedOnceEnabled: the events of a checkout created while its
// endpoint is disabled wait for it and arrive, in order, once it is enabled again.
func TestDisabledEndpointGetsWhatWaitedOnceEnabled(t *testing.T) {
	db, _ := apptest.OpenDB(t)
	url, got := arrivals(t)
	ep := addEndpoint(t, db, "mer_1", "we_1", url)
	setDisabled(t, db, ep, true)
	now := time.Now()
	var want []string
	for i := range 5 {
		id := fmt.Sprintf("evt_%d", i)
		addEvent(t, db, "mer_1", id, "cs_1", now.Add(time.Duration(i)*time.Millisecond))
		want = append(want, id)
	}
	d := webhook.NewDeliverer(webhook.Config{Store: db, AllowPrivate: true})
	deliverAll(t, d)
	if len(got) != 0 {
		t.Fatalf("a disabled endpoint received %d deliveries", len(got))
	}
	setDisabled(t, db, ep, false)
	deliverAll(t, d)
	if ids := receive(t, got, 5); strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("arrived %v, want %v", ids, want)
	}
}

// deliverAll runs passes until none finds anything due.
func deliverAll(t *testing.T, d *webhook.Deliverer) {
	t.Helper()
	for range 100 {
		n, err := d.DeliverDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("still delivering after 100 passes")
}

// TestWhatWaitedTooLongForADisabledEndpointEndsFailed: a delivery kept for a disabled endpoint
// ends failed, with a try that says why, once it is as old as the retry window; a younger one
// still waits, and arrives when the endpoint is enabled.
func TestWhatWaitedTooLongForADisabledEndpointEndsFailed(t *testing.T) {
	ctx := context.Background()
	db, _ := apptest.OpenDB(t)
	url, got := arrivals(t)
	ep := addEndpoint(t, db, "mer_1", "we_1", url)
	setDisabled(t, db, ep, true)
	start := time.Now()
	addEvent(t, db, "mer_1", "evt_old", "cs_1", start)
	addEvent(t, db, "mer_1", "evt_young", "cs_2", start.Add(time.Hour))
	now := start.Add(72 * time.Hour)
	d := webhook.NewDeliverer(webhook.Config{Store: db, AllowPrivate: true, Now: func() time.Time { return now }})
	deliverAll(t, d)
	old, err := db.DeliveriesByEvent(ctx, "evt_old")
	if err != nil || len(old) != 1 || old[0].Status != store.DeliveryFailed {
		t.Fatalf("the delivery 3 days old: %+v %v", old, err)
	}
	if tries, err := db.DeliveryAttempts(ctx, old[0].ID); err != nil || len(tries) != 1 || tries[0].Error != store.ExpiredWhileDisabled {
		t.Errorf("its tries: %+v %v", tries, err)
	}
	setDisabled(t, db, ep, false)
	deliverAll(t, d)
	if ids := receive(t, got, 1); ids[0] != "evt_young" || len(got) != 0 {
		t.Errorf("arrived %v and %d more, want evt_young alone", ids, len(got))
	}
}

// TestRunEndsAfterThePOSTsUnderWay: once its context ends, Run claims nothing more and returns
// when the POST under way has been answered and recorded.
func TestRunEndsAfterThePOSTsUnderWay(t *testing.T) {
	ctx := context.Background()
	db, _ := apptest.OpenDB(t)
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	addEndpoint(t, db, "mer_1", "we_1", srv.URL)
	addEvent(t, db, "mer_1", "evt_1", "cs_1", time.Now())
	d := webhook.NewDeliverer(webhook.Config{Store: db, AllowPrivate: true})
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { defer close(stopped); d.Run(runCtx) }()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery within 10 s")
	}
	cancel()
	select {
	case <-stopped:
		t.Fatal("Run returned with a POST under way")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-stopped
	if list, err := db.DeliveriesByEvent(ctx, "evt_1"); err != nil || list[0].Status != store.DeliverySucceeded {
		t.Errorf("after Run returned: %+v %v", list[0], err)
	}
}

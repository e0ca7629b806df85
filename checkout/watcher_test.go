package checkout

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
)

// countingKakaoPay counts the order look-ups that reach the sandbox.
type countingKakaoPay struct {
	KakaoPay
	orders atomic.Int64
}

func (c *countingKakaoPay) Order(ctx context.Context, req kakaopay.OrderRequest) (*kakaopay.OrderResponse, error) {
	c.orders.Add(1)
	return c.KakaoPay.Order(ctx, req)
}

// newTestService is a Service over a real SQLite file and the sandbox peer, with a merchant.
func newTestService(t *testing.T, lookups float64) (*Service, *store.Merchant, *countingKakaoPay) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv := httptest.NewUnstartedServer(nil)
	sb, err := sandbox.New(sandbox.Options{BaseURL: "http://" + srv.Listener.Addr().String(), SecretKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(srv.Close)
	kp, err := kakaopay.New(kakaopay.Options{BaseURL: srv.URL, SecretKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	ck := &countingKakaoPay{KakaoPay: kp}
	returnURL := func(checkoutID, attemptID, kind string) string {
		return "http://127.0.0.1:1/c/" + checkoutID + "/return/" + kind + "?attempt=" + attemptID
	}
	s, err := New(Config{Store: db, KakaoPay: ck, ReturnURL: returnURL, OrderLookups: lookups})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.notifier.Close)
	merchants, err := accounts.NewMerchants(accounts.Config{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := merchants.Create(ctx, accounts.MerchantParams{Name: "상점"})
	if err != nil {
		t.Fatal(err)
	}
	return s, cm.Merchant, ck
}

// waitingCheckout makes a checkout with a live desktop attempt and returns its state.
func waitingCheckout(t *testing.T, s *Service, m *store.Merchant) *State {
	t.Helper()
	ctx := context.Background()
	c, err := s.Create(ctx, m, CreateParams{Amount: 11000, SuccessURL: "https://shop.example/ok", FailureURL: "https://shop.example/no"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pay(ctx, c.ID, DeviceDesktop); err != nil {
		t.Fatal(err)
	}
	st, err := s.State(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestWaitersShareOneWatcherAndLeaveNothingBehind(t *testing.T) {
	s, m, _ := newTestService(t, 50)
	ctx := context.Background()
	st := waitingCheckout(t, s, m)
	id, known := st.Checkout.ID, st.Key()
	const pages = 50
	keys := make(chan string, pages)
	for range pages {
		go func() {
			got, err := s.Wait(ctx, id, known, 20*time.Second)
			if err != nil {
				t.Error(err)
				keys <- ""
				return
			}
			keys <- got.Key()
		}()
	}
	WaitFor(t, "50 pages waiting", func() bool { return s.notifier.Waiting() == pages })
	if n := s.Watchers(); n != 1 {
		t.Errorf("%d watchers for one checkout", n)
	}
	start := time.Now()
	if _, err := s.Expire(ctx, m, id, nil); err != nil {
		t.Fatal(err)
	}
	for range pages {
		if k := <-keys; k == known || k == "" {
			t.Errorf("a page woke with %q", k)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waking 50 pages took %v", d)
	}
	WaitFor(t, "everything freed", func() bool {
		return s.notifier.keys() == 0 && s.Watchers() == 0 && s.notifier.Waiting() == 0
	})

	// Pages that leave (a closed tab) free their subscription too.
	cctx, cancel := context.WithCancel(ctx)
	st = waitingCheckout(t, s, m)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { s.Wait(cctx, st.Checkout.ID, st.Key(), 20*time.Second) })
	}
	WaitFor(t, "10 pages waiting", func() bool { return s.notifier.Waiting() == 10 })
	cancel()
	wg.Wait()
	WaitFor(t, "everything freed", func() bool { return s.notifier.keys() == 0 && s.Watchers() == 0 })
}

func TestUnknownCheckoutsAllocateNothing(t *testing.T) {
	s, _, _ := newTestService(t, 50)
	for range 1000 {
		_, err := s.Wait(context.Background(), domain.NewID("cs"), "", time.Second)
		var e *domain.Error
		if !errors.As(err, &e) || e.Kind != domain.KindNotFound {
			t.Fatalf("unknown checkout: %v", err)
		}
	}
	if n := s.notifier.keys(); n != 0 {
		t.Errorf("%d notifier entries for unknown checkouts", n)
	}
	if n := len(s.snaps.m); n != 0 {
		t.Errorf("%d snapshots of unknown checkouts", n)
	}
}

func TestWatchersShareOneOrderRate(t *testing.T) {
	s, m, ck := newTestService(t, 5)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for range 30 {
		st := waitingCheckout(t, s, m)
		wg.Go(func() { s.Wait(ctx, st.Checkout.ID, st.Key(), 30*time.Second) })
	}
	WaitFor(t, "30 watchers", func() bool { return s.Watchers() == 30 })
	time.Sleep(4 * time.Second) // the first looks come 2 s in
	got := ck.orders.Load()
	elapsed := time.Since(start) // more than 4 s on a busy machine
	cancel()
	wg.Wait()
	// 5 a second with a burst of 2 (a tick's worth), over all the time the watchers ran (the
	// first looks could start 2 s in): far fewer than the 30 an unshared rate would make at once.
	if limit := int64(5*(elapsed.Seconds()-2)) + 3; got < 1 || got > limit {
		t.Errorf("%d order look-ups by 30 watchers in %v at 5 a second (at most %d)", got, elapsed.Round(time.Millisecond), limit)
	}
	WaitFor(t, "watchers stopped", func() bool { return s.Watchers() == 0 })
}

func TestSnapshotsOfCheckoutsNobodyPollsAreForgotten(t *testing.T) {
	s, m, _ := newTestService(t, 50)
	for range 20 {
		st := waitingCheckout(t, s, m)
		if _, err := s.Snapshot(context.Background(), st.Checkout.ID); err != nil {
			t.Fatal(err)
		}
	}
	snapshots := func() int {
		s.snaps.mu.Lock()
		defer s.snaps.mu.Unlock()
		return len(s.snaps.m)
	}
	if n := snapshots(); n == 0 {
		t.Fatal("no snapshot was cached")
	}
	WaitFor(t, "the cache emptied once nobody polled", func() bool { return snapshots() == 0 })
}

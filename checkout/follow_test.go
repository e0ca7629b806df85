package checkout_test

import (
	"context"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/kakaopay/kakaopaytest"
	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
	"github.com/kpcheckout/kpcheckout/store/postgres"
	"github.com/kpcheckout/kpcheckout/store/postgres/pgtest"
)

// pg is the PostgreSQL server of this test binary, started by the first test that needs it.
var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// twoInstances is two services over one PostgreSQL database, as two kpcheckout processes are,
// asking one sandbox as they would ask one KakaoPay, on one clock that only moves when told: a
// snapshot never expires by itself, so only an announcement or a resync wakes a waiter.
func twoInstances(t *testing.T) (url string, a, b *apptest.Harness) {
	t.Helper()
	ctx := context.Background()
	url = pg.Database(t)
	clock := kakaopaytest.NewClock(time.Now().UTC())
	srv := httptest.NewUnstartedServer(nil)
	sbURL := "http://" + srv.Listener.Addr().String()
	sb, err := sandbox.New(sandbox.Options{BaseURL: sbURL, SecretKey: "test-secret", Now: clock.Now, ApproveDelay: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(srv.Close)
	instance := func() *apptest.Harness {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return apptest.Attach(t, db, sb, sbURL, clock, apptest.Options{})
	}
	a, b = instance(), instance()
	cm, err := b.Merchants.Create(ctx, accounts.MerchantParams{Name: "테스트 카페"})
	if err != nil {
		t.Fatal(err)
	}
	a.M, b.M = cm.Merchant, cm.Merchant
	return url, a, b
}

// follow runs h's FollowChanges until the test ends, and returns once it hears the others.
func follow(t *testing.T, h *apptest.Harness) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Checkouts.FollowChanges(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	checkout.WaitFor(t, "listening", func() bool { return checkout.Following(h.Checkouts) })
}

// polled is what a long-poll answered, and when.
type polled struct {
	st  *checkout.State
	err error
	at  time.Time
}

// longPoll long-polls id on h from its current state, as the status endpoint does, until the
// checkout's status is want; the answer comes on the channel.
func longPoll(h *apptest.Harness, id, want string) <-chan polled {
	out := make(chan polled, 1)
	st, err := h.Checkouts.Snapshot(h.Ctx, id)
	go func() {
		for err == nil && st.Checkout.Status != want {
			st, err = h.Checkouts.Wait(h.Ctx, id, st.Key(), 30*time.Second)
		}
		out <- polled{st, err, time.Now()}
	}()
	return out
}

// A payment approved on instance B wakes the long-poll waiting on instance A at once, through
// the database's announcement, not the watcher's next look.
func TestFollowChangesWakesAnotherInstancesWaiters(t *testing.T) {
	_, a, b := twoInstances(t)
	follow(t, a)
	c := a.Create(0)
	at := a.Start(c.ID)
	token := b.ApproveInWallet(at)
	woken := longPoll(a, c.ID, string(checkout.StatusPaid))
	checkout.WaitFor(t, "a waiting long-poll", func() bool { return a.Checkouts.Notifier().Waiting() == 1 })
	time.Sleep(20 * time.Millisecond) // subscribed, past the waiter's second read

	start := time.Now()
	if _, err := b.ReturnApprove(c, at, token); err != nil {
		t.Fatal(err)
	}
	approved := time.Now()
	var p polled
	select {
	case p = <-woken:
	case <-time.After(5 * time.Second):
		t.Fatal("the long-poll on a did not wake within 5 s of the approval on b")
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	sinceStart, sinceApproved := p.at.Sub(start), max(p.at.Sub(approved), 0)
	t.Logf("a saw paid %v after b's approval began, %v after it returned", sinceStart, sinceApproved)
	// Tens of milliseconds on a quiet machine. The bound only tells a wake by LISTEN/NOTIFY from
	// the watcher's next look (2 s): generous for a loaded CI machine.
	if sinceStart >= wokenBy {
		t.Errorf("a saw paid %v after b's approval began, want under %v (before the watcher's next look)", sinceStart, wokenBy)
	}
}

// On SQLite, one host's database, there is nobody else to hear: FollowChanges returns at once.
func TestFollowChangesReturnsOnSQLite(t *testing.T) {
	h := apptest.New(t)
	done := make(chan struct{})
	go func() { defer close(done); h.Checkouts.FollowChanges(t.Context()) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("FollowChanges still runs over SQLite")
	}
}

// A change made while the listener's connection is down wakes the waiters once it is back:
// the reconnect drops the cached states and wakes every waiter to read its checkout again.
func TestFollowChangesReconnectLosesNoWakeUp(t *testing.T) {
	url, a, b := twoInstances(t)
	follow(t, a)
	c := b.Create(0)
	woken := longPoll(a, c.ID, string(checkout.StatusExpired))
	checkout.WaitFor(t, "a waiting long-poll", func() bool { return a.Checkouts.Notifier().Waiting() == 1 })

	// The database is altered from another one on the server: not its own connections' business.
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	// No new connection until the change is made: the listener cannot hear it, only find it.
	exec(t, admin, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS false`)
	defer exec(t, admin, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS true`)
	var killed int
	if err := admin.QueryRow(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND query LIKE 'LISTEN%'`, name).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("killed %d listeners: %v", killed, err)
	}
	checkout.WaitFor(t, "the listener's end", func() bool { return !checkout.Following(a.Checkouts) })

	if _, err := b.Checkouts.Expire(ctx, b.M, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-woken:
		t.Fatalf("woken while not listening (%s): the test no longer tells the resync apart", p.st.Checkout.Status)
	case <-time.After(300 * time.Millisecond):
	}
	exec(t, admin, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS true`)
	back := time.Now()
	checkout.WaitFor(t, "listening again", func() bool { return checkout.Following(a.Checkouts) })
	listening := time.Now()
	select {
	case p := <-woken:
		if p.err != nil {
			t.Fatal(p.err)
		}
		// Soon after the listener is back, not at the watcher's next look, seconds later.
		t.Logf("a saw expired %v after connections were allowed again, %v after it listened again",
			p.at.Sub(back), max(p.at.Sub(listening), 0))
		if p.at.Sub(listening) > wokenBy {
			t.Errorf("a saw expired %v after it listened again, want under %v", p.at.Sub(listening), wokenBy)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the long-poll on a was not woken after the listener came back")
	}
}

func exec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// wokenBy is how soon a waiter on one instance must see another's change: under the 2 s after
// which the watcher's next look (the way without LISTEN/NOTIFY) would have shown it.
const wokenBy = 1500 * time.Millisecond

package checkout

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// parkedAnswer is what one parked wait was answered.
type parkedAnswer struct {
	key string
	err error
}

// park parks a wait whose answers go to the returned channel, which holds every answer given,
// so that a second one would show.
func park(s *Service, id, known string, wait time.Duration) chan parkedAnswer {
	got := make(chan parkedAnswer, 2)
	s.Reserve().Park(context.Background(), id, known, wait, func(st *State, err error) {
		a := parkedAnswer{err: err}
		if st != nil {
			a.key = st.Key()
		}
		got <- a
	})
	return got
}

func TestParkedWaitsHoldNoGoroutineAndWakeOnceAtTheChange(t *testing.T) {
	s, m, _ := newTestService(t, 50)
	ctx := context.Background()
	st := waitingCheckout(t, s, m)
	id, known := st.Checkout.ID, st.Key()
	const pages = 200
	before := runtime.NumGoroutine()
	answers := make([]chan parkedAnswer, pages)
	for i := range answers {
		answers[i] = park(s, id, known, 20*time.Second)
	}
	WaitFor(t, "200 waits parked", func() bool { return s.notifier.Waiting() == pages })
	if s.Watchers() != 1 {
		t.Fatalf("%d watchers", s.Watchers())
	}
	// The checkout's watcher may start its workers now; nothing grows with the waits.
	if n := runtime.NumGoroutine() - before; n > pages/4 { // the first-look workers, the watcher's
		t.Errorf("%d parked waits hold %d more goroutines", pages, n)
	}
	if _, err := s.Expire(ctx, m, id, nil); err != nil {
		t.Fatal(err)
	}
	for _, got := range answers {
		if a := <-got; a.err != nil || a.key == known {
			t.Errorf("a parked wait was answered %+v", a)
		}
	}
	if err := s.WaitParked(ctx); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "everything freed", func() bool {
		return s.notifier.keys() == 0 && s.Watchers() == 0 && s.notifier.Waiting() == 0
	})
	for _, got := range answers {
		select {
		case a := <-got:
			t.Errorf("answered twice: %+v", a)
		default:
		}
	}
	// A wait for a state that moved already is answered at its first look.
	if a := <-park(s, id, known, 20*time.Second); a.err != nil || a.key == known {
		t.Errorf("a stale known was answered %+v", a)
	}
	// And a checkout that does not exist, with its error.
	if a := <-park(s, "cs_nope", "", 20*time.Second); a.err == nil {
		t.Errorf("an unknown checkout was answered %+v", a)
	}
}

func TestParkedWaitEndsWithItsTimeOrAtShutdown(t *testing.T) {
	s, m, _ := newTestService(t, 50)
	st := waitingCheckout(t, s, m)
	id, known := st.Checkout.ID, st.Key()
	start := time.Now()
	if a := <-park(s, id, known, 300*time.Millisecond); a.err != nil || a.key != known || time.Since(start) < 300*time.Millisecond {
		t.Errorf("a 300 ms wait was answered %+v after %v", a, time.Since(start))
	}

	long := park(s, id, known, time.Hour)
	WaitFor(t, "a parked wait", func() bool { return s.notifier.Waiting() == 1 })
	s.notifier.Close()
	if a := <-long; a.err != nil || a.key != known {
		t.Errorf("at shutdown a parked wait was answered %+v", a)
	}
	// A wait parked after the notifier closed does not stay.
	if a := <-park(s, id, known, time.Hour); a.err != nil || a.key != known {
		t.Errorf("a wait parked after shutdown was answered %+v", a)
	}
	if err := s.WaitParked(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.notifier.keys() != 0 || s.Watchers() != 0 || s.notifier.Waiting() != 0 {
		t.Errorf("left behind: %d keys, %d watchers, %d waiting", s.notifier.keys(), s.Watchers(), s.notifier.Waiting())
	}
}

func TestStoppedParkedWaitIsAnsweredOnceAndFreed(t *testing.T) {
	s, m, _ := newTestService(t, 50)
	st := waitingCheckout(t, s, m)
	got := make(chan parkedAnswer, 2)
	stop := s.Reserve().Park(context.Background(), st.Checkout.ID, st.Key(), time.Hour, func(st *State, err error) { got <- parkedAnswer{err: err} })
	stop()
	stop()
	if a := <-got; !errors.Is(a.err, context.Canceled) {
		t.Errorf("a stopped wait was answered %+v", a)
	}
	if _, err := s.Expire(context.Background(), m, st.Checkout.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitParked(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-got:
		t.Errorf("answered again: %+v", a)
	default:
	}
	if s.notifier.keys() != 0 || s.Watchers() != 0 || s.notifier.Waiting() != 0 {
		t.Errorf("left behind: %d keys, %d watchers, %d waiting", s.notifier.keys(), s.Watchers(), s.notifier.Waiting())
	}
}

// Once a crowd of polls has arrived, the garbage their requests left is collected: the next
// collection does not wait for the heap to grow back to twice the crowd's size.
func TestCrowdOfParkedWaitsIsFollowedByACollection(t *testing.T) {
	s, m, _ := newTestService(t, 50)
	st := waitingCheckout(t, s, m)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for range crowd {
		park(s, st.Checkout.ID, st.Key(), time.Minute)
	}
	WaitFor(t, "the crowd parked", func() bool { return s.notifier.Waiting() == crowd })
	WaitFor(t, "a collection after the crowd", func() bool {
		var now runtime.MemStats
		runtime.ReadMemStats(&now)
		return now.NumForcedGC > before.NumForcedGC
	})
	s.notifier.Close()
	if err := s.WaitParked(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A parked wait wakes when the state changes by itself, at its attempt's expiry, with nobody
// notifying: its timer is set to the state's next deadline, not only to the wait's end.
func TestParkedWaitWakesAtTheAttemptsExpiry(t *testing.T) {
	s, m, _ := newTestService(t, 50)
	s.ttl = 1500 * time.Millisecond
	st := waitingCheckout(t, s, m)
	select {
	case a := <-park(s, st.Checkout.ID, st.Key(), 30*time.Second):
		if a.err != nil || a.key == st.Key() {
			t.Errorf("at the attempt's expiry the wait was answered %+v", a)
		}
	case <-time.After(20 * time.Second): // the wait's own end is at 30 s
		t.Fatal("the wait did not wake at the attempt's expiry")
	}
}

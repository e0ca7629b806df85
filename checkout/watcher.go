package checkout

import (
	"context"
	"math"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/kpcheckout/kpcheckout/kakaopay"
)

// Watching asks KakaoPay how far shoppers got only for checkouts somebody is watching (a status
// long-poll is waiting): one entry per checkout, however many pages wait on it, looked at with
// backoff (2 s, 4 s, … 30 s while nothing changes) and under one global rate of order look-ups,
// and forgotten when the last page leaves. One scheduler goroutine and a few workers serve every
// watched checkout, so a watched checkout costs a map entry. The reconciler covers the attempts
// nobody watches.
const (
	watchFirst   = 2 * time.Second
	watchMax     = 30 * time.Second
	watchTick    = 250 * time.Millisecond
	watchWorkers = 8
)

// watchers are the watched checkouts by id.
type watchers struct {
	mu      sync.Mutex
	m       map[string]*watcher
	limiter *rate.Limiter // every order look-up of this process
	looks   chan string   // checkout ids due for a look, to the workers
	started sync.Once
}

type watcher struct {
	n       int           // waiting polls
	next    time.Time     // when it is looked at next
	wait    time.Duration // the backoff
	key     string        // the state key and order status the last look saw
	looking bool
}

func newWatchers(perSecond float64) *watchers {
	return &watchers{m: make(map[string]*watcher), looks: make(chan string, watchWorkers),
		// The burst is one tick's worth, so the scheduler can use the whole rate.
		limiter: rate.NewLimiter(rate.Limit(perSecond), max(1, int(math.Ceil(perSecond*watchTick.Seconds()))))}
}

// watched reports whether pages are watching a checkout (its watcher asks KakaoPay about it).
func (s *Service) watched(id string) bool {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	_, ok := s.watch.m[id]
	return ok
}

// Watchers tells how many checkouts are being watched now.
func (s *Service) Watchers() int {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	return len(s.watch.m)
}

// watchCheckout counts one more page watching a checkout; the returned release must be called
// when the page stops waiting.
func (s *Service) watchCheckout(id string) (release func()) {
	s.watch.started.Do(func() { go s.scheduleLooks() })
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	w, ok := s.watch.m[id]
	if !ok {
		w = &watcher{next: time.Now().Add(watchFirst), wait: watchFirst}
		s.watch.m[id] = w
	}
	w.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.watch.mu.Lock()
			defer s.watch.mu.Unlock()
			if w.n--; w.n == 0 {
				delete(s.watch.m, id)
			}
		})
	}
}

// scheduleLooks hands the watched checkouts that are due to the workers, as far as the global
// rate allows; the others wait for their next turn, backing off.
func (s *Service) scheduleLooks() {
	for range watchWorkers {
		go s.lookWorker()
	}
	tick := time.NewTicker(watchTick)
	defer tick.Stop()
	defer close(s.watch.looks)
	for {
		select {
		case <-s.notifier.Closed():
			return
		case now := <-tick.C:
			for _, id := range s.dueLooks(now) {
				s.watch.looks <- id
			}
		}
	}
}

// dueLooks picks the checkouts due for a look now that the rate allows.
func (s *Service) dueLooks(now time.Time) []string {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	var due []string
	for id, w := range s.watch.m {
		if w.looking || now.Before(w.next) {
			continue
		}
		if !s.watch.limiter.AllowN(now, 1) {
			w.next, w.wait = now.Add(w.wait), min(2*w.wait, watchMax) // no turn this time
			continue
		}
		w.looking = true
		due = append(due, id)
	}
	return due
}

func (s *Service) lookWorker() {
	for id := range s.watch.looks {
		s.watch.mu.Lock()
		prev := ""
		if w, ok := s.watch.m[id]; ok {
			prev = w.key
		}
		s.watch.mu.Unlock()
		key := s.look(id, prev)
		s.watch.mu.Lock()
		if w, ok := s.watch.m[id]; ok {
			if key != w.key {
				// Pages waiting on an older state look again: the change may have been made by
				// another instance, which this one's notifier never heard of.
				s.notifier.Notify(id)
				w.wait, w.key = watchFirst, key
			} else {
				w.wait = min(2*w.wait, watchMax)
			}
			w.next, w.looking = time.Now().Add(w.wait), false
		}
		s.watch.mu.Unlock()
	}
}

// look is one look at a watched checkout: its state (re-read once the snapshot is older than
// snapshotTTL, so a change another instance made wakes this one's pages too) and, while its
// latest attempt is live and not being confirmed, KakaoPay's word on how far the shopper got.
// It answers what it saw, for the backoff; prev is what the last look answered.
func (s *Service) look(id, prev string) string {
	ctx, cancel := context.WithTimeout(context.Background(), s.approveT)
	defer cancel()
	st, err := s.Snapshot(ctx, id)
	if err != nil {
		return ""
	}
	a := st.Latest()
	if !st.Open() || a == nil || a.TID == "" || !Live(a) || Confirming(a) {
		return st.Key()
	}
	// Pages may wait on a checkout on several instances: one of them asks KakaoPay per
	// watchFirst. The lease is left to lapse, and the others see the answer in the state.
	if _, ok, err := s.leases.Take(ctx, "look:"+id, watchFirst); err != nil || !ok {
		if strings.HasPrefix(prev, st.Key()+".") {
			return prev // KakaoPay's word is another instance's to ask: not a change, so the backoff goes on
		}
		return st.Key()
	}
	order, err := s.kakao.Order(ctx, kakaopay.OrderRequest{CID: cidOf(st), TID: a.TID})
	if err != nil {
		s.log.WarnContext(ctx, "watcher: kakaopay order failed", "checkout", id, "attempt", a.ID, "err", err)
		return st.Key()
	}
	if err := s.apply(ctx, id, a.ID, order); err != nil {
		s.log.ErrorContext(ctx, "watcher: applying kakaopay order", "checkout", id, "attempt", a.ID, "err", err)
	}
	return st.Key() + "." + string(order.Status)
}

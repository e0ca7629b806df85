package checkout

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/kpcheckout/kpcheckout/kakaopay"
)

// Watching asks KakaoPay how far shoppers got only for checkouts somebody is watching (a status
// long-poll is waiting): one watcher per checkout, however many pages wait on it, asking with
// backoff and under one global rate, and stopping when the last page leaves. The reconciler
// covers the attempts nobody watches.
const (
	watchFirst = 2 * time.Second
	watchMax   = 30 * time.Second
)

// watchers are the running watchers by checkout id.
type watchers struct {
	mu      sync.Mutex
	m       map[string]*watcher
	limiter *rate.Limiter // all order look-ups of this process
}

type watcher struct {
	n    int // waiting polls
	stop chan struct{}
}

func newWatchers(perSecond float64) *watchers {
	return &watchers{m: make(map[string]*watcher), limiter: rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))}
}

// Watchers tells how many checkouts are being watched now.
func (s *Service) Watchers() int {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	return len(s.watch.m)
}

// watchCheckout counts one more page watching a checkout, starting its watcher if it is the
// first; the returned release must be called when the page stops waiting.
func (s *Service) watchCheckout(id string) (release func()) {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	w, ok := s.watch.m[id]
	if !ok {
		w = &watcher{stop: make(chan struct{})}
		s.watch.m[id] = w
		go s.runWatcher(id, w.stop)
	}
	w.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.watch.mu.Lock()
			defer s.watch.mu.Unlock()
			if w.n--; w.n == 0 {
				delete(s.watch.m, id)
				close(w.stop)
			}
		})
	}
}

// runWatcher looks at a watched checkout until stop: each look reads it from the database (so a
// change another instance made wakes this one's pages too) and, while its latest attempt is
// live and not being confirmed, asks KakaoPay's order API how far the shopper got. It asks
// again after 2 s, then 4, 8, … up to 30 s while nothing changes.
func (s *Service) runWatcher(id string, stop <-chan struct{}) {
	wait, last := watchFirst, ""
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-stop:
			return
		case <-s.notifier.Closed():
			return
		case <-timer.C:
		}
		key := s.look(id, stop)
		if key != last {
			wait, last = watchFirst, key
		} else {
			wait = min(2*wait, watchMax)
		}
		timer.Reset(wait)
	}
}

// look is one look of a watcher; it answers the state key it saw.
func (s *Service) look(id string, stop <-chan struct{}) string {
	ctx, cancel := context.WithTimeout(context.Background(), s.approveT)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	st, err := s.read(ctx, id)
	if err != nil {
		return ""
	}
	if cached, _ := s.snaps.get(id, s.now()); cached != nil && cached.Key() != st.Key() {
		s.changed(id)
	}
	a := st.Latest()
	if st.Checkout.Status != StatusOpen || a == nil || a.TID == "" || !isLive(a) || Confirming(a) {
		return st.Key()
	}
	if err := s.watch.limiter.Wait(ctx); err != nil {
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

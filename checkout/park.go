package checkout

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Reserve counts a parked wait about to begin, before the caller takes its connection from
// net/http: from then on the server's shutdown, which no longer sees the connection, waits for
// it (WaitParked). The Reservation's Park or Cancel must follow.
func (s *Service) Reserve() *Reservation {
	s.parked.Add(1)
	return &Reservation{s: s}
}

// Reservation is a parked wait counted before it begins (Reserve).
type Reservation struct {
	s    *Service
	used bool
}

// Cancel gives the reservation back, when the wait could not be parked.
func (r *Reservation) Cancel() {
	if !r.used {
		r.used = true
		r.s.parked.Done()
	}
}

// Park waits as Wait does, for a caller that holds no goroutine while it waits (a long-poll whose
// connection the handler took from net/http): answer is called once, from a goroutine of its
// own, with what Wait would have answered. A parked wait costs a subscription and a timer.
//
// Park returns at once: the first look at the state is queued for a few workers (as many as
// the store has readers), so that a crowd of polls arriving together waits in that queue at a
// few hundred bytes each rather than each in a goroutine with its request. ctx should not end
// with the request (context.WithoutCancel).
//
// stop ends the wait early, for a client that left: answer is called with context.Canceled,
// unless it was called already.
func (r *Reservation) Park(ctx context.Context, id, known string, wait time.Duration, answer func(*State, error)) (stop func()) {
	if r.used {
		panic("checkout: a Reservation parks one wait")
	}
	r.used = true
	s := r.s
	p := &parking{s: s, ctx: ctx, id: id, known: known, until: time.Now().Add(wait), answer: answer}
	s.arrivals.mu.Lock()
	s.arrivals.queue = append(s.arrivals.queue, p)
	more := s.arrivals.workers < firstLookers
	if more {
		s.arrivals.workers++
	}
	s.arrivals.mu.Unlock()
	if more {
		go s.firstLooks()
	}
	return p.stop
}

// firstLookers bounds the first looks of parked waits under way at once: the SQLite store's
// readers.
const firstLookers = 8

// arrivals are the parked waits whose first look is still to come.
type arrivals struct {
	mu         sync.Mutex
	queue      []*parking
	workers    int
	looked     int       // first looks since the last crowd was collected
	last       time.Time // the latest first look
	collecting bool      // collectAfterCrowd is scheduled
}

// crowd is how many polls arriving close together make a crowd, whose requests leave garbage
// enough to collect once it has arrived (collectAfterCrowd).
const crowd = 1000

// firstLooks takes the first looks in turn until none is left.
func (s *Service) firstLooks() {
	for {
		s.arrivals.mu.Lock()
		if len(s.arrivals.queue) == 0 {
			s.arrivals.workers--
			if s.arrivals.looked >= crowd && !s.arrivals.collecting {
				s.arrivals.collecting = true
				time.AfterFunc(time.Second, s.collectAfterCrowd)
			}
			s.arrivals.mu.Unlock()
			return
		}
		p := s.arrivals.queue[0]
		s.arrivals.queue[0] = nil
		s.arrivals.queue = s.arrivals.queue[1:]
		s.arrivals.looked++
		s.arrivals.last = time.Now()
		s.arrivals.mu.Unlock()
		p.first()
	}
}

// collectAfterCrowd runs a collection once a crowd of polls has arrived and a second has passed
// without another. While thousands of requests are read at once, their buffers and stacks are
// live, and the collector sets the heap's next goal at twice that; once they are parked the
// memory is garbage, but the heap keeps its pages until it grows back to that goal, which an idle
// server takes minutes to do. Collecting now lets the runtime give them back within seconds
// (10,000 polls arriving together: 164–209 MB of RSS 15 s later without it).
func (s *Service) collectAfterCrowd() {
	s.arrivals.mu.Lock()
	if len(s.arrivals.queue) > 0 || time.Since(s.arrivals.last) < time.Second {
		time.AfterFunc(time.Second, s.collectAfterCrowd) // still arriving
		s.arrivals.mu.Unlock()
		return
	}
	s.arrivals.looked, s.arrivals.collecting = 0, false
	s.arrivals.mu.Unlock()
	runtime.GC()
}

// first begins the wait; its first round answers at once when the state has moved from known
// already, or the client left meanwhile.
func (p *parking) first() {
	p.s.notifier.waiting.Add(1)
	p.unwatch = p.s.watchCheckout(p.id)
	p.arm()
}

// WaitParked waits until every parked wait has been answered, as a graceful shutdown must before
// the store closes: Notifier.Close ends them.
func (s *Service) WaitParked(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.parked.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// parking is one parked wait.
type parking struct {
	s       *Service
	ctx     context.Context
	id      string
	known   string
	until   time.Time
	answer  func(*State, error)
	unwatch func()

	mu      sync.Mutex
	cur     *round // the round under way, or the last one
	stopped bool
}

// stop ends the wait for a client that left. When no round is under way, the next look does.
func (p *parking) stop() {
	p.mu.Lock()
	p.stopped = true
	r := p.cur
	p.mu.Unlock()
	if r != nil && r.end() {
		p.finish(nil, context.Canceled)
	}
}

// round is one subscription and timer of a parking: the first of them to fire ends the round.
type round struct {
	mu     sync.Mutex
	fired  bool
	cancel func()
	timer  *time.Timer
}

// end ends the round once, and reports whether this call did: the caller goes on with the wait.
func (r *round) end() bool {
	r.mu.Lock()
	if r.fired {
		r.mu.Unlock()
		return false
	}
	r.fired = true
	cancel, t := r.cancel, r.timer
	r.mu.Unlock()
	cancel()
	if t != nil {
		t.Stop()
	}
	return true
}

// arm starts a round: it subscribes, then reads the state again so that a change in between is
// not missed, and sets the timer to the wait's end or the state's next deadline (an expiry).
func (p *parking) arm() {
	r := &round{}
	r.mu.Lock() // a wake (or stop) waits for its cancel
	r.cancel = p.s.notifier.SubscribeFunc(p.id, func() { p.wake(r) })
	r.mu.Unlock()
	p.mu.Lock()
	stopped := p.stopped
	p.cur = r
	p.mu.Unlock()
	if stopped {
		if r.end() {
			p.finish(nil, context.Canceled)
		}
		return
	}
	st, err := p.s.Snapshot(p.ctx, p.id)
	closed := false
	select {
	case <-p.s.notifier.Closed(): // before the subscription maybe: nobody calls it then
		closed = true
	default:
	}
	if err != nil || st.Key() != p.known || closed {
		if r.end() { // else a wake came first, and looks again
			go p.finish(st, err) // not on a first-look worker: the answer's write may wait
		}
		return
	}
	d := st.changesIn(p.s.clock.Now(), max(time.Until(p.until), 0))
	r.mu.Lock()
	if !r.fired {
		r.timer = time.AfterFunc(d, func() { p.wake(r) })
	}
	r.mu.Unlock()
}

// wake ends round r, once, and looks again in a goroutine of its own: the notifier's and the
// timer's must not block.
func (p *parking) wake(r *round) {
	if r.end() {
		go p.look()
	}
}

// look answers at the wait's end or at shutdown, with the state then; otherwise it arms again,
// which answers when the state has moved from known.
func (p *parking) look() {
	select {
	case <-p.s.notifier.Closed():
	default:
		if time.Now().Before(p.until) {
			p.arm()
			return
		}
	}
	p.finish(p.s.Snapshot(p.ctx, p.id))
}

// finish answers, and frees what the wait held.
func (p *parking) finish(st *State, err error) {
	p.unwatch()
	p.s.notifier.waiting.Add(-1)
	defer p.s.parked.Done()
	p.answer(st, err)
}

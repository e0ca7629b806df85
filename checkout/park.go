package checkout

import (
	"context"
	"sync"
	"time"
)

// Park waits as Wait does, for a caller that holds no goroutine while it waits (a long-poll whose
// connection the handler took from net/http): answer is called once, from whichever goroutine
// ends the wait, with what Wait would have answered. A parked wait costs a subscription and a
// timer. The client's leaving is not seen while it waits: its answer goes out at the change or
// at wait's end, as a waiting poll's would, and finds the connection closed.
//
// The first look happens before Park returns; when the state already differs from known, answer
// is called before that too. ctx should not end with the request (context.WithoutCancel).
//
// stop ends the wait early, for a client that left: answer is called with context.Canceled,
// unless it was called already.
func (s *Service) Park(ctx context.Context, id, known string, wait time.Duration, answer func(*State, error)) (stop func()) {
	if st, err := s.Snapshot(ctx, id); err != nil || st.Key() != known || wait <= 0 {
		answer(st, err)
		return func() {}
	}
	s.parked.Add(1)
	s.notifier.waiting.Add(1)
	p := &parking{s: s, ctx: ctx, id: id, known: known, until: time.Now().Add(wait), answer: answer, unwatch: s.watchCheckout(id)}
	p.arm()
	return p.stop
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
			p.finish(st, err)
		}
		return
	}
	d := time.Until(p.until)
	if due := st.nextDeadline(); !due.IsZero() {
		d = min(d, max(due.Sub(p.s.clock.Now()), 0)+10*time.Millisecond)
	}
	r.mu.Lock()
	if !r.fired {
		r.timer = time.AfterFunc(max(d, 0), func() { p.wake(r) })
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
		p.finish(p.s.Snapshot(p.ctx, p.id))
		return
	default:
	}
	if !time.Now().Before(p.until) {
		p.finish(p.s.Snapshot(p.ctx, p.id))
		return
	}
	p.arm()
}

// finish answers, and frees what the wait held.
func (p *parking) finish(st *State, err error) {
	p.unwatch()
	p.s.notifier.waiting.Add(-1)
	defer p.s.parked.Done()
	p.answer(st, err)
}

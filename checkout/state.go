package checkout

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/store"
)

// State is a checkout with what a page or the status endpoint shows of it.
type State struct {
	Checkout *store.Checkout
	Merchant *store.Merchant
	Attempts []*store.Attempt // oldest first
	Payment  *store.Payment   // when paid
	// Agreement is what a paid subscription checkout set up.
	Agreement *store.Agreement
}

// Latest returns the newest attempt, or nil.
func (st *State) Latest() *store.Attempt {
	if len(st.Attempts) == 0 {
		return nil
	}
	return st.Attempts[len(st.Attempts)-1]
}

// attempt returns the checkout's attempt with that id, or nil.
func (st *State) attempt(id string) *store.Attempt {
	for _, a := range st.Attempts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// Key identifies what a shopper sees of the state; it changes whenever the page should.
func (st *State) Key() string {
	k := st.Checkout.Status
	if a := st.Latest(); a != nil {
		k += "." + a.ID + "." + a.Status
	}
	return k
}

// State reads a checkout and its attempts, first expiring what is due.
func (s *Service) State(ctx context.Context, id string) (*State, error) {
	st, err := s.read(ctx, id)
	if err != nil {
		return nil, err
	}
	if changed, err := s.expireDue(ctx, st); err != nil {
		return nil, err
	} else if changed {
		return s.read(ctx, id)
	}
	return st, nil
}

// read reads a checkout's state from one snapshot of the store: an approve committing meanwhile
// is seen whole or not at all.
func (s *Service) read(ctx context.Context, id string) (st *State, err error) {
	err = s.store.View(ctx, func(r store.Reader) error {
		st, err = readState(ctx, r, id)
		return err
	})
	return st, err
}

func readState(ctx context.Context, r store.Reader, id string) (*State, error) {
	c, err := r.Checkout(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, domain.NotFound("checkout", id)
	}
	if err != nil {
		return nil, wrapf("read", err)
	}
	st := &State{Checkout: c}
	if st.Merchant, err = r.Merchant(ctx, c.MerchantID); err != nil {
		return nil, wrapf("read", err)
	}
	if st.Attempts, err = r.AttemptsByCheckout(ctx, id); err != nil {
		return nil, wrapf("read", err)
	}
	if isPaid(c) {
		if st.Payment, err = r.PaymentByCheckout(ctx, id); err != nil {
			return nil, wrapf("read", err)
		}
		if c.Mode == ModeSubscription {
			if st.Agreement, err = r.AgreementByCheckout(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, wrapf("read", err)
			}
		}
	}
	return st, nil
}

// update runs fn in one transaction and, once it committed, reports whether fn changed checkout
// id's state, and if so wakes its waiters (changed). Should the transaction run fn again, its
// last answer counts.
func (s *Service) update(ctx context.Context, id string, fn func(tx store.Tx) (changed bool, err error)) (bool, error) {
	changed := false
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		var err error
		changed, err = fn(tx)
		return err
	})
	if err != nil {
		return false, err
	}
	if changed {
		s.changed(id)
	}
	return changed, nil
}

// expireDue expires, in one transaction, the checkout if its time has come and each unclaimed
// attempt past its own expiry.
func (s *Service) expireDue(ctx context.Context, st *State) (bool, error) {
	now := s.clock.Now()
	due := st.Open() && !now.Before(st.Checkout.ExpiresAt)
	if !due && !slices.ContainsFunc(st.Attempts, func(a *store.Attempt) bool { return expiring(a, false, now) }) {
		return false, nil
	}
	changed, err := s.update(ctx, st.Checkout.ID, func(tx store.Tx) (bool, error) {
		cur, err := txState(ctx, tx, st.Checkout.ID)
		if err != nil {
			return false, err
		}
		return s.expireIn(ctx, tx, cur, now, false)
	})
	if err != nil {
		return false, wrapf("expire", err)
	}
	return changed, nil
}

// expireIn expires due attempts and, when due or forced, the checkout, inside tx, and reports
// whether it changed anything.
func (s *Service) expireIn(ctx context.Context, tx store.Tx, st *State, now time.Time, force bool) (bool, error) {
	c := st.Checkout
	due := st.Open() && (force || !now.Before(c.ExpiresAt)) && !slices.ContainsFunc(st.Attempts, inFlight)
	changed := false
	for _, a := range st.Attempts {
		if !expiring(a, due, now) {
			continue
		}
		if err := moveAttempt(a, AttemptExpired, now); err != nil {
			return changed, err
		}
		if err := tx.UpdateAttempt(ctx, a); err != nil {
			return changed, err
		}
		if err := tx.CreateEvent(ctx, domain.NewEvent(c.MerchantID, "attempt.expired", c.ID, a.ID, attemptData(a), now)); err != nil {
			return changed, err
		}
		changed = true
	}
	if !due {
		return changed, nil
	}
	if err := moveCheckout(c, StatusExpired, now); err != nil {
		return changed, err
	}
	if err := tx.UpdateCheckout(ctx, c); err != nil {
		return changed, err
	}
	data := s.checkoutData(c, st.Merchant, nil, "")
	if err := tx.CreateEvent(ctx, domain.NewEvent(c.MerchantID, "checkout.expired", c.ID, c.ID, data, now)); err != nil {
		return changed, err
	}
	return true, nil
}

// txState reads a checkout inside a transaction, holding its row.
func txState(ctx context.Context, tx store.Tx, id string) (*State, error) {
	if _, err := tx.LockCheckout(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, domain.NotFound("checkout", id)
		}
		return nil, err
	}
	return readState(ctx, tx, id)
}

// Expire ends an open checkout at the merchant's request; key (when not nil) is bound to it in
// the same transaction.
func (s *Service) Expire(ctx context.Context, m *store.Merchant, id string, key *domain.Reservation) (*State, error) {
	if _, err := s.Checkout(ctx, m, id); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		st, err := txState(ctx, tx, id)
		if err != nil {
			return err
		}
		if !st.Open() {
			return domain.Conflict("checkout_"+st.Checkout.Status, "only an open checkout can be expired; this one is %s", st.Checkout.Status)
		}
		if _, err := s.expireIn(ctx, tx, st, now, true); err != nil {
			return err
		}
		if st.Open() {
			return domain.Conflict("payment_in_progress", "the shopper has approved a payment that is being confirmed")
		}
		return domain.Bind(ctx, tx, key, domain.BoundExpiry, id)
	})
	if err != nil {
		return nil, domain.Failed("checkout", "expire", err)
	}
	s.changed(id)
	return s.read(ctx, id)
}

// ExpireDue expires every open checkout whose time has come; the server runs it periodically.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	ids, err := s.store.DueCheckouts(ctx, s.clock.Now(), 100)
	if err != nil {
		return 0, wrapf("expire due", err)
	}
	n := 0
	for _, id := range ids {
		st, err := s.read(ctx, id)
		if err != nil {
			return n, err
		}
		changed, err := s.expireDue(ctx, st)
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}

// checkoutData is the data of checkout events: the checkout object as the API answers it now,
// with its payment p (nil while unpaid) and the agreement it set up ("" for none).
func (s *Service) checkoutData(c *store.Checkout, m *store.Merchant, p *store.Payment, agreement string) []byte {
	return objects.JSON(objects.NewCheckout(c, m.Livemode, s.pageURL(c.ID), p, agreement))
}

// Wait answers when the checkout's state key differs from known, or when wait has passed, or
// when ctx ends. A waiting poll sleeps on the notifier and answers from the state snapshot; the
// checkout's watcher asks KakaoPay how far the shopper got meanwhile. An unknown checkout is
// not found before anything is allocated for it.
func (s *Service) Wait(ctx context.Context, id, known string, wait time.Duration) (*State, error) {
	st, err := s.Snapshot(ctx, id)
	if err != nil || st.Key() != known || wait <= 0 {
		return st, err
	}
	s.notifier.waiting.Add(1)
	defer s.notifier.waiting.Add(-1)
	defer s.watchCheckout(id)()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		woken, cancel := s.notifier.Subscribe(id)
		// Read again once subscribed, so that a change in between is not missed.
		if st, err = s.Snapshot(ctx, id); err != nil || st.Key() != known {
			cancel()
			return st, err
		}
		due := time.NewTimer(st.changesIn(s.clock.Now(), time.Hour)) // by itself: an expiry
		// A waiter holds a channel and timers, not the state: 10,000 waiters would otherwise keep
		// 10,000 states alive after the snapshot cache has let them go.
		st = nil
		var timedOut, ended bool
		select {
		case <-woken:
		case <-due.C:
		case <-timer.C:
			timedOut = true
		case <-s.notifier.Closed():
			ended = true
		case <-ctx.Done():
			ended = true
		}
		due.Stop()
		cancel()
		switch {
		case timedOut:
			return s.Snapshot(ctx, id)
		case ended: // shutting down, or the client left: answer what is known now
			return s.Snapshot(context.WithoutCancel(ctx), id)
		}
	}
}

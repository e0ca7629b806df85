package checkout

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// leaseMargin is what a lease adds to the longest call made under it, so that it lapses only
// once the holder has surely given up.
const leaseMargin = 5 * time.Second

// lease takes the named lease for this instance for ttl, so that no other instance over the
// database does the same work meanwhile; ok is false while another holds it. A holder that dies
// keeps it until ttl has passed, then another takes the work over.
func (s *Service) lease(ctx context.Context, name string, ttl time.Duration) (release func(), ok bool, err error) {
	err = s.store.Transact(ctx, func(tx store.Tx) (err error) {
		ok, err = s.takeLeaseIn(ctx, tx, name, ttl)
		return err
	})
	if err != nil {
		return nil, false, wrapf("lease", err)
	}
	if !ok {
		return nil, false, nil
	}
	return func() { s.releaseLease(ctx, name) }, true, nil
}

// leaseWait is lease, waiting up to wait while another instance holds it; past wait it answers
// a conflict with code busy.
func (s *Service) leaseWait(ctx context.Context, name string, ttl, wait time.Duration, busy string) (release func(), err error) {
	deadline := time.Now().Add(wait)
	for {
		release, ok, err := s.lease(ctx, name, ttl)
		if err != nil || ok {
			return release, err
		}
		if time.Now().After(deadline) {
			return nil, conflict(busy, "another request for this is under way; retry shortly")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// takeLeaseIn takes the named lease inside tx, with the state change it guards.
func (s *Service) takeLeaseIn(ctx context.Context, tx store.Tx, name string, ttl time.Duration) (bool, error) {
	now := s.clock()
	return tx.TakeLease(ctx, &store.Lease{Name: name, Holder: s.holder, ExpiresAt: now.Add(ttl)}, now)
}

// releaseLease gives up this instance's lease of name; when that fails the lease lapses.
func (s *Service) releaseLease(ctx context.Context, name string) {
	ctx = context.WithoutCancel(ctx)
	if err := s.store.Transact(ctx, func(tx store.Tx) error { return tx.ReleaseLease(ctx, name, s.holder) }); err != nil {
		s.log.WarnContext(ctx, "releasing a lease; it lapses", "lease", name, "err", err)
	}
}

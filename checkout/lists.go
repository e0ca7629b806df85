package checkout

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

// List returns a page of a merchant's checkouts, newest first, and whether more follow.
func (s *Service) List(ctx context.Context, m *store.Merchant, p store.ListCheckouts) ([]*State, bool, error) {
	p.MerchantID = m.ID
	want := p.Limit
	p.Limit++
	list, err := s.store.ListCheckouts(ctx, p)
	if err != nil {
		return nil, false, wrapf("list", err)
	}
	more := len(list) > want
	if more {
		list = list[:want]
	}
	out := make([]*State, 0, len(list))
	for _, c := range list {
		st := &State{Checkout: c, Merchant: m}
		if isPaid(c) {
			if st, err = readState(ctx, s.store, c.ID); err != nil {
				return nil, false, err
			}
		}
		out = append(out, st)
	}
	return out, more, nil
}

// Events returns a page of a merchant's events, newest first, and whether more follow.
func (s *Service) Events(ctx context.Context, p store.ListEvents) ([]*store.Event, bool, error) {
	want := p.Limit
	p.Limit++
	list, err := s.store.Events(ctx, p)
	if err != nil {
		return nil, false, wrapf("events", err)
	}
	if len(list) > want {
		return list[:want], true, nil
	}
	return list, false, nil
}

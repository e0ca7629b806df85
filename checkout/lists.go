package checkout

import (
	"context"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// Checkout reads one of merchant m's checkouts, first expiring what is due; another merchant's
// checkout is not found.
func (s *Service) Checkout(ctx context.Context, m *store.Merchant, id string) (*State, error) {
	return domain.Owned(ctx, m, "checkout", id, s.State, func(st *State) string { return st.Checkout.MerchantID })
}

// Checkouts returns a page of a merchant's checkouts, newest first, and whether more follow.
func (s *Service) Checkouts(ctx context.Context, m *store.Merchant, p store.ListCheckouts) ([]*State, bool, error) {
	p.MerchantID = m.ID
	list, more, err := domain.Page(p.Limit, func(limit int) ([]*store.Checkout, error) {
		p.Limit = limit
		return s.store.ListCheckouts(ctx, p)
	})
	if err != nil {
		return nil, false, wrapf("list", err)
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

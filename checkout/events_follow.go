package checkout

import (
	"context"
	"errors"

	"github.com/kpcheckout/kpcheckout/store"
)

// EventsAfter lists up to p.Limit of a merchant's events that follow the event p.After (all of
// them when it is empty), of p.Type and p.CheckoutID when they are set, oldest first and in the
// order they were committed, so that a follower who asks again after the last one it got misses
// none; more tells whether others follow already. An After that is not one of the merchant's
// events is refused (param "after"): nothing would ever follow it.
func (s *Service) EventsAfter(ctx context.Context, m *store.Merchant, p store.ListEvents) (list []*store.Event, more bool, err error) {
	if after := p.After; after != "" {
		e, err := s.store.Event(ctx, after)
		if errors.Is(err, store.ErrNotFound) || (err == nil && e.MerchantID != m.ID) {
			nf := notFound("event", after)
			nf.Param = "after"
			return nil, false, nf
		}
		if err != nil {
			return nil, false, wrapf("events after", err)
		}
	}
	limit := p.Limit
	p.MerchantID, p.Forward, p.StartingAfter, p.Limit = m.ID, true, "", limit+1
	list, err = s.store.Events(ctx, p)
	if err != nil {
		return nil, false, wrapf("events after", err)
	}
	if len(list) > limit {
		return list[:limit], true, nil
	}
	return list, false, nil
}

package webhook

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// Events are merchants' events, the timeline of their checkouts and the source of their
// webhooks: listed newest first, followed as they are committed, read with where each went,
// and sent again on demand.
type Events struct {
	store store.Store
	clock domain.Clock
}

// NewEvents returns the events kept in st.
func NewEvents(st store.Store, clock domain.Clock) *Events {
	return &Events{store: st, clock: clock}
}

func eventOwner(e *store.Event) string { return e.MerchantID }

// Events returns a page of a merchant's events, newest first, of p.Type and p.CheckoutID when
// they are set, and whether more follow.
func (s *Events) Events(ctx context.Context, m *store.Merchant, p store.ListEvents) ([]*store.Event, bool, error) {
	p.MerchantID, p.Forward, p.After = m.ID, false, ""
	list, more, err := domain.Page(p.Limit, func(limit int) ([]*store.Event, error) {
		p.Limit = limit
		return s.store.Events(ctx, p)
	})
	if err != nil {
		return nil, false, wrapf("events", err)
	}
	return list, more, nil
}

// Follow lists up to p.Limit of a merchant's events that follow the event p.After (all of them
// when it is empty), of p.Type and p.CheckoutID when they are set, oldest first and in the order
// they were committed, so that a follower who asks again after the last one it got misses none;
// more tells whether others follow already. An After that is not one of the merchant's events
// is refused (param "after"): nothing would ever follow it.
func (s *Events) Follow(ctx context.Context, m *store.Merchant, p store.ListEvents) (list []*store.Event, more bool, err error) {
	if after := p.After; after != "" {
		if _, err := domain.Owned(ctx, m, "event", after, s.store.Event, eventOwner); err != nil {
			var nf *domain.Error
			if errors.As(err, &nf) {
				nf.Param = "after"
			}
			return nil, false, err
		}
	}
	p.MerchantID, p.Forward, p.StartingAfter = m.ID, true, ""
	list, more, err = domain.Page(p.Limit, func(limit int) ([]*store.Event, error) {
		p.Limit = limit
		return s.store.Events(ctx, p)
	})
	if err != nil {
		return nil, false, wrapf("follow events", err)
	}
	return list, more, nil
}

// EventDeliveries is an event with where it went.
type EventDeliveries struct {
	Event      *store.Event
	Deliveries []*Delivery
}

// Delivery is one delivery of an event and its tries.
type Delivery struct {
	*store.Delivery
	Attempts []*store.DeliveryAttempt
	// Waiting is a pending delivery to a disabled endpoint: it is not tried (whatever
	// NextAttemptAt says) until the endpoint is enabled again.
	Waiting bool
}

// Event reads one of a merchant's events with its deliveries.
func (s *Events) Event(ctx context.Context, m *store.Merchant, id string) (*EventDeliveries, error) {
	ev, err := domain.Owned(ctx, m, "event", id, s.store.Event, eventOwner)
	if err != nil {
		return nil, err
	}
	list, err := s.store.DeliveriesByEvent(ctx, id)
	if err != nil {
		return nil, wrapf("event", err)
	}
	eps, err := s.store.WebhookEndpoints(ctx, m.ID)
	if err != nil {
		return nil, wrapf("event", err)
	}
	disabled := map[string]bool{}
	for _, ep := range eps {
		disabled[ep.ID] = ep.Disabled
	}
	out := &EventDeliveries{Event: ev}
	for _, d := range list {
		tries, err := s.store.DeliveryAttempts(ctx, d.ID)
		if err != nil {
			return nil, wrapf("event", err)
		}
		waiting := pending(d) && disabled[d.EndpointID]
		out.Deliveries = append(out.Deliveries, &Delivery{Delivery: d, Attempts: tries, Waiting: waiting})
	}
	return out, nil
}

// Redeliver sends an event again now to every enabled endpoint that asks for its type (or to
// the one endpoint given: a disabled one gets it once it is enabled again). key (when not nil)
// is bound to the event in the transaction that queues the deliveries: a retry never queues
// them twice.
func (s *Events) Redeliver(ctx context.Context, m *store.Merchant, id, endpointID string, key *domain.Reservation) (*EventDeliveries, error) {
	got, err := s.Event(ctx, m, id)
	if err != nil {
		return nil, err
	}
	eps, err := s.store.WebhookEndpoints(ctx, m.ID)
	if err != nil {
		return nil, wrapf("redeliver", err)
	}
	if endpointID != "" && !slices.ContainsFunc(eps, func(ep *store.WebhookEndpoint) bool { return ep.ID == endpointID }) {
		return nil, domain.NotFound("webhook_endpoint", endpointID)
	}
	now := s.clock.Now()
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		for _, ep := range eps {
			wanted := slices.Contains(ep.EnabledEvents, "*") || slices.Contains(ep.EnabledEvents, got.Event.Type)
			if endpointID != "" && ep.ID != endpointID || endpointID == "" && (ep.Disabled || !wanted) {
				continue
			}
			if err := tx.EnqueueDelivery(ctx, newDelivery(got.Event, ep.ID, now)); err != nil {
				return err
			}
		}
		return domain.Bind(ctx, tx, key, domain.BoundRedelivery, id)
	})
	if err != nil {
		return nil, wrapf("redeliver", err)
	}
	return s.Event(ctx, m, id)
}

func newDelivery(ev *store.Event, endpointID string, now time.Time) *store.Delivery {
	return &store.Delivery{ID: domain.NewID("whd"), EventID: ev.ID, EndpointID: endpointID, MerchantID: ev.MerchantID,
		CheckoutID: ev.CheckoutID, Status: store.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
}

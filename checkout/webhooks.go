package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// eventTypes are the event types an endpoint can ask for (besides "*"); ping is sent on demand.
var eventTypes = []string{
	"checkout.created", "checkout.paid", "checkout.expired", "checkout.canceled",
	"attempt.created", "attempt.authenticating", "attempt.canceled", "attempt.failed", "attempt.expired",
	"attempt.approved_after_paid", "attempt.approved_after_expiry", "attempt.approved_after_link_used_up", "attempt.voided",
	"refund.created", "refund.succeeded", "refund.failed",
	"agreement.activated", "agreement.deactivated",
	"charge.created", "charge.succeeded", "charge.failed", "charge.unknown",
	"webhook_endpoint.disabled", "ping",
}

// EventTypes lists the event types an endpoint can ask for.
func EventTypes() []string { return slices.Clone(eventTypes) }

// secretOverlap is how long a rotated secret keeps signing beside the new one.
const secretOverlap = 24 * time.Hour

// EndpointParams is what a merchant sets on a webhook endpoint; nil fields stay as they are
// on an update.
type EndpointParams struct {
	URL           *string
	Description   *string
	EnabledEvents []string // nil: unchanged (["*"] on create)
	Disabled      *bool
	Key           *Key // the request's Idempotency-Key, bound to the endpoint in its transaction
}

// CreatedEndpoint is a new endpoint with its secret, shown only once.
type CreatedEndpoint struct {
	Endpoint *store.WebhookEndpoint
	Secret   string
}

// CreateWebhookEndpoint adds an endpoint with a fresh secret.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, m *store.Merchant, p EndpointParams) (*CreatedEndpoint, error) {
	if p.URL == nil {
		return nil, invalid("url", "parameter_missing", "url is required")
	}
	now := s.clock()
	ep := &store.WebhookEndpoint{ID: NewID("we"), MerchantID: m.ID, EnabledEvents: []string{"*"}, Secret: webhook.NewSecret(),
		CreatedAt: now, UpdatedAt: now}
	if err := s.applyEndpoint(ctx, m, ep, p); err != nil {
		return nil, err
	}
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateWebhookEndpoint(ctx, ep); err != nil {
			return err
		}
		return bindKey(ctx, tx, p.Key, BoundEndpoint, ep.ID)
	})
	if err != nil {
		return nil, wrapf("create webhook endpoint", err)
	}
	return &CreatedEndpoint{Endpoint: ep, Secret: ep.Secret}, nil
}

// UpdateWebhookEndpoint changes an endpoint's URL, description, events or disabled flag. While
// disabled, an endpoint's events wait for it; enabled again, it gets them in order, but for
// those older than the retry window, which end failed.
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, m *store.Merchant, id string, p EndpointParams) (*store.WebhookEndpoint, error) {
	ep, err := s.WebhookEndpoint(ctx, m, id)
	if err != nil {
		return nil, err
	}
	if err := s.applyEndpoint(ctx, m, ep, p); err != nil {
		return nil, err
	}
	ep.UpdatedAt = s.clock()
	if err := s.updateEndpoint(ctx, ep, p.Key, BoundEndpointUpdate, p.Disabled != nil && !*p.Disabled); err != nil {
		return nil, wrapf("update webhook endpoint", err)
	}
	return ep, nil
}

// applyEndpoint checks p and sets it on ep.
func (s *Service) applyEndpoint(ctx context.Context, m *store.Merchant, ep *store.WebhookEndpoint, p EndpointParams) error {
	if p.URL != nil {
		if err := s.checkEndpointURL(ctx, m, *p.URL); err != nil {
			return err
		}
		ep.URL = *p.URL
	}
	if p.Description != nil {
		if len([]rune(*p.Description)) > 500 {
			return invalid("description", "string_too_long", "description must be at most 500 characters")
		}
		ep.Description = *p.Description
	}
	if p.EnabledEvents != nil {
		if len(p.EnabledEvents) == 0 {
			return invalid("enabled_events", "parameter_invalid", `enabled_events must list event types, or be ["*"]`)
		}
		for i, t := range p.EnabledEvents {
			if t != "*" && !slices.Contains(eventTypes, t) {
				return invalid("enabled_events["+itoa(i)+"]", "event_type_unknown", "unknown event type %q", t)
			}
		}
		ep.EnabledEvents = slices.Compact(slices.Sorted(slices.Values(p.EnabledEvents)))
	}
	if p.Disabled != nil {
		ep.Disabled = *p.Disabled
	}
	return nil
}

// checkEndpointURL allows an absolute https URL of at most 2,048 characters that resolves to
// public addresses only (deliveries check again when they dial). A server that runs the sandbox,
// or whose operator allows private addresses, lets endpoints be anywhere, and a test merchant use
// http on this computer; a sandbox server also on a private network (an address or a name that
// resolves to no public address). The rule is the server's: a test merchant on a server with
// real KakaoPay credentials is held to it too.
func (s *Service) checkEndpointURL(ctx context.Context, m *store.Merchant, raw string) error {
	const param = "url"
	u, err := url.Parse(raw)
	switch {
	case len(raw) > 2048:
		return invalid(param, "url_too_long", "url must be at most 2,048 characters")
	case err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.Fragment != "":
		return invalid(param, "url_invalid", "url must be an absolute https URL without credentials or fragment")
	case u.Scheme == "http" && !m.Livemode && s.webhookAllowPrivate && isLoopbackHost(u.Hostname()):
	case u.Scheme == "http" && !m.Livemode && s.sandbox && !resolvesPublic(ctx, u.Hostname()):
	case u.Scheme == "http" && !m.Livemode && s.sandbox:
		return invalid(param, "url_invalid", "url must use https on a public address (http only on this computer or a private network, for a test merchant in sandbox mode)")
	case u.Scheme != "https":
		return invalid(param, "url_invalid", "url must use https (http only on this computer, for a test merchant in sandbox mode)")
	}
	if s.webhookAllowPrivate {
		return nil
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", u.Hostname())
	if err != nil || len(ips) == 0 {
		return invalid(param, "url_unresolvable", "the host %s does not resolve", u.Hostname())
	}
	for _, ip := range ips {
		if !webhook.Public(ip) {
			return invalid(param, "url_private", "the host %s resolves to %s, which is not a public address", u.Hostname(), ip)
		}
	}
	return nil
}

// resolvesPublic reports whether host is, or resolves to, a public address. A private network's
// name that does not resolve now (a compose service not started yet) counts as private.
func resolvesPublic(ctx context.Context, host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return webhook.Public(ip)
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return !privateName(host)
	}
	return slices.ContainsFunc(ips, webhook.Public)
}

// privateName reports whether host is a name that only a private network gives: one label (a
// compose service, a machine on the LAN) or one under .local, .internal, .lan or .home.arpa.
func privateName(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if !strings.Contains(host, ".") {
		return true
	}
	for _, suffix := range []string{".local", ".internal", ".lan", ".home.arpa"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WebhookEndpoint reads one of a merchant's endpoints.
func (s *Service) WebhookEndpoint(ctx context.Context, m *store.Merchant, id string) (*store.WebhookEndpoint, error) {
	ep, err := s.store.WebhookEndpoint(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ep.MerchantID != m.ID) {
		return nil, notFound("webhook_endpoint", id)
	}
	if err != nil {
		return nil, wrapf("webhook endpoint", err)
	}
	return ep, nil
}

// WebhookEndpoints lists a merchant's endpoints.
func (s *Service) WebhookEndpoints(ctx context.Context, m *store.Merchant) ([]*store.WebhookEndpoint, error) {
	list, err := s.store.WebhookEndpoints(ctx, m.ID)
	if err != nil {
		return nil, wrapf("webhook endpoints", err)
	}
	return list, nil
}

// DeleteWebhookEndpoint removes an endpoint; what it had not received yet is not sent.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, m *store.Merchant, id string) error {
	if _, err := s.WebhookEndpoint(ctx, m, id); err != nil {
		return err
	}
	if err := s.store.Transact(ctx, func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(ctx, id) }); err != nil {
		return wrapf("delete webhook endpoint", err)
	}
	return nil
}

// RotateWebhookSecret gives an endpoint a new secret; the old one keeps signing beside it for
// 24 hours, so that the merchant can deploy the new one without missing a delivery. key (when
// not nil) is bound to the endpoint in the same transaction: a retry never rotates it twice.
func (s *Service) RotateWebhookSecret(ctx context.Context, m *store.Merchant, id string, key *Key) (*CreatedEndpoint, error) {
	ep, err := s.WebhookEndpoint(ctx, m, id)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	ep.PreviousSecret, ep.PreviousSecretExpiresAt = ep.Secret, now.Add(secretOverlap)
	ep.Secret, ep.UpdatedAt = webhook.NewSecret(), now
	if err := s.updateEndpoint(ctx, ep, key, BoundSecretRotation, false); err != nil {
		return nil, wrapf("rotate webhook secret", err)
	}
	return &CreatedEndpoint{Endpoint: ep, Secret: ep.Secret}, nil
}

// updateEndpoint writes ep and binds key to it, as kind, in one transaction.
func (s *Service) updateEndpoint(ctx context.Context, ep *store.WebhookEndpoint, key *Key, kind string, enabling bool) error {
	return s.store.Transact(ctx, func(tx store.Tx) error {
		// Before the endpoint is enabled, so that the deliverer never sends what waited too long
		// (the deliverer's window: serve leaves it at its default).
		if enabling {
			if _, err := tx.ExpireWaitingDeliveries(ctx, ep.UpdatedAt, webhook.DefaultRetryFor); err != nil {
				return err
			}
		}
		if err := tx.UpdateWebhookEndpoint(ctx, ep); err != nil {
			return err
		}
		return bindKey(ctx, tx, key, kind, ep.ID)
	})
}

// PingWebhookEndpoint sends a ping event to one endpoint; key (when not nil) is bound to the
// event in the transaction that queues it.
func (s *Service) PingWebhookEndpoint(ctx context.Context, m *store.Merchant, id string, key *Key) (*store.Event, error) {
	ep, err := s.WebhookEndpoint(ctx, m, id)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	data, _ := json.Marshal(map[string]any{"webhook_endpoint": ep.ID})
	ev := s.event(m.ID, "ping", "", ep.ID, data, now)
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateEvent(ctx, ev); err != nil {
			return err
		}
		if err := tx.EnqueueDelivery(ctx, newDelivery(ev, ep.ID, now)); err != nil {
			return err
		}
		return bindKey(ctx, tx, key, BoundPing, ev.ID)
	})
	if err != nil {
		return nil, wrapf("ping", err)
	}
	return ev, nil
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
func (s *Service) Event(ctx context.Context, m *store.Merchant, id string) (*EventDeliveries, error) {
	ev, err := s.store.Event(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ev.MerchantID != m.ID) {
		return nil, notFound("event", id)
	}
	if err != nil {
		return nil, wrapf("event", err)
	}
	list, err := s.store.DeliveriesByEvent(ctx, id)
	if err != nil {
		return nil, wrapf("event", err)
	}
	eps, err := s.WebhookEndpoints(ctx, m)
	if err != nil {
		return nil, err
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
		waiting := d.Status == store.DeliveryPending && disabled[d.EndpointID]
		out.Deliveries = append(out.Deliveries, &Delivery{Delivery: d, Attempts: tries, Waiting: waiting})
	}
	return out, nil
}

// EndpointDelivery is one delivery to an endpoint, with its event and its tries.
type EndpointDelivery struct {
	Delivery
	Event *store.Event
}

// EndpointDeliveries lists an endpoint's latest deliveries, newest first, at most limit, each
// with its event and tries.
func (s *Service) EndpointDeliveries(ctx context.Context, m *store.Merchant, id string, limit int) ([]*EndpointDelivery, error) {
	ep, err := s.WebhookEndpoint(ctx, m, id)
	if err != nil {
		return nil, err
	}
	var out []*EndpointDelivery
	err = s.store.View(ctx, func(q store.Reader) error {
		list, err := q.DeliveriesByEndpoint(ctx, id, limit)
		if err != nil {
			return err
		}
		for _, d := range list {
			ev, err := q.Event(ctx, d.EventID)
			if err != nil {
				return err
			}
			tries, err := q.DeliveryAttempts(ctx, d.ID)
			if err != nil {
				return err
			}
			waiting := d.Status == store.DeliveryPending && ep.Disabled
			out = append(out, &EndpointDelivery{Delivery: Delivery{Delivery: d, Attempts: tries, Waiting: waiting}, Event: ev})
		}
		return nil
	})
	if err != nil {
		return nil, wrapf("endpoint deliveries", err)
	}
	return out, nil
}

// EndpointEventTypes lists the event types an endpoint can ask for by name ("*" asks for all);
// ping is left out: it goes only where it is sent.
func EndpointEventTypes() []string {
	return slices.DeleteFunc(slices.Clone(eventTypes), func(t string) bool { return t == "ping" })
}

// Redeliver sends an event again now to every enabled endpoint that asks for its type (or to
// the one endpoint given: a disabled one gets it once it is enabled again). key (when not nil)
// is bound to the event in the transaction that queues the deliveries: a retry never queues
// them twice.
func (s *Service) Redeliver(ctx context.Context, m *store.Merchant, id, endpointID string, key *Key) (*EventDeliveries, error) {
	got, err := s.Event(ctx, m, id)
	if err != nil {
		return nil, err
	}
	eps, err := s.WebhookEndpoints(ctx, m)
	if err != nil {
		return nil, err
	}
	if endpointID != "" && !slices.ContainsFunc(eps, func(ep *store.WebhookEndpoint) bool { return ep.ID == endpointID }) {
		return nil, notFound("webhook_endpoint", endpointID)
	}
	now := s.clock()
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
		return bindKey(ctx, tx, key, BoundRedelivery, id)
	})
	if err != nil {
		return nil, wrapf("redeliver", err)
	}
	return s.Event(ctx, m, id)
}

func newDelivery(ev *store.Event, endpointID string, now time.Time) *store.Delivery {
	return &store.Delivery{ID: NewID("whd"), EventID: ev.ID, EndpointID: endpointID, MerchantID: ev.MerchantID,
		CheckoutID: ev.CheckoutID, Status: store.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
}

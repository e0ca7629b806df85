package webhook

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/store"
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

// Endpoints keeps merchants' webhook endpoints: where their events are delivered, with what
// secret, and what went there.
type Endpoints struct {
	store store.Store
	rule  URLRule
	clock domain.Clock
}

// NewEndpoints returns the endpoints kept in st, whose URLs are held to rule.
func NewEndpoints(st store.Store, rule URLRule, clock domain.Clock) *Endpoints {
	return &Endpoints{store: st, rule: rule, clock: clock}
}

// secretOverlap is how long a rotated secret keeps signing beside the new one.
const secretOverlap = 24 * time.Hour

// EndpointParams is what a merchant sets on a webhook endpoint; nil fields stay as they are
// on an update.
type EndpointParams struct {
	URL           *string
	Description   *string
	EnabledEvents []string // nil: unchanged (["*"] on create)
	Disabled      *bool
	Key           *domain.Reservation // the request's Idempotency-Key, bound to the endpoint in its transaction
}

// CreatedEndpoint is a new endpoint with its secret, shown only once.
type CreatedEndpoint struct {
	Endpoint *store.WebhookEndpoint
	Secret   string
}

// Create adds an endpoint with a fresh secret.
func (s *Endpoints) Create(ctx context.Context, m *store.Merchant, p EndpointParams) (*CreatedEndpoint, error) {
	if p.URL == nil {
		return nil, domain.Invalid("url", "parameter_missing", "url is required")
	}
	now := s.clock.Now()
	ep := &store.WebhookEndpoint{ID: domain.NewID("we"), MerchantID: m.ID, EnabledEvents: []string{"*"}, Secret: NewSecret(),
		CreatedAt: now, UpdatedAt: now}
	if err := s.applyEndpoint(ctx, m, ep, p); err != nil {
		return nil, err
	}
	err := domain.TransactBound(ctx, s.store, p.Key, domain.BoundEndpoint, ep.ID, func(tx store.Tx) error {
		return tx.CreateWebhookEndpoint(ctx, ep)
	})
	if err != nil {
		return nil, wrapf("create webhook endpoint", err)
	}
	return &CreatedEndpoint{Endpoint: ep, Secret: ep.Secret}, nil
}

// Update changes an endpoint's URL, description, events or disabled flag. While
// disabled, an endpoint's events wait for it; enabled again, it gets them in order, but for
// those older than the retry window, which end failed.
func (s *Endpoints) Update(ctx context.Context, m *store.Merchant, id string, p EndpointParams) (*store.WebhookEndpoint, error) {
	ep, err := s.Endpoint(ctx, m, id)
	if err != nil {
		return nil, err
	}
	if err := s.applyEndpoint(ctx, m, ep, p); err != nil {
		return nil, err
	}
	ep.UpdatedAt = s.clock.Now()
	if err := s.updateEndpoint(ctx, ep, p.Key, domain.BoundEndpointUpdate, p.Disabled != nil && !*p.Disabled); err != nil {
		return nil, wrapf("update webhook endpoint", err)
	}
	return ep, nil
}

// applyEndpoint checks p and sets it on ep.
func (s *Endpoints) applyEndpoint(ctx context.Context, m *store.Merchant, ep *store.WebhookEndpoint, p EndpointParams) error {
	if p.URL != nil {
		if err := s.rule.Check(ctx, m, *p.URL); err != nil {
			return err
		}
		ep.URL = *p.URL
	}
	if p.Description != nil {
		if len([]rune(*p.Description)) > 500 {
			return domain.Invalid("description", "string_too_long", "description must be at most 500 characters")
		}
		ep.Description = *p.Description
	}
	if p.EnabledEvents != nil {
		if len(p.EnabledEvents) == 0 {
			return domain.Invalid("enabled_events", "parameter_invalid", `enabled_events must list event types, or be ["*"]`)
		}
		for i, t := range p.EnabledEvents {
			if t != "*" && !slices.Contains(eventTypes, t) {
				return domain.Invalid("enabled_events["+strconv.Itoa(i)+"]", "event_type_unknown", "unknown event type %q", t)
			}
		}
		ep.EnabledEvents = slices.Compact(slices.Sorted(slices.Values(p.EnabledEvents)))
	}
	if p.Disabled != nil {
		ep.Disabled = *p.Disabled
	}
	return nil
}

// URLRule is the server's rule for where webhook endpoints may be.
type URLRule struct {
	// AllowPrivate lets every merchant's endpoints be (and resolve to) addresses that are not
	// public: on a server that runs the sandbox, or whose operator allows it.
	AllowPrivate bool
	// Sandbox says the server runs against its KakaoPay sandbox: a test merchant's endpoints may
	// then use http on a private network.
	Sandbox bool
}

// Check allows an absolute https URL of at most 2,048 characters that resolves to public
// addresses only (deliveries check again when they dial). A server that runs the sandbox, or
// whose operator allows private addresses, lets endpoints be anywhere, and a test merchant use
// http on this computer; a sandbox server also on a private network (an address or a name that
// resolves to no public address). The rule is the server's: a test merchant on a server with
// real KakaoPay credentials is held to it too.
func (r URLRule) Check(ctx context.Context, m *store.Merchant, raw string) error {
	const param = "url"
	u, err := url.Parse(raw)
	switch {
	case len(raw) > 2048:
		return domain.Invalid(param, "url_too_long", "url must be at most 2,048 characters")
	case err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.Fragment != "":
		return domain.Invalid(param, "url_invalid", "url must be an absolute https URL without credentials or fragment")
	case u.Scheme == "http" && !m.Livemode && r.AllowPrivate && domain.LoopbackHost(u.Hostname()):
	case u.Scheme == "http" && !m.Livemode && r.Sandbox && !resolvesPublic(ctx, u.Hostname()):
	case u.Scheme == "http" && !m.Livemode && r.Sandbox:
		return domain.Invalid(param, "url_invalid", "url must use https on a public address (http only on this computer or a private network, for a test merchant in sandbox mode)")
	case u.Scheme != "https":
		return domain.Invalid(param, "url_invalid", "url must use https (http only on this computer, for a test merchant in sandbox mode)")
	}
	if r.AllowPrivate {
		return nil
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", u.Hostname())
	if err != nil || len(ips) == 0 {
		return domain.Invalid(param, "url_unresolvable", "the host %s does not resolve", u.Hostname())
	}
	for _, ip := range ips {
		if !Public(ip) {
			return domain.Invalid(param, "url_private", "the host %s resolves to %s, which is not a public address", u.Hostname(), ip)
		}
	}
	return nil
}

// resolvesPublic reports whether host is, or resolves to, a public address. A private network's
// name that does not resolve now (a compose service not started yet) counts as private.
func resolvesPublic(ctx context.Context, host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return Public(ip)
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return !privateName(host)
	}
	return slices.ContainsFunc(ips, Public)
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

// Endpoint reads one of a merchant's endpoints.
func (s *Endpoints) Endpoint(ctx context.Context, m *store.Merchant, id string) (*store.WebhookEndpoint, error) {
	return domain.Owned(ctx, m, "webhook_endpoint", id, s.store.WebhookEndpoint, func(ep *store.WebhookEndpoint) string { return ep.MerchantID })
}

// Endpoints lists a merchant's endpoints: a merchant has a few, so they come in one list.
func (s *Endpoints) Endpoints(ctx context.Context, m *store.Merchant) ([]*store.WebhookEndpoint, error) {
	list, err := s.store.WebhookEndpoints(ctx, m.ID)
	if err != nil {
		return nil, wrapf("webhook endpoints", err)
	}
	return list, nil
}

// Delete removes an endpoint; what it had not received yet is not sent.
func (s *Endpoints) Delete(ctx context.Context, m *store.Merchant, id string) error {
	if _, err := s.Endpoint(ctx, m, id); err != nil {
		return err
	}
	if err := s.store.Transact(ctx, func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(ctx, id) }); err != nil {
		return wrapf("delete webhook endpoint", err)
	}
	return nil
}

// RotateSecret gives an endpoint a new secret; the old one keeps signing beside it for
// 24 hours, so that the merchant can deploy the new one without missing a delivery. key (when
// not nil) is bound to the endpoint in the same transaction: a retry never rotates it twice.
func (s *Endpoints) RotateSecret(ctx context.Context, m *store.Merchant, id string, key *domain.Reservation) (*CreatedEndpoint, error) {
	ep, err := s.Endpoint(ctx, m, id)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	ep.PreviousSecret, ep.PreviousSecretExpiresAt = ep.Secret, now.Add(secretOverlap)
	ep.Secret, ep.UpdatedAt = NewSecret(), now
	if err := s.updateEndpoint(ctx, ep, key, domain.BoundSecretRotation, false); err != nil {
		return nil, wrapf("rotate webhook secret", err)
	}
	return &CreatedEndpoint{Endpoint: ep, Secret: ep.Secret}, nil
}

// updateEndpoint writes ep and binds key to it, as kind, in one transaction.
func (s *Endpoints) updateEndpoint(ctx context.Context, ep *store.WebhookEndpoint, key *domain.Reservation, kind string, enabling bool) error {
	return s.store.Transact(ctx, func(tx store.Tx) error {
		// Before the endpoint is enabled, so that the deliverer never sends what waited too long
		// (the deliverer's window: serve leaves it at its default).
		if enabling {
			if _, err := tx.ExpireWaitingDeliveries(ctx, ep.UpdatedAt, DefaultRetryFor); err != nil {
				return err
			}
		}
		if err := tx.UpdateWebhookEndpoint(ctx, ep); err != nil {
			return err
		}
		return domain.Bind(ctx, tx, key, kind, ep.ID)
	})
}

// Ping sends a ping event to one endpoint; key (when not nil) is bound to the
// event in the transaction that queues it.
func (s *Endpoints) Ping(ctx context.Context, m *store.Merchant, id string, key *domain.Reservation) (*store.Event, error) {
	ep, err := s.Endpoint(ctx, m, id)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	data := objects.JSON(objects.NewEndpoint(ep, "")) // a ping's data is the endpoint it tests
	ev := domain.NewEvent(m.ID, "ping", "", ep.ID, data, now)
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateEvent(ctx, ev); err != nil {
			return err
		}
		if err := tx.EnqueueDelivery(ctx, newDelivery(ev, ep.ID, now)); err != nil {
			return err
		}
		return domain.Bind(ctx, tx, key, domain.BoundPing, ev.ID)
	})
	if err != nil {
		return nil, wrapf("ping", err)
	}
	return ev, nil
}

// EndpointDelivery is one delivery to an endpoint, with its event and its tries.
type EndpointDelivery struct {
	Delivery
	Event *store.Event
}

// Deliveries lists an endpoint's latest deliveries, newest first, at most limit, each
// with its event and tries.
func (s *Endpoints) Deliveries(ctx context.Context, m *store.Merchant, id string, limit int) ([]*EndpointDelivery, error) {
	ep, err := s.Endpoint(ctx, m, id)
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
			waiting := pending(d) && ep.Disabled
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

func wrapf(op string, err error) error { return fmt.Errorf("webhook: %s: %w", op, err) }

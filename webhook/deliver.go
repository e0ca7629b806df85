package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/store"
)

// Store is what delivering needs of kpcheckout's store.
type Store interface {
	Transact(ctx context.Context, fn func(store.Tx) error) error
	Event(ctx context.Context, id string) (*store.Event, error)
	Merchant(ctx context.Context, id string) (*store.Merchant, error)
	WebhookEndpoint(ctx context.Context, id string) (*store.WebhookEndpoint, error)
	LastDeliverySuccess(ctx context.Context, endpointID string) (time.Time, error)
}

// Config configures a Deliverer.
type Config struct {
	Store Store
	// AllowPrivate lets deliveries reach loopback, private, link-local and other addresses that
	// are not public: for a server that runs the sandbox, or whose operator allows it. Off, every
	// merchant's delivery, a test merchant's too, resolves its endpoint's host and dials only a
	// public address (no redirects are ever followed), so no merchant's URL can reach inside the
	// network kpcheckout runs in. The rule is the server's, never a merchant's.
	AllowPrivate bool
	// Timeout bounds one POST, 10 s when zero. A claim on a delivery lasts three times as long:
	// when the instance that claimed it dies, another takes it over then.
	Timeout time.Duration
	// RetryFor is how long a delivery is tried again before it ends failed, 3 days when zero; an
	// endpoint that took none of its deliveries for that long is disabled. A delivery that waits
	// for a disabled endpoint ends failed once it is that old.
	RetryFor time.Duration
	// MaxInFlight bounds the POSTs this Deliverer has under way at once, 64 when zero.
	MaxInFlight int
	// PerEndpoint bounds the deliveries to one endpoint under way at once, on this instance and
	// every other one over the database together, 4 when zero: an endpoint that hangs holds
	// only these, and the other endpoints' deliveries go on beside it.
	PerEndpoint int
	// Now is the clock, time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// Deliverer POSTs the outbox's deliveries to merchants' endpoints, at least once each: a non-2xx
// answer, a timeout, a refused connection or a redirect is tried again with exponential backoff
// and jitter. Several Deliverers (instances) may run over one database: each delivery is claimed
// by one at a time, and a checkout's events reach an endpoint in order. Each endpoint is a lane
// of its own: a few of its deliveries at a time, however slow it answers.
type Deliverer struct {
	store       Store
	client      *http.Client
	now         func() time.Time
	retryFor    time.Duration
	lease       time.Duration // how long a claim holds
	maxInFlight int
	perEndpoint int
	log         *slog.Logger
	wake        chan struct{}
}

// DefaultRetryFor is how long a delivery is tried when Config.RetryFor is zero.
const DefaultRetryFor = 72 * time.Hour

// ErrPrivateAddress refuses an endpoint whose host is a loopback, private or link-local address.
var ErrPrivateAddress = errors.New("webhook: the endpoint's address is not a public one")

// NewDeliverer returns a Deliverer.
func NewDeliverer(cfg Config) *Deliverer {
	d := &Deliverer{store: cfg.Store, now: cfg.Now, retryFor: cfg.RetryFor, maxInFlight: cfg.MaxInFlight, perEndpoint: cfg.PerEndpoint,
		log: cfg.Logger, wake: make(chan struct{}, 1)}
	if d.now == nil {
		d.now = time.Now
	}
	if d.retryFor == 0 {
		d.retryFor = DefaultRetryFor
	}
	if d.maxInFlight <= 0 {
		d.maxInFlight = 64
	}
	if d.perEndpoint <= 0 {
		d.perEndpoint = 4
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	// A claim outlives the POST and the reads and write around it, with room to spare.
	d.lease = 3 * timeout
	d.client = NewClient(cfg.AllowPrivate, timeout)
	return d
}

// NewClient is the HTTP client deliveries go out with: no proxy, no redirects followed, and,
// unless allowPrivate, no connection to an address that is not public.
func NewClient(allowPrivate bool, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !Public(ip) {
				return fmt.Errorf("%w: %s", ErrPrivateAddress, host)
			}
			return nil
		}
	}
	return &http.Client{
		Timeout:       timeout,
		Transport:     &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second, ResponseHeaderTimeout: timeout},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Public reports whether ip is an address on the public internet: not one of IANA's
// special-purpose addresses that are not globally reachable (RFC 6890 and its updates), nor an
// address that embeds one of IPv4's (IPv4-mapped, NAT64, 6to4, Teredo), nor multicast.
func Public(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap() // ::ffff:a.b.c.d is judged as a.b.c.d
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return a.IsGlobalUnicast()
}

// notPublic are IANA's IPv4 and IPv6 special-purpose blocks whose addresses are not globally
// reachable hosts, or that translate to an IPv4 address kpcheckout cannot judge.
var notPublic = func() []netip.Prefix {
	var list []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
		"3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	} {
		list = append(list, netip.MustParsePrefix(s))
	}
	return list
}()

// Wake makes Run look for due deliveries now instead of at its next tick.
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends. It keeps up to MaxInFlight POSTs under way and claims more as
// soon as one ends, not when a whole batch has, so a slow endpoint delays only its own lane;
// it looks for due deliveries every second and when woken, and fails what waited too long for
// a disabled endpoint once a minute. Once ctx ends it claims nothing more, and returns when the
// POSTs under way have ended and been recorded (their claims would otherwise hold them for
// 3 × Timeout).
func (d *Deliverer) Run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	done := make(chan struct{}, d.maxInFlight) // one send per POST that ended
	inFlight := 0
	var nextExpiry time.Time
	for ctx.Err() == nil {
		nextExpiry = d.expireAt(ctx, nextExpiry)
		inFlight += d.start(ctx, d.maxInFlight-inFlight, done)
		select {
		case <-ctx.Done():
		case <-done:
			inFlight -= 1 + drain(done)
		case <-tick.C:
		case <-d.wake:
		}
	}
	for ; inFlight > 0; inFlight-- {
		<-done
	}
}

// expireAt runs expire once next has come, and answers when to run it next: a minute later.
func (d *Deliverer) expireAt(ctx context.Context, next time.Time) time.Time {
	now := d.now()
	if now.Before(next) {
		return next
	}
	if err := d.expire(ctx); err != nil && ctx.Err() == nil {
		d.log.ErrorContext(ctx, "webhook deliveries", "err", err)
	}
	return now.Add(time.Minute)
}

// drain takes what is waiting in c without waiting, and answers how much it took.
func drain(c <-chan struct{}) int {
	for n := 0; ; n++ {
		select {
		case <-c:
		default:
			return n
		}
	}
}

// start claims up to free due deliveries and POSTs each in a goroutine of its own, which sends
// on done once it has recorded what came of it; it answers how many it started.
func (d *Deliverer) start(ctx context.Context, free int, done chan<- struct{}) int {
	if free <= 0 {
		return 0
	}
	claimed, err := d.claim(ctx, free)
	if err != nil {
		if ctx.Err() == nil {
			d.log.ErrorContext(ctx, "webhook deliveries", "err", err)
		}
		return 0
	}
	for _, dl := range claimed {
		go func() {
			defer func() { done <- struct{}{} }()
			// A POST under way ends on its own timeout, not when ctx does (a shutdown).
			if err := d.deliver(context.WithoutCancel(ctx), dl); err != nil {
				d.log.ErrorContext(ctx, "webhook delivery", "delivery", dl.ID, "err", err)
			}
		}()
	}
	return len(claimed)
}

// claim holds up to limit due deliveries, at most PerEndpoint to an endpoint.
func (d *Deliverer) claim(ctx context.Context, limit int) ([]*store.Delivery, error) {
	var claimed []*store.Delivery
	err := d.store.Transact(ctx, func(tx store.Tx) (err error) {
		claimed, err = tx.ClaimDeliveries(ctx, d.now(), d.lease, limit, d.perEndpoint)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: claim: %w", err)
	}
	return claimed, nil
}

// expire fails the deliveries that waited RetryFor for a disabled endpoint: kept for when it is
// enabled again, but not for ever.
func (d *Deliverer) expire(ctx context.Context) error {
	var n int
	err := d.store.Transact(ctx, func(tx store.Tx) (err error) {
		n, err = tx.ExpireWaitingDeliveries(ctx, d.now(), d.retryFor)
		return err
	})
	if err != nil {
		return fmt.Errorf("webhook: expire: %w", err)
	}
	if n > 0 {
		d.log.InfoContext(ctx, "webhook deliveries expired while their endpoint was disabled", "count", n)
	}
	return nil
}

// DeliverDue makes one pass: it fails what waited too long for a disabled endpoint, claims
// what is due (at most MaxInFlight, PerEndpoint to an endpoint), POSTs each concurrently, and
// records what came of it. It answers how many it tried.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	if err := d.expire(ctx); err != nil {
		return 0, err
	}
	claimed, err := d.claim(ctx, d.maxInFlight)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(claimed))
	for i, dl := range claimed {
		wg.Go(func() {
			errs[i] = d.deliver(context.WithoutCancel(ctx), dl)
		})
	}
	wg.Wait()
	return len(claimed), errors.Join(errs...)
}

// Payload is the event object: the JSON body of a delivery, and the API's answer for an event
// (GET /v1/events/{id} adds where it was delivered), so that a merchant parses both alike.
type Payload struct {
	ID        string    `json:"id"`
	Object    string    `json:"object"` // "event"
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Livemode  bool      `json:"livemode"`
	Checkout  *string   `json:"checkout"` // the checkout it concerns; null for ping and webhook_endpoint.*
	Data      EventData `json:"data"`
}

// EventData is an event's data: the object it concerns, as the API answers for it at the time
// of the event. It wraps the object, as Stripe's events do, so that a field may join the object
// beside it (the previous values, say) without moving the object.
type EventData struct {
	Object json.RawMessage `json:"object"`
}

// NewPayload is the event object of ev, an event of a merchant whose livemode is livemode.
func NewPayload(ev *store.Event, livemode bool) Payload {
	p := Payload{ID: ev.ID, Object: "event", Type: ev.Type, CreatedAt: ev.CreatedAt, Livemode: livemode, Data: EventData{Object: ev.Data}}
	if ev.CheckoutID != "" {
		p.Checkout = &ev.CheckoutID
	}
	return p
}

// deliver makes one try of a delivery and records it.
func (d *Deliverer) deliver(ctx context.Context, dl *store.Delivery) error {
	ev, err := d.store.Event(ctx, dl.EventID)
	if err != nil {
		return fmt.Errorf("webhook: delivery %s: %w", dl.ID, err)
	}
	ep, err := d.store.WebhookEndpoint(ctx, dl.EndpointID)
	if errors.Is(err, store.ErrNotFound) {
		return d.record(ctx, dl, &store.DeliveryAttempt{Error: "the endpoint was deleted"}, true)
	}
	if err != nil {
		return fmt.Errorf("webhook: delivery %s: %w", dl.ID, err)
	}
	// A disabled endpoint's deliveries are not claimed (but pings, which test it on request); one
	// claimed just before its endpoint was disabled goes all the same.
	m, err := d.store.Merchant(ctx, ev.MerchantID)
	if err != nil {
		return fmt.Errorf("webhook: delivery %s: %w", dl.ID, err)
	}
	body, err := json.Marshal(NewPayload(ev, m.Livemode))
	if err != nil {
		return fmt.Errorf("webhook: delivery %s: %w", dl.ID, err)
	}
	now := d.now()
	secrets := []string{ep.Secret}
	if ep.PreviousSecret != "" && now.Before(ep.PreviousSecretExpiresAt) {
		secrets = append(secrets, ep.PreviousSecret)
	}
	hdr, err := Sign(ev.ID, time.Now(), body, secrets...) // the wall clock: receivers check it against theirs
	if err != nil {
		return d.record(ctx, dl, &store.DeliveryAttempt{Error: err.Error()}, false)
	}
	return d.record(ctx, dl, post(ctx, d.client, ep.URL, hdr, body), false)
}

// post sends one delivery and tells what came of it.
func post(ctx context.Context, client *http.Client, url string, hdr http.Header, body []byte) *store.DeliveryAttempt {
	a := &store.DeliveryAttempt{}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		a.Error = err.Error()
		return a
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kpcheckout-webhooks/1")
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		a.Latency, a.Error = time.Since(start), err.Error()
		return a
	}
	defer res.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(res.Body, 1<<10))
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // so the connection can be kept; an endless body is cut
	a.Latency, a.StatusCode, a.Excerpt = time.Since(start), res.StatusCode, string(bytes.ToValidUTF8(excerpt, nil))
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		a.Error = "redirects are not followed: " + res.Header.Get("Location")
	}
	return a
}

// record stores a try and moves the delivery on: succeeded on a 2xx, failed once it has been
// tried for RetryFor (or when its endpoint is gone), else due again after a backoff.
func (d *Deliverer) record(ctx context.Context, dl *store.Delivery, a *store.DeliveryAttempt, gone bool) error {
	now := d.now()
	dl.Attempts++
	a.DeliveryID, a.N, a.At = dl.ID, dl.Attempts, now
	dl.UpdatedAt, dl.LockedUntil = now, time.Time{}
	switch {
	case a.StatusCode >= 200 && a.StatusCode < 300:
		dl.Status = store.DeliverySucceeded
	case gone || !now.Before(dl.CreatedAt.Add(d.retryFor)):
		dl.Status = store.DeliveryFailed
	default:
		dl.NextAttemptAt = now.Add(Backoff(dl.Attempts))
	}
	err := d.store.Transact(ctx, func(tx store.Tx) error { return tx.RecordDeliveryAttempt(ctx, dl, a) })
	if err != nil {
		return fmt.Errorf("webhook: record delivery %s: %w", dl.ID, err)
	}
	if failed(dl) && !gone {
		return d.disableIfDead(ctx, dl.EndpointID)
	}
	return nil
}

// Backoff is how long a delivery waits after its n-th failed try: 10 s doubling up to 6 hours,
// give or take a fifth (so that endpoints coming back are not hit all at once).
func Backoff(n int) time.Duration {
	base := 10 * time.Second << min(n-1, 12)
	base = min(base, 6*time.Hour)
	j, err := rand.Int(rand.Reader, big.NewInt(int64(base/5)+1))
	if err != nil {
		return base
	}
	return base - base/10 + time.Duration(j.Int64())
}

// disableIfDead disables an endpoint that has taken no delivery for RetryFor, with an event.
func (d *Deliverer) disableIfDead(ctx context.Context, endpointID string) error {
	last, err := d.store.LastDeliverySuccess(ctx, endpointID)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	now := d.now()
	return d.store.Transact(ctx, func(tx store.Tx) error {
		ep, err := tx.WebhookEndpoint(ctx, endpointID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || ep.Disabled || now.Sub(later(last, ep.CreatedAt)) < d.retryFor {
			return err
		}
		ep.Disabled, ep.UpdatedAt = true, now
		if err := tx.UpdateWebhookEndpoint(ctx, ep); err != nil {
			return err
		}
		data := objects.JSON(objects.EndpointDisabled{Endpoint: objects.NewEndpoint(ep, ""), Reason: "no delivery succeeded for " + d.retryFor.String()})
		d.log.WarnContext(ctx, "webhook endpoint disabled", "endpoint", ep.ID, "url", ep.URL)
		return tx.CreateEvent(ctx, &store.Event{ID: domain.NewID("evt"), MerchantID: ep.MerchantID, Type: "webhook_endpoint.disabled",
			ObjectID: ep.ID, Data: data, CreatedAt: now})
	})
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

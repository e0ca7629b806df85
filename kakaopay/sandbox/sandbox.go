// Package sandbox is a stand-in for KakaoPay: it answers KakaoPay's online payment API and serves a
// simulated KakaoTalk wallet page, so kpcheckout runs end to end without credentials.
//
// It deliberately does not import package kakaopay: it has its own wire structs, so a field-name slip
// in the client cannot hide in the peer. Amounts steer automated tests: 4444 fails at approve, 5555
// makes approve answer after Options.ApproveDelay, 6666 is refused at ready.
package sandbox

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/kpcheckout/kpcheckout/locales"
)

// Options configures a Sandbox.
type Options struct {
	// BaseURL is the public URL the handler is mounted at, without a trailing slash, e.g.
	// "http://127.0.0.1:8080/sandbox"; wallet URLs are built from it.
	BaseURL string
	// SecretKey, when set, is the only accepted key (a strict mode for tests); when empty any non-empty
	// key is accepted. Either way the Authorization scheme may be SECRET_KEY or DEV_SECRET_KEY.
	SecretKey string
	// ReturnHosts are the hosts, besides BaseURL's host and loopback hosts (127.0.0.0/8, ::1,
	// localhost), that approval, cancel and fail URLs may point at, as KakaoPay allows only a
	// merchant's registered site domains. Compared case-insensitively; a port is ignored.
	ReturnHosts []string
	// Now is the clock, time.Now by default; tests move it to expire tids.
	Now func() time.Time
	// TIDTTL is how long a tid can be approved after ready, 15 minutes by default.
	TIDTTL time.Duration
	// ApproveDelay is how long approve hangs for amount 5555, 30 seconds by default.
	ApproveDelay time.Duration
	// SubscriptionCIDs are the CIDs whose approval issues an sid, {"TCSUBSCRIP"} by default.
	SubscriptionCIDs []string
	// SIDOnlyCIDs are subscription CIDs whose approval only issues an sid and charges nothing: the
	// order status becomes ISSUED_SID and ready accepts a total_amount of 0. None by default; on
	// every subscription CID a ready for 0 won does the same.
	SIDOnlyCIDs []string
	// Bundle holds the wallet's messages, locales.Bundle() by default.
	Bundle *i18n.Bundle
	// Logger receives one line per state change or refused call; nothing is logged when nil.
	Logger *slog.Logger
}

// Sandbox is an http.Handler that behaves like KakaoPay's online payment API and wallet.
type Sandbox struct {
	base    string
	secret  string
	now     func() time.Time
	ttl     time.Duration
	delay   time.Duration
	subCIDs map[string]bool
	sidOnly map[string]bool
	hosts   map[string]bool // allowed return hosts besides loopback, lower case
	loc     *i18n.Localizer
	log     *slog.Logger
	mux     *http.ServeMux

	mu       sync.Mutex
	payments map[string]*payment
	subs     map[string]*subscription
	calls    map[string]int
	slow     map[string]func() // delayed (5555) approvals not completed yet, by tid
}

// New checks opts, fills in the defaults and returns a ready Sandbox.
func New(opts Options) (*Sandbox, error) {
	base := strings.TrimSuffix(opts.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sandbox: BaseURL %q must be an absolute http(s) URL", opts.BaseURL)
	}
	hosts, err := returnHosts(u.Hostname(), opts.ReturnHosts)
	if err != nil {
		return nil, err
	}
	s := &Sandbox{
		base:     base,
		secret:   opts.SecretKey,
		now:      opts.Now,
		ttl:      opts.TIDTTL,
		delay:    opts.ApproveDelay,
		subCIDs:  map[string]bool{},
		sidOnly:  map[string]bool{},
		hosts:    hosts,
		log:      opts.Logger,
		payments: map[string]*payment{},
		subs:     map[string]*subscription{},
		calls:    map[string]int{},
		slow:     map[string]func(){},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = 15 * time.Minute
	}
	if s.delay <= 0 {
		s.delay = 30 * time.Second
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	cids := opts.SubscriptionCIDs
	if len(cids) == 0 {
		cids = []string{"TCSUBSCRIP"}
	}
	for _, c := range cids {
		s.subCIDs[c] = true
	}
	for _, c := range opts.SIDOnlyCIDs {
		s.subCIDs[c] = true
		s.sidOnly[c] = true
	}
	bundle := opts.Bundle
	if bundle == nil {
		b, err := locales.Bundle()
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		bundle = b
	}
	s.loc = i18n.NewLocalizer(bundle, "ko")
	for _, id := range messageIDs() {
		if _, err := s.loc.Localize(&i18n.LocalizeConfig{MessageID: id}); err != nil {
			return nil, fmt.Errorf("sandbox: message %s: %w", id, err)
		}
	}
	s.mux = s.routes()
	return s, nil
}

// ServeHTTP answers the KakaoPay API under /online/v1/payment/ and the wallet pages under
// /wallet/{tid}/: info (PC), mInfo (mobile web) and aInfo (app).
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Calls reports how many requests an API endpoint received, whatever their outcome; endpoint is one
// of "ready", "approve", "cancel", "order", "subscription", "status", "inactive".
func (s *Sandbox) Calls(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[endpoint]
}

// PaymentInfo is a read-only snapshot of one tid, for tests.
type PaymentInfo struct {
	TID            string
	CID            string
	Status         string // KakaoPay's order status, e.g. "SUCCESS_PAYMENT"
	PartnerOrderID string
	PartnerUserID  string
	TotalAmount    int64
	CanceledAmount int64
	SID            string // set when a subscription CID was approved or the tid charged an sid
}

// Payment returns a snapshot of the tid, or false when the sandbox never issued it.
func (s *Sandbox) Payment(tid string) (PaymentInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[tid]
	if !ok {
		return PaymentInfo{}, false
	}
	return PaymentInfo{
		TID:            p.tid,
		CID:            p.cid,
		Status:         p.status,
		PartnerOrderID: p.partnerOrderID,
		PartnerUserID:  p.partnerUserID,
		TotalAmount:    p.amount.Total,
		CanceledAmount: p.canceled.Total,
		SID:            p.sid,
	}, true
}

package shop

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/kpcheckout/kpcheckout/handlers/web"
)

// addrRate limits how often each client address may do one costly thing: open a checkout from
// a payment link, or start a KakaoPay payment (a ready call on the merchant's CID). Each address
// has perMinute turns, which come back over a minute; IPv6 clients count by their /64, which
// one subscriber usually holds whole.
type addrRate struct {
	mu     sync.Mutex
	every  rate.Limit
	burst  int
	now    func() time.Time
	byAddr map[string]*rate.Limiter
	swept  time.Time
}

// maxRateAddrs bounds the addresses one limit remembers (an address is forgotten a minute after
// its last turn): past it new addresses are refused until some are forgotten.
const maxRateAddrs = 100_000

func newAddrRate(perMinute int, now func() time.Time) *addrRate {
	return &addrRate{every: rate.Every(time.Minute / time.Duration(perMinute)), burst: perMinute, now: now,
		byAddr: make(map[string]*rate.Limiter)}
}

// take takes one of addr's turns, or answers the 429 that says how long until the next one.
func (l *addrRate) take(addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	// Every minute, or every second while full: a sweep goes over every address.
	if since := now.Sub(l.swept); since >= time.Minute || (len(l.byAddr) >= maxRateAddrs && since >= time.Second) {
		l.sweep(now)
	}
	key := rateKey(addr)
	lim := l.byAddr[key]
	if lim == nil {
		if len(l.byAddr) >= maxRateAddrs {
			return web.TooManyRequests(time.Minute)
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.byAddr[key] = lim
	}
	r := lim.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return web.TooManyRequests(wait)
	}
	return nil
}

// sweep forgets the addresses whose turns have all come back: they are as good as new.
func (l *addrRate) sweep(now time.Time) {
	for k, lim := range l.byAddr {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.byAddr, k)
		}
	}
	l.swept = now
}

// rateKey is what an address counts as: itself, or its /64 for IPv6.
func rateKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Unmap().Is4() {
		return addr
	}
	p, _ := a.Prefix(64)
	return p.String()
}

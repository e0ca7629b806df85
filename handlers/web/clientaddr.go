package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the load balancers in front of kpcheckout whose X-Forwarded-For it believes. A
// request from one of them is counted against the client the header names (the right-most
// address that is not itself a proxy); any other request against its own peer, whatever it
// claims, so that a client cannot pick the address it is counted as.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of addresses and CIDR prefixes ("10.0.0.0/8,
// 192.0.2.7"); an empty list trusts no proxy.
func ParseProxies(list string) (Proxies, error) {
	p, err := ParseNetworks(list)
	return Proxies(p), err
}

// ParseNetworks reads a comma-separated list of addresses and CIDR prefixes ("10.0.0.0/8,
// 192.0.2.7", an address alone being its own network); an empty list is none.
func ParseNetworks(list string) ([]netip.Prefix, error) {
	var p []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, err
			}
			p = append(p, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		pre, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		p = append(p, pre.Masked())
	}
	return p, nil
}

func (p Proxies) trusts(a netip.Addr) bool {
	for _, pre := range p {
		if pre.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// Client is the address r is counted against: for the sign-in throttle and the long-polls'
// per-address cap.
func (p Proxies) Client(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !p.trusts(peer) {
		return host
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := host
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a hop that is no address: stop at the last one known
		}
		client = a.Unmap().String()
		if !p.trusts(a) {
			break
		}
	}
	return client
}

// forwardedByStranger reports whether r names another client in a forwarding header but comes
// from no trusted proxy: a proxy nobody declared (nginx on this computer, say), whose own
// address is not its clients'.
func (p Proxies) forwardedByStranger(r *http.Request) bool {
	h := r.Header
	if h.Get("X-Forwarded-For") == "" && h.Get("Forwarded") == "" && h.Get("X-Real-Ip") == "" {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	return err != nil || !p.trusts(peer)
}

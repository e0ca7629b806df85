package sandbox

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// returnHosts builds the set of hosts the merchant's return URLs may point at: the sandbox's own
// host and the configured ones; loopback hosts are always allowed (see returnAllowed).
func returnHosts(own string, extra []string) (map[string]bool, error) {
	hosts := map[string]bool{strings.ToLower(own): true}
	for _, h := range extra {
		name := strings.TrimSpace(h)
		if name == "" || strings.ContainsAny(name, "/?#@ ") {
			return nil, fmt.Errorf("sandbox: ReturnHosts entry %q must be a host name", h)
		}
		if host, _, err := net.SplitHostPort(name); err == nil {
			name = host
		}
		name = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(name, "["), "]"))
		hosts[name] = true
	}
	return hosts, nil
}

// returnAllowed reports whether the browser may be sent to raw: an absolute http(s) URL on an
// allowed host, so the wallet never becomes an open redirect.
func (s *Sandbox) returnAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	return s.hosts[host]
}

// checkReturnHost refuses a return URL whose host KakaoPay would not accept for this merchant.
func (s *Sandbox) checkReturnHost(name, raw string) error {
	if s.returnAllowed(raw) {
		return nil
	}
	host := raw
	if u, err := url.Parse(raw); err == nil {
		host = u.Hostname()
	}
	return invalid("%s: host %q is not a registered site domain of this merchant", name, host)
}

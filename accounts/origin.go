package accounts

import (
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/idna"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// An embed origin is joined as is into the checkout page's Content-Security-Policy
// (frame-ancestors), so it is held to what an origin is, scheme://host[:port], and nothing a
// browser would read as more: no wildcard, path, query, quote, space, comma or semicolon (which
// would widen the directive or add another), and a port that exists.

// errNotOrigin says why a string is no embed origin; the message is the API's.
var errNotOrigin = errors.New("not an origin: scheme://host[:port] and nothing else")

// embedOrigin checks raw and returns it normalized: scheme and host in lower case, no default
// port, an international name in punycode, an IPv6 address in its short form. http is allowed
// only on a sandbox server, for a loopback host (a shop being tried on this computer).
func embedOrigin(raw string, sandbox bool) (string, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "https" && scheme != "http") || len(raw) > 300 {
		return "", errNotOrigin
	}
	rest = strings.TrimSuffix(rest, "/")
	host, port, err := splitHostPort(rest)
	if err != nil {
		return "", err
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || len(port) > 5 {
			return "", errNotOrigin
		}
		if port = strconv.Itoa(n); (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
			port = ""
		}
	}
	if host, err = originHost(host); err != nil {
		return "", err
	}
	if scheme == "http" && !(sandbox && domain.LoopbackHost(strings.Trim(host, "[]"))) {
		return "", errors.New("not https (http only on a loopback host, in sandbox mode)")
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// splitHostPort splits "host", "host:port", "[v6]" or "[v6]:port"; anything else there (a
// path, a query, user info, a second colon) is no origin.
func splitHostPort(s string) (host, port string, err error) {
	if strings.ContainsAny(s, "/?#@\\") {
		return "", "", errNotOrigin
	}
	if v6, ok := strings.CutPrefix(s, "["); ok {
		host, after, ok := strings.Cut(v6, "]")
		if !ok || (after != "" && !strings.HasPrefix(after, ":")) {
			return "", "", errNotOrigin
		}
		if after != "" {
			if port = after[1:]; port == "" {
				return "", "", errNotOrigin
			}
		}
		return "[" + host + "]", port, nil
	}
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort && (port == "" || strings.Contains(port, ":")) {
		return "", "", errNotOrigin
	}
	return host, port, nil
}

// originHost checks a host and returns it normalized: an IP address, or a DNS name of letters,
// digits and hyphens (an international name in punycode, as browsers send it).
func originHost(host string) (string, error) {
	if v6, ok := strings.CutPrefix(host, "["); ok {
		a, err := netip.ParseAddr(strings.TrimSuffix(v6, "]"))
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", errNotOrigin
		}
		return "[" + a.String() + "]", nil
	}
	name, err := idna.Lookup.ToASCII(host)
	if err != nil || name == "" || len(name) > 253 {
		return "", errNotOrigin
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if !dnsLabel(l) {
			return "", errNotOrigin
		}
	}
	// A name that ends in a number is an IPv4 address to a browser: it must be one.
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		a, err := netip.ParseAddr(name)
		if err != nil || !a.Is4() {
			return "", errNotOrigin
		}
		return a.String(), nil
	}
	return name, nil
}

// dnsLabel reports whether l is 1 to 63 lower-case letters, digits and inner hyphens.
func dnsLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range []byte(l) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// FrameAncestors are the merchant's embed origins that pass today's rule, for the checkout
// page's frame-ancestors and its messages to the parent page: a stored value that does not (one
// stored before the rule, by hand, or on a server since moved from sandbox to live) is left out,
// so that it never widens who may frame a checkout.
func (s *Merchants) FrameAncestors(m *store.Merchant) []string {
	var out []string
	for _, o := range m.EmbedOrigins {
		if n, err := embedOrigin(o, s.sandbox); err == nil && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

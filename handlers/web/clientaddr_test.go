package web

import (
	"net/http/httptest"
	"testing"
)

func TestProxiesNameTheClient(t *testing.T) {
	p, err := ParseProxies("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ peer, xff, want string }{
		{"198.51.100.9:5000", "", "198.51.100.9"},
		{"198.51.100.9:5000", "203.0.113.1", "198.51.100.9"}, // not a proxy: its header is not believed
		{"10.1.2.3:5000", "203.0.113.1", "203.0.113.1"},
		{"10.1.2.3:5000", "1.1.1.1, 203.0.113.1", "203.0.113.1"},   // the left one is the client's to forge
		{"10.1.2.3:5000", "203.0.113.1, 192.0.2.7", "203.0.113.1"}, // a chain of proxies
		{"192.0.2.7:5000", "10.9.9.9, 10.8.8.8", "10.9.9.9"},       // all proxies: the farthest
		{"10.1.2.3:5000", "", "10.1.2.3"},                          // no header
		{"10.1.2.3:5000", "203.0.113.1, not-an-ip", "10.1.2.3"},    // nothing usable after the proxy
		{"[::ffff:10.1.2.3]:5000", "2001:db8::1", "2001:db8::1"},   // IPv4 in IPv6
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := p.Client(r); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
	if p, err := ParseProxies(""); err != nil || len(p) != 0 {
		t.Errorf("empty: %v %v", p, err)
	}
}

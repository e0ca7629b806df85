package webhook_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/webhook"
)

func TestDeliveriesReachOnlyPublicAddressesUnlessAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	res, err := webhook.NewClient(false, time.Second).Post(srv.URL, "application/json", nil)
	if err == nil {
		res.Body.Close()
		t.Fatal("a delivery reached 127.0.0.1 with private addresses refused")
	}
	if !errors.Is(err, webhook.ErrPrivateAddress) {
		t.Errorf("refused with %v, want ErrPrivateAddress", err)
	}
	res, err = webhook.NewClient(true, time.Second).Post(srv.URL, "application/json", nil)
	if err != nil || res.StatusCode != 204 {
		t.Fatalf("with private addresses allowed: %v %v", err, res)
	}
	res.Body.Close()
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("the redirect was followed") }))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	res, err := webhook.NewClient(true, time.Second).Post(srv.URL, "application/json", nil)
	if err != nil || res.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("%v %v", err, res)
	}
	res.Body.Close()
}

func TestPublic(t *testing.T) {
	for ip, want := range map[string]bool{
		"8.8.8.8": true, "2001:4860:4860::8888": true, "211.249.220.24": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.0.10": false,
		"169.254.169.254": false, "fe80::1": false, "0.0.0.0": false, "fc00::1": false, "224.0.0.1": false,
	} {
		if got := webhook.Public(net.ParseIP(ip)); got != want {
			t.Errorf("Public(%s) = %v, want %v", ip, got, want)
		}
	}
}

func TestBackoffGrowsWithJitterAndStops(t *testing.T) {
	prev := time.Duration(0)
	for n := 1; n <= 20; n++ {
		b := webhook.Backoff(n)
		base := min(10*time.Second<<min(n-1, 12), 6*time.Hour)
		if b < base-base/10 || b > base+base/10 {
			t.Errorf("Backoff(%d) = %v, want %v ± 10%%", n, b, base)
		}
		if n <= 10 && b < prev/2 {
			t.Errorf("Backoff(%d) = %v shrank from %v", n, b, prev)
		}
		prev = b
	}
}

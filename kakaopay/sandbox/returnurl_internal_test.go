package sandbox

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The wallet checks the host again before it redirects, so a return URL that slipped past ready
// (none can today) still cannot make it an open redirect.
func TestWalletNeverRedirectsOffTheAllowedHosts(t *testing.T) {
	s, err := New(Options{BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{walletApprove, walletCancel, walletFail, walletWrongPassword} {
		tid := "T0123456789abcdef012"
		s.payments[tid] = &payment{tid: tid, cid: "TC0ONETIME", status: statusOpen, createdAt: s.now(),
			approvalURL: "https://evil.example/a", cancelURL: "https://evil.example/c", failURL: "https://evil.example/f"}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "http://127.0.0.1:1/wallet/"+tid+"/"+action, nil))
		if w.Code != http.StatusForbidden || w.Header().Get("Location") != "" {
			t.Errorf("%s: %d Location %q", action, w.Code, w.Header().Get("Location"))
		}
		if got := s.payments[tid].status; got != statusOpen {
			t.Errorf("%s: status %s, want it untouched", action, got)
		}
	}
}

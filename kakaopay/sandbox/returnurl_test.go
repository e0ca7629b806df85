package sandbox_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
)

func TestReadyRefusesForeignReturnURLs(t *testing.T) {
	e := newEnv(t)
	for name, edit := range map[string]func(*readyReq){
		"approval_url": func(r *readyReq) { r.ApprovalURL = "https://evil.example" },
		"cancel_url":   func(r *readyReq) { r.CancelURL = "https://evil.example/c/cs_1/return/cancel" },
		"fail_url":     func(r *readyReq) { r.FailURL = "http://shop.example.evil.example/fail" },
		"userinfo":     func(r *readyReq) { r.ApprovalURL = "https://shop.example@evil.example/" },
	} {
		t.Run(name, func(t *testing.T) {
			req := newReady(1000)
			edit(&req)
			status, res := e.post("ready", req)
			wantError(t, status, res, http.StatusBadRequest, -2)
		})
	}
	if got := e.sb.Calls("ready"); got != 4 {
		t.Errorf("Calls(ready) = %d", got)
	}
}

func TestReadyAllowsOwnLoopbackAndListedHosts(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{BaseURL: "https://pay.test/sandbox", ReturnHosts: []string{"Shop.Example:8443", "[::2]"}})
	if err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string]int{
		"https://pay.test/c/cs_1/return/approve":      200,
		"https://PAY.test:8443/return":                200,
		"http://127.0.0.1:8080/return":                200,
		"http://127.3.4.5/return":                     200,
		"http://[::1]:8080/return":                    200,
		"http://localhost:3000/return":                200,
		"https://shop.example/return":                 200,
		"https://[::2]/return":                        200,
		"https://evil.example/return":                 400,
		"https://pay.test.evil.example/return":        400,
		"http://localhost.evil.example/return":        400,
		"https://128.0.0.1/return":                    400,
		"https://evil.example/?next=https://pay.test": 400,
	} {
		req := newReady(1000)
		req.ApprovalURL = raw
		body, _ := json.Marshal(req)
		r := httptest.NewRequest(http.MethodPost, "https://pay.test/online/v1/payment/ready", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "DEV_SECRET_KEY mine")
		w := httptest.NewRecorder()
		sb.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("approval_url %s: %d, want %d (%s)", raw, w.Code, want, w.Body)
		}
	}
}

func TestReturnHostsMustBeHosts(t *testing.T) {
	for _, h := range []string{"https://shop.example/", "", "shop.example/path", "user@shop.example"} {
		if _, err := sandbox.New(sandbox.Options{BaseURL: "http://127.0.0.1:1", ReturnHosts: []string{h}}); err == nil {
			t.Errorf("ReturnHosts %q accepted", h)
		}
	}
}

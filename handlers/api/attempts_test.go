package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// attemptObject is the API's attempt object.
type attemptObject struct {
	ID               string `json:"id"`
	Object           string `json:"object"`
	Checkout         string `json:"checkout"`
	Status           string `json:"status"`
	Device           string `json:"device"`
	ExpiresAt        string `json:"expires_at"`
	PCURL            string `json:"pc_url"`
	MobileURL        string `json:"mobile_url"`
	AppURL           string `json:"app_url"`
	AndroidAppScheme string `json:"android_app_scheme"`
	IOSAppScheme     string `json:"ios_app_scheme"`
	QRPNG            string `json:"qr_png"`
}

// startAttempt starts an attempt of checkout id through the API and wants the status.
func startAttempt(t *testing.T, e *handlerstest.Env, id, device string, want int) attemptObject {
	t.Helper()
	var a attemptObject
	res, data := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts/"+id+"/attempts", `{"device":"`+device+`"}`, nil)
	if res.StatusCode != want {
		t.Fatalf("start a %s attempt: %d %s, want %d", device, res.StatusCode, data, want)
	}
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// qrText reads the QR code of a data: URI of a PNG.
func qrText(t *testing.T, dataURI string) string {
	t.Helper()
	raw, ok := strings.CutPrefix(dataURI, "data:image/png;base64,")
	if !ok {
		t.Fatalf("qr_png %.40q is not a data: URI of a PNG", dataURI)
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	return handlerstest.QRCodeText(t, b)
}

func TestHeadlessDesktopAttemptPaysByQR(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	a := startAttempt(t, e, c.ID, "desktop", http.StatusCreated)
	stored := e.LatestAttempt(c.ID)
	if a.ID != stored.ID || a.Object != "attempt" || a.Checkout != c.ID || a.Status != "ready" || a.Device != "desktop" {
		t.Errorf("attempt %+v, stored %s", a, stored.ID)
	}
	if a.PCURL != stored.PCURL || a.MobileURL != stored.MobileURL || a.AppURL != stored.AppURL ||
		a.AndroidAppScheme != stored.AndroidAppScheme || a.IOSAppScheme != stored.IOSAppScheme || a.PCURL == "" || a.AppURL == "" {
		t.Errorf("KakaoPay's URLs %+v, stored %+v", a, stored)
	}
	if exp, err := time.Parse(time.RFC3339, a.ExpiresAt); err != nil || !exp.Equal(stored.ExpiresAt) {
		t.Errorf("expires_at %q, want %v", a.ExpiresAt, stored.ExpiresAt)
	}
	if got := qrText(t, a.QRPNG); got != a.MobileURL {
		t.Errorf("the QR code says %q, want mobile_url %q", got, a.MobileURL)
	}

	// The shopper scans the merchant's QR code and approves on the phone, which is told to go back
	// to the computer; the checkout is paid and the merchant hears of it.
	phone := e.Browser(handlerstest.UAIPhone)
	res, html := phone.WalletAct(a.MobileURL, "approve")
	if res.StatusCode != http.StatusOK || handlerstest.Page(t, html).Find(`[data-testid="phone-done"]`).Length() != 1 {
		t.Errorf("the phone got %d at %s, want the done page", res.StatusCode, res.Request.URL)
	}
	if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "paid" || got.Payment == nil || got.Payment.Amount != 11000 {
		t.Errorf("checkout %+v, want paid", got)
	}
	ev := e.Events(c.ID)
	if handlerstest.Count(ev, "attempt.created") != 1 || handlerstest.Count(ev, "checkout.paid") != 1 {
		t.Errorf("events %v", ev)
	}
	if n := e.Sandbox.Calls("ready"); n != 1 {
		t.Errorf("%d ready calls, want 1", n)
	}
	// Paid: no more attempts.
	res, data := handlerstest.APIMust(t, e, e.Key, "POST", "/v1/checkouts/"+c.ID+"/attempts", `{"device":"desktop"}`, nil)
	if ae := handlerstest.CheckAPIError(t, res, data, []int{http.StatusConflict}, "invalid_state_error", ""); ae.Error.Code != "checkout_paid" {
		t.Errorf("code %q, want checkout_paid", ae.Error.Code)
	}
}

func TestHeadlessDesktopAttemptSendsAComputerBackToTheShop(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	a := startAttempt(t, e, c.ID, "desktop", http.StatusCreated)
	// KakaoPay's PC page, opened by the merchant's page, returns the computer itself to
	// approval_url once the phone approved: it has no session of ours and is no phone.
	computer := e.Browser(handlerstest.UADesktop)
	res, _ := computer.WalletAct(a.MobileURL, "approve")
	if got := res.Request.URL.String(); !strings.HasPrefix(got, e.Shop.URL+"/thanks") {
		t.Errorf("the computer ended at %s, want the shop's success URL", got)
	}
	if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "paid" {
		t.Errorf("checkout %s, want paid", got.Status)
	}
}

func TestHeadlessAppAttemptIsTheMobileOne(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	a := startAttempt(t, e, c.ID, "app", http.StatusCreated)
	if a.Device != checkout.DeviceMobile || a.Status != "ready" {
		t.Errorf("an app attempt is %q %q, want a ready mobile one", a.Device, a.Status)
	}
	// A phone's browser asks too: the live attempt answers, and KakaoPay is not asked again.
	if again := startAttempt(t, e, c.ID, "mobile", http.StatusOK); again.ID != a.ID {
		t.Errorf("the mobile call made %s, want the live %s", again.ID, a.ID)
	}
	// The app opens the payment; KakaoPay returns the shopper, who lands on the shop's success URL.
	res, _ := e.Browser(handlerstest.UAIPhone).WalletAct(a.AppURL, "approve")
	if got := res.Request.URL.String(); !strings.HasPrefix(got, e.Shop.URL+"/thanks") {
		t.Errorf("the shopper ended at %s, want the shop's success URL", got)
	}
	if got := handlerstest.GetCheckout(t, e, c.ID); got.Status != "paid" {
		t.Errorf("checkout %s, want paid", got.Status)
	}
	if n := e.Sandbox.Calls("ready"); n != 1 {
		t.Errorf("%d ready calls, want 1", n)
	}
}

func TestHeadlessAttemptIdempotencyKey(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	path, body := "/v1/checkouts/"+c.ID+"/attempts", `{"device":"desktop"}`
	key := map[string]string{"Idempotency-Key": "attempt-1"}
	res, first := handlerstest.APIMust(t, e, e.Key, "POST", path, body, key)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("first: %d %s", res.StatusCode, first)
	}
	res, second := handlerstest.APIMust(t, e, e.Key, "POST", path, body, key)
	if res.StatusCode != http.StatusCreated || res.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first, second) {
		t.Errorf("retry: %d replayed %q, same answer %v", res.StatusCode, res.Header.Get("Idempotent-Replayed"), bytes.Equal(first, second))
	}
	res, data := handlerstest.APIMust(t, e, e.Key, "POST", path, `{"device":"mobile"}`, key)
	handlerstest.CheckAPIError(t, res, data, []int{http.StatusConflict}, "idempotency_error", "")
	// Another key finds the live attempt: 200, the same attempt.
	var a, b attemptObject
	json.Unmarshal(first, &a)
	if b = startAttempt(t, e, c.ID, "desktop", http.StatusOK); b.ID != a.ID {
		t.Errorf("a new key made %s, want the live %s", b.ID, a.ID)
	}
	if n := e.Sandbox.Calls("ready"); n != 1 {
		t.Errorf("%d ready calls, want 1", n)
	}
	if n := e.CountRows("SELECT COUNT(*) FROM attempts"); n != 1 {
		t.Errorf("%d attempts stored, want 1", n)
	}
}

func TestHeadlessAttemptRefusals(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	other := e.NewMerchant(accounts.MerchantParams{Name: "다른 가게"})
	expired := e.CreateCheckout("")
	if res := e.API("POST", "/v1/checkouts/"+expired.ID+"/expire", "", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("expire: %d", res.StatusCode)
	}
	refused := e.AmountCheckout("6666") // the sandbox refuses 6,666 won at ready
	cases := []struct {
		name, key, id, body string
		status              int
		typ, code, param    string
	}{
		{"bad device", e.Key, c.ID, `{"device":"watch"}`, 400, "invalid_request_error", "device_invalid", "device"},
		{"no device", e.Key, c.ID, `{}`, 400, "invalid_request_error", "parameter_missing", "device"},
		{"no body", e.Key, c.ID, ``, 400, "invalid_request_error", "parameter_missing", "device"},
		{"unknown parameter", e.Key, c.ID, `{"device":"desktop","amount":100}`, 400, "invalid_request_error", "parameter_unknown", "amount"},
		{"no such checkout", e.Key, "cs_nope", `{"device":"desktop"}`, 404, "invalid_request_error", "resource_missing", "id"},
		{"another merchant's checkout", other.APIKey, c.ID, `{"device":"desktop"}`, 404, "invalid_request_error", "resource_missing", "id"},
		{"expired checkout", e.Key, expired.ID, `{"device":"mobile"}`, 409, "invalid_state_error", "checkout_expired", ""},
		{"KakaoPay refuses", e.Key, refused.ID, `{"device":"desktop"}`, 502, "kakaopay_error", "kakaopay_unavailable", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, data := handlerstest.APIMust(t, e, tc.key, "POST", "/v1/checkouts/"+tc.id+"/attempts", tc.body, nil)
			if tc.status == http.StatusBadGateway {
				if ae := (handlerstest.APIError{}); res.StatusCode != tc.status || json.Unmarshal(data, &ae) != nil || ae.Error.Type != tc.typ || ae.Error.Code != tc.code {
					t.Errorf("%d %s, want %d %s", res.StatusCode, data, tc.status, tc.code)
				}
				return
			}
			if ae := handlerstest.CheckAPIError(t, res, data, []int{tc.status}, tc.typ, tc.param); ae.Error.Code != tc.code {
				t.Errorf("code %q, want %q", ae.Error.Code, tc.code)
			}
		})
	}
	if n := e.CountRows("SELECT COUNT(*) FROM attempts WHERE checkout_id IN (?, ?)", c.ID, expired.ID); n != 0 {
		t.Errorf("%d attempts made by refused calls", n)
	}
	if n := e.Sandbox.Calls("ready"); n != 1 {
		t.Errorf("%d ready calls, want only the one KakaoPay refused", n)
	}
}

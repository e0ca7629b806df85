package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
)

func jsonBody(t *testing.T, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	body, _ := json.Marshal(newReady(1000))
	for name, auth := range map[string]string{
		"missing":       "",
		"old KakaoAK":   "KakaoAK " + testKey,
		"empty key":     "SECRET_KEY ",
		"wrong key":     "SECRET_KEY nope",
		"wrong dev key": "DEV_SECRET_KEY nope",
		"bearer":        "Bearer " + testKey,
		"no space":      "SECRET_KEY" + testKey,
	} {
		t.Run(name, func(t *testing.T) {
			status, res := e.postRaw("ready", "application/json", auth, body)
			wantError(t, status, res, http.StatusUnauthorized, -401)
		})
	}
}

func TestStrictKeyTakesEitherScheme(t *testing.T) {
	e := newEnv(t)
	body, _ := json.Marshal(newReady(1000))
	for _, auth := range []string{"SECRET_KEY " + testKey, "DEV_SECRET_KEY " + testKey, "secret_key " + testKey, "Dev_Secret_Key " + testKey} {
		if status, res := e.postRaw("ready", "application/json", auth, body); status != http.StatusOK {
			t.Errorf("Authorization %q: %d %v", auth, status, res)
		}
	}
}

func TestAnyKeyWhenNoSecretKey(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{BaseURL: "http://sandbox.test", ReturnHosts: []string{"shop.example"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(newReady(1000))
	for auth, want := range map[string]int{
		"SECRET_KEY anything": 200, "DEV_SECRET_KEY DEVa1b2c3": 200, "dev_secret_key mine": 200, "secret_key x": 200,
		"SECRET_KEY ": 401, "DEV_SECRET_KEY  ": 401, "KakaoAK x": 401, "DEV_SECRET_KEYx": 401, "garbled": 401, "": 401,
	} {
		r, _ := http.NewRequest(http.MethodPost, "http://sandbox.test/online/v1/payment/ready", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		sb.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Authorization %q: %d, want %d", auth, w.Code, want)
		}
	}
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t)
	valid := func(edit func(m map[string]any)) []byte {
		b, _ := json.Marshal(newReady(1000))
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		edit(m)
		b, _ = json.Marshal(m)
		return b
	}
	for name, body := range map[string][]byte{
		"malformed JSON":        []byte(`{"cid": "TC0ONETIME",`),
		"not an object":         []byte(`[1,2]`),
		"quantity as a string":  valid(func(m map[string]any) { m["quantity"] = "1" }),
		"amount as a float":     valid(func(m map[string]any) { m["total_amount"] = 1000.5 }),
		"missing tax_free":      valid(func(m map[string]any) { delete(m, "tax_free_amount") }),
		"tax_free above total":  valid(func(m map[string]any) { m["tax_free_amount"] = 1001 }),
		"zero quantity":         valid(func(m map[string]any) { m["quantity"] = 0 }),
		"negative total":        valid(func(m map[string]any) { m["total_amount"] = -5 }),
		"short cid":             valid(func(m map[string]any) { m["cid"] = "TC0" }),
		"missing item_name":     valid(func(m map[string]any) { delete(m, "item_name") }),
		"relative approval_url": valid(func(m map[string]any) { m["approval_url"] = "/return" }),
		"ftp fail_url":          valid(func(m map[string]any) { m["fail_url"] = "ftp://shop.example/x" }),
		"long partner_order_id": valid(func(m map[string]any) { m["partner_order_id"] = string(bytes.Repeat([]byte("가"), 101)) }),
	} {
		t.Run(name, func(t *testing.T) {
			status, res := e.postRaw("ready", "application/json", "SECRET_KEY "+testKey, body)
			wantError(t, status, res, http.StatusBadRequest, -2)
		})
	}
	t.Run("not JSON content type", func(t *testing.T) {
		b, _ := json.Marshal(newReady(1000))
		status, res := e.postRaw("ready", "application/x-www-form-urlencoded", "SECRET_KEY "+testKey, b)
		wantError(t, status, res, http.StatusBadRequest, -2)
	})
	t.Run("vat defaults to a rounded eleventh", func(t *testing.T) {
		req := newReady(1000)
		ans := e.pay(req)
		if ans.num("amount.vat") != 91 {
			t.Errorf("vat = %d, want 91", ans.num("amount.vat"))
		}
	})
}

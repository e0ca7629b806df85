package handlerstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// APIRaw sends one merchant API request and reads the whole answer. It never calls t.Fatal, so
// that goroutines may use it. An empty key sends no Authorization header.
func APIRaw(e *Env, key, method, path, body string, hdr map[string]string) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := e.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res, data, err
}

// APIMust is APIRaw for the test goroutine.
func APIMust(t *testing.T, e *Env, key, method, path, body string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	res, data, err := APIRaw(e, key, method, path, body, hdr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res, data
}

// CheckAPIError checks that an answer is a JSON error in the API's shape with one of the wanted
// statuses, a type and a code, and the param (when wantParam is not empty; a wantParam ending
// in "*" matches as a prefix). It returns the decoded error.
func CheckAPIError(t *testing.T, res *http.Response, body []byte, wantStatus []int, wantType, wantParam string) APIError {
	t.Helper()
	var out APIError
	if res.StatusCode >= 500 {
		t.Fatalf("answered %d (never a 5xx for bad input): %s", res.StatusCode, body)
	}
	ok := false
	for _, s := range wantStatus {
		ok = ok || res.StatusCode == s
	}
	if !ok {
		t.Errorf("status %d, want one of %v: %s", res.StatusCode, wantStatus, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("not the error shape: %v: %s", err, body)
	}
	for _, k := range []string{"type", "code", "message", "param"} {
		if _, present := raw["error"][k]; !present {
			t.Errorf("error object has no %q: %s", k, body)
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("not the error shape: %v: %s", err, body)
	}
	if out.Error.Type == "" || out.Error.Code == "" || out.Error.Message == "" {
		t.Errorf("type, code and message must be set: %s", body)
	}
	if wantType != "" && out.Error.Type != wantType {
		t.Errorf("type %q, want %q", out.Error.Type, wantType)
	}
	if wantParam != "" {
		got := ""
		if out.Error.Param != nil {
			got = *out.Error.Param
		}
		if p, prefix := strings.CutSuffix(wantParam, "*"); prefix && !strings.HasPrefix(got, p) || !prefix && got != wantParam {
			t.Errorf("param %q, want %q: %s", got, wantParam, body)
		}
	}
	return out
}

// StatusesInvalid are the statuses of a request that breaks a rule (see handlers/web/errors.go).
var StatusesInvalid = []int{http.StatusBadRequest}

// CheckErrorPage checks that an answer is a localized HTML error page with a 4xx status (or
// exactly want, when not 0) that says text.
func CheckErrorPage(t *testing.T, res *http.Response, html string, want int, text string) {
	t.Helper()
	if res.StatusCode >= 500 || res.StatusCode < 400 || want != 0 && res.StatusCode != want {
		t.Errorf("status %d, want %s", res.StatusCode, map[bool]string{true: "a 4xx page", false: fmt.Sprintf("a %d page", want)}[want == 0])
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, want a page", ct)
	}
	doc := Page(t, html)
	if doc.Find(`[data-testid="error"]`).Length() != 1 {
		t.Errorf("no error message on the page: %.300s", html)
	}
	if text != "" && !strings.Contains(doc.Text(), text) {
		t.Errorf("the page does not say %q: %q", text, TextOf(doc, "error"))
	}
}

// GetCheckout reads a checkout through the API.
func GetCheckout(t *testing.T, e *Env, id string) CheckoutObject {
	t.Helper()
	var c CheckoutObject
	if res := e.API("GET", "/v1/checkouts/"+id, "", &c); res.StatusCode != http.StatusOK {
		t.Fatalf("GET checkout %s: %d", id, res.StatusCode)
	}
	return c
}

// QRCodeText reads the QR code of a PNG as we draw it. PURE_BARCODE reads the clean picture as
// it is: without it the reader misreads about one code in 150 (a Reed-Solomon error).
func QRCodeText(t *testing.T, pngData []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	got, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("QR code: %v", err)
	}
	return got.GetText()
}

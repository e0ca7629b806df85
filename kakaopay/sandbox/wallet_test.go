package sandbox_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

func TestWalletPage(t *testing.T) {
	e := newEnv(t)
	res := e.ready(newReady(11000))
	r, body := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), nil)
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("wallet: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`<html lang="ko">`, `data-testid="wallet-amount">11,000원<`, `data-testid="wallet-approve"`,
		`data-testid="wallet-cancel"`, `data-testid="wallet-fail"`, `data-testid="wallet-wrong-password"`,
		`data-testid="wallet-method-money"`, `data-testid="wallet-method-card"`, `data-testid="wallet-ars"`,
		`<input type="hidden" name="page" value="mInfo">`, "SANDBOX", "결제하기", "비밀번호 틀리게 입력", "#FEE500",
		`"Apple SD Gothic Neo"`, `"Malgun Gothic"`, `"Noto Sans KR"`,
		`<form method="post" action="` + walletAction(res, "approve") + `">`, `action="` + walletAction(res, "cancel") + `"`,
		`action="` + walletAction(res, "fail") + `"`, `action="` + walletAction(res, "wrong-password") + `"`,
		`action="` + walletAction(res, "method") + `"`, `action="` + walletAction(res, "ars") + `"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(body, `data-testid="wallet-step"`) {
		t.Error("a freshly opened screen shows a step note")
	}
	policy := r.Header.Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(policy)
	if nonce == nil || !strings.Contains(body, `<style nonce="`+nonce[1]+`">`) || strings.Contains(policy, "unsafe-inline") ||
		!strings.Contains(policy, "default-src 'none'") || !strings.Contains(policy, "form-action 'self' http: https:") ||
		!strings.Contains(policy, "img-src 'none'") {
		t.Errorf("CSP %q does not cover the page", policy)
	}
	if got := e.orderStatus(oneTimeCID, res.str("tid")); got != "OPEN_PAYMENT" {
		t.Errorf("status after the mobile page = %s, want OPEN_PAYMENT", got)
	}
	r, _ = e.page(http.MethodGet, res.str("next_redirect_pc_url"), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("pc page: %d", r.StatusCode)
	}
	if got := e.orderStatus(oneTimeCID, res.str("tid")); got != "OPEN_PAYMENT" {
		t.Errorf("the pc page must not move OPEN_PAYMENT back, got %s", got)
	}
}

func TestWalletAppPage(t *testing.T) {
	e := newEnv(t)
	res := e.ready(newReady(11000))
	r, body := e.page(http.MethodGet, res.str("next_redirect_app_url")+"?kpayTid="+res.str("tid"), nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(body, `<input type="hidden" name="page" value="aInfo">`) ||
		!strings.Contains(body, `data-testid="wallet-approve"`) {
		t.Fatalf("app page: %d\n%s", r.StatusCode, body)
	}
	if got := e.orderStatus(oneTimeCID, res.str("tid")); got != "OPEN_PAYMENT" {
		t.Errorf("status after the app page = %s, want OPEN_PAYMENT", got)
	}
	r, _ = e.form(walletAction(res, "ars"), url.Values{"page": {"aInfo"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != res.str("next_redirect_app_url") {
		t.Errorf("a step on the app page: %d %q, want back to the app page", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestWalletPCPage(t *testing.T) {
	e := newEnv(t)
	res := e.ready(newReady(11000))
	tid := res.str("tid")
	pc := res.str("next_redirect_pc_url") + "?kpayTid=" + tid // as KakaoPay's toolkit links it
	r, body := e.page(http.MethodGet, pc, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("pc page: %d\n%s", r.StatusCode, body)
	}
	for _, want := range []string{`data-testid="wallet-amount">11,000원<`, `data-testid="wallet-phone"`, `type="tel"`,
		`data-testid="wallet-send-tms"`, `action="` + walletAction(res, "tms") + `"`, `action="` + walletAction(res, "cancel") + `"`,
		`href="` + res.str("next_redirect_mobile_url") + `"`, "내 카카오톡으로 보내기"} {
		if !strings.Contains(body, want) {
			t.Errorf("pc page lacks %s", want)
		}
	}
	if strings.Contains(body, `data-testid="wallet-approve"`) || strings.Contains(body, `data-testid="wallet-tms-sent"`) {
		t.Error("the pc page offers approval or says it sent a message before it did")
	}
	if policy := r.Header.Get("Content-Security-Policy"); !strings.Contains(policy, "img-src data:") ||
		!strings.Contains(policy, "default-src 'none'") {
		t.Errorf("CSP %q", policy)
	}
	if got := decodeQRImage(t, body); got != res.str("next_redirect_mobile_url") {
		t.Errorf("QR code reads %q, want the mobile page %q", got, res.str("next_redirect_mobile_url"))
	}
	if got := e.orderStatus(oneTimeCID, tid); got != "READY" {
		t.Errorf("status after opening the pc page = %s, want READY", got)
	}

	for _, phone := range []string{"", "12345", "02-123-4567", "010-1234-567a", "010123456789"} {
		r, body = e.form(walletAction(res, "tms"), url.Values{"phone": {phone}})
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, `data-testid="wallet-phone-error"`) ||
			!strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("phone %q: %d", phone, r.StatusCode)
		}
	}
	if got := e.orderStatus(oneTimeCID, tid); got != "READY" {
		t.Errorf("status after refused phone numbers = %s, want READY", got)
	}
	r, _ = e.form(walletAction(res, "tms"), url.Values{"phone": {"010-1234-5678"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != res.str("next_redirect_pc_url") {
		t.Fatalf("send to KakaoTalk: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if got := e.orderStatus(oneTimeCID, tid); got != "SEND_TMS" {
		t.Errorf("status after sending to KakaoTalk = %s, want SEND_TMS", got)
	}
	if _, body = e.page(http.MethodGet, pc, nil); !strings.Contains(body, `data-testid="wallet-tms-sent"`) {
		t.Error("the pc page does not say the message was sent")
	}
	// With no real KakaoTalk, the tester plays the phone that got the message from here.
	if !strings.Contains(body, `href="`+res.str("next_redirect_mobile_url")+`" data-testid="wallet-open-mobile"`) {
		t.Error("after sending, the pc page does not link the payment screen")
	}
	e.page(http.MethodGet, res.str("next_redirect_mobile_url"), nil) // the shopper opened the message
	if got := e.orderStatus(oneTimeCID, tid); got != "OPEN_PAYMENT" {
		t.Errorf("status after opening the message = %s, want OPEN_PAYMENT", got)
	}
	e.form(walletAction(res, "tms"), url.Values{"phone": {"01012345678"}})
	if got := e.orderStatus(oneTimeCID, tid); got != "OPEN_PAYMENT" {
		t.Errorf("sending again moved OPEN_PAYMENT back to %s", got)
	}
}

// decodeQRImage reads the QR code of the page's data: image.
func decodeQRImage(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`<img class="qr" src="data:image/png;base64,([^"]+)"[^>]* alt="[^"]+"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no QR code image with an alt text on the pc page")
	}
	b, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	// PURE_BARCODE reads the clean picture as it is: without it about one code in 150 is misread.
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("QR code: %v", err)
	}
	return res.GetText()
}

func TestWalletSteps(t *testing.T) {
	e := newEnv(t)
	req := newReady(11000)
	res, tid := e.openWallet(req)

	r, _ := e.form(walletAction(res, "method"), url.Values{"page": {"mInfo"}, "method": {"CARD"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != res.str("next_redirect_mobile_url") {
		t.Fatalf("pick a method: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if got := e.orderStatus(oneTimeCID, tid); got != "SELECT_METHOD" {
		t.Errorf("status after picking a method = %s, want SELECT_METHOD", got)
	}
	_, body := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), nil)
	if got := e.orderStatus(oneTimeCID, tid); got != "SELECT_METHOD" {
		t.Errorf("re-opening the screen moved SELECT_METHOD to %s", got)
	}
	if !strings.Contains(body, `data-testid="wallet-step"`) || !strings.Contains(body, `aria-pressed="true" data-testid="wallet-method-card"`) ||
		!strings.Contains(body, `data-testid="wallet-method">카카오뱅크 체크카드`) {
		t.Errorf("the screen does not show the picked card:\n%s", body)
	}
	status, ans := e.post("approve", approveFor(req, tid, "abcdefghij0123456789"))
	wantError(t, status, ans, http.StatusBadRequest, -701)

	e.form(walletAction(res, "ars"), nil)
	if got := e.orderStatus(oneTimeCID, tid); got != "ARS_WAITING" {
		t.Errorf("status after asking for ARS = %s, want ARS_WAITING", got)
	}
	status, ans = e.post("approve", approveFor(req, tid, "abcdefghij0123456789"))
	wantError(t, status, ans, http.StatusBadRequest, -701)

	token := e.approveInWallet(res)
	if got := e.orderStatus(oneTimeCID, tid); got != "AUTH_PASSWORD" {
		t.Errorf("status after the password = %s, want AUTH_PASSWORD", got)
	}
	status, ans = e.post("approve", approveFor(req, tid, token))
	if status != http.StatusOK || ans.str("payment_method_type") != "CARD" || ans.get("card_info") == nil {
		t.Errorf("approve after picking the card: %d %v", status, ans)
	}

	fixed := newReady(11000)
	fixed.PaymentMethod = "MONEY"
	res = e.ready(fixed)
	_, body = e.page(http.MethodGet, res.str("next_redirect_mobile_url"), nil)
	if strings.Contains(body, "wallet-method-card") {
		t.Error("the screen offers a card although ready asked for MONEY")
	}
	for _, m := range []string{"CARD", "BITCOIN"} {
		if r, _ := e.form(walletAction(res, "method"), url.Values{"method": {m}}); r.StatusCode != http.StatusBadRequest {
			t.Errorf("method %s: %d, want 400", m, r.StatusCode)
		}
	}
	if got := e.orderStatus(oneTimeCID, res.str("tid")); got != "OPEN_PAYMENT" {
		t.Errorf("a refused method moved the status to %s", got)
	}
}

func TestWalletWrongPassword(t *testing.T) {
	e := newEnv(t)
	req := newReady(11000)
	res, tid := e.openWallet(req)
	r, _ := e.page(http.MethodPost, walletAction(res, "wrong-password"), nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != req.FailURL {
		t.Fatalf("wrong password: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if got := e.orderStatus(oneTimeCID, tid); got != "FAIL_AUTH_PASSWORD" {
		t.Errorf("status after a wrong password = %s, want FAIL_AUTH_PASSWORD", got)
	}
	if r, _ := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), nil); r.StatusCode != http.StatusConflict {
		t.Errorf("wallet after a wrong password: %d, want 409", r.StatusCode)
	}
	if r, _ := e.page(http.MethodPost, walletAction(res, "approve"), nil); r.StatusCode != http.StatusConflict {
		t.Errorf("approve in the wallet after a wrong password: %d, want 409", r.StatusCode)
	}
	status, ans := e.post("approve", approveFor(req, tid, "abcdefghij0123456789"))
	wantError(t, status, ans, http.StatusBadRequest, -780)
	if ans.str("extras.method_result_code") == "" {
		t.Errorf("approve after a wrong password: %v, want extras", ans)
	}
	if got := e.orderStatus(oneTimeCID, tid); got != "FAIL_AUTH_PASSWORD" {
		t.Errorf("status after the refused approve = %s", got)
	}
}

func TestWalletEscapesItemName(t *testing.T) {
	e := newEnv(t)
	req := newReady(1000)
	req.ItemName = `<script>alert("x")</script> & 커피`
	res := e.ready(req)
	_, body := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), nil)
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("item name not escaped:\n%s", body)
	}
}

func TestWalletUnknownTID(t *testing.T) {
	e := newEnv(t)
	for _, u := range []string{"/wallet/T0000000000000000000/mInfo", "/wallet/%3Cb%3E/info", "/wallet/t0/aInfo"} {
		r, body := e.page(http.MethodGet, e.srv.URL+u, nil)
		if r.StatusCode != http.StatusNotFound || !strings.Contains(body, `lang="ko"`) ||
			!strings.Contains(body, "결제 요청을 찾을 수 없습니다") || strings.Contains(body, "<b>") {
			t.Errorf("GET %s: %d\n%s", u, r.StatusCode, body)
		}
	}
	r, _ := e.page(http.MethodPost, e.srv.URL+"/wallet/T0000000000000000000/approve", nil)
	if r.StatusCode != http.StatusNotFound || r.Header.Get("Location") != "" {
		t.Errorf("POST approve on an unknown tid: %d", r.StatusCode)
	}
}

func TestWalletButtons(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ action, status, location string }{
		{"cancel", "QUIT_PAYMENT", "https://shop.example/c/cs_1/return/cancel"},
		{"fail", "FAIL_PAYMENT", "https://shop.example/c/cs_1/return/fail"},
	} {
		res := e.ready(newReady(1000))
		r, _ := e.page(http.MethodPost, walletAction(res, c.action), nil)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != c.location {
			t.Errorf("%s: %d %q", c.action, r.StatusCode, r.Header.Get("Location"))
		}
		if got := e.orderStatus(oneTimeCID, res.str("tid")); got != c.status {
			t.Errorf("%s: status %s, want %s", c.action, got, c.status)
		}
	}

	res := e.ready(newReady(1000))
	e.approveInWallet(res)
	for _, action := range []string{"approve", "cancel"} {
		r, body := e.page(http.MethodPost, walletAction(res, action), nil)
		if r.StatusCode != http.StatusConflict || r.Header.Get("Location") != "" || !strings.Contains(body, "이미 처리된") {
			t.Errorf("second %s: %d %q", action, r.StatusCode, r.Header.Get("Location"))
		}
	}
}

func TestSandboxAutoHeader(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ auto, status, prefix string }{
		{"approve", "AUTH_PASSWORD", approvalURL + "&pg_token="},
		{"cancel", "QUIT_PAYMENT", "https://shop.example/c/cs_1/return/cancel"},
		{"fail", "FAIL_PAYMENT", "https://shop.example/c/cs_1/return/fail"},
	} {
		req := newReady(1000)
		res := e.ready(req)
		h := http.Header{"X-Sandbox-Auto": {c.auto}}
		r, _ := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), h)
		loc := r.Header.Get("Location")
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, c.prefix) {
			t.Errorf("auto %s: %d %q", c.auto, r.StatusCode, loc)
		}
		if got := e.orderStatus(oneTimeCID, res.str("tid")); got != c.status {
			t.Errorf("auto %s: status %s", c.auto, got)
		}
		r, _ = e.page(http.MethodGet, res.str("next_redirect_mobile_url"), h)
		if r.StatusCode != http.StatusConflict || r.Header.Get("Location") != "" {
			t.Errorf("auto %s twice: %d %q", c.auto, r.StatusCode, r.Header.Get("Location"))
		}
		if c.auto == "approve" {
			token := loc[len(c.prefix):]
			if status, ans := e.post("approve", approveFor(req, res.str("tid"), token)); status != http.StatusOK {
				t.Errorf("approve after auto: %d %v", status, ans)
			}
		}
	}
	res := e.ready(newReady(1000))
	r, _ := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), http.Header{"X-Sandbox-Auto": {"maybe"}})
	if r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad X-Sandbox-Auto: %d", r.StatusCode)
	}
	for _, page := range []string{"next_redirect_pc_url", "next_redirect_app_url"} {
		res := e.ready(newReady(1000))
		r, _ := e.page(http.MethodGet, res.str(page)+"?kpayTid="+res.str("tid"), http.Header{"X-Sandbox-Auto": {"approve"}})
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, approvalURL+"&pg_token=") {
			t.Errorf("auto approve on %s: %d %q", page, r.StatusCode, loc)
		}
		if got := e.orderStatus(oneTimeCID, res.str("tid")); got != "AUTH_PASSWORD" {
			t.Errorf("auto approve on %s: status %s", page, got)
		}
	}
}

func TestApprovalRedirectKeepsTheURL(t *testing.T) {
	e := newEnv(t)
	for raw, want := range map[string]*regexp.Regexp{
		"https://shop.example/return":        regexp.MustCompile(`^https://shop\.example/return\?pg_token=[0-9a-z]{20}$`),
		"https://shop.example/return?#top":   regexp.MustCompile(`^https://shop\.example/return\?pg_token=[0-9a-z]{20}#top$`),
		"https://shop.example/r?a=1&b=%20#x": regexp.MustCompile(`^https://shop\.example/r\?a=1&b=%20&pg_token=[0-9a-z]{20}#x$`),
	} {
		req := newReady(1000)
		req.ApprovalURL = raw
		res := e.ready(req)
		r, _ := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), http.Header{"X-Sandbox-Auto": {"approve"}})
		if loc := r.Header.Get("Location"); !want.MatchString(loc) {
			t.Errorf("approval_url %q: redirected to %q", raw, loc)
		}
	}
}

func TestWalletWithoutKakaoTalkOpensNothing(t *testing.T) {
	e := newEnv(t)
	res := e.ready(newReady(11000))
	r, body := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), http.Header{"X-Sandbox-KakaoTalk": {"absent"}})
	if r.StatusCode != http.StatusNoContent || body != "" {
		t.Fatalf("without KakaoTalk: %d %q", r.StatusCode, body)
	}
}

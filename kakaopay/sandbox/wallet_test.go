package sandbox_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
)

func TestWalletPage(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	res := e.ready(newReady(11000))
	r, body := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), nil)
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("wallet: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	base := res.str("next_redirect_mobile_url")
	for _, want := range []string{
		`<html lang="ko">`, `data-testid="wallet-amount">11,000원<`, `data-testid="wallet-approve"`,
		`data-testid="wallet-cancel"`, `data-testid="wallet-fail"`, "SANDBOX", "결제하기", "#FEE500",
		`"Apple SD Gothic Neo"`, `"Malgun Gothic"`, `"Noto Sans KR"`,
		`<form method="post" action="` + base + `/approve">`, `action="` + base + `/cancel"`, `action="` + base + `/fail"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	policy := r.Header.Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(policy)
	if nonce == nil || !strings.Contains(body, `<style nonce="`+nonce[1]+`">`) || strings.Contains(policy, "unsafe-inline") ||
		!strings.Contains(policy, "default-src 'none'") || !strings.Contains(policy, "form-action 'self' http: https:") {
		t.Errorf("CSP %q does not cover the page", policy)
	}

	r, _ = e.page(http.MethodGet, res.str("next_redirect_pc_url"), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("pc wallet: %d", r.StatusCode)
	}
	if got := e.orderStatus(oneTimeCID, res.str("tid")); got != "OPEN_PAYMENT" {
		t.Errorf("pc view must not move OPEN_PAYMENT back, got %s", got)
	}
	pc := e.ready(newReady(11000))
	e.page(http.MethodGet, pc.str("next_redirect_pc_url"), nil)
	if got := e.orderStatus(oneTimeCID, pc.str("tid")); got != "SEND_TMS" {
		t.Errorf("status after the pc view = %s, want SEND_TMS", got)
	}
}

func TestWalletEscapesItemName(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	req := newReady(1000)
	req.ItemName = `<script>alert("x")</script> & 커피`
	res := e.ready(req)
	_, body := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), nil)
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("item name not escaped:\n%s", body)
	}
}

func TestWalletUnknownTID(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	for _, u := range []string{"/wallet/T0000000000000000000", "/wallet/%3Cb%3E"} {
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
	e := newEnv(t, sandbox.Options{})
	for _, c := range []struct{ action, status, location string }{
		{"cancel", "QUIT_PAYMENT", "https://shop.example/c/cs_1/return/cancel"},
		{"fail", "FAIL_PAYMENT", "https://shop.example/c/cs_1/return/fail"},
	} {
		res := e.ready(newReady(1000))
		r, _ := e.page(http.MethodPost, res.str("next_redirect_mobile_url")+"/"+c.action, nil)
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
		r, body := e.page(http.MethodPost, res.str("next_redirect_mobile_url")+"/"+action, nil)
		if r.StatusCode != http.StatusConflict || r.Header.Get("Location") != "" || !strings.Contains(body, "이미 처리된") {
			t.Errorf("second %s: %d %q", action, r.StatusCode, r.Header.Get("Location"))
		}
	}
}

func TestSandboxAutoHeader(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
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
}

func TestApprovalRedirectKeepsTheURL(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
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
	e := newEnv(t, sandbox.Options{})
	res := e.ready(newReady(11000))
	r, body := e.page(http.MethodGet, res.str("next_redirect_mobile_url"), http.Header{"X-Sandbox-KakaoTalk": {"absent"}})
	if r.StatusCode != http.StatusNoContent || body != "" {
		t.Fatalf("without KakaoTalk: %d %q", r.StatusCode, body)
	}
}

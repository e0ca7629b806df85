package sandbox_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
)

func TestReadyWalletApprove(t *testing.T) {
	e := newEnv(t)
	req := newReady(11000)
	req.Unknown = "ignored"
	res := e.ready(req)

	tid := res.str("tid")
	if !regexp.MustCompile(`^T[0-9a-f]{19}$`).MatchString(tid) {
		t.Fatalf("tid = %q, want T + 19 lower-case hex digits", tid)
	}
	wallet := e.srv.URL + "/wallet/" + tid
	mobile := wallet + "/mInfo"
	if res.str("next_redirect_mobile_url") != mobile || res.str("next_redirect_app_url") != wallet+"/aInfo" ||
		res.str("next_redirect_pc_url") != wallet+"/info" {
		t.Errorf("redirect URLs = %v", res)
	}
	scheme := "kakaotalk://kakaopay/pg?url=" + wallet + "/aInfo" // not percent-encoded, as KakaoPay's
	if res.str("android_app_scheme") != scheme || res.str("ios_app_scheme") != scheme {
		t.Errorf("app schemes = %q, %q", res.str("android_app_scheme"), res.str("ios_app_scheme"))
	}
	if tms, ok := res.get("tms_result").(bool); !ok || tms {
		t.Errorf("tms_result = %v, want false", res.get("tms_result"))
	}
	if got := res.str("created_at"); got != "2025-03-01T12:04:05" {
		t.Errorf("created_at = %q, want Korea time without zone", got)
	}
	if got := e.orderStatus(oneTimeCID, tid); got != "READY" {
		t.Errorf("status after ready = %s", got)
	}

	r, _ := e.page(http.MethodGet, mobile, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("wallet: %d", r.StatusCode)
	}
	if got := e.orderStatus(oneTimeCID, tid); got != "OPEN_PAYMENT" {
		t.Errorf("status after opening the wallet = %s", got)
	}
	r, _ = e.page(http.MethodPost, wallet+"/approve", nil)
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, approvalURL+"&pg_token=") {
		t.Fatalf("wallet approve: %d Location %q", r.StatusCode, loc)
	}
	u, _ := url.Parse(loc)
	token := u.Query().Get("pg_token")
	if len(token) != 20 || u.Query().Get("src") != "kp" {
		t.Fatalf("redirect %q: want the merchant's query kept and a 20-character pg_token", loc)
	}
	if got := e.orderStatus(oneTimeCID, tid); got != "AUTH_PASSWORD" {
		t.Errorf("status after wallet approval = %s", got)
	}

	status, ans := e.post("approve", approveFor(req, tid, token))
	if status != http.StatusOK {
		t.Fatalf("approve: %d %v", status, ans)
	}
	aid := ans.str("aid")
	if len(aid) != 20 || aid[0] != 'A' || ans.str("tid") != tid || ans.str("cid") != oneTimeCID ||
		ans.str("partner_order_id") != "cs_1" || ans.str("partner_user_id") != "user_1" ||
		ans.str("payment_method_type") != "MONEY" || ans.str("item_name") != "커피 세트" || ans.num("quantity") != 1 ||
		ans.str("created_at") != "2025-03-01T12:04:05" || ans.str("approved_at") == "" || ans.get("sid") != nil || ans.get("card_info") != nil {
		t.Errorf("approve answer = %v", ans)
	}
	for path, want := range map[string]int{"amount.total": 11000, "amount.tax_free": 0, "amount.vat": 1000,
		"amount.point": 0, "amount.discount": 0, "amount.green_deposit": 0} {
		if ans.get(path) == nil || ans.num(path) != want {
			t.Errorf("%s = %v, want %d", path, ans.get(path), want)
		}
	}

	_, ord := e.post("order", orderReq{CID: oneTimeCID, TID: tid})
	details, _ := ord.get("payment_action_details").([]any)
	if ord.str("status") != "SUCCESS_PAYMENT" || ord.num("cancel_available_amount.total") != 11000 || len(details) != 1 ||
		obj(details[0].(map[string]any)).str("payment_action_type") != "PAYMENT" || ord.str("payment_method_type") != "MONEY" {
		t.Errorf("order after approve = %v", ord)
	}
	if p, ok := e.sb.Payment(tid); !ok || p.Status != "SUCCESS_PAYMENT" || p.TotalAmount != 11000 || p.CanceledAmount != 0 {
		t.Errorf("Payment = %+v, %v", p, ok)
	}
	for name, want := range map[string]int{"ready": 1, "approve": 1, "order": 4, "cancel": 0} {
		if got := e.sb.Calls(name); got != want {
			t.Errorf("Calls(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestApproveRefusals(t *testing.T) {
	e := newEnv(t)
	req := newReady(10000)

	t.Run("before the wallet approved", func(t *testing.T) {
		res := e.ready(req)
		status, ans := e.post("approve", approveFor(req, res.str("tid"), "abcdefghij0123456789"))
		wantError(t, status, ans, http.StatusBadRequest, -701)
		e.page(http.MethodGet, res.str("next_redirect_mobile_url"), nil)
		status, ans = e.post("approve", approveFor(req, res.str("tid"), "abcdefghij0123456789"))
		wantError(t, status, ans, http.StatusBadRequest, -701)
	})
	t.Run("pg_token is single-use", func(t *testing.T) {
		res := e.ready(req)
		token := e.approveInWallet(res)
		a := approveFor(req, res.str("tid"), token)
		if status, ans := e.post("approve", a); status != http.StatusOK {
			t.Fatalf("first approve: %d %v", status, ans)
		}
		status, ans := e.post("approve", a)
		wantError(t, status, ans, http.StatusBadRequest, -702)
	})
	t.Run("wrong pg_token", func(t *testing.T) {
		res := e.ready(req)
		e.approveInWallet(res)
		status, ans := e.post("approve", approveFor(req, res.str("tid"), "wrongtoken0123456789"))
		wantError(t, status, ans, http.StatusBadRequest, -703)
	})
	t.Run("wrong partner_order_id, then the right one", func(t *testing.T) {
		res := e.ready(req)
		a := approveFor(req, res.str("tid"), e.approveInWallet(res))
		a.PartnerOrderID = "cs_other"
		status, ans := e.post("approve", a)
		wantError(t, status, ans, http.StatusBadRequest, -706)
		a.PartnerOrderID = req.PartnerOrderID
		if status, ans := e.post("approve", a); status != http.StatusOK {
			t.Fatalf("approve with the right id: %d %v", status, ans)
		}
	})
	t.Run("total_amount mismatch, then equal", func(t *testing.T) {
		res := e.ready(req)
		a := approveFor(req, res.str("tid"), e.approveInWallet(res))
		a.TotalAmount = ptr(9000)
		status, ans := e.post("approve", a)
		wantError(t, status, ans, http.StatusBadRequest, -706)
		a.TotalAmount = ptr(10000)
		if status, ans := e.post("approve", a); status != http.StatusOK {
			t.Fatalf("approve with the right total: %d %v", status, ans)
		}
	})
	t.Run("unknown tid or another cid's tid", func(t *testing.T) {
		status, ans := e.post("approve", approveFor(req, "T0000000000000000000", "x"))
		wantError(t, status, ans, http.StatusBadRequest, -721)
		res := e.ready(req)
		a := approveFor(req, res.str("tid"), e.approveInWallet(res))
		a.CID = "TC0OTHERCD"
		status, ans = e.post("approve", a)
		wantError(t, status, ans, http.StatusBadRequest, -721)
	})
}

func TestTIDExpires(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{TIDTTL: 10 * time.Minute})
	req := newReady(10000)
	approved := e.ready(req)
	token := e.approveInWallet(approved)
	untouched := e.ready(req)

	e.clock.Add(10 * time.Minute)
	status, ans := e.post("approve", approveFor(req, approved.str("tid"), token))
	wantError(t, status, ans, http.StatusBadRequest, -708)

	r, body := e.page(http.MethodGet, untouched.str("next_redirect_mobile_url"), nil)
	if r.StatusCode != http.StatusGone || !strings.Contains(body, "결제 요청 시간이 지났습니다") {
		t.Errorf("expired wallet: %d %s", r.StatusCode, body)
	}
	// KakaoPay keeps answering the last status of an expired tid.
	if got := e.orderStatus(oneTimeCID, untouched.str("tid")); got != "READY" {
		t.Errorf("order of an expired tid = %s, want READY", got)
	}
	if got := e.orderStatus(oneTimeCID, approved.str("tid")); got != "AUTH_PASSWORD" {
		t.Errorf("order of an expired approved-in-wallet tid = %s", got)
	}
}

func TestApproveFailsFor4444(t *testing.T) {
	e := newEnv(t)
	req := newReady(4444)
	res := e.ready(req)
	status, ans := e.post("approve", approveFor(req, res.str("tid"), e.approveInWallet(res)))
	wantError(t, status, ans, http.StatusBadRequest, -780)
	if ans.str("extras.method_result_code") != "INSUFFICIENT_BALANCE" || ans.str("extras.method_result_message") == "" {
		t.Errorf("extras = %v", ans.get("extras"))
	}
	if got := e.orderStatus(oneTimeCID, res.str("tid")); got != "FAIL_PAYMENT" {
		t.Errorf("status = %s, want FAIL_PAYMENT", got)
	}
}

func TestReadyRefusedFor6666(t *testing.T) {
	e := newEnv(t)
	status, ans := e.post("ready", newReady(6666))
	wantError(t, status, ans, http.StatusBadRequest, -799)
	if e.sb.Calls("ready") != 1 {
		t.Errorf("Calls(ready) = %d", e.sb.Calls("ready"))
	}
}

func TestApproveHangsFor5555(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{ApproveDelay: 300 * time.Millisecond})
	req := newReady(5555)

	t.Run("the client gives up, the payment completes", func(t *testing.T) {
		res := e.ready(req)
		tid := res.str("tid")
		body := approveFor(req, tid, e.approveInWallet(res))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		r, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/online/v1/payment/approve", jsonBody(t, body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "SECRET_KEY "+testKey)
		if res, err := http.DefaultClient.Do(r); err == nil {
			res.Body.Close()
			t.Fatalf("approve answered %d before the delay", res.StatusCode)
		}
		if got := e.orderStatus(oneTimeCID, tid); got != "AUTH_PASSWORD" {
			t.Errorf("status during the delay = %s", got)
		}
		deadline := time.Now().Add(5 * time.Second)
		for e.orderStatus(oneTimeCID, tid) != "SUCCESS_PAYMENT" {
			if time.Now().After(deadline) {
				t.Fatal("payment never completed")
			}
			time.Sleep(20 * time.Millisecond)
		}
		status, ans := e.post("approve", body)
		wantError(t, status, ans, http.StatusBadRequest, -702)
	})
	t.Run("a patient client gets the approval", func(t *testing.T) {
		res := e.ready(req)
		start := time.Now()
		status, ans := e.post("approve", approveFor(req, res.str("tid"), e.approveInWallet(res)))
		if status != http.StatusOK || ans.num("amount.total") != 5555 || time.Since(start) < 300*time.Millisecond {
			t.Fatalf("approve: %d %v after %s", status, ans, time.Since(start))
		}
	})
}

func TestCardWhenAmountEndsIn7(t *testing.T) {
	e := newEnv(t)
	ans := e.pay(newReady(10007))
	if ans.str("payment_method_type") != "CARD" || ans.str("card_info.install_month") != "00" ||
		ans.str("card_info.bin") == "" || ans.str("card_info.approved_id") == "" || ans.str("card_info.issuer_corp") == "" {
		t.Errorf("approve = %v", ans)
	}
	_, ord := e.post("order", orderReq{CID: oneTimeCID, TID: ans.str("tid")})
	if ord.str("selected_card_info.card_bin") == "" {
		t.Errorf("order selected_card_info = %v", ord.get("selected_card_info"))
	}
}

func TestConcurrentApprovesSucceedOnce(t *testing.T) {
	e := newEnv(t)
	req := newReady(10000)
	res := e.ready(req)
	body := approveFor(req, res.str("tid"), e.approveInWallet(res))

	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 20 {
		wg.Go(func() {
			r, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/online/v1/payment/approve", jsonBody(t, body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "SECRET_KEY "+testKey)
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d approves succeeded, want exactly 1", ok)
	}
}

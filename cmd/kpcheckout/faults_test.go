package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// apiKey calls the merchant API of the server at addr with an Idempotency-Key (none when
// key is ""); a connection the server drops answers 0.
func (r *crashRig) apiAt(addr, key, method, path, body string, out any) int {
	r.t.Helper()
	return callAPI(addr, r.key, key, method, path, body, out)
}

// callAPI calls the merchant API of the server at addr with apiKey (and an Idempotency-Key
// unless idemKey is "") and decodes the answer into out; a dropped connection answers 0.
func callAPI(addr, apiKey, idemKey, method, path, body string, out any) int {
	req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	if out != nil {
		decodeJSON(res.Body, out)
	}
	return res.StatusCode
}

// startAnother runs a second server process on the same database and returns its address.
func (r *crashRig) startAnother() string {
	r.t.Helper()
	addr := freeAddr(r.t)
	p := exec.Command(r.bin, r.serveArgs()...)
	p.Env = append(os.Environ(), "KPCHECKOUT_ADDR="+addr, "KPCHECKOUT_DATABASE_URL=sqlite:"+r.db,
		"KPCHECKOUT_KAKAOPAY_SECRET_KEY=crash-secret", "KPCHECKOUT_WEBHOOK_ALLOW_PRIVATE=true", "KPCHECKOUT_KAKAOPAY_API_BASE="+r.kakaoBase())
	if err := p.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { p.Process.Kill(); p.Wait() })
	if !waitReady(r.t, addr) {
		r.t.Fatal("the second server did not start")
	}
	return addr
}

// subscribe pays a subscription checkout and returns its id and agreement.
func (r *crashRig) subscribe() (string, string) {
	r.t.Helper()
	var c struct {
		ID        string  `json:"id"`
		Agreement *string `json:"agreement"`
	}
	if code := r.api("POST", "/v1/checkouts", `{"amount":9900,"mode":"subscription","success_url":"http://127.0.0.1/ok","failure_url":"http://127.0.0.1/no"}`, &c); code != 201 {
		r.t.Fatalf("create: %d", code)
	}
	r.returnTo(approveInWallet(r.t, r.addr, c.ID))
	r.api("GET", "/v1/checkouts/"+c.ID, "", &c)
	if c.Agreement == nil {
		r.t.Fatalf("no agreement: %+v", c)
	}
	return c.ID, *c.Agreement
}

// pay pays an amount-won checkout and returns its id and payment.
func (r *crashRig) pay(amount int) (string, string) {
	r.t.Helper()
	var c crashCheckout
	r.api("POST", "/v1/checkouts", fmt.Sprintf(`{"amount":%d,"success_url":"http://127.0.0.1/ok","failure_url":"http://127.0.0.1/no"}`, amount), &c)
	r.returnTo(approveInWallet(r.t, r.addr, c.ID))
	r.api("GET", "/v1/checkouts/"+c.ID, "", &c)
	if c.Payment == nil {
		r.t.Fatalf("not paid: %+v", c)
	}
	return c.ID, c.Payment.ID
}

// returnTo follows KakaoPay's return to us, as the shopper's browser does.
func (r *crashRig) returnTo(url string) {
	r.t.Helper()
	res, err := noRedirects().Get(url)
	if err != nil {
		r.t.Fatal(err)
	}
	res.Body.Close()
}

// waitStatus waits until the object at path (a refund, a charge) has the status want.
func (r *crashRig) waitStatus(what, path, want string) {
	r.t.Helper()
	r.waitFor(what, func() bool {
		var got moneyObj
		r.api("GET", path, "", &got)
		return got.Status == want
	})
}

type moneyObj struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func TestCrashDuringAChargeThenRetryWithTheSameKey(t *testing.T) {
	r := newCrashRig(t)
	r.start("")
	checkoutID, agr := r.subscribe()
	body := `{"amount":3000,"reference":"2026-12"}`
	r.crashDuring("charge.after_kakaopay", "charge-dec", "POST", "/v1/agreements/"+agr+"/charges", body)
	var ch moneyObj
	if code := r.apiAt(r.addr, "charge-dec", "POST", "/v1/agreements/"+agr+"/charges", body, &ch); code != http.StatusAccepted || !strings.HasPrefix(ch.ID, "ch_") {
		t.Fatalf("retry after the crash: %d %+v", code, ch)
	}
	r.waitStatus("the charge held as unknown", "/v1/charges/"+ch.ID, "unknown")
	var again moneyObj
	if code := r.apiAt(r.addr, "charge-dec", "POST", "/v1/agreements/"+agr+"/charges", body, &again); code != http.StatusAccepted || again.ID != ch.ID || again.Status != "unknown" {
		t.Errorf("second retry: %d %+v", code, again)
	}
	var list struct {
		Data []moneyObj `json:"data"`
	}
	r.api("GET", "/v1/charges?status=unknown", "", &list)
	if len(list.Data) != 1 || list.Data[0].ID != ch.ID {
		t.Errorf("unknown charges listed: %+v", list)
	}
	r.checkOnce(checkoutID, "subscription", "charge.unknown")
}

func TestCrashDuringARefundThenRetryWithTheSameKey(t *testing.T) {
	r := newCrashRig(t)
	r.start("")
	checkoutID, pay := r.pay(11000)
	r.crashDuring("refund.after_cancel", "refund-1", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`)
	var ref moneyObj
	if code := r.apiAt(r.addr, "refund-1", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`, &ref); code/100 != 2 || !strings.HasPrefix(ref.ID, "re_") {
		t.Fatalf("retry after the crash: %d %+v", code, ref)
	}
	r.waitStatus("the refund settled", "/v1/refunds/"+ref.ID, "succeeded")
	var again moneyObj
	if code := r.apiAt(r.addr, "refund-1", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`, &again); code != 201 || again.ID != ref.ID {
		t.Errorf("retry once settled: %d %+v", code, again)
	}
	var p struct {
		RefundedAmount int64      `json:"refunded_amount"`
		Refunds        []moneyObj `json:"refunds"`
	}
	r.api("GET", "/v1/payments/"+pay, "", &p)
	if p.RefundedAmount != 1000 || len(p.Refunds) != 1 {
		t.Errorf("payment after retries: %+v", p)
	}
	r.checkOnce(checkoutID, "cancel", "refund.succeeded")
}

func TestCrashDuringADeactivateThenRetry(t *testing.T) {
	r := newCrashRig(t)
	r.start("")
	checkoutID, agr := r.subscribe()
	r.crashDuring("deactivate.after_kakaopay", "end-1", "POST", "/v1/agreements/"+agr+"/deactivate", "")
	var ag moneyObj
	if code := r.apiAt(r.addr, "end-1", "POST", "/v1/agreements/"+agr+"/deactivate", "", &ag); code != 200 || ag.Status != "inactive" {
		t.Fatalf("retry after the crash: %d %+v", code, ag)
	}
	if code := r.api("POST", "/v1/agreements/"+agr+"/charges", `{"amount":3000}`, nil); code != http.StatusConflict {
		t.Errorf("charging the ended agreement: %d", code)
	}
	r.checkOnce(checkoutID, "inactive", "agreement.deactivated")
}

func TestCrashAfterKakaoPayApprovedASubscriptionKeepsItsAgreement(t *testing.T) {
	r := newCrashRig(t)
	r.start("approve.after_kakaopay")
	var c struct {
		ID        string  `json:"id"`
		Status    string  `json:"status"`
		Agreement *string `json:"agreement"`
	}
	r.api("POST", "/v1/checkouts", `{"amount":9900,"mode":"subscription","success_url":"http://127.0.0.1/ok","failure_url":"http://127.0.0.1/no"}`, &c)
	r.returnAndDie(c.ID)
	r.start("")
	r.waitFor("the reconciler settling the subscription", func() bool {
		r.api("GET", "/v1/checkouts/"+c.ID, "", &c)
		return c.Status == "paid"
	})
	if c.Agreement == nil {
		t.Fatalf("paid without its agreement: %+v", c)
	}
	r.checkOnce(c.ID, "approve", "agreement.activated")
}

func TestLostAnswersThroughAFlakyNetwork(t *testing.T) {
	r := newCrashRig(t)
	r.start("")
	_, pay := r.pay(11000)
	_, agr := r.subscribe()

	// KakaoPay refunds, then the connection drops before its answer reaches us.
	r.proxy.set("cancel", fault{kind: faultDrop}, 1)
	var ref, again moneyObj
	if code := r.apiAt(r.addr, "r-drop", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":2000}`, &ref); code != http.StatusAccepted {
		t.Fatalf("refund with a dropped answer: %d %+v", code, ref)
	}
	if code := r.apiAt(r.addr, "r-drop", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":2000}`, &again); code/100 != 2 || again.ID != ref.ID {
		t.Errorf("retry: %d %+v", code, again)
	}
	r.waitStatus("the dropped refund settled", "/v1/refunds/"+ref.ID, "succeeded")

	// KakaoPay charges, then a proxy answers 500 in its place.
	r.proxy.set("subscription", fault{kind: faultFail500After}, 1)
	var ch moneyObj
	if code := r.apiAt(r.addr, "c-500", "POST", "/v1/agreements/"+agr+"/charges", `{"amount":3000}`, &ch); code != http.StatusAccepted || ch.Status != "unknown" {
		t.Fatalf("charge answered 500: %d %+v", code, ch)
	}
	if code := r.apiAt(r.addr, "c-500", "POST", "/v1/agreements/"+agr+"/charges", `{"amount":3000}`, &again); code != http.StatusAccepted || again.ID != ch.ID {
		t.Errorf("retry: %d %+v", code, again)
	}

	// KakaoPay ends the sid, then the connection drops.
	r.proxy.set("manage/subscription/inactive", fault{kind: faultDrop}, 1)
	if code := r.apiAt(r.addr, "d-drop", "POST", "/v1/agreements/"+agr+"/deactivate", "", &again); code != 200 || again.Status != "inactive" {
		t.Errorf("deactivate with a dropped answer: %d %+v", code, again)
	}

	// A slow KakaoPay (longer than our 1 s timeout) on a refund: one cancel, settled once. The
	// delay stays shorter than --settle-after (1.5 s): a cancel that reaches KakaoPay only after
	// the refund is settled is settled as not carried out, which a busy machine must not make
	// this test see.
	r.proxy.set("cancel", fault{kind: faultDelay, delay: 1200 * time.Millisecond}, 1)
	if code := r.apiAt(r.addr, "r-slow", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":3000}`, &ref); code != http.StatusAccepted {
		t.Fatalf("slow refund: %d %+v", code, ref)
	}
	r.waitStatus("the slow refund settled", "/v1/refunds/"+ref.ID, "succeeded")

	var p struct {
		RefundedAmount int64 `json:"refunded_amount"`
	}
	r.api("GET", "/v1/payments/"+pay, "", &p)
	if p.RefundedAmount != 5000 {
		t.Errorf("refunded %d, want 5000", p.RefundedAmount)
	}
	for endpoint, want := range map[string]int{"cancel": 2, "subscription": 1, "inactive": 1} {
		if n := r.sb.Calls(endpoint); n != want {
			t.Errorf("%d %s calls at KakaoPay, want %d", n, endpoint, want)
		}
	}
}

func TestTwoProcessesRefundConcurrentlyAsOne(t *testing.T) {
	r := newCrashRig(t)
	r.start("")
	second := r.startAnother()
	_, pay := r.pay(11000)
	addrs := []string{r.addr, second}
	codes := make([]int, 20)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i] = r.apiAt(addrs[i%2], fmt.Sprintf("two-%d", i), "POST", "/v1/payments/"+pay+"/refunds", `{"amount":1000}`, nil)
		}()
	}
	close(start)
	wg.Wait()
	ok, refused := 0, 0
	for _, c := range codes {
		switch {
		case c == http.StatusCreated:
			ok++
		case c == http.StatusBadRequest || c == http.StatusConflict:
			refused++
		default:
			t.Errorf("a refund answered %d", c)
		}
	}
	if ok != 11 || refused != 9 {
		t.Errorf("%d refunds succeeded and %d were refused (%v), want 11 and 9", ok, refused, codes)
	}
	var p struct {
		RefundedAmount int64 `json:"refunded_amount"`
	}
	r.api("GET", "/v1/payments/"+pay, "", &p)
	if p.RefundedAmount != 11000 {
		t.Errorf("refunded %d", p.RefundedAmount)
	}
	if n := r.sb.Calls("cancel"); n != 11 {
		t.Errorf("%d cancel calls at KakaoPay, want 11", n)
	}
}

// TestCrashBeforeAKeysAnswerIsStoredThenRetry kills the server after a keyed create committed
// its object and before the key's answer was stored: the retry must answer that object, at
// once, and never make a second one.
func TestCrashBeforeAKeysAnswerIsStoredThenRetry(t *testing.T) {
	r := newCrashRig(t)
	urls := `"success_url":"http://127.0.0.1/ok","failure_url":"http://127.0.0.1/no"`
	creates := []struct{ key, path, body string }{
		{"create-checkout", "/v1/checkouts", `{"amount":11000,` + urls + `}`},
		{"create-endpoint", "/v1/webhook_endpoints", `{"url":"http://127.0.0.1:9/hooks","enabled_events":["charge.failed"]}`},
		{"create-link", "/v1/links", `{"amount":5000,"description":"원두 200g",` + urls + `}`},
	}
	for _, c := range creates {
		r.start("idempotency.before_complete")
		if code := r.apiAt(r.addr, c.key, "POST", c.path, c.body, nil); code != 0 {
			t.Fatalf("%s answered %d; the server should have died", c.path, code)
		}
		r.killedAt("idempotency.before_complete")
	}
	r.start("")
	for _, c := range creates {
		var got struct {
			ID     string `json:"id"`
			Secret string `json:"secret"`
		}
		code := r.apiAt(r.addr, c.key, "POST", c.path, c.body, &got)
		var list struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		r.api("GET", c.path, "", &list)
		if code != http.StatusCreated || got.ID == "" || len(list.Data) != 1 || list.Data[0].ID != got.ID {
			t.Errorf("retry of %s after the crash: %d %q; stored %+v", c.path, code, got.ID, list.Data)
		}
		if c.path == "/v1/webhook_endpoints" && !strings.HasPrefix(got.Secret, "whsec_") {
			t.Errorf("the endpoint's retried answer has no secret: %q", got.Secret)
		}
	}
}

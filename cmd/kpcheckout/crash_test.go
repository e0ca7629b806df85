package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/app/apptest"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
)

// crashRig runs the real kpcheckout binary, built with the test-only fault points, against a
// sandbox peer that outlives it (as KakaoPay outlives our process).
type crashRig struct {
	t      *testing.T
	bin    string
	db     string
	addr   string
	sb     *sandbox.Sandbox
	sbURL  string
	proxy  *faultProxy // between the server and the sandbox, as a flaky network
	key    string
	proc   *exec.Cmd
	exited chan error
	stderr *handlerstest.LogBuffer // written by the server process while the test reads it
}

func newCrashRig(t *testing.T) *crashRig {
	dir := t.TempDir()
	r := &crashRig{t: t, bin: filepath.Join(dir, "kpcheckout"), db: filepath.Join(dir, "crash.db")}
	build := exec.Command("go", "build", "-tags", "faultpoints", "-o", r.bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building with fault points: %v\n%s", err, out)
	}
	sbSrv := httptest.NewUnstartedServer(nil)
	r.sbURL = "http://" + sbSrv.Listener.Addr().String()
	var err error
	if r.sb, err = sandbox.New(sandbox.Options{BaseURL: r.sbURL, SecretKey: "crash-secret"}); err != nil {
		t.Fatal(err)
	}
	sbSrv.Config.Handler = r.sb
	sbSrv.Start()
	t.Cleanup(sbSrv.Close)
	r.proxy = newFaultProxy(t, r.sbURL)
	r.key = cliMerchant(t, "충돌 시험 상점", "sqlite:"+r.db)
	r.addr = freeAddr(t)
	t.Cleanup(func() {
		r.stop()
		apptest.CheckInvariants(t, r.db)
	})
	return r
}

// start runs the server; fault names the fault point that kills it, or "".
func (r *crashRig) start(fault string) {
	r.t.Helper()
	r.proc = exec.Command(r.bin, r.serveArgs()...)
	r.proc.Env = append(os.Environ(), "KPCHECKOUT_ADDR="+r.addr, "KPCHECKOUT_DATABASE_URL=sqlite:"+r.db,
		"KPCHECKOUT_KAKAOPAY_SECRET_KEY=crash-secret", "KPCHECKOUT_WEBHOOK_ALLOW_PRIVATE=true", "KPCHECKOUT_KAKAOPAY_API_BASE="+r.kakaoBase(), "KPCHECKOUT_FAULT="+fault)
	r.stderr = &handlerstest.LogBuffer{}
	r.proc.Stderr = r.stderr
	if err := r.proc.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.exited = make(chan error, 1)
	go func(p *exec.Cmd, ch chan error) { ch <- p.Wait() }(r.proc, r.exited)
	if !waitReady(r.t, r.addr) {
		r.t.Fatalf("server did not start: %s", r.stderr)
	}
}

// serveArgs are the server's flags: a fast reconciler, and KakaoPay calls that time out soon
// enough for the tests to see lost answers settled.
func (r *crashRig) serveArgs() []string {
	return []string{"serve", "--expiry-sweep", "200ms", "--settle-after", "1500ms", "--kakaopay-timeout", "1s"}
}

// kakaoBase is where the server reaches KakaoPay: the sandbox, through the fault proxy.
func (r *crashRig) kakaoBase() string { return r.proxy.URL() }

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitReady waits up to 10 s for the server at addr to answer /readyz.
func waitReady(t *testing.T, addr string) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func decodeJSON(r io.Reader, out any) { json.NewDecoder(r).Decode(out) }

// killedAt waits for the process to die of SIGKILL at the fault point.
func (r *crashRig) killedAt(point string) {
	r.t.Helper()
	select {
	case err := <-r.exited:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			r.t.Fatalf("server ended with %v, want SIGKILL", err)
		}
		if !strings.Contains(r.stderr.String(), "fault point reached: "+point) {
			r.t.Fatalf("the server did not reach %s:\n%s", point, r.stderr)
		}
		r.proc = nil
	case <-time.After(10 * time.Second):
		r.t.Fatal("the server did not die at the fault point")
	}
}

// crashDuring restarts the server to die at fault, makes the call that reaches it (with the
// Idempotency-Key key unless it is ""), checks that the server died there, and starts it
// again without faults.
func (r *crashRig) crashDuring(fault, key, method, path, body string) {
	r.t.Helper()
	r.stop()
	r.start(fault)
	if code := r.apiAt(r.addr, key, method, path, body, nil); code != 0 {
		r.t.Fatalf("%s %s answered %d; the server should have died at %s", method, path, code, fault)
	}
	r.killedAt(fault)
	r.start("")
}

// checkOnce checks that KakaoPay's endpoint was called once and the checkout has one event of
// type typ, whatever the crash and the retries did.
func (r *crashRig) checkOnce(checkoutID, endpoint, typ string) {
	r.t.Helper()
	if n := r.sb.Calls(endpoint); n != 1 {
		r.t.Errorf("%d %s calls at KakaoPay, want 1", n, endpoint)
	}
	if n := r.eventCount(checkoutID, typ); n != 1 {
		r.t.Errorf("%d %s events, want 1", n, typ)
	}
}

func (r *crashRig) stop() {
	if r.proc != nil {
		r.proc.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(10 * time.Second):
			r.proc.Process.Kill()
		}
		r.proc = nil
	}
}

// api calls the merchant API; a connection the server drops answers 0.
func (r *crashRig) api(method, path, body string, out any) int {
	r.t.Helper()
	return callAPI(r.addr, r.key, "", method, path, body, out)
}

// eventCount counts a checkout's events of one type.
func (r *crashRig) eventCount(checkoutID, typ string) int {
	var list struct {
		Data []json.RawMessage `json:"data"`
	}
	r.api("GET", "/v1/events?limit=100&checkout="+checkoutID+"&type="+typ, "", &list)
	return len(list.Data)
}

// waitFor polls cond until it holds or 20 s pass.
func (r *crashRig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("%s never happened:\n%s", what, r.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var walletLink = regexp.MustCompile(`href="([^"]+)"[^>]*data-testid="open-kakaotalk"`)

// approveInWallet starts a phone attempt on the server at addr and approves it in the sandbox
// wallet; it returns the approval URL KakaoPay sends the phone back to.
func approveInWallet(t *testing.T, addr, checkoutID string) string {
	t.Helper()
	phone := &http.Client{Transport: phoneUA{}}
	res, err := phone.PostForm("http://"+addr+"/c/"+checkoutID+"/pay", map[string][]string{"device": {"mobile"}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("pay: %v %v", err, res)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := walletLink.FindSubmatch(body)
	if m == nil {
		t.Fatal("no wallet link on the page")
	}
	req, _ := http.NewRequest("GET", strings.ReplaceAll(string(m[1]), "&amp;", "&"), nil)
	req.Header.Set("X-Sandbox-Auto", "approve")
	res, err = noRedirects().Do(req)
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("wallet: %v %v", err, res)
	}
	res.Body.Close()
	return res.Header.Get("Location")
}

// returnAndDie approves a checkout in the wallet and sends the shopper back to a server started
// at approve.after_kakaopay, which dies there; it returns the approval URL.
func (r *crashRig) returnAndDie(checkoutID string) string {
	r.t.Helper()
	approveURL := approveInWallet(r.t, r.addr, checkoutID)
	if res, err := http.Get(approveURL); err == nil {
		res.Body.Close()
		r.t.Fatalf("the approval return answered %d; the server should have died", res.StatusCode)
	}
	r.killedAt("approve.after_kakaopay")
	return approveURL
}

type crashCheckout struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Payment *struct {
		ID             string `json:"id"`
		RefundedAmount int64  `json:"refunded_amount"`
	} `json:"payment"`
}

func TestCrashAfterKakaoPayApprovedPaysOnce(t *testing.T) {
	r := newCrashRig(t)
	r.start("approve.after_kakaopay")
	var c crashCheckout
	if code := r.api("POST", "/v1/checkouts", `{"amount":11000,"success_url":"http://127.0.0.1/ok","failure_url":"http://127.0.0.1/no"}`, &c); code != 201 {
		t.Fatalf("create: %d", code)
	}
	approveURL := r.returnAndDie(c.ID)
	r.start("")
	r.waitFor("the reconciler settling the payment", func() bool {
		r.api("GET", "/v1/checkouts/"+c.ID, "", &c)
		return c.Status == "paid"
	})
	if n := r.eventCount(c.ID, "checkout.paid"); n != 1 {
		t.Errorf("%d checkout.paid events", n)
	}
	if n := r.sb.Calls("approve"); n != 1 {
		t.Errorf("%d approve calls at KakaoPay", n)
	}
	// The shopper's return, retried after the restart, lands on the success page: no second payment.
	noRedirect := noRedirects()
	res, err := noRedirect.Get(approveURL)
	if err != nil || res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "http://127.0.0.1/ok") {
		t.Errorf("retried return: %v %v", err, res)
	}
}

func TestCrashInTheMiddleOfARefundRefundsOnce(t *testing.T) {
	r := newCrashRig(t)
	r.start("")
	checkoutID, pay := r.pay(11000)
	r.crashDuring("refund.after_cancel", "", "POST", "/v1/payments/"+pay+"/refunds", `{"amount":4000}`)
	var p struct {
		RefundedAmount int64 `json:"refunded_amount"`
		Refunds        []struct {
			Status string `json:"status"`
		} `json:"refunds"`
	}
	r.waitFor("the reconciler settling the refund", func() bool {
		r.api("GET", "/v1/payments/"+pay, "", &p)
		return len(p.Refunds) == 1 && p.Refunds[0].Status == "succeeded"
	})
	if p.RefundedAmount != 4000 {
		t.Errorf("refunded %d, want 4000", p.RefundedAmount)
	}
	r.checkOnce(checkoutID, "cancel", "refund.succeeded")
	// What is left can still be refunded, and only that.
	if code := r.api("POST", "/v1/payments/"+pay+"/refunds", `{"amount":8000}`, nil); code != 400 {
		t.Errorf("refund above what is left after the crash: %d", code)
	}
	if code := r.api("POST", "/v1/payments/"+pay+"/refunds", `{}`, nil); code != 201 {
		t.Errorf("refund of the rest: %d", code)
	}
}

// phoneUA sends requests as an iPhone's browser.
type phoneUA struct{}

func (phoneUA) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
	return http.DefaultTransport.RoundTrip(req)
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestCheckoutPayAndEvents: `checkout pay` acts in the sandbox's wallet as the shopper would, and
// `events` lists what came of it, with --follow printing a new event as it comes.
func TestCheckoutPayAndEvents(t *testing.T) {
	srv := startServe(t)
	vars := env(map[string]string{"KPCHECKOUT_URL": "http://" + srv.addr, "KPCHECKOUT_API_KEY": srv.key})
	id := srv.checkoutURL[strings.LastIndex(srv.checkoutURL, "/")+1:]
	ctx := t.Context()
	do := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, vars, &out, io.Discard)
		return out.String(), err
	}
	if out, err := do("checkout", "pay", id, "--cancel"); err != nil || !strings.Contains(out, id+" is open") {
		t.Fatalf("pay --cancel: %v %q", err, out)
	}
	if out, err := do("checkout", "pay", id, "--approve"); err != nil || !strings.Contains(out, id+" is paid: pay_") || !strings.Contains(out, "11,000 won") {
		t.Fatalf("pay --approve: %v %q", err, out)
	}
	if _, err := do("checkout", "pay", id, "--approve"); err == nil {
		t.Error("a paid checkout was paid again")
	}
	out, err := do("events", "--checkout", id)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.Contains(lines[len(lines)-1], "checkout.paid") || !strings.Contains(out, "attempt.canceled") {
		t.Errorf("events, oldest first:\n%s", out)
	}

	fctx, stop := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	ended := make(chan error, 1)
	go func() {
		ended <- run(fctx, []string{"events", "--follow", "--limit", "1"}, vars, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() || !strings.Contains(sc.Text(), "checkout.paid") {
		t.Fatalf("events --follow --limit 1 began with %q", sc.Text())
	}
	if out, err := do("trigger", "checkout.expired"); err != nil {
		t.Fatalf("trigger: %v %s", err, out)
	}
	for _, want := range []string{"checkout.created", "checkout.expired"} {
		if !sc.Scan() || !strings.Contains(sc.Text(), want) {
			t.Errorf("events --follow then printed %q, want %s", sc.Text(), want)
		}
	}
	stop()
	go io.Copy(io.Discard, pr)
	select {
	case err := <-ended:
		if err != nil {
			t.Errorf("events --follow ended with %v", err)
		}
	case <-time.After(time.Minute):
		t.Error("events --follow did not end at Ctrl-C")
	}
}

// TestAPICommandsRefuse: the API commands say in a sentence what they cannot do and why.
func TestAPICommandsRefuse(t *testing.T) {
	srv := startServe(t)
	u := "http://" + srv.addr
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"trigger", "checkout.paid", "--url", u, "--api-key", "sk_live_0123456789"}, "live key"},
		{[]string{"checkout", "pay", "cs_x", "--approve", "--url", u, "--api-key", "sk_live_0123456789"}, "live key"},
		{[]string{"trigger", "checkout.canceled", "--url", u, "--api-key", srv.key}, "no checkout is ever canceled"},
		{[]string{"trigger", "checkout.payed", "--url", u, "--api-key", srv.key}, `did you mean "checkout.paid"?`},
		{[]string{"trigger", "--url", u, "--api-key", srv.key}, "which event?"},
		{[]string{"trigger", "checkout.paid", "--url", u}, "--api-key is required"},
		{[]string{"trigger", "checkout.paid", "--url", u, "--api-key", "sk_test_wrong"}, "refused the API key"},
		{[]string{"checkout", "pay", "cs_x", "--url", u, "--api-key", srv.key}, "--approve, --cancel or --fail"},
		{[]string{"checkout", "pay", "cs_x", "--approve", "--fail", "--url", u, "--api-key", srv.key}, "one of"},
		{[]string{"checkout", "pay", "--approve", "--url", u, "--api-key", srv.key}, "which checkout?"},
		{[]string{"listen", "--url", u, "--api-key", srv.key}, "--forward-to is required"},
		{[]string{"listen", "--url", u, "--api-key", srv.key, "--forward-to", "localhost:4242"}, "http(s) URL"},
		{[]string{"listen", "--url", u, "--api-key", srv.key, "--forward-to", "http://localhost:4242", "--events", "checkout.payed"}, `did you mean "checkout.paid"?`},
		{[]string{"events", "--url", "http://127.0.0.1:1", "--api-key", srv.key}, "no answer from kpcheckout at http://127.0.0.1:1"},
		{[]string{"events", "--url", u, "--api-key", srv.key, "--limit", "0"}, "--limit"},
	} {
		err := run(t.Context(), tc.args, env(nil), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want it to say %s", tc.args, err, tc.want)
		}
	}
}

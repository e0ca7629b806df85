package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/webhook"
)

// delivery is one POST a receiver got.
type delivery struct {
	header http.Header
	body   []byte
	event  webhook.Payload
}

// hookReceiver is a merchant's webhook handler on an address of its own, which it can leave (as a
// laptop's server that is stopped) and take again.
type hookReceiver struct {
	t     *testing.T
	addr  string
	got   chan delivery
	mu    sync.Mutex
	srv   *http.Server
	serve sync.WaitGroup
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{t: t, got: make(chan delivery, 100)}
	r.up()
	t.Cleanup(r.down)
	return r
}

func (r *hookReceiver) url() string { return "http://" + r.addr + "/hooks" }

// up starts answering, on the address it had before if any.
func (r *hookReceiver) up() {
	addr := r.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev webhook.Payload
		json.Unmarshal(body, &ev)
		r.got <- delivery{header: req.Header.Clone(), body: body, event: ev}
		w.WriteHeader(http.StatusNoContent)
	})}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	r.serve.Go(func() { srv.Serve(ln) })
}

// down stops answering: connections are refused.
func (r *hookReceiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
		r.serve.Wait()
	}
}

// next is the next delivery of type typ, skipping others; each is verified with secret, both
// ways.
func (r *hookReceiver) next(typ, secret string) delivery {
	r.t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case d := <-r.got:
			if err := webhook.Verify(secret, d.header.Get(webhook.SignatureHeader), d.body, time.Minute); err != nil {
				r.t.Errorf("%s does not verify with the printed secret: %v", d.event.ID, err)
			}
			if err := verifyStandard(secret, d.header, d.body); err != nil {
				r.t.Errorf("%s: Standard Webhooks: %v", d.event.ID, err)
			}
			if d.event.Type == typ {
				return d
			}
		case <-deadline:
			r.t.Fatalf("no %s came", typ)
		}
	}
}

// verifyStandard checks the Standard Webhooks signature as its libraries do: HMAC-SHA256 keyed
// with the base64 after whsec_, over "id.timestamp.body".
func verifyStandard(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", h.Get("webhook-id"), h.Get("webhook-timestamp"), body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if sig == want {
			return nil
		}
	}
	return errors.New("no signature matches")
}

// listening is `kpcheckout listen` running as its own process.
type listening struct {
	t      *testing.T
	secret string
	lines  chan string
	seen   []string
}

var secretLine = regexp.MustCompile(`signing secret for this session is (whsec_\S+)`)

// startListen runs kpcheckout listen with args and waits for the secret it prints.
func startListen(t *testing.T, args ...string) *listening {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"listen"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	l := &listening{t: t, lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l.lines <- sc.Text()
		}
		close(l.lines)
	}()
	m := secretLine.FindStringSubmatch(l.waitFor("signing secret"))
	if m == nil {
		t.Fatalf("listen printed no secret; stderr: %s", stderr.String())
	}
	l.secret = m[1]
	return l
}

// waitFor reads what listen prints until a line that holds want, and answers it.
func (l *listening) waitFor(want string) string {
	l.t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				l.t.Fatalf("listen ended before printing %q; it printed:\n%s", want, strings.Join(l.seen, "\n"))
			}
			l.seen = append(l.seen, line)
			if strings.Contains(line, want) {
				return line
			}
		case <-deadline:
			l.t.Fatalf("listen did not print %q; it printed:\n%s", want, strings.Join(l.seen, "\n"))
		}
	}
}

// cliMerchant makes a merchant named name on the database at databaseURL with `kpcheckout
// merchant create` and answers its key, which stays the same across restarts (the demo
// merchant's does not).
func cliMerchant(t *testing.T, name, databaseURL string) string {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), []string{"merchant", "create", "--name", name}, env(map[string]string{"KPCHECKOUT_DATABASE_URL": databaseURL}), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Key string `json:"api_key"`
	}
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m.Key
}

// trigger runs `kpcheckout trigger` as its own process.
func trigger(t *testing.T, u, key, event string) string {
	t.Helper()
	out, err := exec.Command(binary(t), "trigger", event, "--url", u, "--api-key", key).CombinedOutput()
	if err != nil {
		t.Fatalf("trigger %s: %v: %s", event, err, out)
	}
	return string(out)
}

// listenRig is `kpcheckout listen` at work: a server on a new SQLite database with a merchant made
// by cliMerchant, a hookReceiver, and listen forwarding the merchant's events to it.
type listenRig struct {
	db, key, url string
	srv          *serving
	r            *hookReceiver
	l            *listening
}

// newListenRig starts a listenRig; flags are listen's beside --url, --api-key and --forward-to.
func newListenRig(t *testing.T, flags ...string) *listenRig {
	t.Helper()
	x := &listenRig{db: "sqlite:" + filepath.Join(t.TempDir(), "l.db")}
	x.key = cliMerchant(t, "리슨 상점", x.db)
	x.srv = startServeOn(t, x.db)
	x.url = "http://" + x.srv.addr
	x.r = newHookReceiver(t)
	x.l = startListen(t, append([]string{"--url", x.url, "--api-key", x.key, "--forward-to", x.r.url()}, flags...)...)
	return x
}

// TestListenForwardsTriggeredEvents: `kpcheckout listen` against a real server forwards the
// checkout.paid that `kpcheckout trigger checkout.paid` makes, signed with the secret it printed,
// and says what the hookReceiver answered.
func TestListenForwardsTriggeredEvents(t *testing.T) {
	x := newListenRig(t)
	r, l := x.r, x.l

	if out := trigger(t, x.url, x.key, "checkout.paid"); !strings.Contains(out, "Triggered checkout.paid") {
		t.Errorf("trigger printed %q", out)
	}
	d := r.next("checkout.paid", l.secret)
	var paid struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(d.event.Data.Object, &paid); err != nil || paid.Status != "paid" || d.event.Livemode {
		t.Errorf("checkout.paid carries %s (livemode %v)", d.event.Data.Object, d.event.Livemode)
	}
	if line := l.waitFor(d.event.ID); !strings.Contains(line, "checkout.paid") || !strings.Contains(line, "204 No Content") {
		t.Errorf("listen printed %q for it", line)
	}
}

// TestListenSurvivesRestartAndDownReceiver: listen goes on through a restart of the server
// (events made after it are forwarded) and a hookReceiver that does not answer (it says so, and the
// event reaches the hookReceiver once it answers again).
func TestListenSurvivesRestartAndDownReceiver(t *testing.T) {
	x := newListenRig(t, "--events", "checkout.expired,checkout.created")
	r, l := x.r, x.l

	if err := x.srv.stop(); err != nil {
		t.Fatal(err)
	}
	l.waitFor("no answer from kpcheckout")
	startServeEnv(t, map[string]string{"KPCHECKOUT_DATABASE_URL": x.db, "KPCHECKOUT_ADDR": x.srv.addr})
	trigger(t, x.url, x.key, "checkout.expired")
	l.waitFor("answers again")
	d := r.next("checkout.expired", l.secret)
	l.waitFor(d.event.ID)

	r.down()
	trigger(t, x.url, x.key, "checkout.expired")
	l.waitFor("does not answer")
	r.up()
	created := r.next("checkout.created", l.secret)
	expired := r.next("checkout.expired", l.secret)
	var c struct{ ID string }
	json.Unmarshal(expired.event.Data.Object, &c)
	if !strings.Contains(string(created.event.Data.Object), c.ID) {
		t.Errorf("after the hookReceiver came back: %s then %s, want the same checkout's", created.event.ID, expired.event.ID)
	}
	l.waitFor(expired.event.ID)
	t.Logf("listen printed:\n%s", strings.Join(l.seen, "\n"))
}

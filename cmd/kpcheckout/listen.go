package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/webhook"
)

// listenCommand serves `kpcheckout listen --forward-to URL [--events a,b]`: it makes a webhook
// secret for this session, then forwards each new event of the key's merchant to URL, signed
// with it as webhooks are, one line per event with the receiver's answer.
func listenCommand(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	fs.SetOutput(c.stdout)
	api := newAPIClient(fs, c.getenv)
	to := fs.String("forward-to", "", "where each event is POSTed, e.g. http://localhost:4242/hooks (required)")
	events := fs.String("events", "", "only these event types, comma-separated (default: all)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long the receiver may take to answer one event")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := api.ready(); err != nil {
		return err
	}
	u, err := url.Parse(*to)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--forward-to %q: give the receiver's http(s) URL, e.g. http://localhost:4242/hooks", *to)
	}
	only, err := eventList(*events, webhook.EventTypes())
	if err != nil {
		return err
	}
	m, err := api.merchant(ctx)
	if err != nil {
		return err
	}
	after, err := newestEvent(ctx, api)
	if err != nil {
		return err
	}
	fw := &forwarder{url: *to, secret: webhook.NewSecret(), say: c.stdout,
		client: &http.Client{Timeout: *timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	mode := "test mode"
	if m.Livemode {
		mode = "LIVE mode"
	}
	fmt.Fprintf(c.stdout, "Ready: forwarding the new events of %s (%s, %s) at %s to %s\n", m.Name, m.ID, mode, api.base, *to)
	fmt.Fprintf(c.stdout, "Your webhook signing secret for this session is %s (Ctrl-C stops)\n", fw.secret)
	f := &follower{api: api, after: after, say: c.stdout}
	for {
		list, err := f.next(ctx)
		if ctx.Err() != nil {
			return nil // Ctrl-C
		}
		if err != nil {
			return err
		}
		for _, e := range list {
			if len(only) == 0 || slices.Contains(only, e.Type) {
				if err := fw.forward(ctx, e); err != nil {
					return nil // Ctrl-C while the receiver was down
				}
			}
			f.after = e.ID
		}
	}
}

// forwarder POSTs events to a receiver as webhooks, signed with one secret.
type forwarder struct {
	url, secret string
	client      *http.Client
	say         io.Writer
	down        bool
}

// forward delivers one event, trying again (in order: the next waits) while the receiver does
// not answer; any answer, an error status too, counts and is printed. It answers an error only
// when ctx ends.
func (f *forwarder) forward(ctx context.Context, e apiEvent) error {
	body, err := json.Marshal(e.Payload) // the API's event object, as kpcheckout would send it
	if err != nil {
		return err
	}
	pause := 500 * time.Millisecond
	for {
		answer, err := f.post(ctx, e.ID, body)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			if f.down {
				fmt.Fprintf(f.say, "%s  %s answers again\n", now(), f.url)
				f.down = false
			}
			fmt.Fprintf(f.say, "%s  -> %s\n", e.line(time.Now()), answer)
			return nil
		}
		if !f.down {
			fmt.Fprintf(f.say, "%s  %s  not delivered: %s does not answer (%v); trying it again until it does, the next events after it\n",
				now(), e.ID, f.url, err)
			f.down = true
		}
		if err := sleep(ctx, pause); err != nil {
			return err
		}
		pause = min(2*pause, followBackoff)
	}
}

// post sends one signed delivery and tells the receiver's answer: its status, time and the start
// of its body when it is not a success.
func (f *forwarder) post(ctx context.Context, id string, body []byte) (string, error) {
	hdr, err := webhook.Sign(id, time.Now(), body, f.secret)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kpcheckout-listen/1")
	start := time.Now()
	res, err := f.client.Do(req)
	if err != nil {
		return "", bare(err)
	}
	defer res.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(res.Body, 200))
	answer := fmt.Sprintf("%s (%d ms)", res.Status, time.Since(start).Milliseconds())
	if res.StatusCode >= 300 {
		if s := strings.Join(strings.Fields(string(bytes.ToValidUTF8(excerpt, nil))), " "); s != "" {
			answer += ": " + s
		}
	}
	return answer, nil
}

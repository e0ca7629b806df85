package devclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/webhook"
)

// Forward says where Listen sends the merchant's events.
type Forward struct {
	To      string        // the receiver's http(s) URL
	Only    []string      // the event types to send; none: all
	Timeout time.Duration // how long the receiver may take to answer one event
}

// Listen makes a webhook secret for this session, then forwards each new event of the key's
// merchant to fw.To, signed with it as webhooks are, one line per event on out with the
// receiver's answer, until ctx ends.
func (c *Client) Listen(ctx context.Context, fw Forward, out io.Writer) error {
	m, err := c.merchant(ctx)
	if err != nil {
		return err
	}
	after, err := newestEvent(ctx, c)
	if err != nil {
		return err
	}
	f := &forwarder{url: fw.To, secret: webhook.NewSecret(), say: out,
		client: &http.Client{Timeout: fw.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	mode := "test mode"
	if m.Livemode {
		mode = "LIVE mode"
	}
	fmt.Fprintf(out, "Ready: forwarding the new events of %s (%s, %s) at %s to %s\n", m.Name, m.ID, mode, c.base, fw.To)
	fmt.Fprintf(out, "Your webhook signing secret for this session is %s (Ctrl-C stops)\n", f.secret)
	follow := &follower{api: c, after: after, say: out}
	return follow.each(ctx, func(e event) error {
		if len(fw.Only) == 0 || slices.Contains(fw.Only, e.Type) {
			return f.forward(ctx, e) // fails only when ctx ends, the receiver down
		}
		return nil
	})
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
func (f *forwarder) forward(ctx context.Context, e event) error {
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

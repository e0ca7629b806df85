package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/cmd/kpcheckout/devclient"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// listenCommand serves `kpcheckout listen --forward-to URL [--events a,b]`: it makes a webhook
// secret for this session, then forwards each new event of the key's merchant to URL, signed
// with it as webhooks are, one line per event with the receiver's answer.
func listenCommand(ctx context.Context, c *cli, args []string) error {
	fs, flags := apiFlags("listen", c)
	var fw devclient.Forward
	fs.StringVar(&fw.To, "forward-to", "", "where each event is POSTed, e.g. http://localhost:4242/hooks (required)")
	events := fs.String("events", "", "only these event types, comma-separated (default: all)")
	fs.DurationVar(&fw.Timeout, "timeout", 10*time.Second, "how long the receiver may take to answer one event")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	api, err := flags.client()
	if err != nil {
		return err
	}
	u, err := url.Parse(fw.To)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--forward-to %q: give the receiver's http(s) URL, e.g. http://localhost:4242/hooks", fw.To)
	}
	if fw.Only, err = eventList(*events, webhook.EventTypes()); err != nil {
		return err
	}
	return api.Listen(ctx, fw, c.stdout)
}

// eventList reads --events: comma-separated event types, each a known one.
func eventList(v string, known []string) ([]string, error) {
	var list []string
	for t := range strings.SplitSeq(v, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !slices.Contains(known, t) {
			if s := suggest(t, known); s != "" {
				return nil, fmt.Errorf("--events: no event type %q; did you mean %q?", t, s)
			}
			return nil, fmt.Errorf("--events: no event type %q (kpcheckout help listen lists them)", t)
		}
		list = append(list, t)
	}
	return list, nil
}

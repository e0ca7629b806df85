package main

import (
	"context"
	"errors"

	"github.com/kpcheckout/kpcheckout/cmd/kpcheckout/devclient"
)

// eventsCommand serves `kpcheckout events [--follow]`: the newest events, or with --follow those
// and every new one as it comes.
func eventsCommand(ctx context.Context, c *cli, args []string) error {
	fs, flags := apiFlags("events", c)
	var q devclient.EventsQuery
	fs.BoolVar(&q.Follow, "follow", false, "go on printing new events as they come, until Ctrl-C")
	fs.IntVar(&q.Limit, "limit", 10, "how many of the newest events to print first (1 to 100)")
	fs.StringVar(&q.Type, "type", "", "only events of this type (checkout.paid, …)")
	fs.StringVar(&q.Checkout, "checkout", "", "only this checkout's events (cs_…)")
	fs.BoolVar(&q.JSON, "json", false, "print each event as a line of JSON, with its data")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	api, err := flags.client()
	if err != nil {
		return err
	}
	if q.Limit < 1 || q.Limit > 100 {
		return errors.New("--limit must be from 1 to 100")
	}
	return api.Events(ctx, q, c.stdout, c.stderr)
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiEvent is an event as the API answers it.
type apiEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Checkout  string          `json:"checkout"`
	Data      json.RawMessage `json:"data"`
}

// line is the event on one line after a time: its type, id and checkout.
func (e apiEvent) line(at time.Time) string {
	return fmt.Sprintf("%s  %-24s %s  %s", at.Local().Format("2006-01-02 15:04:05"), e.Type, e.ID, e.Checkout)
}

type eventPage struct {
	Data    []apiEvent `json:"data"`
	HasMore bool       `json:"has_more"`
}

// eventsCommand serves `kpcheckout events [--follow]`: the newest events, or with --follow those
// and every new one as it comes.
func eventsCommand(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	fs.SetOutput(c.stdout)
	api := newAPIClient(fs, c.getenv)
	follow := fs.Bool("follow", false, "go on printing new events as they come, until Ctrl-C")
	limit := fs.Int("limit", 10, "how many of the newest events to print first (1 to 100)")
	typ := fs.String("type", "", "only events of this type (checkout.paid, …)")
	checkoutID := fs.String("checkout", "", "only this checkout's events (cs_…)")
	asJSON := fs.Bool("json", false, "print each event as a line of JSON, with its data")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := api.ready(); err != nil {
		return err
	}
	if *limit < 1 || *limit > 100 {
		return errors.New("--limit must be from 1 to 100")
	}
	q := url.Values{"limit": {strconv.Itoa(*limit)}}
	if *typ != "" {
		q.Set("type", *typ)
	}
	if *checkoutID != "" {
		q.Set("checkout", *checkoutID)
	}
	var page eventPage
	if err := api.call(ctx, http.MethodGet, "/v1/events?"+q.Encode(), nil, &page); err != nil {
		return err
	}
	show := func(e apiEvent) {
		if *asJSON {
			b, _ := json.Marshal(e)
			fmt.Fprintln(c.stdout, string(b))
			return
		}
		fmt.Fprintln(c.stdout, e.line(e.CreatedAt))
	}
	slices.Reverse(page.Data) // oldest first, as a log reads
	for _, e := range page.Data {
		show(e)
	}
	if !*follow {
		return nil
	}
	after, err := newestEvent(ctx, api)
	if err != nil {
		return err
	}
	f := &follower{api: api, after: after, say: c.stderr}
	for {
		list, err := f.next(ctx)
		if ctx.Err() != nil {
			return nil // Ctrl-C
		}
		if err != nil {
			return err
		}
		for _, e := range list {
			f.after = e.ID
			if (*typ == "" || e.Type == *typ) && (*checkoutID == "" || e.Checkout == *checkoutID) {
				show(e)
			}
		}
	}
}

// newestEvent is the id of the merchant's newest event, or "" when it has none: a follower
// starts after it.
func newestEvent(ctx context.Context, api *apiClient) (string, error) {
	var page eventPage
	if err := api.call(ctx, http.MethodGet, "/v1/events?limit=1", nil, &page); err != nil {
		return "", err
	}
	if len(page.Data) == 0 {
		return "", nil
	}
	return page.Data[0].ID, nil
}

// follower reads a merchant's events forward from after, through server restarts and outages:
// it says once that the server does not answer, and again when it does.
type follower struct {
	api   *apiClient
	after string    // the last event handled; the caller moves it on
	say   io.Writer // where outages are told
	down  bool
}

// Waits of a follower: for a new event, and between calls to a server that does not answer.
const (
	followWait    = 30 // seconds, the server's longest
	followBackoff = 5 * time.Second
)

// next waits for the events after f.after and returns them, oldest first.
func (f *follower) next(ctx context.Context) ([]apiEvent, error) {
	pause := 500 * time.Millisecond
	for {
		start := time.Now()
		var page eventPage
		path := fmt.Sprintf("/v1/events?limit=100&wait=%d&after=%s", followWait, url.QueryEscape(f.after))
		err := f.api.call(ctx, http.MethodGet, path, nil, &page)
		var unreachable *unreachableError
		var refused *apiError
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.As(err, &unreachable) || (errors.As(err, &refused) && refused.Status >= 500):
			if !f.down {
				fmt.Fprintf(f.say, "%s  %v; trying again until it answers\n", now(), err)
				f.down = true
			}
			if sleep(ctx, pause) != nil {
				return nil, ctx.Err()
			}
			pause = min(2*pause, followBackoff)
			continue
		case errors.As(err, &refused) && refused.Status == http.StatusNotFound && refused.Param == "after":
			// The server no longer has the last event (another database, or events deleted):
			// follow from its newest.
			fmt.Fprintf(f.say, "%s  the server no longer has event %s: following from its newest event\n", now(), f.after)
			if f.after, err = newestEvent(ctx, f.api); err != nil {
				return nil, err
			}
			continue
		case err != nil:
			return nil, err
		}
		if f.down {
			fmt.Fprintf(f.say, "%s  kpcheckout at %s answers again\n", now(), f.api.base)
			f.down = false
		}
		if len(page.Data) == 0 && time.Since(start) < time.Second {
			sleep(ctx, 2*time.Second) // the server did not wait (too many followers): not a busy loop
		}
		return page.Data, nil
	}
}

// now is the time of day, as the lines of listen and events --follow start.
func now() string { return time.Now().Format("2006-01-02 15:04:05") }

// sleep waits d, or less when ctx ends (then it answers ctx's error).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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

package devclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/kpcheckout/kpcheckout/webhook"
)

// event is an event as the API answers it: the object a webhook's body is.
type event struct{ webhook.Payload }

// line is the event on one line after a time: its type, id and checkout.
func (e event) line(at time.Time) string {
	return fmt.Sprintf("%s  %-24s %s  %s", at.Local().Format("2006-01-02 15:04:05"), e.Type, e.ID, e.checkout())
}

// checkout is the id of the checkout the event concerns, "" for none.
func (e event) checkout() string {
	if e.Checkout == nil {
		return ""
	}
	return *e.Checkout
}

type eventPage struct {
	Data    []event `json:"data"`
	HasMore bool    `json:"has_more"`
}

// EventsQuery says which of the merchant's events Events prints, and how.
type EventsQuery struct {
	Limit    int    // how many of the newest to print first, 1 to 100
	Type     string // only events of this type; empty: all
	Checkout string // only this checkout's events; empty: all
	Follow   bool   // then go on printing new ones as they come, until ctx ends
	JSON     bool   // print each as a line of JSON, with its data
}

// Events prints the merchant's newest events on out, oldest first as a log reads, and with
// q.Follow every new one as it comes, telling errOut of outages, until ctx ends.
func (c *Client) Events(ctx context.Context, q EventsQuery, out, errOut io.Writer) error {
	v := url.Values{"limit": {strconv.Itoa(q.Limit)}}
	if q.Type != "" {
		v.Set("type", q.Type)
	}
	if q.Checkout != "" {
		v.Set("checkout", q.Checkout)
	}
	var page eventPage
	if err := c.call(ctx, http.MethodGet, "/v1/events?"+v.Encode(), nil, &page); err != nil {
		return err
	}
	show := func(e event) {
		if q.JSON {
			b, _ := json.Marshal(e)
			fmt.Fprintln(out, string(b))
			return
		}
		fmt.Fprintln(out, e.line(e.CreatedAt))
	}
	slices.Reverse(page.Data) // oldest first, as a log reads
	for _, e := range page.Data {
		show(e)
	}
	if !q.Follow {
		return nil
	}
	after, err := newestEvent(ctx, c)
	if err != nil {
		return err
	}
	f := &follower{api: c, after: after, say: errOut}
	return f.each(ctx, func(e event) error {
		if (q.Type == "" || e.Type == q.Type) && (q.Checkout == "" || e.checkout() == q.Checkout) {
			show(e)
		}
		return nil
	})
}

// newestEvent is the id of the merchant's newest event, or "" when it has none: a follower
// starts after it.
func newestEvent(ctx context.Context, api *Client) (string, error) {
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
	api   *Client
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
func (f *follower) next(ctx context.Context) ([]event, error) {
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

// each calls fn with every event after f.after, oldest first, as they come, until ctx ends
// (then it answers nil: Ctrl-C) or fn fails (then nil too: fn fails only when ctx ends). An
// event counts as handled, and the follower moves past it, once fn returns.
func (f *follower) each(ctx context.Context, fn func(event) error) error {
	for {
		list, err := f.next(ctx)
		if ctx.Err() != nil {
			return nil // Ctrl-C
		}
		if err != nil {
			return err
		}
		for _, e := range list {
			if fn(e) != nil {
				return nil // Ctrl-C while fn waited
			}
			f.after = e.ID
		}
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

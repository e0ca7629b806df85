package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
)

// eventPoll is how often a waiting GET /v1/events?after=…&wait=N looks for new events. Events
// are written by every kind of change, here or on another instance: the few followers
// (kpcheckout listen, events --follow) look, rather than every writer telling them.
const eventPoll = 500 * time.Millisecond

// maxEventWait bounds one waiting follow, as the status long-poll's wait is bounded.
const maxEventWait = 30 * time.Second

// Caps on waiting event follows: in all, and per merchant.
const (
	maxEventWaits            = 1000
	maxEventWaitsPerMerchant = 10
)

// followEvents serves GET /v1/events?after=evt_…[&wait=N][&type=][&checkout=][&limit=]: the events that came
// after the given one (every event with after empty), oldest first, in the order they were
// committed; with wait, when there is none yet, it answers as soon as one comes or after N
// seconds (at most 30) with an empty list. A follower asks again after the last event it got.
func (a *Handler) followEvents(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	q := r.URL.Query()
	if q.Get("starting_after") != "" {
		return web.Invalid("parameter_invalid", "after lists forward and starting_after backward: give one of them", "starting_after")
	}
	limit, err := listLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	wait, err := eventWait(q.Get("wait"))
	if err != nil {
		return err
	}
	if wait > 0 {
		if release := a.eventWaits.Acquire(m.ID); release != nil {
			defer release()
		} else {
			w.Header().Set("Retry-After", "5") // this merchant has enough followers waiting
			wait = 0
		}
	}
	p := store.ListEvents{After: q.Get("after"), Type: q.Get("type"), CheckoutID: q.Get("checkout"), Limit: limit}
	list, more, err := a.waitEvents(r, m, p, wait)
	if err != nil {
		return err
	}
	writeList(w, list, more, eventPayload(m))
	return nil
}

// waitEvents looks for the events p selects until there are some, wait is over, the client left
// or the server shuts down.
func (a *Handler) waitEvents(r *http.Request, m *store.Merchant, p store.ListEvents, wait time.Duration) ([]*store.Event, bool, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(eventPoll)
	defer tick.Stop()
	for {
		list, more, err := a.events.Follow(r.Context(), m, p)
		if err != nil || len(list) > 0 || wait == 0 {
			return list, more, err
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return nil, false, nil
		case <-a.checkouts.Notifier().Closed():
			return nil, false, nil
		case <-r.Context().Done():
			return nil, false, r.Context().Err()
		}
	}
}

// eventWait reads ?wait=N, whole seconds, clamped to 30.
func eventWait(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, web.Invalid("parameter_invalid", "wait must be a whole number of seconds", "wait")
	}
	// Clamped before it becomes a duration: a huge wait must not overflow into a short one.
	return time.Duration(min(n, uint64(maxEventWait/time.Second))) * time.Second, nil
}

package api

import (
	"net/http"

	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// ListEvents serves GET /v1/events?type=&limit=&starting_after=, newest first; with after it
// follows them forward instead (events_stream.go).
func (a *Handler) ListEvents(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	q := r.URL.Query()
	if q.Has("after") {
		return a.followEvents(w, r, m)
	}
	if q.Has("wait") {
		return web.Invalid("parameter_invalid", "wait follows the events after one: give after=evt_… too (after= with no id follows from the first)", "wait")
	}
	limit, err := listLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	list, more, err := a.events.Events(r.Context(), m, store.ListEvents{
		Type: q.Get("type"), CheckoutID: q.Get("checkout"), StartingAfter: q.Get("starting_after"), Limit: limit,
	})
	if err != nil {
		return err
	}
	writeList(w, list, more, eventPayload(m))
	return nil
}

// eventPayload turns m's events into the API's event object, the body of their webhooks.
func eventPayload(m *store.Merchant) func(*store.Event) webhook.Payload {
	return func(e *store.Event) webhook.Payload { return webhook.NewPayload(e, m.Livemode) }
}

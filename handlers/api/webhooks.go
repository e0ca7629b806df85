package api

import (
	"net/http"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// endpointRequest is the body that creates or changes an endpoint.
type endpointRequest struct {
	URL           *string  `json:"url"`
	Description   *string  `json:"description"`
	EnabledEvents []string `json:"enabled_events"`
	Disabled      *bool    `json:"disabled"`
}

func (e endpointRequest) params(key *domain.Reservation) webhook.EndpointParams {
	return webhook.EndpointParams{URL: e.URL, Description: e.Description, EnabledEvents: e.EnabledEvents, Disabled: e.Disabled, Key: key}
}

// CreateEndpoint serves POST /v1/webhook_endpoints.
func (a *Handler) CreateEndpoint(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	var req endpointRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ce, err := a.endpoints.Create(r.Context(), m, req.params(idempotencyKey(r)))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/webhook_endpoints/"+ce.Endpoint.ID)
	web.WriteJSON(w, http.StatusCreated, objects.NewEndpoint(ce.Endpoint, ce.Secret))
	return nil
}

// ListEndpoints serves GET /v1/webhook_endpoints.
func (a *Handler) ListEndpoints(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	list, err := a.endpoints.Endpoints(r.Context(), m)
	if err != nil {
		return err
	}
	data := make([]objects.Endpoint, 0, len(list))
	for _, ep := range list {
		data = append(data, objects.NewEndpoint(ep, ""))
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "has_more": false})
	return nil
}

// GetEndpoint serves GET /v1/webhook_endpoints/{id}.
func (a *Handler) GetEndpoint(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	return getByID(w, r, m, a.endpoints.Endpoint, func(ep *store.WebhookEndpoint) objects.Endpoint { return objects.NewEndpoint(ep, "") })
}

// UpdateEndpoint serves POST /v1/webhook_endpoints/{id}.
func (a *Handler) UpdateEndpoint(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	var req endpointRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ep, err := a.endpoints.Update(r.Context(), m, r.PathValue("id"), req.params(idempotencyKey(r)))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, objects.NewEndpoint(ep, ""))
	return nil
}

// DeleteEndpoint serves DELETE /v1/webhook_endpoints/{id}.
func (a *Handler) DeleteEndpoint(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	id := r.PathValue("id")
	if err := a.endpoints.Delete(r.Context(), m, id); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "object": "webhook_endpoint", "deleted": true})
	return nil
}

// RotateEndpointSecret serves POST /v1/webhook_endpoints/{id}/rotate_secret.
func (a *Handler) RotateEndpointSecret(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	ce, err := a.endpoints.RotateSecret(r.Context(), m, r.PathValue("id"), idempotencyKey(r))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, objects.NewEndpoint(ce.Endpoint, ce.Secret))
	return nil
}

// TestEndpoint serves POST /v1/webhook_endpoints/{id}/test: a ping event to that endpoint.
func (a *Handler) TestEndpoint(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	ev, err := a.endpoints.Ping(r.Context(), m, r.PathValue("id"), idempotencyKey(r))
	if err != nil {
		return err
	}
	a.deliveries.Wake()
	return a.answerEvent(w, r, m, ev.ID, http.StatusCreated)
}

// deliveryJSON is one delivery of an event, with its tries.
type deliveryJSON struct {
	ID              string                `json:"id"`
	WebhookEndpoint string                `json:"webhook_endpoint"`
	Status          string                `json:"status"`
	Attempts        []deliveryAttemptJSON `json:"attempts"`
	NextAttemptAt   *time.Time            `json:"next_attempt_at"`
}

// deliveryAttemptJSON is one try of a webhook delivery (DeliveryAttempt in docs/openapi.json).
type deliveryAttemptJSON struct {
	At           time.Time `json:"at"`
	StatusCode   *int      `json:"status_code"`
	Error        string    `json:"error,omitempty"`
	ResponseBody string    `json:"response_body"`
	LatencyMS    int64     `json:"latency_ms"`
}

// GetEvent serves GET /v1/events/{id}: the event and where it was delivered.
func (a *Handler) GetEvent(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	return a.answerEvent(w, r, m, r.PathValue("id"), http.StatusOK)
}

// RedeliverEvent serves POST /v1/events/{id}/redeliver {webhook_endpoint?}.
func (a *Handler) RedeliverEvent(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	var req struct {
		Endpoint string `json:"webhook_endpoint"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if _, err := a.events.Redeliver(r.Context(), m, r.PathValue("id"), req.Endpoint, idempotencyKey(r)); err != nil {
		return err
	}
	a.deliveries.Wake()
	return a.answerEvent(w, r, m, r.PathValue("id"), http.StatusOK)
}

func (a *Handler) answerEvent(w http.ResponseWriter, r *http.Request, m *store.Merchant, id string, status int) error {
	got, err := a.events.Event(r.Context(), m, id)
	if err != nil {
		return err
	}
	e := got.Event
	out := struct {
		webhook.Payload
		Deliveries []deliveryJSON `json:"deliveries"`
	}{Payload: webhook.NewPayload(e, m.Livemode), Deliveries: []deliveryJSON{}}
	for _, d := range got.Deliveries {
		dj := deliveryJSON{ID: d.ID, WebhookEndpoint: d.EndpointID, Status: d.Status, Attempts: []deliveryAttemptJSON{}}
		if d.Retrying() { // a disabled endpoint's wait: no time is set
			next := d.NextAttemptAt
			dj.NextAttemptAt = &next
		}
		for _, t := range d.Attempts {
			aj := deliveryAttemptJSON{At: t.At, Error: t.Error, ResponseBody: t.Excerpt, LatencyMS: t.Latency.Milliseconds()}
			if t.StatusCode != 0 {
				code := t.StatusCode
				aj.StatusCode = &code
			}
			dj.Attempts = append(dj.Attempts, aj)
		}
		out.Deliveries = append(out.Deliveries, dj)
	}
	web.WriteJSON(w, status, out)
	return nil
}

package views

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
)

// DashWebhooksModel is the list of the merchant's webhook endpoints with the form that adds one.
type DashWebhooksModel struct {
	Nav       DashNav
	Notice    string // a message id saying what was just done, or ""
	Endpoints []DashEndpointRow
	Form      DashEndpointForm
}

// DashEndpointRow is one webhook endpoint as the list and its own page show it.
type DashEndpointRow struct {
	ID          string
	URL         string
	Description string
	Disabled    bool
	Events      []string // event types, or "*" for all
	CreatedAt   time.Time
}

// AllEvents reports whether the endpoint asks for every event.
func (e DashEndpointRow) AllEvents() bool { return slices.Contains(e.Events, "*") }

// DashEndpointForm is the form that adds an endpoint: what was typed, and why it was refused.
type DashEndpointForm struct {
	URL         string
	Description string
	Events      []string // the boxes ticked; "*" is "every event"
	EventTypes  []string // the boxes offered, besides "*"
	Token       string   // makes the endpoint once however often the form is sent
	ErrorField  string   // url, description or events: where the refusal is shown; "" for none
	Error       string   // the refusal's message id
}

// Ticked reports whether the box of event type t is ticked.
func (f DashEndpointForm) Ticked(t string) bool { return slices.Contains(f.Events, t) }

// DashEndpointModel is one webhook endpoint with its actions and its latest deliveries.
type DashEndpointModel struct {
	Nav      DashNav
	Endpoint DashEndpointRow
	// PreviousSecretUntil is when the secret replaced by the last rotation stops signing; zero
	// when only the current secret signs.
	PreviousSecretUntil time.Time
	Notice              string // a message id saying what was just done, or ""
	Token               string // makes each of the page's actions happen once
	Deliveries          []DashDelivery
}

// DashDelivery is one delivery of an event to the endpoint, with its last try.
type DashDelivery struct {
	EventID       string
	EventType     string
	Status        string // pending, succeeded or failed
	StatusCode    int    // the last try's answer; 0 when none came
	Error         string // the last try's connection error, timeout or refusal
	Latency       time.Duration
	Attempts      int
	NextAttemptAt time.Time // zero unless pending
	Waiting       bool      // pending for a disabled endpoint: sent once it is enabled again
	CreatedAt     time.Time
}

// DashEndpointSecretModel shows an endpoint's new signing secret, once: after it was added or its
// secret rotated.
type DashEndpointSecretModel struct {
	Nav        DashNav
	EndpointID string
	URL        string
	Secret     string
	// PreviousSecretUntil is, after a rotation, when the old secret stops signing; zero for a
	// new endpoint.
	PreviousSecretUntil time.Time
}

// DashEndpointDeleteModel asks once more before an endpoint is deleted.
type DashEndpointDeleteModel struct {
	Nav      DashNav
	Endpoint DashEndpointRow
	Token    string
}

// latencyMS writes a try's latency in whole milliseconds.
func latencyMS(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// endpointFieldAttrs points a field at its hint and, when the form was refused there, marks it invalid
// and points it at why (aria-invalid="true": a bare aria-invalid would mean false).
func endpointFieldAttrs(f DashEndpointForm, field, hint string) templ.Attributes {
	attrs := templ.Attributes{}
	ids := []string{}
	if hint != "" {
		ids = append(ids, hint)
	}
	if f.ErrorField == field {
		ids = append(ids, "endpoint-"+field+"-error")
		if field != "events" { // the events' fieldset is a group: its boxes are not invalid one by one
			attrs["aria-invalid"] = "true"
		}
	}
	if len(ids) > 0 {
		attrs["aria-describedby"] = strings.Join(ids, " ")
	}
	return attrs
}

package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// eventPage is a list of events as the API answers it.
type eventPage struct {
	Data []struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Checkout string `json:"checkout"`
	} `json:"data"`
	HasMore bool `json:"has_more"`
}

func (p eventPage) ids() []string {
	var ids []string
	for _, e := range p.Data {
		ids = append(ids, e.ID)
	}
	return ids
}

// TestEventsFollowAfter: GET /v1/events?after= lists the events after one, oldest first, and with
// wait answers as soon as a new one comes.
func TestEventsFollowAfter(t *testing.T) {
	e, first := handlerstest.NewCheckout(t)
	e.API("POST", "/v1/checkouts/"+first.ID+"/expire", "", nil)
	var newest, all eventPage
	e.API("GET", "/v1/events", "", &newest)
	if res := e.API("GET", "/v1/events?after=", "", &all); res.StatusCode != http.StatusOK {
		t.Fatalf("after=: %d", res.StatusCode)
	}
	if want := newest.ids(); !slices.Equal(all.ids(), []string{want[1], want[0]}) || all.Data[0].Type != "checkout.created" {
		t.Fatalf("after= listed %v, want the newest-first %v reversed", all.ids(), want)
	}
	var page eventPage
	e.API("GET", "/v1/events?limit=1&after=", "", &page)
	if !slices.Equal(page.ids(), all.ids()[:1]) || !page.HasMore {
		t.Errorf("limit=1: %v has_more=%v", page.ids(), page.HasMore)
	}
	last := all.ids()[1]
	e.API("GET", "/v1/events?after="+last, "", &page)
	if len(page.Data) != 0 || page.HasMore {
		t.Errorf("after the last: %v", page.ids())
	}

	answered := make(chan eventPage, 1)
	go func() {
		var p eventPage
		if res, body, err := handlerstest.APIRaw(e, e.Key, "GET", "/v1/events?wait=30&after="+last, "", nil); err == nil && res.StatusCode == http.StatusOK {
			json.Unmarshal(body, &p)
		}
		answered <- p
	}()
	second := e.CreateCheckout("")
	got := <-answered
	if len(got.Data) != 1 || got.Data[0].Checkout != second.ID || got.Data[0].Type != "checkout.created" {
		t.Errorf("the waiting follow answered %+v, want the new checkout's checkout.created", got)
	}

	e.API("GET", "/v1/events?wait=1&after="+got.Data[0].ID+"&type=checkout.paid", "", &page)
	if len(page.Data) != 0 {
		t.Errorf("wait=1 with nothing new: %v", page.ids())
	}
}

// TestEventsFollowRefusals: a follow after an unknown event, or another merchant's, is 404 with
// param after; a bad wait, wait without after, and after with starting_after are 400.
func TestEventsFollowRefusals(t *testing.T) {
	e := handlerstest.New(t)
	e.CreateCheckout("")
	other := e.OtherMerchant()
	mine := e.CreateCheckout("")
	var ours eventPage
	e.API("GET", "/v1/events?checkout="+mine.ID, "", &ours)
	for _, tc := range []struct {
		key, query string
		status     int
		param      string
	}{
		{e.Key, "after=evt_nope", 404, "after"},
		{other.APIKey, "after=" + ours.ids()[0], 404, "after"},
		{e.Key, "after=&wait=soon", 400, "wait"},
		{e.Key, "wait=5", 400, "wait"},
		{e.Key, "after=&starting_after=" + ours.ids()[0], 400, "starting_after"},
		{e.Key, "after=&limit=1000", 400, "limit"},
	} {
		res, body := handlerstest.APIMust(t, e, tc.key, "GET", "/v1/events?"+tc.query, "", nil)
		handlerstest.CheckAPIError(t, res, body, []int{tc.status}, "", tc.param)
	}
}

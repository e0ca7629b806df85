package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestEventsFilterByType(t *testing.T) {
	e := handlerstest.New(t)
	paid, open := e.CreateCheckout(""), e.CreateCheckout("")
	e.PayByPhone(paid.ID)
	e.API("POST", "/v1/checkouts/"+open.ID+"/expire", "", nil)
	type eventList struct {
		Object string `json:"object"`
		Data   []struct {
			ID       string `json:"id"`
			Object   string `json:"object"`
			Type     string `json:"type"`
			Checkout string `json:"checkout"`
			Data     struct {
				Object json.RawMessage `json:"object"`
			} `json:"data"`
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
	for _, tc := range []struct {
		typ      string
		checkout string
		n        int
	}{
		{"checkout.paid", paid.ID, 1},
		{"checkout.expired", open.ID, 1},
		{"checkout.created", "", 2},
		{"refund.succeeded", "", 0},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			var l eventList
			if res := e.API("GET", "/v1/events?type="+tc.typ, "", &l); res.StatusCode != http.StatusOK {
				t.Fatalf("events: %d", res.StatusCode)
			}
			if l.Object != "list" || len(l.Data) != tc.n || l.HasMore {
				t.Fatalf("%d events (has_more %v), want %d", len(l.Data), l.HasMore, tc.n)
			}
			for _, ev := range l.Data {
				if ev.Type != tc.typ || ev.Object != "event" || !strings.HasPrefix(ev.ID, "evt_") {
					t.Errorf("event %+v", ev)
				}
				if tc.checkout != "" && ev.Checkout != tc.checkout {
					t.Errorf("event of %s, want %s", ev.Checkout, tc.checkout)
				}
			}
		})
	}
	t.Run("paid event data", func(t *testing.T) {
		var l eventList
		e.API("GET", "/v1/events?type=checkout.paid", "", &l)
		var d struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Amount  int64  `json:"amount"`
			Payment struct {
				ID     string `json:"id"`
				Amount int64  `json:"amount"`
			} `json:"payment"`
		}
		if len(l.Data) != 1 || json.Unmarshal(l.Data[0].Data.Object, &d) != nil {
			t.Fatalf("events %+v", l.Data)
		}
		if d.ID != paid.ID || d.Status != "paid" || d.Amount != 11000 || !strings.HasPrefix(d.Payment.ID, "pay_") || d.Payment.Amount != 11000 {
			t.Errorf("checkout.paid data.object %s", l.Data[0].Data.Object)
		}
	})
}

package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

type linkObject struct {
	ID        string `json:"id"`
	URL       string `json:"url"`
	Active    bool   `json:"active"`
	Reusable  bool   `json:"reusable"`
	MaxUses   *int   `json:"max_uses"`
	PaidCount int    `json:"paid_count"`
	Amount    int64  `json:"amount"`
}

func createLink(t *testing.T, e *handlerstest.Env, body string) linkObject {
	t.Helper()
	var l linkObject
	if res := e.API("POST", "/v1/links", body, &l); res.StatusCode != 201 {
		t.Fatalf("create link %s: %d", body, res.StatusCode)
	}
	return l
}

// linkBody is a link's body without its closing brace, returning to e's shop.
func linkBody(e *handlerstest.Env) string {
	return `{"amount":11000,"items":[{"name":"아메리카노","quantity":2,"unit_price":4500},{"name":"크루아상","quantity":1,"unit_price":2000}],` +
		`"success_url":"` + e.Shop.URL + `/thanks","failure_url":"` + e.Shop.URL + `/cart"`
}

func TestLinksAPI(t *testing.T) {
	e := handlerstest.New(t)
	l := createLink(t, e, linkBody(e)+`}`)
	slug := l.URL[strings.LastIndex(l.URL, "/")+1:]
	if !strings.HasPrefix(l.URL, e.URL+"/l/") || len(slug) < 10 || strings.Contains(strings.ToLower(l.ID), slug) || !l.Active || !l.Reusable || l.MaxUses != nil {
		t.Errorf("link %+v", l)
	}
	var got linkObject
	if res := e.API("GET", "/v1/links/"+l.ID, "", &got); res.StatusCode != 200 || got.URL != l.URL {
		t.Errorf("get: %d %+v", res.StatusCode, got)
	}
	e.Clock.Add(time.Second)
	once := createLink(t, e, linkBody(e)+`,"reusable":false,"max_uses":3}`)
	var list struct{ Data []linkObject }
	if e.API("GET", "/v1/links", "", &list); len(list.Data) != 2 || list.Data[0].ID != once.ID {
		t.Errorf("list (newest first) %+v", list)
	}
	if res := e.API("POST", "/v1/links/"+l.ID+"/deactivate", "", &got); res.StatusCode != 200 || got.Active {
		t.Errorf("deactivate: %d %+v", res.StatusCode, got)
	}
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for body, param := range map[string]string{
		`{"amount":0}`: "amount",
		`{}`:           "amount",
		`{"amount":11000,"items":[{"name":"아메리카노","quantity":1,"unit_price":4500}]}`: "items",
		`{"amount":11000,"success_url":"javascript:alert(1)"}`:                       "success_url",
		linkBody(e) + `,"max_uses":-1}`:                                              "max_uses",
		linkBody(e) + `,"expires_at":"` + past + `"}`:                                "expires_at",
		`{"amount":11000,"slug":"mine"}`:                                             "slug",
	} {
		var ae handlerstest.APIError
		if res := e.API("POST", "/v1/links", body, &ae); res.StatusCode != 400 || ae.Error.Param == nil || *ae.Error.Param != param {
			t.Errorf("%s: %d %+v, want 400 on %s", body, res.StatusCode, ae, param)
		}
	}
	if res := e.API("GET", "/v1/links/lnk_nope", "", nil); res.StatusCode != 404 {
		t.Errorf("unknown link: %d", res.StatusCode)
	}
}

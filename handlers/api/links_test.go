package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/store"
)

func TestLinksAPI(t *testing.T) {
	e := handlerstest.New(t)
	l := handlerstest.CreateLink(t, e, handlerstest.LinkBody(e)+`}`)
	slug := l.URL[strings.LastIndex(l.URL, "/")+1:]
	if !strings.HasPrefix(l.URL, e.URL+"/l/") || len(slug) < 10 || strings.Contains(strings.ToLower(l.ID), slug) || !l.Active || !l.Reusable || l.MaxUses != nil {
		t.Errorf("link %+v", l)
	}
	var got handlerstest.LinkObject
	if res := e.API("GET", "/v1/links/"+l.ID, "", &got); res.StatusCode != 200 || got.URL != l.URL {
		t.Errorf("get: %d %+v", res.StatusCode, got)
	}
	e.Clock.Add(time.Second)
	once := handlerstest.CreateLink(t, e, handlerstest.LinkBody(e)+`,"reusable":false,"max_uses":3}`)
	var list struct{ Data []handlerstest.LinkObject }
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
		handlerstest.LinkBody(e) + `,"max_uses":-1}`:                                 "max_uses",
		handlerstest.LinkBody(e) + `,"expires_at":"` + past + `"}`:                   "expires_at",
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

// A link's expires_at is bounded (in the future, at most 10 years ahead): one past year 9999
// in UTC once answered 500 yet made the link, and every later list of the merchant's links
// answered 500 too. A stored value out of that range (from before the bound) is still read:
// the API shows it as the last instant RFC 3339 can write.
func TestLinkExpiryIsBounded(t *testing.T) {
	e := handlerstest.New(t)
	now := e.Clock.Now()
	for _, at := range []string{"9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59Z", now.AddDate(10, 0, 1).Format(time.RFC3339),
		"1999-12-31T23:59:59Z", "0000-01-01T00:00:00+23:59"} {
		var ae handlerstest.APIError
		if res := e.API("POST", "/v1/links", handlerstest.LinkBody(e)+`,"expires_at":"`+at+`"}`, &ae); res.StatusCode != 400 || ae.Error.Param == nil || *ae.Error.Param != "expires_at" {
			t.Errorf("expires_at %s: %d %+v, want 400 on expires_at", at, res.StatusCode, ae)
		}
	}
	var list struct{ Data []handlerstest.LinkObject }
	if res := e.API("GET", "/v1/links", "", &list); res.StatusCode != 200 || len(list.Data) != 0 {
		t.Fatalf("after refused links: %d %+v", res.StatusCode, list)
	}
	handlerstest.CreateLink(t, e, handlerstest.LinkBody(e)+`,"expires_at":"`+now.AddDate(10, 0, -1).Format(time.RFC3339)+`"}`)

	far := &store.Link{ID: "lnk_far", Slug: "farfuturelink0000", MerchantID: e.MerchantID, Amount: 5000, Description: "먼 미래",
		SuccessURL: e.Shop.URL, FailureURL: e.Shop.URL, Reusable: true, Active: true,
		ExpiresAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), CreatedAt: now, UpdatedAt: now}
	if err := e.DB.Transact(t.Context(), func(tx store.Tx) error { return tx.CreateLink(t.Context(), far) }); err != nil {
		t.Fatal(err)
	}
	var stored struct {
		Data []struct {
			ID        string `json:"id"`
			ExpiresAt string `json:"expires_at"`
		}
	}
	if res := e.API("GET", "/v1/links", "", &stored); res.StatusCode != 200 || len(stored.Data) != 2 {
		t.Fatalf("list with a stored far expiry: %d %+v", res.StatusCode, stored)
	}
	for _, l := range stored.Data {
		if l.ID == far.ID && l.ExpiresAt != "9999-12-31T23:59:59.999Z" {
			t.Errorf("stored far expiry shown as %q", l.ExpiresAt)
		}
	}
	if res := e.API("GET", "/v1/links/"+far.ID, "", nil); res.StatusCode != 200 {
		t.Errorf("get a link with a stored far expiry: %d", res.StatusCode)
	}
	b := handlerstest.SignedIn(t, e, "owner@links.example", accounts.RoleOwner)
	for _, p := range []string{"/dashboard/links", "/dashboard/links/" + far.ID} {
		if res, _ := b.Get(p); res.StatusCode != 200 {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}

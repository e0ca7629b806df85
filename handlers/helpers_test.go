package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"testing"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/postgres/pgtest"
)

// pg is the PostgreSQL server of this test binary, started by the first test that runs the app
// on PostgreSQL (handlerstest.Options.PostgresURL).
var pg pgtest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
	}
	os.Exit(code)
}

// setQueryParam returns raw with the query parameter k set to v (removed when v is empty).
func setQueryParam(t *testing.T, raw, k, v string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// manyKeys returns a metadata map of n keys.
func manyKeys(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = "v"
	}
	return m
}

// checkoutList is a page of GET /v1/checkouts.
type checkoutList struct {
	Object  string                        `json:"object"`
	Data    []handlerstest.CheckoutObject `json:"data"`
	HasMore bool                          `json:"has_more"`
}

func listIDs(l checkoutList) []string {
	ids := []string{}
	for _, c := range l.Data {
		ids = append(ids, c.ID)
	}
	return ids
}

// objectDiff names the fields in which two decoded JSON objects differ.
func objectDiff(want, got map[string]any) []string {
	var out []string
	for k, w := range want {
		g, ok := got[k]
		if !ok || !reflect.DeepEqual(w, g) {
			a, _ := json.Marshal(w)
			b, _ := json.Marshal(g)
			out = append(out, fmt.Sprintf("%s: %s, then %s", k, a, b))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			b, _ := json.Marshal(g)
			out = append(out, fmt.Sprintf("%s: absent, then %s", k, b))
		}
	}
	return out
}

// lostAnswers is a database that fails every write of an Idempotency-Key's answer, as when the
// process dies, or the database goes away, right after a request committed what it did.
type lostAnswers struct{ store.Store }

func (s lostAnswers) Transact(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Transact(ctx, func(tx store.Tx) error { return fn(lostAnswerTx{tx}) })
}

type lostAnswerTx struct{ store.Tx }

func (lostAnswerTx) CompleteIdempotencyKey(context.Context, *store.IdempotencyKey) error {
	return errors.New("test: the database failed the answer's write")
}

// crossSite are the headers a browser sends with a form posted from another site.
var crossSite = map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}

// stranger signs in a user of another merchant, who must find none of e's merchant's things.
func stranger(t *testing.T, e *handlerstest.Env) *handlerstest.Browser {
	t.Helper()
	ctx := context.Background()
	other, err := e.Service.CreateMerchant(ctx, checkout.NewMerchant{Name: "다른 상점"})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := e.Service.CreateUser(ctx, checkout.NewUser{MerchantID: other.Merchant.ID, Email: "owner@other.example"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.Browser(handlerstest.UADesktop)
	handlerstest.SignIn(b, cu.User.Email, cu.Password)
	return b
}

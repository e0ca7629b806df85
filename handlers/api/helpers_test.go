package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
	"github.com/kpcheckout/kpcheckout/store"
)

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

package web

import (
	"context"
	"net/http"

	"github.com/kpcheckout/kpcheckout/store"
)

// StartingAfter reads a list's ?starting_after=, the id of the last object of the page before:
// "" on the first page, else one of m's objects, which find looks up; what names them (say,
// "checkouts") when it is not.
func StartingAfter[T any](r *http.Request, m *store.Merchant, what string, find func(context.Context, *store.Merchant, string) (T, error)) (string, error) {
	after := r.URL.Query().Get("starting_after")
	if after != "" {
		if _, err := find(r.Context(), m, after); err != nil {
			return "", Invalid("parameter_invalid", "starting_after is not one of your "+what, "starting_after")
		}
	}
	return after, nil
}

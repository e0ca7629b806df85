// Package docs holds the OpenAPI document of the merchant API, docs/openapi.json, and serves it.
// The file is the one source: the server embeds it as it is, and the tests check every API
// request and answer against it.
package docs

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3.1 document of the merchant API (docs/openapi.json).
//
//go:embed openapi.json
var OpenAPI []byte

// OpenAPIHandler serves OpenAPI as application/json, cacheable by anyone for five minutes.
func OpenAPIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(OpenAPI)
	})
}

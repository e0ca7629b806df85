package docs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kpcheckout/kpcheckout/docs"
)

func TestOpenAPILoadsAndValidates(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenAPIHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	docs.OpenAPIHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/openapi.json", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Header().Get("Cache-Control") != "public, max-age=300" || rec.Body.String() != string(docs.OpenAPI) {
		t.Errorf("%d %v, body of %d bytes", rec.Code, rec.Header(), rec.Body.Len())
	}
}

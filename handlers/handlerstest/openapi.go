package handlerstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/kpcheckout/kpcheckout/docs"
)

// openAPICheck is an http.RoundTripper that checks every /v1 request to the app and its answer
// against docs/openapi.json, failing the test on a mismatch:
//
//   - an answer must be one the document gives its operation (status, headers, body);
//   - a request the document refuses must be refused by the app too (400, 401, 413 or 415): tests
//     that send bad requests on purpose need no mark, and a request the app takes that the
//     document forbids is an error in one of them;
//   - a path or method the document does not have must answer a 404 or 405 error object.
type openAPICheck struct {
	t      testing.TB
	base   http.RoundTripper
	doc    *openapi3.T
	router routers.Router
}

// newOpenAPICheck checks the calls to the app at baseURL, sent through base.
func newOpenAPICheck(t testing.TB, baseURL string, base http.RoundTripper) *openAPICheck {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: baseURL}} // the document names make run's address
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &openAPICheck{t: t, base: base, doc: doc, router: router}
}

// RoundTrip sends req and checks it and its answer when it is an API call.
func (c *openAPICheck) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, "/v1/") {
		return c.base.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	res, err := c.base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	data, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return res, err
	}
	sent := req.Clone(context.Background())
	sent.Body = io.NopCloser(bytes.NewReader(body))
	if err := c.check(sent, res, data); err != nil {
		c.t.Errorf("openapi: %s %s → %d %s:\n%v", req.Method, req.URL.RequestURI(), res.StatusCode, data, err)
	}
	return res, nil
}

func (c *openAPICheck) check(req *http.Request, res *http.Response, data []byte) error {
	ctx := context.Background()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			return fmt.Errorf("no operation in the document: %v", err)
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		return c.doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && !refused(res.StatusCode) {
		return fmt.Errorf("the document refuses the request the app took: %v", err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(data)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	return openapi3filter.ValidateResponse(ctx, out)
}

// refused reports whether status is the app refusing a request before acting on it.
func refused(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return true
	}
	return false
}

package handlerstest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// errorsOf records Errorf calls in place of failing the test.
type errorsOf struct {
	testing.TB
	errs []string
}

func (e *errorsOf) Errorf(format string, args ...any) { e.errs = append(e.errs, format) }

// answer is a server that answers every request with status and body.
type answer struct {
	status int
	body   string
}

func (a answer) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Header: http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}},
		Body: io.NopCloser(strings.NewReader(a.body))}, nil
}

func TestOpenAPICheckFailsOnWhatTheDocumentRefuses(t *testing.T) {
	const notFound = `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"not found","param":null}}`
	const badAmount = `{"error":{"type":"invalid_request_error","code":"parameter_invalid","message":"amount","param":"amount"}}`
	for _, tc := range []struct {
		name, method, path, body string
		answer                   answer
		fails                    bool
	}{
		{"a documented error", "GET", "/v1/checkouts/cs_1", "", answer{404, notFound}, false},
		{"a body that is not the object", "GET", "/v1/checkouts/cs_1", "", answer{200, `{"id":1}`}, true},
		{"an undocumented status", "GET", "/v1/checkouts/cs_1", "", answer{418, notFound}, true},
		{"a bad request the app refuses", "POST", "/v1/checkouts", `{"amount":"x"}`, answer{400, badAmount}, false},
		{"a bad request the app takes", "POST", "/v1/checkouts", `{"amount":"x"}`, answer{409, notFound}, true},
		{"an unknown route answered 404", "GET", "/v1/bogus", "", answer{404, notFound}, false},
		{"an unknown route answered 200", "GET", "/v1/bogus", "", answer{200, `{}`}, true},
		{"an unknown route answered with no error object", "GET", "/v1/bogus", "", answer{404, `{}`}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &errorsOf{TB: t}
			c := newOpenAPICheck(t, "http://app.test", tc.answer)
			c.t = rec
			req, _ := http.NewRequest(tc.method, "http://app.test"+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer sk_test_1")
			req.Header.Set("Content-Type", "application/json")
			if _, err := c.RoundTrip(req); err != nil {
				t.Fatal(err)
			}
			if failed := len(rec.errs) > 0; failed != tc.fails {
				t.Errorf("failed %v, want %v", failed, tc.fails)
			}
		})
	}
}

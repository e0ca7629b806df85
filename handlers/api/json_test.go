package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/web"
)

func TestDecodeNamesWhatIsWrong(t *testing.T) {
	type item struct {
		Name     string `json:"name"`
		Quantity int64  `json:"quantity"`
	}
	type body struct {
		Amount   *int64 `json:"amount"`
		Items    []item `json:"items"`
		Customer *struct {
			Email string `json:"email"`
		} `json:"customer"`
		Metadata map[string]string `json:"metadata"`
	}
	for _, tc := range []struct {
		body, contentType string
		status            int
		code, param       string
	}{
		{`{"amount":100,"amont":1}`, "", 400, "parameter_unknown", "amont"},
		{`{"items":[{"name":"a","quantity":1},{"name":"b","colour":"red"}]}`, "", 400, "parameter_unknown", "items[1].colour"},
		{`{"customer":{"email":"a@b.c","phone":"010"}}`, "", 400, "parameter_unknown", "customer.phone"},
		{`{"amount":"100"}`, "", 400, "parameter_invalid", "amount"},
		{`{"amount":1.5}`, "", 400, "parameter_invalid", "amount"},
		{`{"amount":100} {"amount":1}`, "", 400, "json_invalid", ""},
		{`{"amount":`, "", 400, "json_invalid", ""},
		{`[1,2]`, "", 400, "parameter_invalid", ""},
		{`{"amount":100}`, "text/plain", 415, "content_type_invalid", ""},
		{`{"amount":100,"metadata":{"any key":"is fine"}}`, "", 0, "", ""},
		{`{"AMOUNT":100,"Items":[{"Name":"a"}]}`, "", 0, "", ""}, // encoding/json matches keys in any case
	} {
		r := httptest.NewRequest("POST", "/v1/checkouts", strings.NewReader(tc.body))
		if tc.contentType != "" {
			r.Header.Set("Content-Type", tc.contentType)
		}
		var v body
		err := decode(r, &v)
		if tc.status == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.body, err)
			}
			continue
		}
		var he *web.Error
		if !errors.As(err, &he) || he.Status() != tc.status || he.Code() != tc.code || he.Param() != tc.param || he.Error() == "" {
			t.Errorf("%s: %#v, want %d %s on %q", tc.body, err, tc.status, tc.code, tc.param)
		}
	}
	r := httptest.NewRequest("POST", "/v1/checkouts", strings.NewReader(`{"amount":`+strings.Repeat("1", 100)+`}`))
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 50)
	var v body
	if err := decode(r, &v); err == nil || web.AsError(err).Status() != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the limit: %v", err)
	}
}

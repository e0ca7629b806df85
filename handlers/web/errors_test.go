package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// TestEveryErrorGetsItsStatus is the one table of what an error answers: the rule in errors.go.
func TestEveryErrorGetsItsStatus(t *testing.T) {
	for _, tc := range []struct {
		err        error
		status     int
		typ, code  string
		leaksCause bool
	}{
		{&domain.Error{Kind: domain.KindInvalid, Code: "amount_invalid", Param: "amount"}, 400, "invalid_request_error", "amount_invalid", false},
		{fmt.Errorf("create: %w", &domain.Error{Kind: domain.KindInvalid, Code: "amount_too_small"}), 400, "invalid_request_error", "amount_too_small", false},
		{&domain.Error{Kind: domain.KindNotFound, Code: "resource_missing"}, 404, "invalid_request_error", "resource_missing", false},
		{&domain.Error{Kind: domain.KindConflict, Code: "checkout_paid"}, 409, "invalid_state_error", "checkout_paid", false},
		{&domain.Error{Kind: domain.KindUpstream, Code: "kakaopay_unavailable"}, 502, "kakaopay_error", "kakaopay_unavailable", false},
		{Invalid("parameter_invalid", "limit must be a whole number from 1 to 100", "limit"), 400, "invalid_request_error", "parameter_invalid", false},
		{UnreadableBody(&http.MaxBytesError{Limit: 10}), 413, "invalid_request_error", "body_too_large", false},
		{store.ErrNotFound, 404, "invalid_request_error", "resource_missing", false},
		{errors.New("disk on fire at /var/lib/secret"), 500, "api_error", "internal", false},
		{fmt.Errorf("store: begin: %w: dial /run/secret: connection refused", store.ErrUnavailable), 503, "api_error", "storage_unavailable", false},
	} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/v1/x", nil)
		WriteError(rec, r, slog.New(slog.DiscardHandler), tc.err)
		body := rec.Body.String()
		if rec.Code != tc.status || !strings.Contains(body, `"type":"`+tc.typ+`"`) || !strings.Contains(body, `"code":"`+tc.code+`"`) {
			t.Errorf("%v: %d %s, want %d %s %s", tc.err, rec.Code, body, tc.status, tc.typ, tc.code)
		}
		if strings.Contains(body, "secret") {
			t.Errorf("%v: the answer tells the cause: %s", tc.err, body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%v: Content-Type %q", tc.err, ct)
		}
		if ra := rec.Header().Get("Retry-After"); (ra != "") != (tc.status == 503) {
			t.Errorf("%v: Retry-After %q", tc.err, ra)
		}
	}
}

func TestAPanicAnswersTheErrorObject(t *testing.T) {
	h := Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom at /secret/path") }),
		slog.New(slog.DiscardHandler), NewMetrics())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/checkouts", nil))
	body := rec.Body.String()
	if rec.Code != 500 || !strings.Contains(body, `"type":"api_error"`) || strings.Contains(body, "secret") {
		t.Errorf("a panic answered %d %s", rec.Code, body)
	}
}

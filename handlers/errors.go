package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
)

// Handlers write their answer or return an error; one adapter per surface writes the error: a
// JSON error object on the API and the status endpoint, a localized page for shoppers. The
// status an error gets is decided here, and only here:
//
//   - 400 invalid_request_error: a request that breaks a rule, whether it cannot be read
//     (malformed JSON, a string where a number belongs, an unknown parameter) or its values are
//     wrong (an amount of 0, items that do not add up, a bad query parameter);
//   - 401 authentication_error, 404 for what does not exist or is another merchant's,
//     405 for a method a route does not have, 409 for a request the object's state refuses,
//     413 and 415 for a body too large or not JSON;
//   - 429 rate_limited (with Retry-After) for a client address past a per-address limit;
//   - 502 kakaopay_error when KakaoPay refused or could not be reached, 500 for our own failure,
//     503 storage_unavailable (with Retry-After) while the database cannot be used
//     (store.ErrUnavailable: PostgreSQL restarting, the SQLite file gone);
//   - 499, nginx's "client closed request", when the client left before its answer (the
//     request's context canceled): nobody reads it, and it is not the server's failure, so it is
//     neither logged as an error nor counted as a 5xx.

// httpError is an error with the answer it gets: its HTTP status and the API error object's
// type, code, message and param. A *checkout.Error becomes one (see asHTTPError).
type httpError struct {
	status  int
	typ     string // the API error object's type
	code    string // also picks the error page's message: error.<code>
	message string
	param   string
	err     error         // the cause, logged when status is 5xx
	retryIn time.Duration // a 429's wait, sent as Retry-After
}

func (e *httpError) Error() string {
	if e.err != nil {
		return e.message + ": " + e.err.Error()
	}
	return e.message
}

func (e *httpError) Unwrap() error { return e.err }

// invalidParam is a 400 about one parameter (param may be "" when the request as a whole is bad).
func invalidParam(code, message, param string) *httpError {
	return &httpError{status: http.StatusBadRequest, typ: "invalid_request_error", code: code, message: message, param: param}
}

// invalidParamf is invalidParam with a formatted message.
func invalidParamf(code, param, format string, args ...any) *httpError {
	return invalidParam(code, fmt.Sprintf(format, args...), param)
}

// statusClientClosed is the status of a request whose client left (see the rule above).
const statusClientClosed = 499

// retryAfter is how many seconds a 503 asks the client to wait: about what a PostgreSQL restart
// takes.
const retryAfter = "5"

// asHTTPError is the answer err gets.
func asHTTPError(err error) *httpError {
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	var ce *checkout.Error
	if errors.As(err, &ce) {
		return &httpError{status: statusOf(ce.Kind), typ: errorType(ce.Kind), code: ce.Code, message: ce.Message, param: ce.Param, err: err}
	}
	if errors.Is(err, store.ErrUnavailable) {
		return &httpError{status: http.StatusServiceUnavailable, typ: "api_error", code: "storage_unavailable",
			message: "the database is unavailable for now; retry shortly", err: err}
	}
	if errors.Is(err, store.ErrNotFound) {
		return &httpError{status: http.StatusNotFound, typ: "invalid_request_error", code: "resource_missing", message: "not found", err: err}
	}
	return &httpError{status: http.StatusInternalServerError, typ: "api_error", code: "internal",
		message: "an internal error occurred; it was logged", err: err}
}

// statusOf maps an error kind to its HTTP status.
func statusOf(k checkout.Kind) int {
	switch k {
	case checkout.KindInvalid:
		return http.StatusBadRequest
	case checkout.KindNotFound:
		return http.StatusNotFound
	case checkout.KindConflict:
		return http.StatusConflict
	case checkout.KindUpstream:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// errorType maps an error kind to the API error object's type.
func errorType(k checkout.Kind) string {
	switch k {
	case checkout.KindInvalid, checkout.KindNotFound:
		return "invalid_request_error"
	case checkout.KindConflict:
		return "invalid_state_error"
	case checkout.KindUpstream:
		return "kakaopay_error"
	}
	return "api_error"
}

// answerOf is the answer err gets for r, as asHTTPError gives it unless the client left (499).
// It logs what is ours to fix (5xx; a 503 as a warning: the database is away, not broken) with
// msg, and sets a 503's Retry-After.
func answerOf(w http.ResponseWriter, r *http.Request, log *slog.Logger, msg string, err error) *httpError {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return &httpError{status: statusClientClosed, typ: "api_error", code: "client_closed_request",
			message: "the client closed the request", err: err}
	}
	he := asHTTPError(err)
	switch {
	case he.status == http.StatusTooManyRequests && he.retryIn > 0:
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(he.retryIn.Seconds()))))
	case he.status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", retryAfter)
		log.WarnContext(r.Context(), msg, "path", r.URL.Path, "status", he.status, "err", err)
	case he.status >= 500:
		log.ErrorContext(r.Context(), msg, "path", r.URL.Path, "status", he.status, "err", err)
	}
	return he
}

// writeError answers err as {"error":{"type","code","message","param"}} (see answerOf); a client
// that left gets its status alone.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	he := answerOf(w, r, log, "request failed", err)
	if he.status == statusClientClosed {
		w.WriteHeader(he.status)
		return
	}
	var param *string
	if he.param != "" {
		param = &he.param
	}
	writeJSON(w, he.status, map[string]any{"error": map[string]any{"type": he.typ, "code": he.code, "message": he.message, "param": param}})
}

package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// Handlers write their answer or return an error. Answer turns any error into the answer it
// gets, and one writer per kind of answer writes it: WriteError the API's JSON error object (the
// API, the status endpoint), Pages.ShowError a localized page (the shopper pages, the
// dashboard's sign-in), the dashboard its own page for a signed-in user's refused request. The
// status an error gets is decided in this file, and only here: by the constructors below, and by
// Answer for the domain's and the store's errors.
//
//   - 400 invalid_request_error: a request that breaks a rule, whether it cannot be read
//     (malformed JSON, a string where a number belongs, an unknown parameter) or its values are
//     wrong (an amount of 0, items that do not add up, a bad query parameter); 400
//     idempotency_error for an Idempotency-Key that is no key;
//   - 401 authentication_error; 403 for a form from another site or a staff user on an owner's
//     page; 404 for what does not exist or is another merchant's; 405 for a method a route does
//     not have; 409 for a request the object's state refuses (invalid_state_error), a form or an
//     Idempotency-Key sent again (invalid_request_error, idempotency_error); 413 and 415 for a
//     body too large or not JSON;
//   - 429 rate_limited (with Retry-After) for a client address past a per-address limit;
//   - 502 kakaopay_error when KakaoPay refused or could not be reached, 500 for our own failure,
//     503 storage_unavailable (with Retry-After) while the database cannot be used
//     (store.ErrUnavailable: PostgreSQL restarting, the SQLite file gone);
//   - 499, nginx's "client closed request", when the client left before its answer (the
//     request's context canceled): nobody reads it, and it is not the server's failure, so it is
//     neither logged as an error nor counted as a 5xx.

// Error is an error with the answer it gets: its HTTP status and the API error object's type,
// code, message and param. Only this file's constructors make one; a *domain.Error becomes one
// in Answer.
type Error struct {
	status  int
	typ     string // the API error object's type
	code    string // also picks the error page's message: error.<code>
	message string
	param   string
	err     error         // the cause, logged when status is 5xx
	retryIn time.Duration // a 429's wait, sent as Retry-After
}

func (e *Error) Error() string {
	if e.err != nil {
		return e.message + ": " + e.err.Error()
	}
	return e.message
}

func (e *Error) Unwrap() error { return e.err }

// Status is the answer's HTTP status.
func (e *Error) Status() int { return e.status }

// Code is the API error object's code; a page words the error by it.
func (e *Error) Code() string { return e.code }

// Param names the parameter or field the error is about, or is "".
func (e *Error) Param() string { return e.param }

// Invalid is a 400 about one parameter (param may be "" when the request as a whole is bad).
func Invalid(code, message, param string) *Error {
	return &Error{status: http.StatusBadRequest, typ: "invalid_request_error", code: code, message: message, param: param}
}

// Invalidf is Invalid with a formatted message.
func Invalidf(code, param, format string, args ...any) *Error {
	return Invalid(code, fmt.Sprintf(format, args...), param)
}

// UnreadableBody is the answer to a body that could not be read: 413 past the size limit, else 400.
func UnreadableBody(err error) *Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Error{status: http.StatusRequestEntityTooLarge, typ: "invalid_request_error", code: "body_too_large",
			message: fmt.Sprintf("the body must be at most %d bytes", mbe.Limit)}
	}
	return Invalid("body_invalid", "could not read the body", "")
}

// BodyNotJSON is the 415 of a body sent as another type than JSON.
func BodyNotJSON() *Error {
	return &Error{status: http.StatusUnsupportedMediaType, typ: "invalid_request_error", code: "content_type_invalid",
		message: "send the body as application/json"}
}

// InvalidIdempotencyKey is the 400 of an Idempotency-Key header that is no key.
func InvalidIdempotencyKey(message string) *Error {
	return &Error{status: http.StatusBadRequest, typ: "idempotency_error", code: "idempotency_key_invalid", message: message,
		param: "Idempotency-Key"}
}

// Unauthorized is a 401: no API key, or one that opens nothing.
func Unauthorized(code, message string) *Error {
	return &Error{status: http.StatusUnauthorized, typ: "authentication_error", code: code, message: message}
}

// Forbidden is a 403: a request this client may not make.
func Forbidden(code, message string) *Error {
	return &Error{status: http.StatusForbidden, typ: "invalid_request_error", code: code, message: message}
}

// NotFound is a 404: what the request names does not exist, or is not the caller's.
func NotFound(code, message string) *Error {
	return &Error{status: http.StatusNotFound, typ: "invalid_request_error", code: code, message: message}
}

// ErrNotFound is the answer to a path that leads nowhere.
var ErrNotFound = NotFound("resource_missing", "not found")

// MethodNotAllowed is the 405 of a request whose path has routes for the methods allow only.
func MethodNotAllowed(method string, allow []string) *Error {
	return &Error{status: http.StatusMethodNotAllowed, typ: "invalid_request_error", code: "method_not_allowed",
		message: fmt.Sprintf("%s is not allowed here; use %s", method, strings.Join(allow, " or "))}
}

// Conflict is a 409 of a form sent again (or of what it asks, done already).
func Conflict(code, message string) *Error {
	return &Error{status: http.StatusConflict, typ: "invalid_request_error", code: code, message: message}
}

// StateConflict is a 409 of a request that the object's state refuses.
func StateConflict(code, message string) *Error {
	return &Error{status: http.StatusConflict, typ: "invalid_state_error", code: code, message: message}
}

// IdempotencyConflict is a 409 of an Idempotency-Key used with another request, or still running.
func IdempotencyConflict(code, message string) *Error {
	return &Error{status: http.StatusConflict, typ: "idempotency_error", code: code, message: message}
}

// TooManyRequests is the 429 of a client past a limit, to try again after wait.
func TooManyRequests(wait time.Duration) *Error {
	return &Error{status: http.StatusTooManyRequests, typ: "rate_limit_error", code: "rate_limited",
		message: "too many requests from this address; try again after Retry-After seconds", retryIn: wait}
}

// StatusClientClosed is the status of a request whose client left (see the rule above).
const StatusClientClosed = 499

// retryAfter is how many seconds a 503 asks the client to wait: about what a PostgreSQL restart
// takes.
const retryAfter = "5"

// AsError is the answer err gets, as Answer gives it to a client still waiting, without
// Answer's logging and headers.
func AsError(err error) *Error {
	var he *Error
	if errors.As(err, &he) {
		return he
	}
	var ce *domain.Error
	if errors.As(err, &ce) {
		return &Error{status: statusOf(ce.Kind), typ: errorType(ce.Kind), code: ce.Code, message: ce.Message, param: ce.Param, err: err}
	}
	if errors.Is(err, store.ErrUnavailable) {
		return &Error{status: http.StatusServiceUnavailable, typ: "api_error", code: "storage_unavailable",
			message: "the database is unavailable for now; retry shortly", err: err}
	}
	if errors.Is(err, store.ErrNotFound) {
		return &Error{status: http.StatusNotFound, typ: "invalid_request_error", code: "resource_missing", message: "not found", err: err}
	}
	return &Error{status: http.StatusInternalServerError, typ: "api_error", code: "internal",
		message: "an internal error occurred; it was logged", err: err}
}

// statusOf maps an error kind to its HTTP status.
func statusOf(k domain.Kind) int {
	switch k {
	case domain.KindInvalid:
		return http.StatusBadRequest
	case domain.KindNotFound:
		return http.StatusNotFound
	case domain.KindConflict:
		return http.StatusConflict
	case domain.KindUpstream:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// errorType maps an error kind to the API error object's type.
func errorType(k domain.Kind) string {
	switch k {
	case domain.KindInvalid, domain.KindNotFound:
		return "invalid_request_error"
	case domain.KindConflict:
		return "invalid_state_error"
	case domain.KindUpstream:
		return "kakaopay_error"
	}
	return "api_error"
}

// Answer is the answer err gets for r, as AsError gives it unless the client left (499). It
// logs what is ours to fix (5xx; a 503 as a warning: the database is away, not broken) with
// msg, and sets the Retry-After of a 429 or a 503.
func Answer(w http.ResponseWriter, r *http.Request, log *slog.Logger, msg string, err error) *Error {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return &Error{status: StatusClientClosed, typ: "api_error", code: "client_closed_request",
			message: "the client closed the request", err: err}
	}
	he := AsError(err)
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

// WriteError answers err as {"error":{"type","code","message","param"}} (see Answer); a client
// that left gets its status alone.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	he := Answer(w, r, log, "request failed", err)
	if he.status == StatusClientClosed {
		w.WriteHeader(he.status)
		return
	}
	var param *string
	if he.param != "" {
		param = &he.param
	}
	WriteJSON(w, he.status, map[string]any{"error": map[string]any{"type": he.typ, "code": he.code, "message": he.message, "param": param}})
}

package domain

import (
	"errors"
	"fmt"
)

// Kind says what went wrong, so that the HTTP layer can pick a status (handlers/web.AsError).
type Kind int

// Kinds of Error.
const (
	KindInvalid  Kind = iota + 1 // bad input: 400
	KindNotFound                 // 404
	KindConflict                 // the object is not in a state that allows it: 409
	KindUpstream                 // KakaoPay refused or failed: 502
)

// Error is a failure a merchant or shopper should be told about.
type Error struct {
	Kind    Kind
	Code    string // machine-readable, also the message id suffix for shopper pages
	Param   string // the offending request field, if any
	Message string // English, for the API
	Err     error  // the cause, if any
}

// Error says the code and the message, and the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap is the cause.
func (e *Error) Unwrap() error { return e.Err }

// Failed answers the error of pkg's failed operation op: the *Error in it as it is, since that is
// what the caller is to be told; any other error wrapped as "pkg: op: …".
func Failed(pkg, op string, err error) error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	return fmt.Errorf("%s: %s: %w", pkg, op, err)
}

// Invalid refuses a request's field param (or the request, when param is empty) with code.
func Invalid(param, code, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// Conflict refuses a request that the object's state does not allow.
func Conflict(code, format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound says that there is no what with that id (for this merchant).
func NotFound(what, id string) *Error {
	return &Error{Kind: KindNotFound, Code: "resource_missing", Param: "id", Message: fmt.Sprintf("no such %s: %q", what, id)}
}

// Upstream says that KakaoPay refused or failed; cause is its error, if any.
func Upstream(code, message string, cause error) *Error {
	return &Error{Kind: KindUpstream, Code: code, Message: message, Err: cause}
}

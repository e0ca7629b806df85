package checkout

import "fmt"

// Kind says what went wrong, so that the HTTP layer can pick a status.
type Kind int

// Kinds of Error.
const (
	KindInvalid  Kind = iota + 1 // bad input: 400/422
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

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("checkout: %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return "checkout: " + e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

func invalid(param, code, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

func conflict(code, format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

func notFound(what, id string) *Error {
	return &Error{Kind: KindNotFound, Code: "resource_missing", Param: "id", Message: fmt.Sprintf("no such %s: %q", what, id)}
}

package sandbox

import (
	"fmt"
	"net/http"
)

// Error codes the sandbox answers with. KakaoPay confirms only -780 (approval failure) and -781
// (cancel failure); -2 and -401 follow Kakao's common API codes, the rest are the sandbox's own
// choice in KakaoPay's -7xx range. Every error is HTTP 400 except bad keys (401).
const (
	codeInternal         = -1   // a bug in the sandbox (never for bad input)
	codeInvalidParam     = -2   // bad Content-Type, malformed JSON, missing or invalid field
	codeUnauthorized     = -401 // missing, malformed or wrong secret key
	codeNotAuthenticated = -701 // approve before the shopper approved in the wallet
	codeAlreadyDone      = -702 // the tid was already approved, failed or quit
	codeBadToken         = -703 // pg_token wrong or already used
	codeMismatch         = -706 // partner ids or total_amount differ from ready / the sid's user
	codeExpired          = -708 // the tid is older than TIDTTL and was never approved
	codeUnknownTID       = -721 // no such tid for this cid
	codeApproveFailed    = -780 // approval failure: the wallet could not pay (amount 4444)
	codeCancelFailed     = -781 // cancel failure: wrong state, too much, or cancel_available_amount mismatch
	codeBadSID           = -782 // unknown or inactive sid
	codeMerchantRefused  = -799 // the merchant may not take this payment (amount 6666 at ready)
)

// apiError is KakaoPay's error answer.
type apiError struct {
	status  int
	code    int
	message string
	extras  *extras
}

func (e *apiError) Error() string { return fmt.Sprintf("sandbox: %d %s", e.code, e.message) }

// errorBody is the JSON shape of an apiError.
type errorBody struct {
	ErrorCode    int     `json:"error_code"`
	ErrorMessage string  `json:"error_message"`
	Extras       *extras `json:"extras,omitempty"`
}

type extras struct {
	MethodResultCode    string `json:"method_result_code"`
	MethodResultMessage string `json:"method_result_message"`
}

func fail(code int, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *apiError {
	return fail(codeInvalidParam, format, args...)
}

package kakaopay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Known KakaoPay error codes; the full table is not published.
const (
	// CodeApprovalFailed is error_code -780: the approval failed.
	CodeApprovalFailed = -780
	// CodeCancelFailed is error_code -781: the cancel failed.
	CodeCancelFailed = -781
)

// maxMessageBytes bounds the body excerpt used as the message of a non-JSON error.
const maxMessageBytes = 200

// Error is a non-2xx answer from KakaoPay. Code and the method result fields are
// zero when the body was not KakaoPay's error shape (an HTML page from a proxy,
// an empty body); Message then holds the start of the body or the status text.
type Error struct {
	Endpoint            string // "approve", "manage/subscription/status", …
	HTTPStatus          int
	Code                int    // error_code, e.g. -780
	Message             string // error_message
	MethodResultCode    string // extras.method_result_code, e.g. "USER_LOCKED"
	MethodResultMessage string // extras.method_result_message
}

// Error describes the failure in one line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kakaopay: %s: HTTP %d", e.Endpoint, e.HTTPStatus)
	if e.Code != 0 {
		fmt.Fprintf(&b, ": error %d", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.MethodResultCode != "" || e.MethodResultMessage != "" {
		fmt.Fprintf(&b, " (method result %s: %s)", e.MethodResultCode, e.MethodResultMessage)
	}
	return b.String()
}

// Unauthorized reports whether KakaoPay refused the credentials (HTTP 401 or 403).
func (e *Error) Unauthorized() bool {
	return e.HTTPStatus == http.StatusUnauthorized || e.HTTPStatus == http.StatusForbidden
}

// Failure is the code and message a failed call leaves on what it was for (an attempt, a
// refund, a charge): KakaoPay's method result when it gave one, else its error code and message;
// "network_error" and the error itself when KakaoPay did not answer. The message is at most 300
// characters.
func Failure(err error) (code, message string) {
	var e *Error
	if !errors.As(err, &e) {
		return "network_error", cut(err.Error(), 300)
	}
	code, message = strconv.Itoa(e.Code), e.Message
	if e.MethodResultCode != "" {
		code = e.MethodResultCode
	}
	if e.MethodResultMessage != "" {
		message = e.MethodResultMessage
	}
	return code, cut(message, 300)
}

// cut cuts s to at most n characters.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// newError builds an *Error from a non-2xx answer body.
func newError(endpoint string, status int, body []byte) *Error {
	e := &Error{Endpoint: endpoint, HTTPStatus: status}
	var wire struct {
		Code    int    `json:"error_code"`
		Message string `json:"error_message"`
		Extras  struct {
			MethodResultCode    string `json:"method_result_code"`
			MethodResultMessage string `json:"method_result_message"`
		} `json:"extras"`
	}
	if json.Unmarshal(body, &wire) == nil && (wire.Code != 0 || wire.Message != "") {
		e.Code, e.Message = wire.Code, wire.Message
		e.MethodResultCode, e.MethodResultMessage = wire.Extras.MethodResultCode, wire.Extras.MethodResultMessage
		return e
	}
	e.Message = excerpt(body)
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// excerpt returns the first maxMessageBytes of body as trimmed, valid UTF-8.
func excerpt(body []byte) string {
	if len(body) > maxMessageBytes {
		body = body[:maxMessageBytes]
		for len(body) > 0 && !utf8.Valid(body) {
			body = body[:len(body)-1]
		}
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(body), "\uFFFD"))
}

// IsTimeout reports whether err is a timeout: the context deadline or the HTTP
// client's Timeout passed before KakaoPay answered. For Approve, Cancel and
// Subscription a timeout is an unknown outcome, not a failure (see IsOutcomeUnknown).
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// IsOutcomeUnknown reports whether KakaoPay may have carried out the call even
// though it returned err: any error other than a KakaoPay *Error with a 4xx
// status (timeouts, cancellations, dropped connections, 5xx, an unreadable 2xx
// answer). Such a payment must be settled later through Order, never assumed failed.
func IsOutcomeUnknown(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.HTTPStatus >= 500
	}
	return true
}

package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
)

// API serves the merchant JSON API under /v1/.
type API struct {
	svc     *checkout.Service
	baseURL string
	log     *slog.Logger
}

type merchantKey struct{}

// apiHandler is an API handler that knows its merchant.
type apiHandler func(w http.ResponseWriter, r *http.Request, m *store.Merchant)

// auth finds the merchant from the Bearer key; anything else is a 401.
func (a *API) auth(next apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || key == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kpcheckout"`)
			writeJSONError(w, http.StatusUnauthorized, "authentication_error", "api_key_missing",
				"send your secret key as 'Authorization: Bearer sk_test_…'", "")
			return
		}
		m, err := a.svc.Authenticate(r.Context(), strings.TrimSpace(key))
		if errors.Is(err, checkout.ErrBadKey) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kpcheckout", error="invalid_token"`)
			writeJSONError(w, http.StatusUnauthorized, "authentication_error", "api_key_invalid", "invalid API key", "")
			return
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		next(w, r, m)
	})
}

// fail answers err in the API's error shape.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ce *checkout.Error
	if errors.As(err, &ce) {
		status := statusOf(ce.Kind)
		if ce.Kind == checkout.KindInvalid {
			status = http.StatusUnprocessableEntity
		}
		if status >= 500 {
			a.log.WarnContext(r.Context(), "api upstream failure", "path", r.URL.Path, "err", err)
		}
		writeJSONError(w, status, errorType(ce.Kind), ce.Code, ce.Message, ce.Param)
		return
	}
	var be *badRequest
	if errors.As(err, &be) {
		writeJSONError(w, be.status, "invalid_request_error", be.code, be.message, be.param)
		return
	}
	a.log.ErrorContext(r.Context(), "api request failed", "path", r.URL.Path, "err", err)
	writeJSONError(w, http.StatusInternalServerError, "api_error", "internal", "an internal error occurred; it was logged", "")
}

func (a *API) notFound(w http.ResponseWriter, r *http.Request) {
	writeJSONError(w, http.StatusNotFound, "invalid_request_error", "route_missing",
		fmt.Sprintf("no API route %s %s", r.Method, r.URL.Path), "")
}

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

// writeJSONError writes {"error":{"type","code","message","param"}}.
func writeJSONError(w http.ResponseWriter, status int, typ, code, message, param string) {
	var p *string
	if param != "" {
		p = &param
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"type": typ, "code": code, "message": message, "param": p}})
}

// badRequest is a request that could not be read.
type badRequest struct {
	status               int
	code, message, param string
}

func (e *badRequest) Error() string { return e.message }

// decode reads one JSON object from the body into v, strictly: unknown, repeated or
// case-twisted fields, wrong types, invalid UTF-8, trailing data and bodies over the limit are
// refused with a clear message.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &badRequest{http.StatusUnsupportedMediaType, "content_type_invalid", "send the body as application/json", ""}
	}
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &badRequest{http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body must be at most %d bytes", mbe.Limit), ""}
	}
	if err != nil {
		return &badRequest{http.StatusBadRequest, "body_invalid", "could not read the body", ""}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := strictJSON(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &badRequest{http.StatusBadRequest, "json_invalid", "the body holds more than one JSON value", ""}
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return &badRequest{http.StatusBadRequest, "json_invalid", "the body is not valid JSON", ""}
	case errors.As(err, &te):
		field := te.Field
		msg := fmt.Sprintf("%s must be %s", field, jsonKind(te.Type.Kind().String()))
		if field == "" {
			msg = "the body must be a JSON object"
		}
		return &badRequest{http.StatusBadRequest, "parameter_invalid", msg, field}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &badRequest{http.StatusBadRequest, "parameter_unknown", fmt.Sprintf("unknown parameter %q", field), field}
	}
	return &badRequest{http.StatusBadRequest, "json_invalid", "the body is not valid JSON", ""}
}

func jsonKind(k string) string {
	switch k {
	case "int64", "int", "int32":
		return "a whole number (KRW has no minor unit)"
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	case "bool":
		return "true or false"
	}
	return "of another type"
}

// idempotent makes a POST honour Idempotency-Key: the same key and body replay the first
// answer; the same key with another body is a 409. A money request binds the key to the refund
// or charge it creates (a deactivation to its agreement) before KakaoPay is called (see idempotencyKey); a retry then answers that
// object as it is now (202 while KakaoPay's outcome is not known) and never calls KakaoPay again.
// A key is released only when the request failed before it created any money object.
func (a *API) idempotent(next apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, m *store.Merchant) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			next(w, r, m)
			return
		}
		if len(key) > 255 {
			writeJSONError(w, http.StatusBadRequest, "idempotency_error", "idempotency_key_invalid", "Idempotency-Key must be at most 255 characters", "")
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			a.fail(w, r, jsonErrorFromRead(err))
			return
		}
		sum := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\n" + string(body)))
		hash := hex.EncodeToString(sum[:])
		ctx := r.Context()
		held, prev, err := a.svc.ReserveIdempotencyKey(ctx, m.ID, key, hash, 15*time.Second)
		switch {
		case errors.Is(err, checkout.ErrKeyReused):
			writeJSONError(w, http.StatusConflict, "idempotency_error", "idempotency_key_reused",
				"this Idempotency-Key was used with another request", "")
			return
		case errors.Is(err, checkout.ErrKeyBusy):
			writeJSONError(w, http.StatusConflict, "idempotency_error", "idempotency_key_in_use",
				"a request with this Idempotency-Key is still running; retry shortly", "")
			return
		case err != nil:
			a.fail(w, r, err)
			return
		case prev != nil:
			w.Header().Set("Idempotent-Replayed", "true")
			if prev.StatusCode == 0 {
				a.answerBound(w, r, m, prev.ObjectType, prev.ObjectID)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(prev.StatusCode)
			w.Write(prev.Body)
			return
		}
		r = r.WithContext(context.WithValue(ctx, heldKey{}, held))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &bufferedWriter{header: http.Header{}, status: http.StatusOK}
		next(rec, r, m)
		bg := context.WithoutCancel(ctx)
		if final(rec.status) {
			err = a.svc.CompleteIdempotencyKey(bg, held, rec.status, rec.body.Bytes())
		} else {
			// A key bound to a money object is kept: a retry answers that object as it is then.
			err = a.svc.ReleaseIdempotencyKey(bg, held)
		}
		if err != nil {
			a.log.ErrorContext(ctx, "saving idempotency key", "err", err)
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
	}
}

// final reports whether an answer is remembered for an Idempotency-Key: not a 5xx, and not an
// answer whose retry should see what came of it (202) or try again (409, 429).
func final(status int) bool {
	return status < 500 && status != http.StatusAccepted && status != http.StatusConflict && status != http.StatusTooManyRequests
}

type heldKey struct{}

// idempotencyKey returns the Idempotency-Key reservation the request holds, or nil, for a money
// call to bind to the object it creates.
func idempotencyKey(r *http.Request) *checkout.Key {
	k, _ := r.Context().Value(heldKey{}).(*checkout.Key)
	return k
}

// answerBound answers a retry whose key is bound to a money object whose first request never
// stored its answer (it crashed, failed after KakaoPay was called, or is still settling).
func (a *API) answerBound(w http.ResponseWriter, r *http.Request, m *store.Merchant, objectType, id string) {
	switch objectType {
	case "refund":
		ref, err := a.svc.RefundOutcome(r.Context(), id)
		a.answerRefund(w, r, ref, err)
	case "charge":
		ch, err := a.svc.ChargeOutcome(r.Context(), id)
		a.answerCharge(w, r, ch, err)
	case "agreement":
		ag, err := a.svc.DeactivationOutcome(r.Context(), id)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, agreementObject(ag))
	default:
		a.fail(w, r, fmt.Errorf("idempotency key bound to an unknown object %q %q", objectType, id))
	}
}

func jsonErrorFromRead(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &badRequest{http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body must be at most %d bytes", mbe.Limit), ""}
	}
	return &badRequest{http.StatusBadRequest, "body_invalid", "could not read the body", ""}
}

// bufferedWriter holds an answer so that it can be remembered before it is sent.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedWriter) WriteHeader(code int)        { b.status = code }

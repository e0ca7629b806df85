package sandbox

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxBody bounds a request body; KakaoPay's largest request is far smaller.
const maxBody = 64 << 10

// validator is a request that checks its own fields, before the endpoint serves it.
type validator interface{ validate() error }

// handle adapts one API endpoint: it counts the call, checks the secret key, decodes the JSON body
// into a fresh Req (unknown fields ignored), validates it when Req is a validator, and writes
// serve's answer or KakaoPay's error body.
func handle[Req any](s *Sandbox, name string, serve func(context.Context, *Req) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[name]++
		s.mu.Unlock()

		var req Req
		err := s.authorize(r)
		if err == nil {
			err = decode(w, r, &req)
		}
		if v, ok := any(&req).(validator); ok && err == nil {
			err = v.validate()
		}
		var res any
		if err == nil {
			res, err = serve(r.Context(), &req)
		}
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return // the client gave up; nobody is listening
			}
			ae, ok := errors.AsType[*apiError](err)
			if !ok {
				ae = &apiError{status: http.StatusInternalServerError, code: codeInternal, message: err.Error()}
			}
			s.log.Info("sandbox: refused", "endpoint", name, "error_code", ae.code, "error_message", ae.message)
			writeJSON(w, ae.status, errorBody{ErrorCode: ae.code, ErrorMessage: ae.message, Extras: ae.extras})
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

// locked serves an endpoint that reads or changes the sandbox's payments and sids holding s.mu
// throughout.
func locked[Req any](s *Sandbox, serve func(context.Context, *Req) (any, error)) func(context.Context, *Req) (any, error) {
	return func(ctx context.Context, req *Req) (any, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return serve(ctx, req)
	}
}

// authorize checks "Authorization: SECRET_KEY {key}". DEV_SECRET_KEY, which many public clients send
// with a dev key, is accepted too, and the scheme is matched case-insensitively.
func (s *Sandbox) authorize(r *http.Request) error {
	scheme, key, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	key = strings.TrimSpace(key)
	if key == "" || (!strings.EqualFold(scheme, "SECRET_KEY") && !strings.EqualFold(scheme, "DEV_SECRET_KEY")) {
		return &apiError{status: http.StatusUnauthorized, code: codeUnauthorized,
			message: `missing or malformed Authorization header: want "SECRET_KEY {secret key}" or "DEV_SECRET_KEY {secret key}"`}
	}
	if s.secret != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.secret)) != 1 {
		return &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, message: "invalid secret key"}
	}
	return nil
}

// decode reads a JSON body into dst; KakaoPay requires Content-Type application/json.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return invalid("Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return invalid("cannot read request body: %v", err)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field != "" {
			return invalid("%s: %s is not a valid %s", te.Field, te.Value, te.Type)
		}
		return invalid("malformed JSON body: %v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = fmt.Appendf(nil, `{"error_code":%d,"error_message":"cannot encode answer"}`, codeInternal)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

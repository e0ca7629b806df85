package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/kpcheckout/kpcheckout/kakaopay"
)

// maxBody bounds every request body.
const maxBody = 64 << 10

// The baseline security headers' values, canonical keys set directly.
var (
	nosniff    = []string{"nosniff"}
	noReferrer = []string{"no-referrer"}
	deny       = []string{"DENY"}
)

// Middleware adds, around every request: a request id (X-Request-Id, also passed to
// KakaoPay), one JSON log line and its metrics, panic recovery, a body limit and baseline security headers.
func Middleware(next http.Handler, log *slog.Logger, m *Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		h := w.Header()
		h["X-Request-Id"] = []string{id}
		// Shared values, not a slice per request: handlers replace or delete them (Set, Del),
		// never write into them.
		h["X-Content-Type-Options"] = nosniff
		h["Referrer-Policy"] = noReferrer
		h["X-Frame-Options"] = deny
		r = r.WithContext(kakaopay.WithRequestID(r.Context(), id))
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(r.Context(), "panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if !rec.wrote { // the API's error object, as every other failure answers
					WriteError(rec, r, slog.New(slog.DiscardHandler), fmt.Errorf("panic: %v", p))
				}
			}
			d := time.Since(start)
			m.observe(r, rec.status, d)
			if log.Enabled(r.Context(), slog.LevelInfo) { // its attributes cost allocations even when dropped
				log.InfoContext(r.Context(), "request", "request_id", id, "method", r.Method, "path", r.URL.Path,
					"status", rec.status, "duration_ms", d.Milliseconds())
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// newRequestID is "req_" and 24 random hex digits, made with one allocation.
func newRequestID() string {
	var raw [12]byte
	rand.Read(raw[:])
	var b [4 + 2*len(raw)]byte
	copy(b[:], "req_")
	hex.Encode(b[4:], raw[:])
	return string(b[:])
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status written, for the log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

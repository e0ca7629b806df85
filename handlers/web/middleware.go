package web

import (
	"context"
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
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK, start: start, id: id, log: log, m: m}
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(r.Context(), "panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if !rec.wrote && !rec.detached { // the API's error object, as every other failure answers
					WriteError(rec, r, slog.New(slog.DiscardHandler), fmt.Errorf("panic: %v", p))
				}
			}
			if !rec.detached {
				rec.record(r.Context(), r.Pattern, r.Method, r.URL.Path, rec.status)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// record observes the request's metrics and logs its line.
func (s *statusRecorder) record(ctx context.Context, route, method, path string, status int) {
	d := time.Since(s.start)
	s.m.observe(route, status, d)
	if s.log.Enabled(ctx, slog.LevelInfo) { // its attributes cost allocations even when dropped
		s.log.InfoContext(ctx, "request", "request_id", s.id, "method", method, "path", path,
			"status", status, "duration_ms", d.Milliseconds())
	}
}

// detach leaves the request's metrics and log line to the returned function, for a parked
// request (Park) that is answered after its handler returned.
func (s *statusRecorder) detach(r *http.Request) func(status int) {
	s.detached = true
	// A copy without the ResponseWriter, which would keep net/http's response and its buffers.
	rec := &statusRecorder{start: s.start, id: s.id, log: s.log, m: s.m}
	ctx, route, method, path := r.Context(), r.Pattern, r.Method, r.URL.Path
	return func(status int) { rec.record(ctx, route, method, path, status) }
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
	status   int
	wrote    bool
	detached bool // parked: recorded when answered

	start time.Time
	id    string
	log   *slog.Logger
	m     *Metrics
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

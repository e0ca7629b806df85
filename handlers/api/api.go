// Package api serves kpcheckout's merchant JSON API under /v1/: API-key authentication,
// Idempotency-Key replays, strict JSON bodies, and one file per resource (checkouts, attempts,
// payments and refunds, agreements and charges, events, links, webhook endpoints, the merchant).
// Its errors are answered as {"error":{"type","code","message","param"}} (web.WriteError).
package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/links"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// Handler serves the merchant JSON API under /v1/: its exported methods are the routes'
// handlers and their adapters (Auth, Idempotent), which handlers.New registers.
type Handler struct {
	checkouts  *checkout.Service
	payments   *payments.Service
	links      *links.Service
	merchants  *accounts.Merchants
	endpoints  *webhook.Endpoints
	events     *webhook.Events
	keys       *domain.Idempotency
	baseURL    string
	log        *slog.Logger
	deliveries web.Waker
	qr         *web.QRCodes
	eventWaits *web.WaitLimit // followers of events waiting now, by merchant
}

// Config is what the API needs.
type Config struct {
	Services *app.Services
	// BaseURL is the public URL of this server, without a trailing slash: the url of the
	// checkout and link objects starts with it.
	BaseURL string
	// QR draws the attempt object's QR code; the shopper's page shares it.
	QR *web.QRCodes
	// Deliveries is woken when the API queues a webhook delivery (a ping, a redelivery).
	Deliveries web.Waker
	Logger     *slog.Logger
}

// New returns the API's handler.
func New(cfg Config) *Handler {
	s := cfg.Services
	return &Handler{checkouts: s.Checkouts, payments: s.Payments, links: s.Links, merchants: s.Merchants, endpoints: s.Endpoints,
		events: s.Events, keys: s.Idempotency, baseURL: cfg.BaseURL, log: cfg.Logger, deliveries: cfg.Deliveries, qr: cfg.QR,
		eventWaits: web.NewWaitLimit(maxEventWaits, maxEventWaitsPerMerchant)}
}

// apiHandler is an API handler that knows its merchant: it writes its answer or returns the
// error to answer.
type apiHandler func(w http.ResponseWriter, r *http.Request, m *store.Merchant) error

// Auth finds the merchant from the Bearer key (the scheme in any case, RFC 9110), runs next,
// and answers its error. Every API answer is for one merchant's eyes: none is stored by a cache.
func (a *Handler) Auth(next apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := a.authenticated(w, r, next); err != nil {
			web.WriteError(w, r, a.log, err)
		}
	})
}

func (a *Handler) authenticated(w http.ResponseWriter, r *http.Request, next apiHandler) error {
	scheme, key, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Bearer") || key == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kpcheckout"`)
		return web.Unauthorized("api_key_missing", "send your secret key as 'Authorization: Bearer sk_test_…'")
	}
	var m *store.Merchant
	err := accounts.ErrBadAPIKey // a key that is no text is no key: not looked up
	if web.OneLine(key) {
		m, err = a.merchants.Authenticate(r.Context(), key)
	}
	if errors.Is(err, accounts.ErrBadAPIKey) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kpcheckout", error="invalid_token"`)
		return web.Unauthorized("api_key_invalid", "invalid API key")
	}
	if err != nil {
		return err
	}
	if err := web.CheckURL(r); err != nil {
		return err
	}
	return next(w, r, m)
}

// NotFound answers an API path with no route.
func (a *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	web.WriteError(w, r, a.log, web.NotFound("route_missing", fmt.Sprintf("no API route %s %s", r.Method, r.URL.Path)))
}

// Idempotent makes a POST honour Idempotency-Key: the same key and body replay the first
// answer; the same key with another body is a 409. Whatever the request creates or changes binds
// the key in the same transaction (see idempotencyKey; a money object before KakaoPay is
// called), so the answer stored afterwards only saves work: a retry whose answer was never
// stored answers the bound object as it is now (answerBound; 202 while KakaoPay's outcome is not
// known) and never acts again. A key is released only when its request committed nothing.
func (a *Handler) Idempotent(next apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			return next(w, r, m)
		}
		if len(key) > 255 || !web.OneLine(key) {
			return web.InvalidIdempotencyKey("Idempotency-Key must be text of at most 255 characters, without control characters")
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return web.UnreadableBody(err)
		}
		sum := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\n" + string(body)))
		hash := hex.EncodeToString(sum[:])
		ctx := r.Context()
		held, prev, err := a.keys.Reserve(ctx, m.ID, key, hash, 15*time.Second)
		switch {
		case errors.Is(err, domain.ErrKeyReused):
			return web.IdempotencyConflict("idempotency_key_reused", "this Idempotency-Key was used with another request")
		case errors.Is(err, domain.ErrKeyBusy):
			return web.IdempotencyConflict("idempotency_key_in_use", "a request with this Idempotency-Key is still running; retry shortly")
		case err != nil:
			return err
		case prev != nil:
			w.Header().Set("Idempotent-Replayed", "true")
			if prev.StatusCode == 0 {
				return a.answerBound(w, r, m, prev)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(prev.StatusCode)
			w.Write(prev.Body)
			return nil
		}
		r = r.WithContext(context.WithValue(ctx, heldKey{}, held))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &bufferedWriter{header: http.Header{}, status: http.StatusOK}
		if err := next(rec, r, m); err != nil {
			web.WriteError(rec, r, a.log, err)
		}
		bg := context.WithoutCancel(ctx)
		if final(rec.status) {
			err = a.keys.Complete(bg, held, rec.status, rec.body.Bytes())
		} else {
			// A key bound to a money object is kept: a retry answers that object as it is then.
			err = a.keys.Release(bg, held)
		}
		if err != nil {
			a.log.ErrorContext(ctx, "saving idempotency key", "err", err)
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
		return nil
	}
}

// final reports whether an answer is remembered for an Idempotency-Key: not a 5xx, and not an
// answer whose retry should see what came of it (202) or try again (409, 429, 499: the client
// left before its answer).
func final(status int) bool {
	return status < 500 && status != http.StatusAccepted && status != http.StatusConflict && status != http.StatusTooManyRequests &&
		status != web.StatusClientClosed
}

type heldKey struct{}

// idempotencyKey returns the Idempotency-Key reservation the request holds, or nil, for the
// service to bind to what the request creates or changes, in the same transaction.
func idempotencyKey(r *http.Request) *domain.Reservation {
	k, _ := r.Context().Value(heldKey{}).(*domain.Reservation)
	return k
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

// Package kakaopay is a typed client for KakaoPay's online payment API
// (ready, approve, cancel, order, subscription charges, subscription status and
// inactive). The sandbox peer answers the same paths under another base URL.
package kakaopay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is KakaoPay's production API base.
const DefaultBaseURL = "https://open-api.kakaopay.com"

// TestCID is KakaoPay's test merchant code for one-time payments.
const TestCID = "TC0ONETIME"

// TestSubscriptionCID is KakaoPay's test merchant code for subscriptions.
const TestSubscriptionCID = "TCSUBSCRIP"

// DefaultTimeout is the HTTP timeout used when Options.HTTPClient is nil.
const DefaultTimeout = 10 * time.Second

// maxAnswerBytes bounds how much of an answer body is read.
const maxAnswerBytes = 1 << 20

// Options configures New.
type Options struct {
	// BaseURL is an absolute http(s) URL such as DefaultBaseURL or the sandbox's
	// "{KPCHECKOUT_BASE_URL}/sandbox"; a trailing slash is ignored.
	BaseURL string
	// SecretKey is sent as "Authorization: SECRET_KEY {key}"; required.
	SecretKey string
	// HTTPClient defaults to an *http.Client with DefaultTimeout.
	HTTPClient *http.Client
	// Logger receives one Debug line per call; it defaults to slog.Default().
	Logger *slog.Logger
	// Observe, when set, is told of every call: its endpoint, its outcome ("ok", "refused" for a
	// 4xx answer, "unknown" when KakaoPay may have acted: see IsOutcomeUnknown) and duration.
	Observe func(endpoint, outcome string, d time.Duration)
}

// Client talks to KakaoPay (or the sandbox peer). It is safe for concurrent use.
type Client struct {
	base      string
	secretKey string
	http      *http.Client
	log       *slog.Logger
	observe   func(endpoint, outcome string, d time.Duration)
}

// New returns a Client for opts, checking that BaseURL is an absolute http(s) URL.
func New(opts Options) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(opts.BaseURL), "/")
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("kakaopay: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("kakaopay: base URL %q is not an absolute http(s) URL", opts.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("kakaopay: base URL %q has a query or fragment", opts.BaseURL)
	}
	if opts.SecretKey == "" {
		return nil, fmt.Errorf("kakaopay: secret key is required")
	}
	c := &Client{base: base, secretKey: opts.SecretKey, http: opts.HTTPClient, log: opts.Logger, observe: opts.Observe}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultTimeout}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// String describes the client without revealing its secret key.
func (c *Client) String() string { return "kakaopay.Client(" + c.base + ")" }

type requestIDKey struct{}

// WithRequestID returns a context whose KakaoPay calls carry id as X-Request-Id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id set by WithRequestID, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Ready starts a payment and returns its tid and the wallet URLs.
func (c *Client) Ready(ctx context.Context, req ReadyRequest) (*ReadyResponse, error) {
	return call[ReadyResponse](ctx, c, "ready", req)
}

// Approve completes a payment with the shopper's pg_token.
//
// An error for which IsOutcomeUnknown reports true (a timeout, a dropped
// connection, a 5xx) does not mean the payment failed: KakaoPay may have approved
// it. Settle such attempts with Order instead of retrying or marking them failed.
func (c *Client) Approve(ctx context.Context, req ApproveRequest) (*ApproveResponse, error) {
	return call[ApproveResponse](ctx, c, "approve", req)
}

// Cancel refunds all or part of an approved payment.
//
// When IsOutcomeUnknown(err) reports true the refund may have happened: check
// Order (canceled_amount) before trying again.
func (c *Client) Cancel(ctx context.Context, req CancelRequest) (*CancelResponse, error) {
	return call[CancelResponse](ctx, c, "cancel", req)
}

// Order returns a payment's status and history; KakaoPay sends no webhooks, so
// this is how the server learns what the shopper did.
func (c *Client) Order(ctx context.Context, req OrderRequest) (*OrderResponse, error) {
	return call[OrderResponse](ctx, c, "order", req)
}

// Subscription charges a subscription key (sid) with no shopper present.
//
// When IsOutcomeUnknown(err) reports true the charge may have been made. Without
// an answer there is no tid to pass to Order, so hold the charge as unknown for
// review instead of charging the same order again.
func (c *Client) Subscription(ctx context.Context, req SubscriptionRequest) (*ApproveResponse, error) {
	return call[ApproveResponse](ctx, c, "subscription", req)
}

// SubscriptionStatus reports whether a subscription key can still be charged.
func (c *Client) SubscriptionStatus(ctx context.Context, req SIDRequest) (*SubscriptionStatusResponse, error) {
	return call[SubscriptionStatusResponse](ctx, c, "manage/subscription/status", req)
}

// Inactive deactivates a subscription key for good.
func (c *Client) Inactive(ctx context.Context, req SIDRequest) (*SubscriptionStatusResponse, error) {
	return call[SubscriptionStatusResponse](ctx, c, "manage/subscription/inactive", req)
}

// outcomeOf names a call's outcome for metrics.
func outcomeOf(err error) string {
	switch {
	case err == nil:
		return "ok"
	case IsOutcomeUnknown(err):
		return "unknown"
	}
	return "refused"
}

// call POSTs in to endpoint and returns the decoded 2xx answer.
func call[T any](ctx context.Context, c *Client, endpoint string, in any) (*T, error) {
	var out T
	if err := c.do(ctx, endpoint, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// do POSTs in as JSON to endpoint and decodes a 2xx answer into out. It never
// logs bodies, so neither the secret key nor a pg_token reaches the logs.
func (c *Client) do(ctx context.Context, endpoint string, in, out any) (err error) {
	start := time.Now()
	status := 0
	defer func() {
		attrs := []slog.Attr{
			slog.String("endpoint", endpoint),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
		}
		if id := RequestID(ctx); id != "" {
			attrs = append(attrs, slog.String("request_id", id))
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "kakaopay call", attrs...)
		if c.observe != nil {
			c.observe(endpoint, outcomeOf(err), time.Since(start))
		}
	}()

	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("kakaopay: %s: encode request: %w", endpoint, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/online/v1/payment/"+endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("kakaopay: %s: %w", endpoint, err)
	}
	req.Header.Set("Authorization", "SECRET_KEY "+c.secretKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if id := RequestID(ctx); id != "" {
		req.Header.Set("X-Request-Id", id)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("kakaopay: %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return fmt.Errorf("kakaopay: %s: read answer: %w", endpoint, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newError(endpoint, resp.StatusCode, data)
	}
	if len(data) > maxAnswerBytes {
		return fmt.Errorf("kakaopay: %s: answer larger than %d bytes", endpoint, maxAnswerBytes)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("kakaopay: %s: decode answer: %w", endpoint, err)
	}
	return nil
}

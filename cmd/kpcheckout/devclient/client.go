// Package devclient is what a developer's kpcheckout commands do over the merchant API of a
// running server: follow its events (events --follow), forward them to a local receiver signed
// as webhooks are (listen), and make events happen through the sandbox's wallet (trigger,
// checkout pay). It speaks HTTP only, and reads no flag nor environment: cmd/kpcheckout does.
package devclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls the merchant API of a running kpcheckout with one API key.
type Client struct {
	base string
	key  string
	http *http.Client
}

// New calls the server at base (its http(s) address, no trailing slash) with key.
func New(base, key string) *Client {
	return &Client{base: base, key: key, http: &http.Client{Timeout: 60 * time.Second}}
}

// apiError is an error answer of the API.
type apiError struct {
	Status  int
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param"`
}

func (e *apiError) Error() string {
	if e.Status == http.StatusUnauthorized {
		return "the server refused the API key: " + e.Message + " (a sandbox server gives its demo merchant a new key at every start)"
	}
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}

// unreachableError is a call that got no answer from the server.
type unreachableError struct {
	base string
	err  error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("no answer from kpcheckout at %s (%v): is it running? --url or KPCHECKOUT_URL names another", e.base, e.err)
}

func (e *unreachableError) Unwrap() error { return e.err }

// bare is a request's error without the method and URL that the caller says already.
func bare(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// call sends one API request with body (as JSON, when not nil) and decodes a 2xx answer into out
// (when not nil).
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &unreachableError{base: c.base, err: bare(err)}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return &unreachableError{base: c.base, err: err}
	}
	if res.StatusCode >= 300 {
		var e struct{ Error apiError }
		if json.Unmarshal(data, &e) != nil || e.Error.Message == "" {
			return &unreachableError{base: c.base, err: fmt.Errorf("%s %s answered %s", method, path, res.Status)}
		}
		e.Error.Status = res.StatusCode
		return &e.Error
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// account is the merchant of the key, from GET /v1/merchant.
type account struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Livemode bool   `json:"livemode"`
}

// merchant reads the merchant the key belongs to.
func (c *Client) merchant(ctx context.Context) (*account, error) {
	var m account
	if err := c.call(ctx, http.MethodGet, "/v1/merchant", nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// TestMerchant checks that the key is a test merchant's, refusing a live one: what pays through
// the sandbox (for what, a command's name) is for test mode.
func (c *Client) TestMerchant(ctx context.Context, what string) error {
	if strings.HasPrefix(c.key, "sk_live_") {
		return fmt.Errorf("%s makes test payments through the sandbox, and this is a live key (sk_live_…): give a test key (sk_test_…)", what)
	}
	m, err := c.merchant(ctx)
	if err == nil && m.Livemode {
		return fmt.Errorf("%s makes test payments through the sandbox, and %s is a live merchant: give a test merchant's key", what, m.ID)
	}
	return err
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// defaultURL is where the API commands look for a server when neither --url nor KPCHECKOUT_URL
// says.
const defaultURL = "http://127.0.0.1:8080"

// apiClient calls the merchant API of a running kpcheckout, as --url and --api-key say.
type apiClient struct {
	base   string
	key    string
	envKey string
	http   *http.Client
}

// newAPIClient defines --url and --api-key on fs, their defaults from KPCHECKOUT_URL and
// KPCHECKOUT_API_KEY; ready checks them once fs is parsed.
func newAPIClient(fs *flag.FlagSet, getenv func(string) string) *apiClient {
	c := &apiClient{http: &http.Client{Timeout: 60 * time.Second}}
	base := getenv("KPCHECKOUT_URL")
	if base == "" {
		base = defaultURL
	}
	fs.StringVar(&c.base, "url", base, "the kpcheckout server (KPCHECKOUT_URL)")
	fs.StringVar(&c.key, "api-key", "", "the merchant's API key, sk_test_… (default: KPCHECKOUT_API_KEY)")
	c.envKey = getenv("KPCHECKOUT_API_KEY") // not the flag's default: help would show it
	return c
}

// ready checks the flags: a key is needed.
func (c *apiClient) ready() error {
	c.base = strings.TrimRight(c.base, "/")
	if !strings.HasPrefix(c.base, "http://") && !strings.HasPrefix(c.base, "https://") {
		return fmt.Errorf("--url %q: give the server's http(s) address, e.g. %s", c.base, defaultURL)
	}
	if c.key == "" {
		c.key = c.envKey
	}
	if c.key == "" {
		return errors.New("--api-key is required (or KPCHECKOUT_API_KEY): the test key kpcheckout serve printed, or one made on the dashboard's API keys page")
	}
	return nil
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
func (c *apiClient) call(ctx context.Context, method, path string, body, out any) error {
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

// apiMerchant is the merchant of the key, from GET /v1/merchant.
type apiMerchant struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Livemode bool   `json:"livemode"`
}

// merchant reads the merchant the key belongs to.
func (c *apiClient) merchant(ctx context.Context) (*apiMerchant, error) {
	var m apiMerchant
	if err := c.call(ctx, http.MethodGet, "/v1/merchant", nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// testMerchant is merchant, refusing a live one: what pays through the sandbox is for test mode.
func (c *apiClient) testMerchant(ctx context.Context, what string) (*apiMerchant, error) {
	if strings.HasPrefix(c.key, "sk_live_") {
		return nil, fmt.Errorf("%s makes test payments through the sandbox, and this is a live key (sk_live_…): give a test key (sk_test_…)", what)
	}
	m, err := c.merchant(ctx)
	if err == nil && m.Livemode {
		return nil, fmt.Errorf("%s makes test payments through the sandbox, and %s is a live merchant: give a test merchant's key", what, m.ID)
	}
	return m, err
}

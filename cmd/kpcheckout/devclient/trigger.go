package devclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
)

// Trigger makes event (one of Triggerable) happen in test mode, through the API and the
// sandbox's wallet, as a shopper and a merchant would; it tells what it did.
func (c *Client) Trigger(ctx context.Context, event string) (string, error) {
	do, ok := recipes()[event]
	if !ok {
		return "", fmt.Errorf("trigger cannot make %s", event)
	}
	return do(ctx, c)
}

// Triggerable lists the events Trigger makes, sorted.
func Triggerable() []string {
	var list []string
	for name := range recipes() {
		list = append(list, name)
	}
	slices.Sort(list)
	return list
}

// Pay has the sandbox's wallet act on a test checkout as a shopper would (action: approve,
// cancel or fail), and tells what became of the checkout.
func (c *Client) Pay(ctx context.Context, checkoutID, action string) (string, error) {
	co, err := walletPay(ctx, c, checkoutID, action)
	if err != nil {
		return "", err
	}
	if co.Status == "paid" {
		return fmt.Sprintf("%s is paid: %s, %s won (%s)", co.ID, co.Payment.ID, won(co.Payment.Amount), co.Payment.Method), nil
	}
	return fmt.Sprintf("%s is %s: the wallet's answer was %s", co.ID, co.Status, action), nil
}

// recipe makes one event happen through the API and the sandbox; it tells what it did.
type recipe func(ctx context.Context, api *Client) (string, error)

// recipes are the events trigger makes, each with the way it makes it.
func recipes() map[string]recipe {
	paid := func(mode string) payer {
		return func(ctx context.Context, api *Client) (*checkoutObject, error) {
			c, err := createTestCheckout(ctx, api, mode)
			if err != nil {
				return nil, err
			}
			if c, err = walletPay(ctx, api, c.ID, "approve"); err == nil && c.Status != "paid" {
				err = fmt.Errorf("checkout %s is %s after the wallet approved", c.ID, c.Status)
			}
			return c, err
		}
	}
	pay, subscribe := paid(checkout.ModePayment), paid(checkout.ModeSubscription)
	return map[string]recipe{
		"checkout.created": func(ctx context.Context, api *Client) (string, error) {
			c, err := createTestCheckout(ctx, api, checkout.ModePayment)
			return then(c, err, func() string { return "made checkout " + c.ID })
		},
		"checkout.paid": func(ctx context.Context, api *Client) (string, error) {
			c, err := pay(ctx, api)
			return then(c, err, func() string { return fmt.Sprintf("checkout %s was paid (%s)", c.ID, c.Payment.ID) })
		},
		"checkout.expired": func(ctx context.Context, api *Client) (string, error) {
			c, err := createTestCheckout(ctx, api, checkout.ModePayment)
			if err == nil {
				err = api.call(ctx, http.MethodPost, "/v1/checkouts/"+c.ID+"/expire", nil, c)
			}
			return then(c, err, func() string { return "checkout " + c.ID + " was expired" })
		},
		"attempt.created": func(ctx context.Context, api *Client) (string, error) {
			c, err := createTestCheckout(ctx, api, checkout.ModePayment)
			var at *attemptObject
			if err == nil {
				at, err = startAttempt(ctx, api, c.ID)
			}
			return then(c, err, func() string { return fmt.Sprintf("checkout %s has attempt %s, waiting in the wallet", c.ID, at.ID) })
		},
		"attempt.canceled": walletEnds("cancel"),
		"attempt.failed":   walletEnds("fail"),
		"refund.created":   refund(pay),
		"refund.succeeded": refund(pay),
		"agreement.activated": func(ctx context.Context, api *Client) (string, error) {
			c, err := subscribe(ctx, api)
			return then(c, err, func() string {
				return fmt.Sprintf("checkout %s was paid and agreement %s is active", c.ID, *c.Agreement)
			})
		},
		"agreement.deactivated": func(ctx context.Context, api *Client) (string, error) {
			c, err := subscribe(ctx, api)
			if err == nil {
				err = api.call(ctx, http.MethodPost, "/v1/agreements/"+*c.Agreement+"/deactivate", nil, nil)
			}
			return then(c, err, func() string { return fmt.Sprintf("agreement %s of checkout %s was deactivated", *c.Agreement, c.ID) })
		},
		"charge.created":   charge(subscribe, 5000),
		"charge.succeeded": charge(subscribe, 5000),
		"charge.failed":    charge(subscribe, 4444), // the sandbox's amount for a wallet that cannot pay
	}
}

// NotTriggered says, for each event type Trigger cannot make, where it comes from.
func NotTriggered() map[string]string {
	return map[string]string{
		"checkout.canceled":                   "no checkout is ever canceled: a shopper who cancels in the wallet ends the attempt (attempt.canceled) and the checkout stays open until it is paid or expires (checkout.expired); the type is kept for a future way to cancel",
		"attempt.authenticating":              "it comes when the server learns from KakaoPay's order API that a shopper opened the wallet, while the checkout page waits: open a checkout's page and press 테스트 지갑 열기",
		"attempt.expired":                     "an attempt expires 15 minutes after it started, unpaid: kpcheckout trigger attempt.created, then wait",
		"attempt.approved_after_paid":         "it comes from a second wallet approved after the checkout was paid another way",
		"attempt.approved_after_expiry":       "it comes from a wallet approved after its checkout expired",
		"attempt.approved_after_link_used_up": "it comes from a wallet approved after a one-time payment link was used up",
		"attempt.voided":                      "it comes when such a late approval is canceled at KakaoPay",
		"refund.failed":                       "the sandbox refunds what it is asked to",
		"charge.unknown":                      "it comes when KakaoPay's answer to a charge is lost",
		"webhook_endpoint.disabled":           "it comes when an endpoint took nothing for 3 days",
		"ping":                                "a ping goes to one webhook endpoint: the dashboard's Send test event, or POST /v1/webhook_endpoints/{id}/test",
	}
}

// checkoutObject is the part of a checkout object trigger and pay read.
type checkoutObject struct {
	ID        string  `json:"id"`
	Status    string  `json:"status"`
	Agreement *string `json:"agreement"`
	Payment   *struct {
		ID     string `json:"id"`
		Amount int64  `json:"amount"`
		Method string `json:"method"`
	} `json:"payment"`
}

// madeObject is the part of the refund or charge object a recipe makes that it tells.
type madeObject struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// attemptObject is the part of an attempt object trigger and pay read.
type attemptObject struct {
	ID        string `json:"id"`
	MobileURL string `json:"mobile_url"`
}

// createTestCheckout makes a checkout for trigger: two coffees and a croissant, or a monthly
// plan.
func createTestCheckout(ctx context.Context, api *Client, mode string) (*checkoutObject, error) {
	back := api.base + "/c/{CHECKOUT_ID}"
	if u, err := url.Parse(api.base); err != nil || (u.Scheme != "https" && !isLoopbackName(u.Hostname())) {
		back = "https://example.com/kpcheckout-trigger?checkout={CHECKOUT_ID}" // http is for loopback only
	}
	body := map[string]any{"reference": "TRIGGER-" + time.Now().Format("20060102-150405.000"), "mode": mode,
		"success_url": back, "failure_url": back, "metadata": map[string]string{"made_by": "kpcheckout trigger"}}
	if mode == checkout.ModeSubscription {
		body["amount"] = 9900
		body["items"] = []map[string]any{{"name": "월간 원두 구독", "quantity": 1, "unit_price": 9900}}
	} else {
		body["amount"] = 11000
		body["items"] = []map[string]any{{"name": "아메리카노", "quantity": 2, "unit_price": 4500}, {"name": "크루아상", "quantity": 1, "unit_price": 2000}}
	}
	var c checkoutObject
	if err := api.call(ctx, http.MethodPost, "/v1/checkouts", body, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// startAttempt starts a phone's payment of the checkout.
func startAttempt(ctx context.Context, api *Client, checkoutID string) (*attemptObject, error) {
	var at attemptObject
	if err := api.call(ctx, http.MethodPost, "/v1/checkouts/"+url.PathEscape(checkoutID)+"/attempts", map[string]string{"device": "mobile"}, &at); err != nil {
		return nil, err
	}
	if !strings.Contains(at.MobileURL, "/sandbox/wallet/") {
		return nil, errors.New("this server pays through KakaoPay itself, not its built-in sandbox: only a server in sandbox mode (no KakaoPay secret key) lets the command line act as the shopper")
	}
	return &at, nil
}

// walletPay starts a phone's payment of the checkout and has the sandbox's wallet act on it
// (approve, cancel or fail), as the shopper would, then follows the wallet back to the server as
// the phone's browser would, and reads the checkout.
func walletPay(ctx context.Context, api *Client, checkoutID, action string) (*checkoutObject, error) {
	at, err := startAttempt(ctx, api, checkoutID)
	if err != nil {
		return nil, err
	}
	phone := &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	back, err := walletStep(ctx, phone, at.MobileURL, action)
	if err != nil {
		return nil, err
	}
	if _, err := walletStep(ctx, phone, back, ""); err != nil {
		return nil, err
	}
	var c checkoutObject
	if err := api.call(ctx, http.MethodGet, "/v1/checkouts/"+url.PathEscape(checkoutID), nil, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// walletStep GETs u as the phone's browser, with X-Sandbox-Auto: auto when it is not empty, and
// answers where it is sent next.
func walletStep(ctx context.Context, phone *http.Client, u, auto string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) kpcheckout-cli")
	if auto != "" {
		req.Header.Set("X-Sandbox-Auto", auto)
	}
	res, err := phone.Do(req)
	if err != nil {
		return "", fmt.Errorf("the sandbox's wallet: %w", err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	if res.StatusCode >= 400 {
		return "", fmt.Errorf("the sandbox's wallet answered %s for %s", res.Status, u)
	}
	return res.Header.Get("Location"), nil
}

// walletEnds is the recipe of an attempt the wallet ends without paying.
func walletEnds(action string) recipe {
	return func(ctx context.Context, api *Client) (string, error) {
		c, err := createTestCheckout(ctx, api, checkout.ModePayment)
		if err == nil {
			c, err = walletPay(ctx, api, c.ID, action)
		}
		return then(c, err, func() string {
			return fmt.Sprintf("the wallet's answer was %s; checkout %s is %s", action, c.ID, c.Status)
		})
	}
}

// payer pays a new test checkout (a recipe's first step) and answers it.
type payer func(ctx context.Context, api *Client) (*checkoutObject, error)

// refund is the recipe of a partial refund of a paid checkout.
func refund(pay payer) recipe {
	return func(ctx context.Context, api *Client) (string, error) {
		c, err := pay(ctx, api)
		var r madeObject
		if err == nil {
			err = api.call(ctx, http.MethodPost, "/v1/payments/"+c.Payment.ID+"/refunds", map[string]any{"amount": 4500, "reason": "kpcheckout trigger"}, &r)
		}
		return then(c, err, func() string {
			return fmt.Sprintf("refund %s (%s) of 4,500 won of payment %s of checkout %s", r.ID, r.Status, c.Payment.ID, c.ID)
		})
	}
}

// charge is the recipe of a charge of amount on a new agreement.
func charge(subscribe payer, amount int64) recipe {
	return func(ctx context.Context, api *Client) (string, error) {
		c, err := subscribe(ctx, api)
		var ch madeObject
		if err == nil {
			err = api.call(ctx, http.MethodPost, "/v1/agreements/"+*c.Agreement+"/charges",
				map[string]any{"amount": amount, "reference": "TRIGGER-CHARGE-" + time.Now().Format("150405.000")}, &ch)
			var refused *apiError
			if errors.As(err, &refused) && refused.Code == "kakaopay_refused" && amount == 4444 {
				ch.Status, err = "failed: "+refused.Message, nil // what charge.failed is made of
			}
		}
		return then(c, err, func() string {
			if ch.ID == "" {
				return fmt.Sprintf("a charge of %s won on agreement %s %s", won(amount), *c.Agreement, ch.Status)
			}
			return fmt.Sprintf("charge %s of %s won on agreement %s: %s", ch.ID, won(amount), *c.Agreement, ch.Status)
		})
	}
}

// then is what a recipe answers: the sentence, or the error.
func then(c *checkoutObject, err error, sentence func() string) (string, error) {
	if err != nil {
		return "", err
	}
	return sentence(), nil
}

// won writes an amount with thousands separators: 11,000.
func won(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// isLoopbackName tells whether host is this machine by name or loopback address.
func isLoopbackName(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

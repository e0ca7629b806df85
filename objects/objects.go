// Package objects shapes kpcheckout's records as the merchant API's JSON objects. The API's
// answers and its events' data (the webhooks' bodies) are built here alike, so that an event
// carries the whole object as it was when the event happened.
package objects

import (
	"encoding/json"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Item is one line of a checkout's order.
type Item struct {
	Name      string `json:"name"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

// Customer is the shopper a checkout names.
type Customer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Checkout is the checkout object.
type Checkout struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	URL           string            `json:"url"`
	Status        string            `json:"status"`
	Mode          string            `json:"mode"`
	Livemode      bool              `json:"livemode"`
	Amount        int64             `json:"amount"`
	TaxFreeAmount int64             `json:"tax_free_amount"`
	Currency      string            `json:"currency"`
	Reference     string            `json:"reference"`
	Description   string            `json:"description"`
	Items         []Item            `json:"items"`
	Customer      *Customer         `json:"customer"`
	SuccessURL    string            `json:"success_url"`
	FailureURL    string            `json:"failure_url"`
	Locale        *string           `json:"locale"`
	Metadata      map[string]string `json:"metadata"`
	ExpiresAt     time.Time         `json:"expires_at"`
	CreatedAt     time.Time         `json:"created_at"`
	Payment       *CheckoutPayment  `json:"payment"`
	Agreement     *string           `json:"agreement"`
	Link          *string           `json:"link"`
}

// CheckoutPayment is the payment inside a paid checkout object.
type CheckoutPayment struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	Checkout       string    `json:"checkout"`
	Amount         int64     `json:"amount"`
	RefundedAmount int64     `json:"refunded_amount"`
	Currency       string    `json:"currency"`
	Method         string    `json:"method"`
	TID            string    `json:"tid"`
	ApprovedAt     time.Time `json:"approved_at"`
}

// NewCheckout is checkout c's object: url is its hosted page, p its payment (nil while unpaid)
// and agreement the id of the agreement it set up ("" for none).
func NewCheckout(c *store.Checkout, livemode bool, url string, p *store.Payment, agreement string) Checkout {
	out := Checkout{
		ID: c.ID, Object: "checkout", URL: url, Status: c.Status, Mode: c.Mode, Livemode: livemode, Amount: c.Amount,
		TaxFreeAmount: c.TaxFreeAmount, Currency: c.Currency, Reference: c.Reference, Description: c.Description,
		Items: make([]Item, 0, len(c.Items)), SuccessURL: c.SuccessURL, FailureURL: c.FailureURL, Metadata: c.Metadata,
		ExpiresAt: c.ExpiresAt, CreatedAt: c.CreatedAt, Agreement: nullString(agreement), Link: nullString(c.LinkID),
		Locale: nullString(c.Locale),
	}
	for _, it := range c.Items {
		out.Items = append(out.Items, Item(it))
	}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	if c.CustomerName != "" || c.CustomerEmail != "" {
		out.Customer = &Customer{Name: c.CustomerName, Email: c.CustomerEmail}
	}
	if p != nil {
		out.Payment = &CheckoutPayment{ID: p.ID, Object: "payment", Checkout: c.ID, Amount: p.Amount,
			RefundedAmount: p.RefundedAmount, Currency: c.Currency, Method: p.Method, TID: p.TID, ApprovedAt: p.ApprovedAt}
	}
	return out
}

// Refund is the refund object.
type Refund struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	Payment        string    `json:"payment"`
	Checkout       *string   `json:"checkout"`
	Amount         int64     `json:"amount"`
	TaxFreeAmount  int64     `json:"tax_free_amount"`
	Currency       string    `json:"currency"`
	Reason         string    `json:"reason"`
	Status         string    `json:"status"`
	FailureCode    *string   `json:"failure_code"`
	FailureMessage *string   `json:"failure_message"`
	CreatedAt      time.Time `json:"created_at"`
}

// NewRefund is refund r's object; checkoutID is its payment's checkout, "" for a charge's.
func NewRefund(r *store.Refund, checkoutID string) Refund {
	out := Refund{ID: r.ID, Object: "refund", Payment: r.PaymentID, Checkout: nullString(checkoutID), Amount: r.Amount,
		TaxFreeAmount: r.TaxFreeAmount, Currency: "KRW", Reason: r.Reason, Status: r.Status, CreatedAt: r.CreatedAt}
	if r.FailureCode != "" {
		out.FailureCode, out.FailureMessage = &r.FailureCode, &r.FailureMessage
	}
	return out
}

// Payment is the payment object, with its refunds.
type Payment struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	Checkout       *string   `json:"checkout"`
	Agreement      *string   `json:"agreement"`
	Amount         int64     `json:"amount"`
	TaxFreeAmount  int64     `json:"tax_free_amount"`
	RefundedAmount int64     `json:"refunded_amount"`
	Currency       string    `json:"currency"`
	Method         string    `json:"method"`
	TID            string    `json:"tid"`
	ApprovedAt     time.Time `json:"approved_at"`
	Refunds        []Refund  `json:"refunds"`
}

// NewPayment is payment p's object with its refunds.
func NewPayment(p *store.Payment, refunds []*store.Refund) Payment {
	out := Payment{ID: p.ID, Object: "payment", Checkout: nullString(p.CheckoutID), Agreement: nullString(p.AgreementID),
		Amount: p.Amount, TaxFreeAmount: p.TaxFreeAmount, RefundedAmount: p.RefundedAmount, Currency: "KRW",
		Method: p.Method, TID: p.TID, ApprovedAt: p.ApprovedAt, Refunds: make([]Refund, 0, len(refunds))}
	for _, r := range refunds {
		out.Refunds = append(out.Refunds, NewRefund(r, p.CheckoutID))
	}
	return out
}

// Agreement is the agreement object.
type Agreement struct {
	ID        string    `json:"id"`
	Object    string    `json:"object"`
	Checkout  string    `json:"checkout"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewAgreement is agreement a's object.
func NewAgreement(a *store.Agreement) Agreement {
	return Agreement{ID: a.ID, Object: "agreement", Checkout: a.CheckoutID, Status: a.Status, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

// Charge is the charge object.
type Charge struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	Agreement      string    `json:"agreement"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	Reference      string    `json:"reference"`
	Status         string    `json:"status"`
	Payment        *string   `json:"payment"`
	FailureCode    *string   `json:"failure_code"`
	FailureMessage *string   `json:"failure_message"`
	CreatedAt      time.Time `json:"created_at"`
}

// NewCharge is charge c's object.
func NewCharge(c *store.Charge) Charge {
	out := Charge{ID: c.ID, Object: "charge", Agreement: c.AgreementID, Amount: c.Amount, Currency: "KRW",
		Reference: c.Reference, Status: c.Status, Payment: nullString(c.PaymentID), CreatedAt: c.CreatedAt}
	if c.FailureCode != "" {
		out.FailureCode, out.FailureMessage = &c.FailureCode, &c.FailureMessage
	}
	return out
}

// Attempt is the attempt object of events: one KakaoPay payment request of a checkout and what
// came of it. VoidStatus is set for an approval that is not the checkout's payment ("pending"
// until it is canceled at KakaoPay, then "voided").
type Attempt struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	Checkout       string    `json:"checkout"`
	Status         string    `json:"status"`
	Device         string    `json:"device"`
	TID            *string   `json:"tid"`
	Method         *string   `json:"method"`
	FailureCode    *string   `json:"failure_code"`
	FailureMessage *string   `json:"failure_message"`
	VoidStatus     *string   `json:"void_status"`
	ExpiresAt      time.Time `json:"expires_at"`
	CreatedAt      time.Time `json:"created_at"`
}

// NewAttempt is attempt a's object.
func NewAttempt(a *store.Attempt) Attempt {
	out := Attempt{ID: a.ID, Object: "attempt", Checkout: a.CheckoutID, Status: a.Status, Device: a.Device,
		TID: nullString(a.TID), Method: nullString(a.Method), VoidStatus: nullString(a.VoidStatus),
		ExpiresAt: a.ExpiresAt, CreatedAt: a.CreatedAt}
	if a.FailureCode != "" {
		out.FailureCode, out.FailureMessage = &a.FailureCode, &a.FailureMessage
	}
	return out
}

// JSON is object v as an event's data; nil, which domain.NewEvent takes as {}, in the one case
// it cannot be written (a time past the year 9999, which inputs are bounded against).
func JSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// StrayApproval is the data of attempt.approved_after_paid, …_after_expiry and
// …_after_link_used_up: the attempt KakaoPay approved though it cannot be its checkout's payment,
// the amount it approved, and the checkout's status then. kpcheckout cancels it at KakaoPay
// (attempt.voided follows).
type StrayApproval struct {
	Attempt
	Amount         int64  `json:"amount"`
	CheckoutStatus string `json:"checkout_status"`
}

// Void is the data of attempt.voided: the attempt whose stray approval was canceled at KakaoPay,
// and the amount KakaoPay canceled.
type Void struct {
	Attempt
	CanceledAmount int64 `json:"canceled_amount"`
}

// Endpoint is the webhook endpoint object; Secret is there only when it is new.
type Endpoint struct {
	ID            string    `json:"id"`
	Object        string    `json:"object"`
	URL           string    `json:"url"`
	Description   string    `json:"description"`
	EnabledEvents []string  `json:"enabled_events"`
	Disabled      bool      `json:"disabled"`
	CreatedAt     time.Time `json:"created_at"`
	Secret        string    `json:"secret,omitempty"`
}

// NewEndpoint is endpoint ep's object, with its secret when it is new ("" otherwise).
func NewEndpoint(ep *store.WebhookEndpoint, secret string) Endpoint {
	return Endpoint{ID: ep.ID, Object: "webhook_endpoint", URL: ep.URL, Description: ep.Description,
		EnabledEvents: ep.EnabledEvents, Disabled: ep.Disabled, CreatedAt: ep.CreatedAt, Secret: secret}
}

// EndpointDisabled is the data of webhook_endpoint.disabled: the endpoint, and why it was.
type EndpointDisabled struct {
	Endpoint
	Reason string `json:"reason"`
}

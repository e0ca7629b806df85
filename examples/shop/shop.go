package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed shop.html
var templateFS embed.FS

// product is something the shop sells; prices are whole won.
type product struct {
	ID    string
	Name  string
	Price int64
}

// Order statuses: pending until a verified webhook says paid, expired or canceled.
const (
	orderPending  = "pending"
	orderPaid     = "paid"
	orderExpired  = "expired"
	orderCanceled = "canceled"
)

// order is one purchase; only the webhook handler moves its Status on.
type order struct {
	ID          string
	Lines       []line
	Amount      int64
	Status      string
	CheckoutID  string
	CheckoutURL string
	PaidAt      time.Time // when the shop learned it was paid (and would ship it)
}

// line is a product and how many of it.
type line struct {
	Product  product
	Quantity int
}

// Total is the line's price.
func (l line) Total() int64 { return l.Product.Price * int64(l.Quantity) }

// shop is the merchant's site. Its orders live in memory, in a map behind a mutex: a real shop
// keeps them, and the webhook events it has handled, in its database.
type shop struct {
	cfg      config
	secret   string // the webhook endpoint's secret
	log      *slog.Logger
	client   *http.Client
	pages    *template.Template
	products []product

	mu     sync.Mutex
	orders map[string]*order
	seen   map[string]bool // webhook event ids already handled
}

// newShop builds the shop and, when no webhook secret is configured, registers its endpoint.
func newShop(ctx context.Context, cfg config, log *slog.Logger) (*shop, error) {
	pages, err := template.New("").Funcs(template.FuncMap{"won": won, "head": head}).ParseFS(templateFS, "shop.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	s := &shop{cfg: cfg, secret: cfg.WebhookSecret, log: log, client: &http.Client{Timeout: 10 * time.Second}, pages: pages,
		products: []product{{"americano", "아메리카노", 4500}, {"croissant", "크루아상", 2000}},
		orders:   map[string]*order{}, seen: map[string]bool{}}
	if s.secret == "" {
		if s.secret, err = s.registerEndpoint(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// routes maps the shop's URLs; cross-origin form posts are refused (browsers send
// Sec-Fetch-Site; kpcheckout's webhooks, sent by a server, pass).
func (s *shop) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.showShop)
	mux.HandleFunc("POST /orders", s.createOrder)
	mux.HandleFunc("GET /orders/{id}", s.showOrder)
	mux.HandleFunc("POST /webhooks", s.receiveWebhook)
	return http.NewCrossOriginProtection().Handler(mux)
}

// showShop lists the products with a quantity each; ?order= is a checkout that came back unpaid.
func (s *shop) showShop(w http.ResponseWriter, r *http.Request) {
	s.render(w, "shop", map[string]any{"Products": s.products, "Unpaid": r.URL.Query().Get("order") != ""})
}

// createOrder makes an order of the quantities posted, a checkout for it, and sends the
// shopper to the checkout.
func (s *shop) createOrder(w http.ResponseWriter, r *http.Request) {
	o := &order{ID: "ord_" + strings.ToLower(rand.Text()[:16]), Status: orderPending}
	for _, p := range s.products {
		n, err := strconv.Atoi(cmp.Or(r.PostFormValue("qty_"+p.ID), "0"))
		if err != nil || n < 0 || n > 10 {
			http.Error(w, "수량은 0에서 10 사이여야 합니다.", http.StatusBadRequest)
			return
		}
		if n > 0 {
			o.Lines = append(o.Lines, line{p, n})
			o.Amount += p.Price * int64(n)
		}
	}
	if len(o.Lines) == 0 {
		http.Error(w, "상품을 하나 이상 골라 주세요.", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.orders[o.ID] = o
	s.mu.Unlock()
	id, checkoutURL, err := s.createCheckout(r.Context(), o)
	if err != nil {
		s.log.ErrorContext(r.Context(), "create checkout", "order", o.ID, "err", err)
		http.Error(w, "결제를 시작하지 못했습니다. 잠시 후 다시 시도해 주세요.", http.StatusBadGateway)
		return
	}
	s.mu.Lock()
	o.CheckoutID, o.CheckoutURL = id, checkoutURL
	s.mu.Unlock()
	s.log.InfoContext(r.Context(), "order created", "order", o.ID, "amount", o.Amount, "checkout", id)
	http.Redirect(w, r, checkoutURL, http.StatusSeeOther)
}

// showOrder shows an order as the webhooks left it: kpcheckout appends ?checkout_id= when it
// sends the shopper here, and that proves nothing, so it is not even read.
func (s *shop) showOrder(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	o, ok := s.orders[r.PathValue("id")]
	var view order
	if ok {
		view = *o
	}
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.render(w, "order", view)
}

// receiveWebhook verifies a delivery against the raw body before reading it, then applies it:
// verify.go checks the webhook-signature header, an HMAC-SHA256 of the webhook-id, the
// webhook-timestamp (within 5 minutes of now) and the body, as Standard Webhooks says.
func (s *shop) receiveWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	if err := verifyWebhook(s.secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
		s.log.WarnContext(r.Context(), "webhook refused", "err", err)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	var c checkoutObject
	if strings.HasPrefix(ev.Type, "checkout.") {
		if err := json.Unmarshal(ev.Data.Object, &c); err != nil {
			http.Error(w, "bad JSON", http.StatusBadRequest)
			return
		}
	}
	s.apply(r.Context(), ev, c)
	w.WriteHeader(http.StatusNoContent)
}

// event is the part of kpcheckout's event object, a webhook's body, that the shop reads.
type event struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Object json.RawMessage `json:"object"` // the object the event concerns, as the API answers it
	} `json:"data"`
}

// checkoutObject is the data.object of a checkout.* event: the checkout, whose reference is our
// order id.
type checkoutObject struct {
	ID        string `json:"id"`
	Reference string `json:"reference"`
	Amount    int64  `json:"amount"`
}

// apply moves an order on for an event, once per event id: deliveries come at least once.
func (s *shop) apply(ctx context.Context, ev event, c checkoutObject) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[ev.ID] {
		s.log.InfoContext(ctx, "webhook already handled", "event", ev.ID)
		return
	}
	s.seen[ev.ID] = true
	o := s.orders[c.Reference]
	if o == nil || o.CheckoutID != c.ID {
		s.log.InfoContext(ctx, "webhook for no order of ours", "event", ev.ID, "type", ev.Type, "reference", c.Reference)
		return
	}
	switch {
	case ev.Type == "checkout.paid" && c.Amount != o.Amount:
		s.log.ErrorContext(ctx, "paid amount differs from the order's", "order", o.ID, "paid", c.Amount, "want", o.Amount)
	case ev.Type == "checkout.paid" && o.Status != orderPaid:
		o.Status, o.PaidAt = orderPaid, time.Now()
		s.log.InfoContext(ctx, "order paid: ship it", "order", o.ID, "event", ev.ID)
	case ev.Type == "checkout.expired" && o.Status == orderPending:
		o.Status = orderExpired
		s.log.InfoContext(ctx, "order expired", "order", o.ID, "event", ev.ID)
	case ev.Type == "checkout.canceled" && o.Status == orderPending:
		o.Status = orderCanceled
		s.log.InfoContext(ctx, "order canceled", "order", o.ID, "event", ev.ID)
	}
}

// createCheckout asks kpcheckout for a checkout of order o; the order id is its reference, its
// metadata's order_id and its Idempotency-Key, so a retry after a lost answer gets the same
// checkout back.
func (s *shop) createCheckout(ctx context.Context, o *order) (id, checkoutURL string, err error) {
	type item struct {
		Name      string `json:"name"`
		Quantity  int    `json:"quantity"`
		UnitPrice int64  `json:"unit_price"`
	}
	req := struct {
		Amount     int64             `json:"amount"`
		Reference  string            `json:"reference"`
		Items      []item            `json:"items"`
		Metadata   map[string]string `json:"metadata"`
		SuccessURL string            `json:"success_url"`
		FailureURL string            `json:"failure_url"`
	}{Amount: o.Amount, Reference: o.ID, Metadata: map[string]string{"order_id": o.ID},
		SuccessURL: s.cfg.BaseURL + "/orders/" + o.ID, FailureURL: s.cfg.BaseURL + "/?order=" + url.QueryEscape(o.ID)}
	for _, l := range o.Lines {
		req.Items = append(req.Items, item{l.Product.Name, l.Quantity, l.Product.Price})
	}
	var res struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	if err := s.callAPI(ctx, http.MethodPost, "/v1/checkouts", o.ID, req, &res); err != nil {
		return "", "", fmt.Errorf("create checkout for %s: %w", o.ID, err)
	}
	return res.ID, res.URL, nil
}

// registerEndpoint asks kpcheckout to send checkout.paid, .expired and .canceled to this shop and
// returns the endpoint's secret. Endpoints left by earlier runs at the same URL are deleted first:
// their secrets are gone with those runs.
func (s *shop) registerEndpoint(ctx context.Context) (string, error) {
	hookURL := s.cfg.BaseURL + "/webhooks"
	var list struct {
		Data []struct {
			ID  string `json:"id"`
			URL string `json:"url"`
		} `json:"data"`
	}
	if err := s.callAPI(ctx, http.MethodGet, "/v1/webhook_endpoints", "", nil, &list); err != nil {
		return "", fmt.Errorf("list webhook endpoints: %w", err)
	}
	for _, ep := range list.Data {
		if ep.URL == hookURL {
			if err := s.callAPI(ctx, http.MethodDelete, "/v1/webhook_endpoints/"+ep.ID, "", nil, nil); err != nil {
				return "", fmt.Errorf("delete old webhook endpoint: %w", err)
			}
		}
	}
	req := map[string]any{"url": hookURL, "enabled_events": []string{"checkout.paid", "checkout.expired", "checkout.canceled"}}
	var ep struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if err := s.callAPI(ctx, http.MethodPost, "/v1/webhook_endpoints", "", req, &ep); err != nil {
		return "", fmt.Errorf("register webhook endpoint: %w", err)
	}
	s.log.InfoContext(ctx, "webhook endpoint registered", "id", ep.ID, "url", hookURL)
	return ep.Secret, nil
}

// callAPI sends in (when not nil) as JSON to kpcheckout's API and decodes a 2xx answer into out
// (when not nil); any other answer is an error carrying the API's message.
func (s *shop) callAPI(ctx context.Context, method, path, idempotencyKey string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.cfg.Kpcheckout+path, body)
	if err != nil {
		return fmt.Errorf("kpcheckout %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.APIKey)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("kpcheckout %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("kpcheckout %s %s: %w", method, path, err)
	}
	if res.StatusCode/100 != 2 {
		var apiErr struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		json.Unmarshal(data, &apiErr)
		return fmt.Errorf("kpcheckout %s %s: %s: %s", method, path, res.Status, apiErr.Error.Message)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("kpcheckout %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// render executes the page into a buffer first, so that a template error never sends half a page.
func (s *shop) render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render", "page", name, "err", err)
		http.Error(w, "페이지를 표시하지 못했습니다.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	buf.WriteTo(w)
}

// pageHead is what a page's head needs: its title, and whether it reloads itself every few
// seconds (an order that waits for its webhook, so the shopper needs no reload button).
type pageHead struct {
	Title   string
	Refresh bool
}

func head(title string, refresh bool) pageHead { return pageHead{title, refresh} }

// won formats an amount the Korean way: 11000 → "11,000원".
func won(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s + "원"
}

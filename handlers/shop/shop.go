// Package shop serves what a shopper sees: the hosted checkout page in every state, the
// payment link pages (with their QR code and poster), the status endpoint the page's script
// long-polls, the test-mode page, and KakaoPay's return callbacks. Its errors are localized
// pages that lead back to the checkout or the shop.
package shop

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/links"
	"github.com/kpcheckout/kpcheckout/views"
)

// Handler serves the hosted checkout pages, the payment links' pages, the status endpoint the
// pages' script polls, and KakaoPay's return callbacks: its exported methods are the routes'
// handlers and their adapters (Page, JSON), which handlers.New registers.
type Handler struct {
	checkouts *checkout.Service
	links     *links.Service
	merchants *accounts.Merchants
	pages     *web.Pages
	baseURL   string
	testMode  bool
	waits     *web.WaitLimit
	parking   *web.Parking // the status long-polls that wait
	proxies   web.Proxies  // whose X-Forwarded-For names the client
	// linkCheckouts and paymentStarts limit, per client address, the checkouts opened from links
	// and the payments started (KakaoPay ready calls) from the pages.
	linkCheckouts *addrRate
	paymentStarts *addrRate
	qr            *web.QRCodes
	log           *slog.Logger
}

// Config is what the shopper's pages need.
type Config struct {
	Services *app.Services
	Pages    *web.Pages
	// QR draws the QR code of a desktop attempt; the API shares it.
	QR *web.QRCodes
	// BaseURL is the public URL of this server, without a trailing slash.
	BaseURL string
	// TestMode shows the sandbox's test tools on the pages.
	TestMode bool
	// Proxies are the load balancers whose X-Forwarded-For names the client.
	Proxies web.Proxies
	// MaxWaiting and MaxWaitingPerIP cap the status long-polls waiting at once, in all and per
	// client address (20,000 and 100 when zero).
	MaxWaiting      int
	MaxWaitingPerIP int
	// LinkCheckoutsPerMinute and PaymentStartsPerMinute limit, per client address, the
	// checkouts opened from payment links and the KakaoPay payments started (30 and 60 when zero).
	LinkCheckoutsPerMinute int
	PaymentStartsPerMinute int
	// Now is the clock of the per-address limits; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// New returns the shopper pages' handler.
func New(cfg Config) *Handler {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Handler{checkouts: cfg.Services.Checkouts, links: cfg.Services.Links, merchants: cfg.Services.Merchants, pages: cfg.Pages, baseURL: cfg.BaseURL, testMode: cfg.TestMode,
		waits: web.NewWaitLimit(cfg.MaxWaiting, cfg.MaxWaitingPerIP), parking: web.NewParking(cfg.Logger), proxies: cfg.Proxies,
		linkCheckouts: newAddrRate(cmp.Or(cfg.LinkCheckoutsPerMinute, 30), now),
		paymentStarts: newAddrRate(cmp.Or(cfg.PaymentStartsPerMinute, 60), now),
		qr:            cfg.QR, log: cfg.Logger}
}

// Page serves a shopper page: a path, query or form that is not text, or an error, gets a
// localized error page that leads on (see ShowError).
func (h *Handler) Page(next func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return h.pages.Page(next, h.leadOn)
}

// JSON serves an endpoint the page's script calls: a path or query that is not text, or an
// error, gets the API's JSON error object.
func (h *Handler) JSON(next func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := web.CheckURL(r); err != nil {
			web.WriteError(w, r, h.log, err)
			return
		}
		if err := next(w, r); err != nil {
			web.WriteError(w, r, h.log, err)
		}
	})
}

// ShowError answers a localized error page for err (web.Pages.ShowError) that leads on from
// the checkout the path names.
func (h *Handler) ShowError(w http.ResponseWriter, r *http.Request, err error) {
	h.pages.ShowError(w, r, err, h.leadOn)
}

// leadOn leads an error page on when the path names a checkout: back to its payment page while
// it is open, else back to the shop.
func (h *Handler) leadOn(ctx context.Context, r *http.Request, he *web.Error, m *views.MessageModel) {
	id := r.PathValue("id")
	if id == "" || he.Status() == http.StatusNotFound || !web.OneLine(id) {
		return
	}
	// Past the request's cancellation: a body cut at the read deadline cancels it, and the
	// shopper who waits for this page still needs its way back.
	st, err := h.checkouts.Snapshot(context.WithoutCancel(r.Context()), id)
	if err != nil {
		return
	}
	l := views.L(ctx)
	m.Footer = l.T("footer.page", map[string]any{"Merchant": st.Merchant.Name})
	switch {
	case st.Open() && he.Code() != "link_used_up": // a used-up link's checkout has nothing left to pay
		m.LinkURL, m.LinkText = templ.SafeURL(web.CheckoutURL(id, "")), l.T("error.back_to_page", nil)
	case st.Paid():
		m.LinkURL, m.LinkText = templ.SafeURL(successURL(st.Checkout.SuccessURL, id)), views.BackTo(ctx, st.Merchant.Name)
	default:
		m.LinkURL, m.LinkText = templ.SafeURL(failureURL(st.Checkout.FailureURL, id)), views.BackTo(ctx, st.Merchant.Name)
	}
}

// successURL is where a paid checkout sends the shopper: {CHECKOUT_ID} replaced, or
// checkout_id appended.
func successURL(raw, id string) string {
	if strings.Contains(raw, "{CHECKOUT_ID}") {
		return strings.ReplaceAll(raw, "{CHECKOUT_ID}", url.QueryEscape(id))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set("checkout_id", id)
	u.RawQuery = q.Encode()
	return u.String()
}

// failureURL is where the shopper goes back to the shop without paying; {CHECKOUT_ID} is
// replaced as in successURL.
func failureURL(raw, id string) string {
	return strings.ReplaceAll(raw, "{CHECKOUT_ID}", url.QueryEscape(id))
}

// ShowTestMode explains test mode (served in test mode only): the sandbox's outcomes by amount,
// X-Sandbox-Auto and the test CIDs, so that nobody needs the README to try a payment.
func (h *Handler) ShowTestMode(w http.ResponseWriter, r *http.Request) error {
	lang := h.pages.Lang(w, r, "")
	ctx := h.pages.Context(r, lang)
	h.pages.Render(w, r, ctx, http.StatusOK, views.TestModePage(views.TestModeModel{LangURL: web.LangURL(r, lang), BaseURL: h.baseURL}))
	return nil
}

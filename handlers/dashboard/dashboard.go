// Package dashboard serves the merchant dashboard under /dashboard/: sign-in with e-mail and
// password, the home's numbers, checkouts (with their CSV export), payments and refunds,
// agreements and charges, payment links, webhook endpoints, API keys, users and settings. Its
// pages render through web.Pages and call the domain services (app.Services); a signed-in user's refused
// request gets a dashboard page that says why.
package dashboard

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/links"
	"github.com/kpcheckout/kpcheckout/payments"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// Handler serves the merchant dashboard under /dashboard/: its users sign in with an e-mail
// and password and see their own merchant's numbers and checkouts. Its exported methods are the
// routes' handlers and their adapters (Public, SignedIn, Owner), which handlers.New registers;
// those of the webhook endpoints' and the payment links' pages are on Webhooks and Links.
type Handler struct {
	checkouts *checkout.Service
	payments  *payments.Service
	links     *links.Service
	merchants *accounts.Merchants
	users     *accounts.Users
	endpoints *webhook.Endpoints
	events    *webhook.Events
	keys      *domain.Idempotency
	clock     domain.Clock
	pages     *web.Pages // the language, the page context, render and the error page
	sessions  sessions.Store
	baseURL   string
	secure    bool        // the cookie is Secure: the base URL is https
	proxies   web.Proxies // whose X-Forwarded-For names the client, for the sign-in throttle
	seoul     *time.Location
	log       *slog.Logger
	// deliveries is woken when a form queues a webhook delivery (a test event, a redelivery),
	// so that it goes out now rather than at the deliverer's next tick.
	deliveries web.Waker
}

// Webhooks serves the pages of a merchant's webhook endpoints and their deliveries, over the
// dashboard's Handler.
type Webhooks struct{ *Handler }

// Webhooks are the handlers of the webhook endpoints' pages.
func (h *Handler) Webhooks() *Webhooks { return &Webhooks{h} }

// Links serves the pages of a merchant's payment links, over the dashboard's Handler.
type Links struct{ *Handler }

// Links are the handlers of the payment links' pages.
func (h *Handler) Links() *Links { return &Links{h} }

// Config is what the dashboard needs.
type Config struct {
	Services *app.Services
	Pages    *web.Pages
	Sessions sessions.Store // the dashboard's cookie is one of its sessions
	// BaseURL is the public URL of this server, without a trailing slash: a link's public URL
	// starts with it, and the cookie is Secure when it is https.
	BaseURL string
	// Proxies are the load balancers whose X-Forwarded-For names the client.
	Proxies web.Proxies
	// Deliveries is woken when a form queues a webhook delivery.
	Deliveries web.Waker
	Logger     *slog.Logger
}

// dashSessionName is the dashboard's cookie, apart from the shopper's: signing out of one
// leaves the other.
const dashSessionName = "kpcheckout_dash"

// dashSessionKey is the cookie's value that carries the session's token: the session itself, its
// limits and its end, is a row in the database (accounts.Users.StartSession).
const dashSessionKey = "sid"

// New returns the dashboard's handler.
func New(cfg Config) *Handler {
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil { // no tzdata: Korea has had no daylight saving since 1988
		seoul = time.FixedZone("KST", 9*60*60)
	}
	s := cfg.Services
	return &Handler{checkouts: s.Checkouts, payments: s.Payments, links: s.Links, merchants: s.Merchants, users: s.Users,
		endpoints: s.Endpoints, events: s.Events, keys: s.Idempotency, clock: s.Clock, pages: cfg.Pages, sessions: cfg.Sessions, baseURL: cfg.BaseURL,
		secure: strings.HasPrefix(cfg.BaseURL, "https://"), proxies: cfg.Proxies, seoul: seoul, log: cfg.Logger, deliveries: cfg.Deliveries}
}

// User is the signed-in user with its merchant: every dashboard page shows that merchant's
// data and no other's.
type User struct {
	*store.User
	Merchant *store.Merchant
}

// Owner reports whether the user may manage keys, webhook endpoints, users and settings; staff
// see everything else and refund.
func (u *User) Owner() bool { return u.Role == accounts.RoleOwner }

// dashHandler is a page of a signed-in user.
type dashHandler func(w http.ResponseWriter, r *http.Request, u *User) error

// Public serves a dashboard page that needs no user (the sign-in form).
func (h *Handler) Public(next func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return h.pages.Page(next, nil)
}

// SignedIn serves a page to a signed-in user; anyone else is sent to the sign-in form.
func (h *Handler) SignedIn(next dashHandler) http.Handler {
	return h.pages.Page(func(w http.ResponseWriter, r *http.Request) error {
		u, err := h.user(w, r)
		if errors.Is(err, errSignedOut) {
			http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
			return nil
		}
		if err != nil {
			return err
		}
		if err := next(w, r, u); err != nil {
			h.showError(w, r, u, err)
		}
		return nil
	}, nil)
}

// showError answers a signed-in user's refused request with a dashboard page that says why,
// in the status web.Answer gives it (dash.error.<code>, or dash.error.default), and leads
// back to the page the form was on.
func (h *Handler) showError(w http.ResponseWriter, r *http.Request, u *User, err error) {
	he := web.Answer(w, r, h.log, "dashboard request failed", err)
	if he.Status() == web.StatusClientClosed {
		w.WriteHeader(he.Status())
		return
	}
	ctx, _ := h.pageContext(w, r)
	l := views.L(ctx)
	body := l.T("dash.error.default", nil)
	if l.Has("dash.error." + he.Code()) {
		body = l.T("dash.error."+he.Code(), nil)
	}
	back := "/dashboard"
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && strings.HasPrefix(ref.Path, "/dashboard") && ref.Path != r.URL.Path {
		back = dashURL(ref.Path, ref.Query())
	}
	h.pages.Render(w, r, ctx, he.Status(), views.DashError(views.DashErrorModel{Nav: h.nav(w, r, u, ""), Body: body, BackURL: back}))
}

// errOwnersOnly answers a staff user on an owner's page or form.
var errOwnersOnly = web.Forbidden("owner_only", "only the merchant's owners may do this")

// Owner serves a page or form that only owners may use (keys, webhook endpoints, users,
// settings and the other actions that are not a refund); staff get 403.
func (h *Handler) Owner(next dashHandler) http.Handler {
	return h.SignedIn(func(w http.ResponseWriter, r *http.Request, u *User) error {
		if !u.Owner() {
			return errOwnersOnly
		}
		return next(w, r, u)
	})
}

// errSignedOut means the request has no live dashboard session.
var errSignedOut = errors.New("dashboard: not signed in")

// user returns the signed-in user of the request's session, read now; a session that has ended
// (signed out, idle, expired, its user's password changed or the user removed) also loses its
// cookie.
func (h *Handler) user(w http.ResponseWriter, r *http.Request) (*User, error) {
	s := h.session(r)
	token, _ := s.Values[dashSessionKey].(string)
	if token == "" {
		return nil, errSignedOut
	}
	u, err := h.users.SessionUser(r.Context(), token)
	if errors.Is(err, accounts.ErrSignedOut) {
		h.dropCookie(w, r, s)
		return nil, errSignedOut
	}
	if err != nil {
		return nil, err
	}
	m, err := h.merchants.Merchant(r.Context(), u.MerchantID)
	if err != nil {
		return nil, err
	}
	return &User{User: u, Merchant: m}, nil
}

// session returns the dashboard session; a cookie that no longer decodes starts a new one.
func (h *Handler) session(r *http.Request) *sessions.Session {
	s, err := h.sessions.Get(r, dashSessionName)
	if err != nil {
		h.log.DebugContext(r.Context(), "dashboard cookie dropped", "err", err)
	}
	return s
}

// startSession signs u in with a fresh session, in place of this browser's earlier one: nothing
// from before signing in is carried over. It answers accounts.ErrBadLogin when u's password
// changed since it was checked.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, u *store.User) error {
	earlier, _ := h.session(r).Values[dashSessionKey].(string)
	token, err := h.users.StartSession(r.Context(), u, earlier)
	if err != nil {
		return err
	}
	s := sessions.NewSession(h.sessions, dashSessionName)
	s.IsNew = true
	s.Values[dashSessionKey] = token
	h.save(w, r, s)
	return nil
}

// endSession signs the request's session out everywhere and deletes its cookie.
func (h *Handler) endSession(w http.ResponseWriter, r *http.Request) error {
	s := h.session(r)
	token, _ := s.Values[dashSessionKey].(string)
	if err := h.users.EndSession(r.Context(), token); err != nil {
		return err
	}
	h.dropCookie(w, r, s)
	return nil
}

// dropCookie deletes the dashboard cookie.
func (h *Handler) dropCookie(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
	s.Values = map[any]any{}
	h.save(w, r, s, -1)
}

// save writes the session's cookie: HttpOnly, SameSite=Lax, Secure over https, for /dashboard
// only, dropped by the browser after the absolute timeout (maxAge -1 deletes it).
func (h *Handler) save(w http.ResponseWriter, r *http.Request, s *sessions.Session, maxAge ...int) {
	age := int(accounts.SessionLifetime / time.Second)
	if len(maxAge) > 0 {
		age = maxAge[0]
	}
	s.Options = &sessions.Options{Path: "/dashboard", MaxAge: age, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode}
	if err := s.Save(r, w); err != nil {
		h.log.WarnContext(r.Context(), "saving dashboard session", "err", err)
	}
}

// loginURL is the sign-in form, in the request's language when it names one.
func loginURL(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "ko" || l == "en" {
		return "/dashboard/login?lang=" + l
	}
	return "/dashboard/login"
}

// dashURL is a dashboard path with the query q, which may be empty.
func dashURL(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// pageContext is a dashboard page's context, in the language the pages remember.
func (h *Handler) pageContext(w http.ResponseWriter, r *http.Request) (context.Context, string) {
	lang := h.pages.Lang(w, r, "")
	return h.pages.Context(r, lang), lang
}

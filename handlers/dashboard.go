package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// Dashboard serves the merchant dashboard under /dashboard/: its users sign in with an e-mail
// and password and see their own merchant's numbers and checkouts.
type Dashboard struct {
	shop     *Shopper // for the language, the page context, render and the error page
	svc      *checkout.Service
	sessions sessions.Store
	secure   bool // the cookie is Secure: the base URL is https
	seoul    *time.Location
	log      *slog.Logger
	// deliveries is woken when a form queues a webhook delivery (a test event, a redelivery),
	// so that it goes out now rather than at the deliverer's next tick.
	deliveries Waker
}

// dashSessionName is the dashboard's cookie, apart from the shopper's: signing out of one
// leaves the other.
const dashSessionName = "kpcheckout_dash"

// dashSessionKey is the cookie's value that carries the session's token: the session itself, its
// limits and its end, is a row in the database (checkout.StartSession).
const dashSessionKey = "sid"

func newDashboard(shop *Shopper, cfg Config) *Dashboard {
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil { // no tzdata: Korea has had no daylight saving since 1988
		seoul = time.FixedZone("KST", 9*60*60)
	}
	return &Dashboard{shop: shop, svc: cfg.Service, sessions: cfg.Sessions, secure: strings.HasPrefix(cfg.BaseURL, "https://"),
		seoul: seoul, log: cfg.Logger, deliveries: cfg.Deliveries}
}

// dashUser is the signed-in user with its merchant: every dashboard page shows that merchant's
// data and no other's.
type dashUser struct {
	*store.User
	Merchant *store.Merchant
}

// Owner reports whether the user may manage keys, webhook endpoints, users and settings; staff
// see everything else and refund.
func (u *dashUser) Owner() bool { return u.Role == checkout.RoleOwner }

// dashHandler is a page of a signed-in user.
type dashHandler func(w http.ResponseWriter, r *http.Request, u *dashUser) error

// public serves a dashboard page that needs no user (the sign-in form).
func (h *Dashboard) public(next func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return h.shop.page(next)
}

// signedIn serves a page to a signed-in user; anyone else is sent to the sign-in form.
func (h *Dashboard) signedIn(next dashHandler) http.Handler {
	return h.shop.page(func(w http.ResponseWriter, r *http.Request) error {
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
	})
}

// showError answers a signed-in user's refused request with a dashboard page that says why,
// in the status answerOf gives it (dash.error.<code>, or dash.error.default), and leads
// back to the page the form was on.
func (h *Dashboard) showError(w http.ResponseWriter, r *http.Request, u *dashUser, err error) {
	he := answerOf(w, r, h.log, "dashboard request failed", err)
	if he.status == statusClientClosed {
		w.WriteHeader(he.status)
		return
	}
	ctx, _ := h.pageContext(w, r)
	l := views.L(ctx)
	body := l.T("dash.error.default", nil)
	if l.Has("dash.error." + he.code) {
		body = l.T("dash.error."+he.code, nil)
	}
	back := "/dashboard"
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && strings.HasPrefix(ref.Path, "/dashboard") && ref.Path != r.URL.Path {
		back = dashURL(ref.Path, ref.Query())
	}
	h.shop.render(w, r, ctx, he.status, views.DashError(views.DashErrorModel{Nav: h.nav(w, r, u, ""), Body: body, BackURL: back}))
}

// errOwnersOnly answers a staff user on an owner's page or form.
var errOwnersOnly = &httpError{status: http.StatusForbidden, typ: "invalid_request_error", code: "owner_only",
	message: "only the merchant's owners may do this"}

// owner serves a page or form that only owners may use (keys, webhook endpoints, users,
// settings and the other actions that are not a refund); staff get 403.
func (h *Dashboard) owner(next dashHandler) http.Handler {
	return h.signedIn(func(w http.ResponseWriter, r *http.Request, u *dashUser) error {
		if !u.Owner() {
			return errOwnersOnly
		}
		return next(w, r, u)
	})
}

// errSignedOut means the request has no live dashboard session.
var errSignedOut = errors.New("handlers: not signed in")

// user returns the signed-in user of the request's session, read now; a session that has ended
// (signed out, idle, expired, its user's password changed or the user removed) also loses its
// cookie.
func (h *Dashboard) user(w http.ResponseWriter, r *http.Request) (*dashUser, error) {
	s := h.session(r)
	token, _ := s.Values[dashSessionKey].(string)
	if token == "" {
		return nil, errSignedOut
	}
	u, err := h.svc.SessionUser(r.Context(), token)
	if errors.Is(err, checkout.ErrSignedOut) {
		h.dropCookie(w, r, s)
		return nil, errSignedOut
	}
	if err != nil {
		return nil, err
	}
	m, err := h.svc.MerchantByID(r.Context(), u.MerchantID)
	if err != nil {
		return nil, err
	}
	return &dashUser{User: u, Merchant: m}, nil
}

// session returns the dashboard session; a cookie that no longer decodes starts a new one.
func (h *Dashboard) session(r *http.Request) *sessions.Session {
	s, err := h.sessions.Get(r, dashSessionName)
	if err != nil {
		h.log.DebugContext(r.Context(), "dashboard cookie dropped", "err", err)
	}
	return s
}

// startSession signs u in with a fresh session, in place of this browser's earlier one: nothing
// from before signing in is carried over. It answers checkout.ErrBadLogin when u's password
// changed since it was checked.
func (h *Dashboard) startSession(w http.ResponseWriter, r *http.Request, u *store.User) error {
	earlier, _ := h.session(r).Values[dashSessionKey].(string)
	token, err := h.svc.StartSession(r.Context(), u, earlier)
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
func (h *Dashboard) endSession(w http.ResponseWriter, r *http.Request) error {
	s := h.session(r)
	token, _ := s.Values[dashSessionKey].(string)
	if err := h.svc.EndSession(r.Context(), token); err != nil {
		return err
	}
	h.dropCookie(w, r, s)
	return nil
}

// dropCookie deletes the dashboard cookie.
func (h *Dashboard) dropCookie(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
	s.Values = map[any]any{}
	h.save(w, r, s, -1)
}

// save writes the session's cookie: HttpOnly, SameSite=Lax, Secure over https, for /dashboard
// only, dropped by the browser after the absolute timeout (maxAge -1 deletes it).
func (h *Dashboard) save(w http.ResponseWriter, r *http.Request, s *sessions.Session, maxAge ...int) {
	age := int(checkout.SessionLifetime / time.Second)
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

// pageContext is the shopper pages' context, for the dashboard's language.
func (h *Dashboard) pageContext(w http.ResponseWriter, r *http.Request) (context.Context, string) {
	lang := h.shop.lang(w, r, "")
	return h.shop.pageContext(r, lang), lang
}

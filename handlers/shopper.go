package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gorilla/sessions"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/static"
	"github.com/kpcheckout/kpcheckout/views"
)

// Shopper serves the hosted checkout pages and KakaoPay's return callbacks.
type Shopper struct {
	svc      *checkout.Service
	bundle   *i18n.Bundle
	assets   *static.Assets
	sessions sessions.Store
	baseURL  string
	testMode bool
	waits    *waitLimit
	proxies  Proxies // whose X-Forwarded-For names the client
	// linkCheckouts and paymentStarts limit, per client address, the checkouts opened from links
	// and the payments started (KakaoPay ready calls) from the pages.
	linkCheckouts *addrRate
	paymentStarts *addrRate
	qr            *qrCodes
	log           *slog.Logger
}

// sessionName is the cookie holding the shopper's language and the attempts this browser began.
const sessionName = "kpcheckout"

// pageCSP lets pages load only their own CSS, JS and inline QR image, and be framed by no one.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// formCSP is pageCSP for a page whose forms may end at another origin: the checkout page's
// "cancel and go back" form is answered with a redirect to the shop, and browsers hold a form's
// redirects to form-action too.
func formCSP(target string) string {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return pageCSP
	}
	return strings.Replace(pageCSP, "form-action 'self'", "form-action 'self' "+u.Scheme+"://"+u.Host, 1)
}

var matcher = language.NewMatcher([]language.Tag{language.Korean, language.English})

// session returns the shopper's session; a cookie that no longer decodes starts a new one.
func (h *Shopper) session(r *http.Request) *sessions.Session {
	s, err := h.sessions.Get(r, sessionName)
	if err != nil {
		h.log.DebugContext(r.Context(), "session cookie dropped", "err", err)
	}
	return s
}

// lang picks the page language: ?lang= (remembered in the session), the session, the
// checkout's locale, Accept-Language, then Korean.
func (h *Shopper) lang(w http.ResponseWriter, r *http.Request, checkoutLocale string) string {
	s := h.session(r)
	if q := r.URL.Query().Get("lang"); q == "ko" || q == "en" {
		if s.Values["lang"] != q {
			s.Values["lang"] = q
			h.save(w, r, s)
		}
		return q
	}
	if l, ok := s.Values["lang"].(string); ok && (l == "ko" || l == "en") {
		return l
	}
	if checkoutLocale == "ko" || checkoutLocale == "en" {
		return checkoutLocale
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, _ := language.ParseAcceptLanguage(al)
		if len(tags) > 0 {
			_, i, conf := matcher.Match(tags...)
			if conf != language.No && i == 1 {
				return "en"
			}
		}
	}
	return "ko"
}

func (h *Shopper) save(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
	if err := s.Save(r, w); err != nil {
		h.log.WarnContext(r.Context(), "saving session", "err", err)
	}
}

// pageContext puts the localizer and site settings in the request's context.
func (h *Shopper) pageContext(r *http.Request, lang string) context.Context {
	return views.WithRequest(r.Context(), views.NewLocalizer(h.bundle, lang), views.Site{
		TestMode: h.testMode, CSSURL: h.assets.URL("checkout.css"), JSURL: h.assets.URL("checkout.js"),
	})
}

// render writes a page into a buffer first, so that a template error never sends half a page.
func (h *Shopper) render(w http.ResponseWriter, r *http.Request, ctx context.Context, status int, c templ.Component) {
	var buf bytes.Buffer
	// Not on the request's cancellation: a body cut at the read deadline cancels it while the
	// client still waits for its answer, and templ refuses to render on a canceled context.
	if err := c.Render(context.WithoutCancel(ctx), &buf); err != nil {
		h.log.ErrorContext(ctx, "rendering page", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	if hd.Get("Content-Security-Policy") == "" { // a page may have set its own (see formCSP)
		hd.Set("Content-Security-Policy", pageCSP)
	}
	hd.Set("Cache-Control", "no-store")
	hd.Set("Vary", "Accept-Language, User-Agent, Sec-CH-UA-Mobile, Cookie")
	hd.Set("Accept-CH", "Sec-CH-UA-Mobile")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// shopperHandler is a shopper page or endpoint: it writes its answer or returns the error to
// answer.
type shopperHandler func(w http.ResponseWriter, r *http.Request) error

// page serves a shopper page (the dashboard's too): a path, query or form that is not text
// (checkRequestText), or an error, gets a localized error page.
func (h *Shopper) page(next shopperHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkRequestText(r); err != nil {
			h.showError(w, r, err)
			return
		}
		if err := next(w, r); err != nil {
			h.showError(w, r, err)
		}
	})
}

// json serves an endpoint the page's script calls: a path or query that is not text, or an
// error, gets the API's JSON error object.
func (h *Shopper) json(next shopperHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkURL(r); err != nil {
			writeError(w, r, h.log, err)
			return
		}
		if err := next(w, r); err != nil {
			writeError(w, r, h.log, err)
		}
	})
}

// showError answers a localized error page for err, in the status answerOf gives it; its
// code picks the message (error.<code>, or error.default). When the path names a checkout, the
// page leads on: back to its payment page while it is open, else back to the shop.
func (h *Shopper) showError(w http.ResponseWriter, r *http.Request, err error) {
	he := answerOf(w, r, h.log, "shopper request failed", err)
	if he.status == statusClientClosed {
		w.WriteHeader(he.status)
		return
	}
	lang := h.lang(w, r, "")
	ctx := h.pageContext(r, lang)
	l := views.L(ctx)
	body := l.T("error.default", nil)
	if l.Has("error." + he.code) {
		body = l.T("error."+he.code, nil)
	}
	m := views.MessageModel{Title: l.T("error.title", nil), Body: body, Tone: "error", TestID: "error"}
	if id := r.PathValue("id"); id != "" && he.status != http.StatusNotFound && oneLine(id) {
		// Past the request's cancellation: a body cut at the read deadline cancels it, and the
		// shopper who waits for this page still needs its way back.
		if st, err := h.svc.Snapshot(context.WithoutCancel(r.Context()), id); err == nil {
			m.Footer = l.T("footer.page", map[string]any{"Merchant": st.Merchant.Name})
			switch {
			case st.Open() && he.code != "link_used_up": // a used-up link's checkout has nothing left to pay
				m.LinkURL, m.LinkText = templ.SafeURL(checkoutURL(id, "")), l.T("error.back_to_page", nil)
			case st.Paid():
				m.LinkURL, m.LinkText = templ.SafeURL(successURL(st.Checkout.SuccessURL, id)), views.BackTo(ctx, st.Merchant.Name)
			default:
				m.LinkURL, m.LinkText = templ.SafeURL(failureURL(st.Checkout.FailureURL, id)), views.BackTo(ctx, st.Merchant.Name)
			}
		}
	}
	h.render(w, r, ctx, he.status, views.Message(m))
}

// errNotFound is the answer to a shopper path that leads nowhere.
var errNotFound = &httpError{status: http.StatusNotFound, typ: "invalid_request_error", code: "resource_missing", message: "not found"}

// checkoutURL returns a path of a checkout's pages.
func checkoutURL(id, rest string) string {
	return "/c/" + url.PathEscape(id) + rest
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

// showTestMode explains test mode (served in test mode only): the sandbox's outcomes by amount,
// X-Sandbox-Auto and the test CIDs, so that nobody needs the README to try a payment.
func (h *Shopper) showTestMode(w http.ResponseWriter, r *http.Request) error {
	lang := h.lang(w, r, "")
	ctx := h.pageContext(r, lang)
	h.render(w, r, ctx, http.StatusOK, views.TestModePage(views.TestModeModel{LangURL: langURL(r, lang), BaseURL: h.baseURL}))
	return nil
}

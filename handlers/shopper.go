package handlers

import (
	"bytes"
	"context"
	"errors"
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
	qr       *qrCodes
	log      *slog.Logger
}

// sessionName is the cookie holding the shopper's language and the attempts this browser began.
const sessionName = "kpcheckout"

// pageCSP lets pages load only their own CSS, JS and inline QR image, and be framed by no one.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

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
	if err := c.Render(ctx, &buf); err != nil {
		h.log.ErrorContext(ctx, "rendering page", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", pageCSP)
	hd.Set("Cache-Control", "no-store")
	hd.Set("Vary", "Accept-Language, User-Agent, Sec-CH-UA-Mobile, Cookie")
	hd.Set("Accept-CH", "Sec-CH-UA-Mobile")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// showError answers a localized error page for err; status 0 derives it from err.
func (h *Shopper) showError(w http.ResponseWriter, r *http.Request, err error, status int) {
	code := "default"
	var ce *checkout.Error
	if errors.As(err, &ce) {
		code = ce.Code
		if status == 0 {
			status = statusOf(ce.Kind)
		}
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "shopper request failed", "path", r.URL.Path, "err", err)
	}
	lang := h.lang(w, r, "")
	ctx := h.pageContext(r, lang)
	l := views.L(ctx)
	body := l.T("error."+code, nil)
	if !l.Has("error." + code) {
		body = l.T("error.default", nil)
	}
	h.render(w, r, ctx, status, views.Message(views.MessageModel{
		Title: l.T("error.title", nil), Body: body, Tone: "error", TestID: "error",
	}))
}

func (h *Shopper) notFound(w http.ResponseWriter, r *http.Request) {
	h.showError(w, r, &checkout.Error{Kind: checkout.KindNotFound, Code: "resource_missing"}, http.StatusNotFound)
}

// statusOf maps an error kind to its HTTP status.
func statusOf(k checkout.Kind) int {
	switch k {
	case checkout.KindInvalid:
		return http.StatusBadRequest
	case checkout.KindNotFound:
		return http.StatusNotFound
	case checkout.KindConflict:
		return http.StatusConflict
	case checkout.KindUpstream:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

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

package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/gorilla/sessions"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/kpcheckout/kpcheckout/static"
	"github.com/kpcheckout/kpcheckout/views"
)

// Pages renders the HTML pages of the shopper and of the dashboard: it picks a page's language,
// puts the localizer and the site's settings in its context, renders it whole, and answers an
// error with a localized error page.
type Pages struct {
	bundle   *i18n.Bundle
	locs     map[string]*views.Localizer // one per language, shared by every page, so that what one translated is kept
	assets   *static.Assets
	sessions sessions.Store
	testMode bool
	log      *slog.Logger
	buffers  sync.Pool // *bytes.Buffer: a page is rendered into one before it is sent
}

// NewPages returns the pages of a site whose messages are bundle's, whose CSS and JS are
// assets', and whose language is remembered in the sessions' shopper cookie; testMode marks
// every page "TEST MODE" (sandbox KakaoPay).
func NewPages(bundle *i18n.Bundle, assets *static.Assets, sessions sessions.Store, testMode bool, log *slog.Logger) *Pages {
	locs := map[string]*views.Localizer{"ko": views.NewLocalizer(bundle, "ko"), "en": views.NewLocalizer(bundle, "en")}
	return &Pages{bundle: bundle, locs: locs, assets: assets, sessions: sessions, testMode: testMode, log: log,
		buffers: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
}

// sessionName is the cookie holding the pages' language (the dashboard's too) and the attempts
// and link checkouts this browser began.
const sessionName = "kpcheckout"

// pageCSP lets pages load only their own CSS, JS and inline QR image, and be framed by no one.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// FormCSP is the pages' policy for a page whose forms may end at another origin: the checkout
// page's "cancel and go back" form is answered with a redirect to the shop, and browsers hold a
// form's redirects to form-action too.
func FormCSP(target string) string {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return pageCSP
	}
	return strings.Replace(pageCSP, "form-action 'self'", "form-action 'self' "+u.Scheme+"://"+u.Host, 1)
}

var matcher = language.NewMatcher([]language.Tag{language.Korean, language.English})

// Session returns the browser's shopper session; a cookie that no longer decodes starts a new one.
func (p *Pages) Session(r *http.Request) *sessions.Session {
	s, err := p.sessions.Get(r, sessionName)
	if err != nil {
		p.log.DebugContext(r.Context(), "session cookie dropped", "err", err)
	}
	return s
}

// Save writes the shopper session's cookie.
func (p *Pages) Save(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
	if err := s.Save(r, w); err != nil {
		p.log.WarnContext(r.Context(), "saving session", "err", err)
	}
}

// Lang picks the page language: ?lang= (remembered in the session), the session, the
// checkout's locale, Accept-Language, then Korean.
func (p *Pages) Lang(w http.ResponseWriter, r *http.Request, checkoutLocale string) string {
	s := p.Session(r)
	if q := r.URL.Query().Get("lang"); q == "ko" || q == "en" {
		if s.Values["lang"] != q {
			s.Values["lang"] = q
			p.Save(w, r, s)
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

// Context puts the localizer and site settings in the request's context.
func (p *Pages) Context(r *http.Request, lang string) context.Context {
	loc, ok := p.locs[lang]
	if !ok {
		loc = views.NewLocalizer(p.bundle, lang)
	}
	return views.WithRequest(r.Context(), loc, views.Site{
		TestMode: p.testMode, CSSURL: p.assets.URL("checkout.css"), JSURL: p.assets.URL("checkout.js"),
	})
}

// Render writes a page into a buffer first, so that a template error never sends half a page.
func (p *Pages) Render(w http.ResponseWriter, r *http.Request, ctx context.Context, status int, c templ.Component) {
	buf := p.buffers.Get().(*bytes.Buffer)
	defer p.putBuffer(buf)
	// Not on the request's cancellation: a body cut at the read deadline cancels it while the
	// client still waits for its answer, and templ refuses to render on a canceled context.
	if err := c.Render(context.WithoutCancel(ctx), buf); err != nil {
		p.log.ErrorContext(ctx, "rendering page", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	if hd.Get("Content-Security-Policy") == "" { // a page may have set its own (see FormCSP)
		hd.Set("Content-Security-Policy", pageCSP)
	}
	hd.Set("Cache-Control", "no-store")
	hd.Set("Vary", "Accept-Language, User-Agent, Sec-CH-UA-Mobile, Cookie")
	hd.Set("Accept-CH", "Sec-CH-UA-Mobile")
	// With its length the page goes out unchunked: net/http writes no chunk frames and no final
	// empty chunk, which took a system call of its own.
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// maxPooledBuffer is the largest page buffer kept for the next page: pages are 10 to 30 kB, and
// a rare larger one (a long dashboard list) is left to the garbage collector.
const maxPooledBuffer = 256 << 10

// putBuffer keeps buf for the next page.
func (p *Pages) putBuffer(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledBuffer {
		return
	}
	buf.Reset()
	p.buffers.Put(buf)
}

// Lead adds to an error page the way on from where the request was: the shopper's pages lead
// back to their checkout; nil leads nowhere.
type Lead func(ctx context.Context, r *http.Request, e *Error, m *views.MessageModel)

// Page serves a page: a path, query or form that is not text (CheckRequestText), or an error
// from next, gets a localized error page (ShowError, led on by lead).
func (p *Pages) Page(next func(w http.ResponseWriter, r *http.Request) error, lead Lead) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := CheckRequestText(r); err != nil {
			p.ShowError(w, r, err, lead)
			return
		}
		if err := next(w, r); err != nil {
			p.ShowError(w, r, err, lead)
		}
	})
}

// ShowError answers a localized error page for err, in the status Answer gives it; its code
// picks the message (error.<code>, or error.default). lead, when not nil, adds the way on.
func (p *Pages) ShowError(w http.ResponseWriter, r *http.Request, err error, lead Lead) {
	he := Answer(w, r, p.log, "shopper request failed", err)
	if he.status == StatusClientClosed {
		w.WriteHeader(he.status)
		return
	}
	lang := p.Lang(w, r, "")
	ctx := p.Context(r, lang)
	l := views.L(ctx)
	body, title := l.T("error.default", nil), l.T("error.title", nil)
	if l.Has("error." + he.code) {
		body = l.T("error."+he.code, nil)
	}
	if l.Has("error.title." + he.code) { // what happened, as the page's heading
		title = l.T("error.title."+he.code, nil)
	}
	// A refusal of the shopper's request (a paid, ended or unknown checkout) is no one's fault:
	// only a failure on the server's side is shown as an error.
	tone := "neutral"
	if he.status >= http.StatusInternalServerError {
		tone = "error"
	}
	m := views.MessageModel{Title: title, Body: body, Tone: tone, TestID: "error"}
	if lead != nil {
		lead(ctx, r, he, &m)
	}
	p.Render(w, r, ctx, he.status, views.Message(m))
}

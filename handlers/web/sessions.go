package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strings"

	"github.com/gorilla/sessions"
)

// NewSessions is the cookie store of the shopper's and the dashboard's sessions: each cookie is
// encrypted (AES-256) and signed (HMAC-SHA256), with two keys derived from secret, so that a
// shopper or a user can neither read nor change what it holds. Every instance given the same
// secret reads every instance's cookies. Cookies are HttpOnly, SameSite=Lax, and Secure when
// baseURL is https; the dashboard narrows its own to /dashboard (see the dashboard's save).
func NewSessions(secret []byte, baseURL string) sessions.Store {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("kpcheckout session " + label))
		return m.Sum(nil)
	}
	s := sessions.NewCookieStore(derive("signing"), derive("encryption"))
	s.Options = &sessions.Options{Path: "/", MaxAge: 30 * 24 * 3600, HttpOnly: true,
		Secure: strings.HasPrefix(baseURL, "https://"), SameSite: http.SameSiteLaxMode}
	return s
}

package web

import (
	"net"
	"net/http"
	"net/url"
)

// The shopper's pages are served by handlers/shop, but their URLs are handed out by the API
// (a checkout's url, a link's url) and the dashboard too, and by the domain to KakaoPay (the
// return URLs): they are built here, once.

// CheckoutURL returns a path of a checkout's pages.
func CheckoutURL(id, rest string) string {
	return "/c/" + url.PathEscape(id) + rest
}

// LinkURL returns a path of a payment link's public pages.
func LinkURL(slug, rest string) string { return "/l/" + url.PathEscape(slug) + rest }

// ReturnURL builds, for the checkout service, the URLs KakaoPay returns a shopper to: the
// checkout's id in the path and the attempt's in the query, under baseURL (no trailing slash).
func ReturnURL(baseURL string) func(checkoutID, attemptID, kind string) string {
	return func(checkoutID, attemptID, kind string) string {
		return baseURL + CheckoutURL(checkoutID, "/return/"+kind) + "?attempt=" + url.QueryEscape(attemptID)
	}
}

// PageURL builds, for the checkout service, a checkout's hosted page URL under baseURL: the url
// of the checkout object its events carry.
func PageURL(baseURL string) func(checkoutID string) string {
	return func(checkoutID string) string { return baseURL + CheckoutURL(checkoutID, "") }
}

// LangURL links the page in the other language.
func LangURL(r *http.Request, lang string) string {
	q := url.Values{}
	for k, v := range r.URL.Query() {
		if k != "lang" {
			q[k] = v
		}
	}
	if lang == "en" {
		q.Set("lang", "ko")
	} else {
		q.Set("lang", "en")
	}
	return r.URL.Path + "?" + q.Encode()
}

// IsLoopback reports whether a URL's host is this computer only, so that no phone can open it.
func IsLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if h := u.Hostname(); h == "localhost" {
		return true
	} else if ip := net.ParseIP(h); ip != nil {
		return ip.IsLoopback()
	}
	return false
}

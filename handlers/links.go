package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// linkURL returns a path of a payment link's public pages.
func linkURL(slug, rest string) string { return "/l/" + url.PathEscape(slug) + rest }

// previewBots are parts of the User-Agents of the crawlers that fetch a URL pasted into a chat
// to draw its preview (KakaoTalk's first) or index it: they get the link's page, and open no
// checkout. Only crawlers' own names: Naver's and Daum's apps browse as shoppers ("NAVER",
// "DaumApps"), and a phone model may hold "bot" ("CUBOT").
var previewBots = []string{"kakaotalk-scrap", "kakaostory-og-reader", "facebookexternalhit", "facebot", "slackbot",
	"twitterbot", "discordbot", "telegrambot", "whatsapp/", "linkedinbot", "googlebot", "bingbot", "yeti/", "daumoa",
	"applebot", "crawler", "spider"}

// isPreview reports whether a request only looks at the link: a HEAD, or a crawler; the link
// page's own pay button (?open=1) is a shopper whatever the browser says of itself.
func isPreview(r *http.Request) bool {
	if r.Method == http.MethodHead {
		return true
	}
	if r.URL.Query().Get("open") == "1" {
		return false
	}
	ua := strings.ToLower(r.UserAgent())
	for _, b := range previewBots {
		if strings.Contains(ua, b) {
			return true
		}
	}
	return false
}

// openLink serves /l/{slug}: a shopper gets a fresh checkout and is sent to it; a preview
// crawler (or HEAD) gets the link's page with its Open Graph tags; a link that cannot be paid
// now says why.
func (h *Shopper) openLink(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	if isPreview(r) {
		return h.showLink(w, r, slug, http.StatusOK)
	}
	c, err := h.svc.VisitLink(r.Context(), slug)
	if linkClosed(err) != nil {
		return h.showLink(w, r, slug, http.StatusGone)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, checkoutURL(c.ID, ""), http.StatusSeeOther)
	return nil
}

// linkClosed is the refusal of a link that exists but opens no checkout now (closed, used up,
// expired), or nil: its page still shows, with why.
func linkClosed(err error) *checkout.Error {
	var ce *checkout.Error
	if errors.As(err, &ce) && ce.Kind == checkout.KindConflict {
		return ce
	}
	return nil
}

// linkMessages name what a link page says of a link that opens no checkout now.
var linkMessages = map[string]string{"link_inactive": "link.inactive", "link_expired": "link.expired", "link_used_up": "link.used_up"}

// showLink renders a link's page.
func (h *Shopper) showLink(w http.ResponseWriter, r *http.Request, slug string, status int) error {
	l, m, err := h.svc.OpenLink(r.Context(), slug)
	closed := linkClosed(err)
	if err != nil && closed == nil {
		return err
	}
	lang := h.lang(w, r, "")
	ctx := h.pageContext(r, lang)
	p := views.LinkModel{MerchantName: m.Name, Title: linkTitle(l, views.L(ctx)), Amount: l.Amount, URL: h.baseURL + linkURL(slug, ""),
		PayURL: linkURL(slug, "?open=1"),
		QRURL:  h.baseURL + linkURL(slug, "/qr.png")}
	if closed != nil {
		p.Unavailable, p.FailureURL = linkMessages[closed.Code], l.FailureURL
	}
	h.render(w, r, ctx, status, views.LinkPage(p))
	return nil
}

// linkTitle is what a link is for: its items ("아메리카노 외 1건"), its description, or its id.
func linkTitle(l *store.Link, loc *views.Localizer) string {
	switch {
	case len(l.Items) > 1:
		return loc.N("kakaopay.item_name_more", len(l.Items)-1, map[string]any{"First": l.Items[0].Name, "More": len(l.Items) - 1})
	case len(l.Items) > 0:
		return l.Items[0].Name
	case l.Description != "":
		return l.Description
	}
	return l.ID
}

// linkQR serves /l/{slug}/qr.png?size= (128 to 2,048 px, 512 by default): the QR code of the
// link's URL, to print.
func (h *Shopper) linkQR(w http.ResponseWriter, r *http.Request) error {
	size := 512
	if v := r.URL.Query().Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 128 || n > 2048 {
			return invalidParam("parameter_invalid", "size must be a whole number of pixels from 128 to 2048", "size")
		}
		size = n
	}
	slug := r.PathValue("slug")
	if _, _, err := h.svc.OpenLink(r.Context(), slug); err != nil && linkClosed(err) == nil {
		return err
	}
	png, err := qrcode.Encode(h.baseURL+linkURL(slug, ""), qrcode.Medium, size)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(png)
	return nil
}

// linkPoster serves /l/{slug}/poster: an A6 page to print, with the link's QR code.
func (h *Shopper) linkPoster(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	l, m, err := h.svc.OpenLink(r.Context(), slug)
	if err != nil && linkClosed(err) == nil {
		return err
	}
	png, err := qrcode.Encode(h.baseURL+linkURL(slug, ""), qrcode.Medium, 560)
	if err != nil {
		return err
	}
	lang := h.lang(w, r, "")
	ctx := h.pageContext(r, lang)
	h.render(w, r, ctx, http.StatusOK, views.Poster(views.PosterModel{MerchantName: m.Name, Title: linkTitle(l, views.L(ctx)), Amount: l.Amount,
		QRDataURI: templ.SafeURL(pngDataURI(png))}))
	return nil
}

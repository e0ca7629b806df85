package shop

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gorilla/sessions"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// ShowLinkPage serves GET (and HEAD) /l/{slug}: the link's page, with its Open Graph tags for
// the previews that messengers, social sites and search engines draw, and a pay button. A visit
// creates nothing, whoever makes it: crawlers (KakaoTalk's, Slack's, Iframely, LINE, …) and
// shoppers alike; only the button, a POST, opens a checkout. A link that cannot be paid now says
// why (410).
func (h *Handler) ShowLinkPage(w http.ResponseWriter, r *http.Request) error {
	return h.showLink(w, r, r.PathValue("slug"))
}

// PayLink serves the link page's pay button (POST /l/{slug}): it starts paying the link's
// checkout for this browser and sends it to the checkout's page. A link that cannot be paid now
// shows why.
func (h *Handler) PayLink(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return web.UnreadableBody(err)
	}
	slug, s := r.PathValue("slug"), h.pages.Session(r)
	id, err := h.linkCheckout(r, s, slug)
	if linkClosed(err) != nil {
		return h.showLink(w, r, slug)
	}
	if err != nil {
		return err
	}
	a, err := h.checkouts.Pay(r.Context(), id, payDevice(r))
	var ce *domain.Error
	switch {
	case errors.As(err, &ce) && ce.Code == "link_used_up":
		return h.showLink(w, r, slug)
	case errors.As(err, &ce) && (ce.Kind == domain.KindConflict || ce.Kind == domain.KindUpstream):
		// Being confirmed, or KakaoPay would not start: the checkout's page says which.
	case err != nil:
		return err
	default:
		rememberAttempt(s, a.ID)
	}
	h.pages.Save(w, r, s)
	http.Redirect(w, r, web.CheckoutURL(id, ""), http.StatusSeeOther)
	return nil
}

// linkCheckout is the checkout a link's pay button goes on with: the one this browser opened
// from the link while it can still be paid, else a fresh one (remembered in s). Each client
// address opens a limited number of checkouts from links, and starts a limited number of
// payments, a minute.
func (h *Handler) linkCheckout(r *http.Request, s *sessions.Session, slug string) (string, error) {
	ctx, client := r.Context(), h.proxies.Client(r)
	l, _, err := h.links.Open(ctx, slug)
	if err != nil {
		return "", err
	}
	if id := linkCheckoutOf(s, l.ID); h.links.CheckoutOpen(ctx, l, id) {
		return id, h.paymentStarts.take(client)
	}
	if err := h.linkCheckouts.take(client); err != nil {
		return "", err
	}
	if err := h.paymentStarts.take(client); err != nil {
		return "", err
	}
	c, err := h.links.Visit(ctx, slug)
	if err != nil {
		return "", err
	}
	rememberLinkCheckout(s, l.ID, c.ID)
	return c.ID, nil
}

// linkCheckoutOf is the checkout this browser opened from link linkID, or "".
func linkCheckoutOf(s *sessions.Session, linkID string) string {
	list, _ := s.Values["links"].([]string)
	for _, v := range list {
		if l, c, ok := strings.Cut(v, " "); ok && l == linkID {
			return c
		}
	}
	return ""
}

// rememberLinkCheckout keeps, in the browser's session, the checkout it opened from link linkID
// (for its last ten links).
func rememberLinkCheckout(s *sessions.Session, linkID, checkoutID string) {
	list, _ := s.Values["links"].([]string)
	list = slices.DeleteFunc(list, func(v string) bool { return strings.HasPrefix(v, linkID+" ") })
	list = append(list, linkID+" "+checkoutID)
	if len(list) > 10 {
		list = list[len(list)-10:]
	}
	s.Values["links"] = list
}

// linkClosed is the refusal of a link that exists but opens no checkout now (closed, used up,
// expired), or nil: its page still shows, with why.
func linkClosed(err error) *domain.Error {
	var ce *domain.Error
	if errors.As(err, &ce) && ce.Kind == domain.KindConflict {
		return ce
	}
	return nil
}

// linkMessages name what a link page says of a link that opens no checkout now.
var linkMessages = map[string]string{"link_inactive": "link.inactive", "link_expired": "link.expired", "link_used_up": "link.used_up"}

// showLink renders a link's page: 200 while it can be paid, else 410 with why.
func (h *Handler) showLink(w http.ResponseWriter, r *http.Request, slug string) error {
	l, m, err := h.links.Open(r.Context(), slug)
	closed := linkClosed(err)
	if err != nil && closed == nil {
		return err
	}
	lang := h.pages.Lang(w, r, "")
	ctx := h.pages.Context(r, lang)
	p := views.LinkModel{MerchantName: m.Name, Title: linkTitle(l, views.L(ctx)), Amount: l.Amount, URL: h.baseURL + web.LinkURL(slug, ""),
		PayURL: web.LinkURL(slug, ""), Device: detectDevice(r).kind()}
	if len(l.Items) > 1 {
		for _, it := range l.Items {
			p.Items = append(p.Items, views.Item{Name: it.Name, Quantity: it.Quantity, UnitPrice: it.UnitPrice, Total: it.Quantity * it.UnitPrice})
		}
	}
	status := http.StatusOK
	if closed != nil {
		p.Unavailable, p.FailureURL, status = linkMessages[closed.Code], l.FailureURL, http.StatusGone
	}
	h.pages.Render(w, r, ctx, status, views.LinkPage(p))
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

// LinkQR serves /l/{slug}/qr.png?size= (128 to 2,048 px, 512 by default): the QR code of the
// link's URL, to print.
func (h *Handler) LinkQR(w http.ResponseWriter, r *http.Request) error {
	size := 512
	if v := r.URL.Query().Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 128 || n > 2048 {
			return web.Invalid("parameter_invalid", "size must be a whole number of pixels from 128 to 2048", "size")
		}
		size = n
	}
	slug := r.PathValue("slug")
	if _, _, err := h.links.Open(r.Context(), slug); err != nil && linkClosed(err) == nil {
		return err
	}
	png, err := qrcode.Encode(h.baseURL+web.LinkURL(slug, ""), qrcode.Medium, size)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(png)
	return nil
}

// LinkPoster serves /l/{slug}/poster: an A6 page to print, with the link's QR code.
func (h *Handler) LinkPoster(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	l, m, err := h.links.Open(r.Context(), slug)
	if err != nil && linkClosed(err) == nil {
		return err
	}
	png, err := qrcode.Encode(h.baseURL+web.LinkURL(slug, ""), qrcode.Medium, 560)
	if err != nil {
		return err
	}
	lang := h.pages.Lang(w, r, "")
	ctx := h.pages.Context(r, lang)
	h.pages.Render(w, r, ctx, http.StatusOK, views.Poster(views.PosterModel{MerchantName: m.Name, Title: linkTitle(l, views.L(ctx)), Amount: l.Amount,
		QRDataURI: templ.SafeURL(web.PNGDataURI(png))}))
	return nil
}

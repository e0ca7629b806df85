package shop

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
)

// ShowCheckoutPage renders the hosted checkout page in whatever state the checkout is.
func (h *Handler) ShowCheckoutPage(w http.ResponseWriter, r *http.Request) error {
	st, err := h.checkouts.Snapshot(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	lang := h.pages.Lang(w, r, st.Checkout.Locale)
	ctx := h.pages.Context(r, lang)
	m, err := h.checkoutModel(r, views.L(ctx), st, detectDevice(r))
	if err != nil {
		return err
	}
	csp := web.FormCSP(st.Checkout.FailureURL)
	if m.Embed = r.URL.Query().Get("embed") == "1"; m.Embed {
		// Framed by the merchant's own pages, and theirs only; read now, not from the snapshot,
		// so that a change of origins applies at once.
		merchant, err := h.merchants.Merchant(r.Context(), st.Merchant.ID)
		if err != nil {
			return err
		}
		// Checked again as the policy is made: a stored value that breaks today's rule is left out.
		if origins := h.merchants.FrameAncestors(merchant); len(origins) > 0 {
			csp = strings.Replace(csp, "frame-ancestors 'none'", "frame-ancestors "+strings.Join(origins, " "), 1)
			w.Header().Del("X-Frame-Options")
			m.EmbedOrigins = origins
		}
	}
	w.Header().Set("Content-Security-Policy", csp)
	h.pages.Render(w, r, ctx, http.StatusOK, views.CheckoutPage(m))
	return nil
}

// checkoutModel builds the page's view model from the checkout's state.
func (h *Handler) checkoutModel(r *http.Request, l *views.Localizer, st *checkout.State, d device) (views.CheckoutModel, error) {
	c := st.Checkout
	now := time.Now()
	m := views.CheckoutModel{
		ID: c.ID, MerchantName: st.Merchant.Name, Reference: c.Reference, Description: c.Description,
		Amount: c.Amount, TaxFree: c.TaxFreeAmount, Recurring: c.Mode == checkout.ModeSubscription,
		ExpiresAt: c.ExpiresAt.Unix(), SecondsLeft: int64(c.ExpiresAt.Sub(now).Seconds()),
		StateKey: st.Key(), PayURL: web.CheckoutURL(c.ID, "/pay"), CancelURL: web.CheckoutURL(c.ID, "/cancel"), Device: d.kind(), OnPhone: d.Mobile,
		StatusURL: web.CheckoutURL(c.ID, "/status"), RefreshURL: web.CheckoutURL(c.ID, ""),
		OS: d.OS, InApp: d.InApp,
		SuccessURL: templ.SafeURL(successURL(c.SuccessURL, c.ID)), FailureURL: templ.SafeURL(failureURL(c.FailureURL, c.ID)),
		LangURL: web.LangURL(r, l.Lang),
	}
	for _, it := range c.Items {
		m.Items = append(m.Items, views.Item{Name: it.Name, Quantity: it.Quantity, UnitPrice: it.UnitPrice, Total: it.Quantity * it.UnitPrice})
	}
	switch {
	case st.Paid():
		m.View, m.StatusURL, m.Receipt = views.ViewPaid, "", receipt(l, st)
		return m, nil
	case st.Expired():
		m.View, m.StatusURL = views.ViewExpired, ""
		return m, nil
	case st.Canceled():
		m.View, m.StatusURL = views.ViewCanceled, ""
		return m, nil
	}
	a := st.Latest()
	switch {
	case a == nil:
		m.View = views.ViewPay
	case checkout.Confirming(a):
		m.View = views.ViewConfirming
	case checkout.Live(a):
		m.WalletOpened = checkout.WalletOpened(a)
		m.AttemptExpiresAt, m.AttemptSecondsLeft = a.ExpiresAt.Unix(), int64(a.ExpiresAt.Sub(now).Seconds())
		if a.Device == checkout.DeviceMobile && d.Mobile {
			m.View, m.MobileURL = views.ViewHandoff, templ.SafeURL(a.MobileURL)
			break
		}
		qr, err := h.qr.Get(a.ID, a.MobileURL)
		if err != nil {
			return m, err
		}
		m.View, m.QRDataURI = views.ViewQR, templ.SafeURL(qr.DataURI)
		if a.Device == checkout.DeviceDesktop && !d.Mobile {
			m.PCURL = webURL(a.PCURL)
		}
		if h.testMode {
			m.TestWalletURL, m.Unreachable = templ.SafeURL(a.MobileURL), web.IsLoopback(h.baseURL)
		}
	default:
		m.View = views.ViewPay
		m.Outcome = outcomes[checkout.StatusOf(a)] // none for an approved attempt of an open checkout: should not be
		m.OutcomeReason = failureReason(l, a)
		m.NoRetry = a.FailureCode == checkout.CodeLinkUsedUp // the link takes no more payments
	}
	return m, nil
}

// webURL is raw when it is an absolute http(s) URL (KakaoPay's answer, linked only if so), or "".
func webURL(raw string) templ.SafeURL {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return templ.SafeURL(raw)
}

// receipt lists what a paid checkout's page (and the phone's "payment complete" page) shows
// beside the amount: the order number, when it was paid and how.
func receipt(l *views.Localizer, st *checkout.State) []views.Detail {
	var d []views.Detail
	if ref := st.Checkout.Reference; ref != "" {
		d = append(d, views.Detail{Label: l.T("checkout.reference", nil), Value: ref, TestID: "receipt-reference"})
	}
	if p := st.Payment; p != nil {
		d = append(d, views.Detail{Label: l.T("receipt.paid_at", nil), Value: l.DateTime(p.ApprovedAt), TestID: "receipt-paid-at"})
		d = append(d, views.Detail{Label: l.T("receipt.method", nil), Value: l.PaymentMethod(p.Method), TestID: "receipt-method"})
	}
	return d
}

// outcomes are what the page says of an attempt that ended without paying.
var outcomes = map[checkout.AttemptStatus]string{
	checkout.AttemptCanceled: views.OutcomeCanceled,
	checkout.AttemptFailed:   views.OutcomeFailed,
	checkout.AttemptExpired:  views.OutcomeExpired,
}

// failureReason explains, in the shopper's language, why an attempt failed.
func failureReason(l *views.Localizer, a *store.Attempt) string {
	if !checkout.Failed(a) || a.FailureCode == "" {
		return ""
	}
	if l.Has("failure." + a.FailureCode) {
		return l.T("failure."+a.FailureCode, nil)
	}
	return l.T("failure.default", nil)
}

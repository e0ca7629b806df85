package shop

import (
	"net/http"
	"slices"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/views"
)

// HandleReturn serves KakaoPay's approval_url, cancel_url and fail_url.
func (h *Handler) HandleReturn(w http.ResponseWriter, r *http.Request) error {
	id, kind := r.PathValue("id"), r.PathValue("kind")
	if kind != "approve" && kind != "cancel" && kind != "fail" {
		return web.ErrNotFound
	}
	q := r.URL.Query()
	out, err := h.checkouts.HandleReturn(r.Context(), checkout.Return{
		CheckoutID: id, AttemptID: q.Get("attempt"), Kind: kind, PGToken: q.Get("pg_token"),
	})
	if err != nil {
		return err
	}
	c := out.State.Checkout
	if checkout.Approved(out.Attempt) && out.State.Paid() {
		began, _ := h.pages.Session(r).Values["attempts"].([]string)
		if out.Attempt.Device == checkout.DeviceDesktop && !slices.Contains(began, out.Attempt.ID) && detectDevice(r).Mobile {
			// The phone that scanned the desktop's QR code: the desktop page goes on by itself. A
			// computer that did not begin the attempt is back from KakaoPay's own PC page (linked
			// by a merchant's headless page): it goes on to the shop below.
			lang := h.pages.Lang(w, r, c.Locale)
			ctx := h.pages.Context(r, lang)
			l := views.L(ctx)
			h.pages.Render(w, r, ctx, http.StatusOK, views.Message(views.MessageModel{
				Title: l.T("phone_done.title", nil),
				Body:  l.T("paid.body", map[string]any{"Merchant": out.State.Merchant.Name, "Amount": l.Won(c.Amount)}),
				Note:  l.T("phone_done.body", nil) + " " + l.T("phone_done.close", nil), Tone: "success", TestID: "phone-done",
				Details: receipt(l, out.State), Footer: l.T("footer.page", map[string]any{"Merchant": out.State.Merchant.Name}),
			}))
			return nil
		}
		http.Redirect(w, r, successURL(c.SuccessURL, c.ID), http.StatusSeeOther)
		return nil
	}
	// Canceled, failed or still being confirmed: the checkout page says which and what next.
	http.Redirect(w, r, web.CheckoutURL(c.ID, ""), http.StatusSeeOther)
	return nil
}

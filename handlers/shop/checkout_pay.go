package shop

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gorilla/sessions"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
)

// StartPayment starts (or reuses) a KakaoPay attempt, remembers that this browser began it,
// and answers with a redirect to the page (POST-redirect-GET). Each client address starts a
// limited number of payments a minute.
func (h *Handler) StartPayment(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		return web.UnreadableBody(err)
	}
	if err := h.paymentStarts.take(h.proxies.Client(r)); err != nil {
		return err
	}
	a, err := h.checkouts.Pay(r.Context(), id, payDevice(r))
	if err != nil {
		return err
	}
	s := h.pages.Session(r)
	if rememberAttempt(s, a.ID) {
		h.pages.Save(w, r, s)
	}
	back := web.CheckoutURL(id, "")
	if r.PostForm.Get("embed") == "1" {
		back += "?embed=1" // still inside the merchant's frame
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// payDevice is the device kind a pay button starts an attempt for: the form's, or the browser's.
func payDevice(r *http.Request) string {
	switch r.PostForm.Get("device") {
	case checkout.DeviceDesktop, checkout.DeviceMobile:
		return r.PostForm.Get("device")
	}
	return detectDevice(r).kind()
}

// rememberAttempt keeps, in the browser's session, that it began attempt id (its last ten), and
// reports whether that changed the session.
func rememberAttempt(s *sessions.Session, id string) bool {
	began, _ := s.Values["attempts"].([]string)
	if slices.Contains(began, id) {
		return false
	}
	began = append(began, id)
	if len(began) > 10 {
		began = began[len(began)-10:]
	}
	s.Values["attempts"] = began
	return true
}

// LeavePayment ends the live attempt at the shopper's request and takes them back to the shop;
// a payment already being confirmed stays, and the page says so.
func (h *Handler) LeavePayment(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	st, err := h.checkouts.Leave(r.Context(), id)
	var ce *domain.Error
	if errors.As(err, &ce) && ce.Kind == domain.KindConflict {
		http.Redirect(w, r, web.CheckoutURL(id, ""), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, failureURL(st.Checkout.FailureURL, id), http.StatusSeeOther)
	return nil
}

package handlers

import (
	"errors"
	"net/http"
	"slices"

	"github.com/kpcheckout/kpcheckout/checkout"
)

// startPayment starts (or reuses) a KakaoPay attempt, remembers that this browser began it,
// and answers with a redirect to the page (POST-redirect-GET).
func (h *Shopper) startPayment(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		return bodyError(err)
	}
	d := detectDevice(r)
	kind := d.kind()
	switch r.PostForm.Get("device") {
	case "desktop":
		kind = checkout.DeviceDesktop
	case "mobile":
		kind = checkout.DeviceMobile
	}
	a, err := h.svc.Pay(r.Context(), id, kind)
	if err != nil {
		return err
	}
	s := h.session(r)
	began, _ := s.Values["attempts"].([]string)
	if !slices.Contains(began, a.ID) {
		began = append(began, a.ID)
		if len(began) > 10 {
			began = began[len(began)-10:]
		}
		s.Values["attempts"] = began
		h.save(w, r, s)
	}
	back := checkoutURL(id, "")
	if r.PostForm.Get("embed") == "1" {
		back += "?embed=1" // still inside the merchant's frame
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// leavePayment ends the live attempt at the shopper's request and takes them back to the shop;
// a payment already being confirmed stays, and the page says so.
func (h *Shopper) leavePayment(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	st, err := h.svc.Leave(r.Context(), id)
	var ce *checkout.Error
	if errors.As(err, &ce) && ce.Kind == checkout.KindConflict {
		http.Redirect(w, r, checkoutURL(id, ""), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, failureURL(st.Checkout.FailureURL, id), http.StatusSeeOther)
	return nil
}

package handlers

import (
	"net/http"

	"github.com/kpcheckout/kpcheckout/checkout"
)

// startPayment starts (or reuses) a KakaoPay attempt, remembers that this browser began it,
// and answers with a redirect to the page (POST-redirect-GET).
func (h *Shopper) startPayment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		h.showError(w, r, &checkout.Error{Kind: checkout.KindInvalid, Code: "default", Message: "bad form"}, http.StatusBadRequest)
		return
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
		h.showError(w, r, err, 0)
		return
	}
	s := h.session(r)
	began, _ := s.Values["attempts"].([]string)
	if !contains(began, a.ID) {
		began = append(began, a.ID)
		if len(began) > 10 {
			began = began[len(began)-10:]
		}
		s.Values["attempts"] = began
		h.save(w, r, s)
	}
	http.Redirect(w, r, checkoutURL(id, ""), http.StatusSeeOther)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

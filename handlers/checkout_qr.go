package handlers

import (
	"net/http"

	"github.com/kpcheckout/kpcheckout/checkout"
)

// showQRCode serves the QR code of the live desktop attempt's mobile URL as a PNG.
func (h *Shopper) showQRCode(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.State(r.Context(), r.PathValue("id"))
	if err != nil {
		h.showError(w, r, err, 0)
		return
	}
	a := st.Latest()
	if st.Checkout.Status != checkout.StatusOpen || a == nil ||
		(a.Status != checkout.AttemptReady && a.Status != checkout.AttemptAuthenticating) {
		h.notFound(w, r)
		return
	}
	png, err := h.qr.get(a.ID, a.MobileURL)
	if err != nil {
		h.showError(w, r, err, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

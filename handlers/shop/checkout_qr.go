package shop

import (
	"net/http"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
)

// ShowQRCode serves the QR code of the live desktop attempt's mobile URL as a PNG.
func (h *Handler) ShowQRCode(w http.ResponseWriter, r *http.Request) error {
	st, err := h.checkouts.State(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	a := st.Latest()
	if !st.Open() || a == nil || !checkout.Live(a) {
		return web.ErrNotFound
	}
	qr, err := h.qr.Get(a.ID, a.MobileURL)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(qr.PNG)
	return nil
}

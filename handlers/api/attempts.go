package api

import (
	"net/http"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
)

// createAttemptRequest is the body of POST /v1/checkouts/{id}/attempts.
type createAttemptRequest struct {
	Device string `json:"device"`
}

// attemptJSON is the attempt object of the API: one KakaoPay payment request of a checkout, with
// KakaoPay's URLs for a merchant that draws its own payment page.
type attemptJSON struct {
	ID               string    `json:"id"`
	Object           string    `json:"object"`
	Checkout         string    `json:"checkout"`
	Status           string    `json:"status"`
	Device           string    `json:"device"`
	ExpiresAt        time.Time `json:"expires_at"`
	CreatedAt        time.Time `json:"created_at"`
	PCURL            string    `json:"pc_url"`
	MobileURL        string    `json:"mobile_url"`
	AppURL           string    `json:"app_url"`
	AndroidAppScheme string    `json:"android_app_scheme"`
	IOSAppScheme     string    `json:"ios_app_scheme"`
	QRPNG            string    `json:"qr_png"` // a data: URI of the QR code of mobile_url
}

// attemptDevices maps the API's device to the attempt kind it starts. An app opens KakaoPay
// through app_url or the app schemes of the same ready call a phone's browser uses, and its
// shopper returns to approval_url on the phone like a mobile one (to success_url, not the
// "go back to your computer" page): for KakaoPay and for us it is a mobile attempt.
var attemptDevices = map[string]string{
	"desktop": checkout.DeviceDesktop,
	"mobile":  checkout.DeviceMobile,
	"app":     checkout.DeviceMobile,
}

// CreateAttempt serves POST /v1/checkouts/{id}/attempts: it starts a KakaoPay attempt server to
// server (201), or answers the live one of that device kind (200), as the hosted page's pay
// button does.
func (a *Handler) CreateAttempt(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	var req createAttemptRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Device == "" {
		return web.Invalid("parameter_missing", "device is required: desktop, mobile or app", "device")
	}
	kind, ok := attemptDevices[req.Device]
	if !ok {
		return web.Invalidf("device_invalid", "device", "device must be desktop, mobile or app, not %q", req.Device)
	}
	at, started, err := a.checkouts.StartAttempt(r.Context(), m, r.PathValue("id"), kind, idempotencyKey(r))
	if err != nil {
		return err
	}
	obj, err := a.attemptObject(at)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if started {
		status = http.StatusCreated
	}
	web.WriteJSON(w, status, obj)
	return nil
}

func (a *Handler) attemptObject(at *store.Attempt) (attemptJSON, error) {
	qr, err := a.qr.Get(at.ID, at.MobileURL)
	if err != nil {
		return attemptJSON{}, err
	}
	return attemptJSON{
		ID: at.ID, Object: "attempt", Checkout: at.CheckoutID, Status: at.Status, Device: at.Device,
		ExpiresAt: at.ExpiresAt, CreatedAt: at.CreatedAt, PCURL: at.PCURL, MobileURL: at.MobileURL, AppURL: at.AppURL,
		AndroidAppScheme: at.AndroidAppScheme, IOSAppScheme: at.IOSAppScheme, QRPNG: qr.DataURI,
	}, nil
}

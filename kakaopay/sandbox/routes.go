package sandbox

import "net/http"

func (s *Sandbox) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST /online/v1/payment/ready", handle(s, "ready", s.ready))
	mux.Handle("POST /online/v1/payment/approve", handle(s, "approve", s.approve))
	mux.Handle("POST /online/v1/payment/cancel", handle(s, "cancel", locked(s, s.cancel)))
	mux.Handle("POST /online/v1/payment/order", handle(s, "order", locked(s, s.order)))
	mux.Handle("POST /online/v1/payment/subscription", handle(s, "subscription", locked(s, s.chargeSubscription)))
	mux.Handle("POST /online/v1/payment/manage/subscription/status", handle(s, "status", locked(s, s.subscriptionStatus)))
	mux.Handle("POST /online/v1/payment/manage/subscription/inactive", handle(s, "inactive", locked(s, s.inactivateSubscription)))

	mux.HandleFunc("GET /wallet/{tid}/"+pagePC, s.showPC)
	mux.HandleFunc("GET /wallet/{tid}/"+pageMobile, s.showPhone(pageMobile))
	mux.HandleFunc("GET /wallet/{tid}/"+pageApp, s.showPhone(pageApp))
	mux.HandleFunc("POST /wallet/{tid}/"+walletTMS, s.sendTMS)
	mux.HandleFunc("POST /wallet/{tid}/"+walletMethod, s.walletStep(walletMethod))
	mux.HandleFunc("POST /wallet/{tid}/"+walletARS, s.walletStep(walletARS))
	mux.HandleFunc("POST /wallet/{tid}/"+walletApprove, s.walletAction(walletApprove))
	mux.HandleFunc("POST /wallet/{tid}/"+walletWrongPassword, s.walletAction(walletWrongPassword))
	mux.HandleFunc("POST /wallet/{tid}/"+walletCancel, s.walletAction(walletCancel))
	mux.HandleFunc("POST /wallet/{tid}/"+walletFail, s.walletAction(walletFail))
	return mux
}

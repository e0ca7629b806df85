package sandbox

import "net/http"

func (s *Sandbox) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST /online/v1/payment/ready", handle(s, "ready", s.ready))
	mux.Handle("POST /online/v1/payment/approve", handle(s, "approve", s.approve))
	mux.Handle("POST /online/v1/payment/cancel", handle(s, "cancel", s.cancel))
	mux.Handle("POST /online/v1/payment/order", handle(s, "order", s.order))
	mux.Handle("POST /online/v1/payment/subscription", handle(s, "subscription", s.chargeSubscription))
	mux.Handle("POST /online/v1/payment/manage/subscription/status", handle(s, "status", s.subscriptionStatus))
	mux.Handle("POST /online/v1/payment/manage/subscription/inactive", handle(s, "inactive", s.inactivateSubscription))

	mux.HandleFunc("GET /wallet/{tid}", s.showWallet)
	mux.HandleFunc("POST /wallet/{tid}/approve", s.walletAction(walletApprove))
	mux.HandleFunc("POST /wallet/{tid}/cancel", s.walletAction(walletCancel))
	mux.HandleFunc("POST /wallet/{tid}/fail", s.walletAction(walletFail))
	return mux
}

package sandbox

import (
	"net/http"
	"strings"
)

// What the shopper can do in the wallet; also the values of the X-Sandbox-Auto header.
const (
	walletApprove = "approve"
	walletCancel  = "cancel"
	walletFail    = "fail"
)

// pageError is why the wallet cannot show or act on a tid.
type pageError struct {
	status int
	msgID  string
}

// showWallet opens the wallet for a tid (mobile, or ?view=pc). X-Sandbox-Auto makes the wallet act
// at once instead of showing the page. X-Sandbox-KakaoTalk: absent plays a phone without
// KakaoTalk: the link opens nothing (204, the browser stays where it was) and the tid is untouched.
func (s *Sandbox) showWallet(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Sandbox-KakaoTalk") == "absent" && r.URL.Query().Get("view") != "pc" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	auto := r.Header.Get("X-Sandbox-Auto")
	if auto != "" && auto != walletApprove && auto != walletCancel && auto != walletFail {
		s.renderError(w, r, http.StatusBadRequest, "sandbox.error_bad_auto")
		return
	}
	pc := r.URL.Query().Get("view") == "pc"
	s.mu.Lock()
	p, perr := s.walletPayment(r.PathValue("tid"))
	var snapshot payment
	if perr == nil {
		p.status = openedStatus(p.status, pc)
		snapshot = *p
	}
	s.mu.Unlock()
	switch {
	case perr != nil:
		s.renderError(w, r, perr.status, perr.msgID)
	case auto != "":
		s.act(w, r, auto)
	default:
		s.renderWallet(w, r, &snapshot, pc)
	}
}

// walletAction handles one of the wallet's buttons.
func (s *Sandbox) walletAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.act(w, r, action) }
}

// act does what the shopper chose and sends the browser back to the merchant: approval with a fresh
// pg_token, or the cancel or fail URL. A tid can be acted on once.
func (s *Sandbox) act(w http.ResponseWriter, r *http.Request, action string) {
	s.mu.Lock()
	p, perr := s.walletPayment(r.PathValue("tid"))
	var target string
	if perr == nil {
		switch action {
		case walletApprove:
			p.status = statusAuthPassword
			p.pgToken = randomString(lowerAlnum, 20)
			target = withQuery(p.approvalURL, "pg_token="+p.pgToken)
		case walletCancel:
			p.status = statusQuit
			target = p.cancelURL
		default:
			p.status = statusFail
			target = p.failURL
		}
		s.log.Info("sandbox: wallet", "tid", p.tid, "action", action, "status", p.status)
	}
	s.mu.Unlock()
	if perr != nil {
		s.renderError(w, r, perr.status, perr.msgID)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// walletPayment finds a tid the shopper can still act on; the caller holds s.mu.
func (s *Sandbox) walletPayment(tid string) (*payment, *pageError) {
	p, ok := s.payments[tid]
	switch {
	case !ok:
		return nil, &pageError{http.StatusNotFound, "sandbox.error_not_found"}
	case !p.payable():
		return nil, &pageError{http.StatusConflict, "sandbox.error_finished"}
	case s.expired(p):
		return nil, &pageError{http.StatusGone, "sandbox.error_expired"}
	}
	return p, nil
}

// openedStatus is the status after the wallet was opened: on a PC KakaoPay sends a KakaoTalk
// message (SEND_TMS); on the phone the payment screen is open (OPEN_PAYMENT).
func openedStatus(status string, pc bool) string {
	switch {
	case pc && status == statusReady:
		return statusSendTMS
	case !pc:
		return statusOpen
	}
	return status
}

// withQuery appends a query parameter to u, keeping its query string and fragment.
func withQuery(u, param string) string {
	base, fragment, hasFragment := strings.Cut(u, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?" + param
	case strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&"):
		base += param
	default:
		base += "&" + param
	}
	if hasFragment {
		return base + "#" + fragment
	}
	return base
}

package sandbox

import (
	"net/http"
	"strings"
)

// Wallet pages, named as KakaoPay's: the PC page (a QR code, or a phone number that gets a KakaoTalk
// message), the payment screen in a phone's browser, and the one opened from an app. Each tolerates
// a query string, such as the ?kpayTid= KakaoPay's toolkit appends.
const (
	pagePC     = "info"
	pageMobile = "mInfo"
	pageApp    = "aInfo"
)

// What the shopper can do in the wallet; approve, cancel and fail are also the values of the
// X-Sandbox-Auto header.
const (
	walletApprove       = "approve"        // the right password: AUTH_PASSWORD, back to approval_url
	walletCancel        = "cancel"         // closes the screen: QUIT_PAYMENT, back to cancel_url
	walletFail          = "fail"           // the wallet fails: FAIL_PAYMENT, back to fail_url
	walletWrongPassword = "wrong-password" // FAIL_AUTH_PASSWORD, back to fail_url
	walletMethod        = "method"         // SELECT_METHOD, the payment screen stays
	walletARS           = "ars"            // ARS_WAITING, the payment screen stays
	walletTMS           = "tms"            // SEND_TMS, the PC page stays
)

// maxForm bounds a wallet form body; the largest holds a phone number.
const maxForm = 4 << 10

// pageError is why the wallet cannot show or act on a tid.
type pageError struct {
	status int
	msgID  string
}

func (s *Sandbox) walletURL(tid, page string) string { return s.base + "/wallet/" + tid + "/" + page }

// showPC opens the PC page. Opening it changes nothing: the status moves once the shopper sends the
// request to KakaoTalk (SEND_TMS) or opens the payment screen from the QR code (OPEN_PAYMENT).
func (s *Sandbox) showPC(w http.ResponseWriter, r *http.Request) {
	if s.autoAct(w, r) {
		return
	}
	snapshot, perr := s.openWallet(r.PathValue("tid"), nil)
	if perr != nil {
		s.renderError(w, r, perr.status, perr.msgID)
		return
	}
	s.renderPC(w, r, http.StatusOK, &snapshot, "")
}

// showPhone opens the payment screen of page (mobile web or app), which moves the tid to
// OPEN_PAYMENT. X-Sandbox-KakaoTalk: absent plays a phone without KakaoTalk: the link opens nothing
// (204, the browser stays where it was) and the tid is untouched.
func (s *Sandbox) showPhone(page string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Sandbox-KakaoTalk") == "absent" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if s.autoAct(w, r) {
			return
		}
		snapshot, perr := s.openWallet(r.PathValue("tid"), func(p *payment) *pageError {
			p.advance(statusOpen)
			return nil
		})
		if perr != nil {
			s.renderError(w, r, perr.status, perr.msgID)
			return
		}
		s.renderPhone(w, r, &snapshot, page)
	}
}

// openWallet finds tid's payment for a wallet page or form, moves it as the page or form does (when
// move is not nil; move may refuse), and returns a copy to render once the sandbox is unlocked.
func (s *Sandbox) openWallet(tid string, move func(*payment) *pageError) (payment, *pageError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, perr := s.walletPayment(tid)
	if perr == nil && move != nil {
		perr = move(p)
	}
	if perr != nil {
		return payment{}, perr
	}
	return *p, nil
}

// autoAct handles X-Sandbox-Auto: the wallet acts at once instead of showing the page. It reports
// whether it answered the request.
func (s *Sandbox) autoAct(w http.ResponseWriter, r *http.Request) bool {
	switch auto := r.Header.Get("X-Sandbox-Auto"); auto {
	case "":
		return false
	case walletApprove, walletCancel, walletFail:
		s.act(w, r, auto)
	default:
		s.renderError(w, r, http.StatusBadRequest, "sandbox.error_bad_auto")
	}
	return true
}

// walletAction handles one of the buttons that end the wallet.
func (s *Sandbox) walletAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.act(w, r, action) }
}

// act does what the shopper chose and sends the browser back to the merchant: approval with a fresh
// pg_token, or the cancel or fail URL. A tid can be acted on once.
func (s *Sandbox) act(w http.ResponseWriter, r *http.Request, action string) {
	s.mu.Lock()
	target, perr := s.finish(r.PathValue("tid"), action)
	s.mu.Unlock()
	if perr != nil {
		s.renderError(w, r, perr.status, perr.msgID)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// finish ends the wallet of a tid as action says and returns where the browser goes. A return URL
// off the allowed hosts is refused and the tid left as it was; ready refuses such URLs, so this
// only guards against a bug. The caller holds s.mu.
func (s *Sandbox) finish(tid, action string) (string, *pageError) {
	p, perr := s.walletPayment(tid)
	if perr != nil {
		return "", perr
	}
	status, target := statusFail, p.failURL
	switch action {
	case walletApprove:
		status, target = statusAuthPassword, p.approvalURL
	case walletCancel:
		status, target = statusQuit, p.cancelURL
	case walletWrongPassword:
		status = statusFailPassword
	}
	if !s.returnAllowed(target) {
		s.log.Warn("sandbox: refused a return URL", "tid", p.tid, "action", action, "url", target)
		return "", &pageError{http.StatusForbidden, "sandbox.error_bad_return"}
	}
	p.status = status
	if action == walletApprove {
		p.pgToken = randomString(lowerAlnum, 20)
		target = withQuery(target, "pg_token="+p.pgToken)
	}
	s.log.Info("sandbox: wallet", "tid", p.tid, "action", action, "status", p.status)
	return target, nil
}

// walletStep handles a step on the payment screen (picking a method, ARS) and shows the screen
// again: the form's page field says which one (mobile web unless aInfo).
func (s *Sandbox) walletStep(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			s.renderError(w, r, http.StatusBadRequest, "sandbox.error_bad_form")
			return
		}
		page := pageMobile
		if r.PostForm.Get("page") == pageApp {
			page = pageApp
		}
		tid := r.PathValue("tid")
		_, perr := s.openWallet(tid, func(p *payment) *pageError { return s.step(p, action, r.PostForm.Get("method")) })
		if perr != nil {
			s.renderError(w, r, perr.status, perr.msgID)
			return
		}
		http.Redirect(w, r, s.walletURL(tid, page), http.StatusSeeOther)
	}
}

// step moves a payable tid to SELECT_METHOD (with the method picked, if any) or ARS_WAITING; the
// caller holds s.mu.
func (s *Sandbox) step(p *payment, action, method string) *pageError {
	switch action {
	case walletMethod:
		switch {
		case method == "":
		case method != methodMoney && method != methodCard, p.methodFixed && method != p.method:
			return &pageError{http.StatusBadRequest, "sandbox.error_bad_method"}
		default:
			p.method = method
		}
		p.status = statusSelectMethod
	case walletARS:
		p.status = statusARSWaiting
	}
	s.log.Info("sandbox: wallet", "tid", p.tid, "action", action, "status", p.status, "method", p.method)
	return nil
}

// sendTMS handles the PC page's phone-number form: KakaoPay sends the payment request to that
// KakaoTalk (SEND_TMS) and the PC page waits.
func (s *Sandbox) sendTMS(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "sandbox.error_bad_form")
		return
	}
	valid := validPhone(r.PostForm.Get("phone"))
	tid := r.PathValue("tid")
	snapshot, perr := s.openWallet(tid, func(p *payment) *pageError {
		if valid {
			p.advance(statusSendTMS)
			s.log.Info("sandbox: wallet", "tid", p.tid, "action", walletTMS, "status", p.status)
		}
		return nil
	})
	switch {
	case perr != nil:
		s.renderError(w, r, perr.status, perr.msgID)
	case !valid:
		s.renderPC(w, r, http.StatusBadRequest, &snapshot, s.t("sandbox.pc_phone_invalid", nil))
	default:
		http.Redirect(w, r, s.walletURL(tid, pagePC), http.StatusSeeOther)
	}
}

// validPhone accepts a Korean mobile number, 01 and 8 or 9 more digits, with optional hyphens or
// spaces.
func validPhone(raw string) bool {
	n := strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(raw))
	if len(n) < 10 || len(n) > 11 || !strings.HasPrefix(n, "01") {
		return false
	}
	return strings.Trim(n, digits) == ""
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

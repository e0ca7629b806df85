package sandbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	qrcode "github.com/skip2/go-qrcode"
)

// pageView is what every page's layout shows.
type pageView struct {
	Nonce, Title, Brand, Badge string
}

// summaryView is what is being paid, on the payment screen and the PC page.
type summaryView struct {
	ItemLabel, ItemName     string
	QuantityLabel, Quantity string
	MethodLabel, Method     string
	AmountLabel, Amount     string
}

// methodChoice is one payment method the shopper can pick.
type methodChoice struct {
	Label, Value, TestID string
	Pressed              string // "true" once picked, for aria-pressed
}

// walletView is the payment screen's view model (mobile web and app).
type walletView struct {
	Page                      pageView
	Heading                   string
	Summary                   summaryView
	StepNote, Note            string
	PageName                  string // the hidden page field of the step forms: mInfo or aInfo
	StepsLabel                string
	Methods                   []methodChoice
	MethodURL, ARSURL         templ.SafeURL
	ARSLabel                  string
	ActionsLabel              string
	ApproveLabel, CancelLabel string
	FailLabel, WrongLabel     string
	ApproveURL, CancelURL     templ.SafeURL
	FailURL, WrongURL         templ.SafeURL
}

// pcView is the PC page's view model.
type pcView struct {
	Page                        pageView
	Heading                     string
	Summary                     summaryView
	PCNote, Note                string
	QRTitle, QRHint, QRAlt      string
	QR                          templ.SafeURL // a data: URI of the PNG
	OpenLabel                   string
	MobileURL                   templ.SafeURL
	TMSTitle, PhoneLabel        string
	PhoneHint, PhoneError, Sent string
	SendLabel                   string
	TMSURL                      templ.SafeURL
	CancelLabel                 string
	CancelURL                   templ.SafeURL
}

// errorView is the error page's view model.
type errorView struct {
	Page             pageView
	Heading, Message string
}

// messageIDs lists every message the pages use; New checks that the bundle has them all.
func messageIDs() []string {
	return []string{
		"sandbox.page_title", "sandbox.brand", "sandbox.badge", "sandbox.heading",
		"sandbox.item", "sandbox.quantity", "sandbox.quantity_value", "sandbox.method",
		"sandbox.method_money", "sandbox.method_card", "sandbox.amount", "sandbox.amount_value",
		"sandbox.note", "sandbox.pc_note", "sandbox.actions", "sandbox.approve", "sandbox.cancel",
		"sandbox.fail", "sandbox.error_title", "sandbox.error_not_found", "sandbox.error_expired",
		"sandbox.error_finished", "sandbox.error_bad_auto",
		"sandbox.steps", "sandbox.ars", "sandbox.wrong_password", "sandbox.step_select_method",
		"sandbox.step_ars_waiting", "sandbox.pc_qr_title", "sandbox.pc_qr_hint", "sandbox.pc_qr_alt",
		"sandbox.pc_open_mobile", "sandbox.pc_tms_title", "sandbox.pc_phone", "sandbox.pc_phone_hint",
		"sandbox.pc_send", "sandbox.pc_sent", "sandbox.pc_phone_invalid", "sandbox.error_bad_method",
		"sandbox.error_bad_return", "sandbox.error_bad_form",
	}
}

// t localizes a message in Korean; New has checked that every id exists.
func (s *Sandbox) t(id string, data map[string]any) string {
	msg, err := s.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		s.log.Warn("sandbox: localize", "id", id, "error", err)
		return id
	}
	return msg
}

func (s *Sandbox) page(nonce string) pageView {
	return pageView{Nonce: nonce, Title: s.t("sandbox.page_title", nil), Brand: s.t("sandbox.brand", nil),
		Badge: s.t("sandbox.badge", nil)}
}

func (s *Sandbox) methodName(method string) string {
	if method == methodCard {
		return s.t("sandbox.method_card", nil)
	}
	return s.t("sandbox.method_money", nil)
}

func (s *Sandbox) summary(p *payment) summaryView {
	return summaryView{
		ItemLabel:     s.t("sandbox.item", nil),
		ItemName:      p.itemName,
		QuantityLabel: s.t("sandbox.quantity", nil),
		Quantity:      s.t("sandbox.quantity_value", map[string]any{"Quantity": formatWon(p.quantity)}),
		MethodLabel:   s.t("sandbox.method", nil),
		Method:        s.methodName(p.method),
		AmountLabel:   s.t("sandbox.amount", nil),
		Amount:        s.t("sandbox.amount_value", map[string]any{"Amount": formatWon(p.amount.Total)}),
	}
}

func (s *Sandbox) actionURL(tid, action string) templ.SafeURL {
	return templ.SafeURL(s.walletURL(tid, action))
}

func (s *Sandbox) walletView(p *payment, page, nonce string) walletView {
	v := walletView{
		Page:         s.page(nonce),
		Heading:      s.t("sandbox.heading", nil),
		Summary:      s.summary(p),
		Note:         s.t("sandbox.note", nil),
		PageName:     page,
		StepsLabel:   s.t("sandbox.steps", nil),
		MethodURL:    s.actionURL(p.tid, walletMethod),
		ARSURL:       s.actionURL(p.tid, walletARS),
		ARSLabel:     s.t("sandbox.ars", nil),
		ActionsLabel: s.t("sandbox.actions", nil),
		ApproveLabel: s.t("sandbox.approve", nil),
		CancelLabel:  s.t("sandbox.cancel", nil),
		FailLabel:    s.t("sandbox.fail", nil),
		WrongLabel:   s.t("sandbox.wrong_password", nil),
		ApproveURL:   s.actionURL(p.tid, walletApprove),
		CancelURL:    s.actionURL(p.tid, walletCancel),
		FailURL:      s.actionURL(p.tid, walletFail),
		WrongURL:     s.actionURL(p.tid, walletWrongPassword),
	}
	switch p.status {
	case statusSelectMethod:
		v.StepNote = s.t("sandbox.step_select_method", nil)
	case statusARSWaiting:
		v.StepNote = s.t("sandbox.step_ars_waiting", nil)
	}
	methods := []string{methodMoney, methodCard}
	if p.methodFixed {
		methods = []string{p.method}
	}
	for _, m := range methods {
		picked := (p.status == statusSelectMethod || p.status == statusARSWaiting) && p.method == m
		v.Methods = append(v.Methods, methodChoice{Label: s.methodName(m), Value: m,
			TestID: "wallet-method-" + strings.ToLower(m), Pressed: strconv.FormatBool(picked)})
	}
	return v
}

func (s *Sandbox) pcView(p *payment, qr []byte, phoneError, nonce string) pcView {
	v := pcView{
		Page:        s.page(nonce),
		Heading:     s.t("sandbox.heading", nil),
		Summary:     s.summary(p),
		PCNote:      s.t("sandbox.pc_note", nil),
		Note:        s.t("sandbox.note", nil),
		QRTitle:     s.t("sandbox.pc_qr_title", nil),
		QRHint:      s.t("sandbox.pc_qr_hint", nil),
		QRAlt:       s.t("sandbox.pc_qr_alt", nil),
		QR:          templ.SafeURL("data:image/png;base64," + base64.StdEncoding.EncodeToString(qr)),
		OpenLabel:   s.t("sandbox.pc_open_mobile", nil),
		MobileURL:   templ.SafeURL(s.walletURL(p.tid, pageMobile)),
		TMSTitle:    s.t("sandbox.pc_tms_title", nil),
		PhoneLabel:  s.t("sandbox.pc_phone", nil),
		PhoneHint:   s.t("sandbox.pc_phone_hint", nil),
		PhoneError:  phoneError,
		SendLabel:   s.t("sandbox.pc_send", nil),
		TMSURL:      s.actionURL(p.tid, walletTMS),
		CancelLabel: s.t("sandbox.cancel", nil),
		CancelURL:   s.actionURL(p.tid, walletCancel),
	}
	if p.status == statusSendTMS {
		v.Sent = s.t("sandbox.pc_sent", nil)
	}
	return v
}

// renderPhone shows the payment screen. Its forms post to the sandbox and are then redirected to
// the merchant's return URLs and on to wherever the merchant sends the shopper; browsers check
// form-action at every redirect, and the sandbox cannot know the shop's origins, so form-action
// allows any http(s) destination (the page runs no script).
func (s *Sandbox) renderPhone(w http.ResponseWriter, r *http.Request, p *payment, page string) {
	nonce := newNonce()
	s.render(w, r, http.StatusOK, csp(nonce, "'self' http: https:", "'none'"), walletPage(s.walletView(p, page, nonce)))
}

// renderPC shows the PC page with a QR code of the payment screen, inline as a data: image so the
// page needs no second request; phoneError is set when the phone number form was refused.
func (s *Sandbox) renderPC(w http.ResponseWriter, r *http.Request, status int, p *payment, phoneError string) {
	qr, err := qrcode.Encode(s.walletURL(p.tid, pageMobile), qrcode.Medium, 256)
	if err != nil {
		s.log.Error("sandbox: QR code", "tid", p.tid, "error", err)
		http.Error(w, "sandbox: cannot draw the QR code", http.StatusInternalServerError)
		return
	}
	nonce := newNonce()
	s.render(w, r, status, csp(nonce, "'self' http: https:", "data:"), pcPage(s.pcView(p, qr, phoneError, nonce)))
}

// renderError shows a Korean error page with a 4xx status.
func (s *Sandbox) renderError(w http.ResponseWriter, r *http.Request, status int, msgID string) {
	nonce := newNonce()
	v := errorView{Page: s.page(nonce), Heading: s.t("sandbox.error_title", nil), Message: s.t(msgID, nil)}
	s.render(w, r, status, csp(nonce, "'none'", "'none'"), errorPage(v))
}

// render writes a page only once it rendered whole, with its own strict headers.
func (s *Sandbox) render(w http.ResponseWriter, r *http.Request, status int, policy string, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.log.Error("sandbox: render", "error", err)
		http.Error(w, "sandbox: cannot render the page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func csp(nonce, formAction, imgSrc string) string {
	return fmt.Sprintf("default-src 'none'; style-src 'nonce-%s'; img-src %s; form-action %s; base-uri 'none'; frame-ancestors 'none'",
		nonce, imgSrc, formAction)
}

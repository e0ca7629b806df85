package sandbox

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/a-h/templ"
	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// pageView is what every page's layout shows.
type pageView struct {
	Nonce, Title, Brand, Badge string
}

// walletView is the wallet page's view model.
type walletView struct {
	Page                                 pageView
	Heading                              string
	ItemLabel, ItemName                  string
	QuantityLabel, Quantity              string
	MethodLabel, Method                  string
	AmountLabel, Amount                  string
	PCNote, Note                         string
	ActionsLabel                         string
	ApproveLabel, CancelLabel, FailLabel string
	ApproveURL, CancelURL, FailURL       templ.SafeURL
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

func (s *Sandbox) walletView(p *payment, pc bool, nonce string) walletView {
	method := s.t("sandbox.method_money", nil)
	if p.method == methodCard {
		method = s.t("sandbox.method_card", nil)
	}
	action := s.base + "/wallet/" + p.tid + "/"
	v := walletView{
		Page:          s.page(nonce),
		Heading:       s.t("sandbox.heading", nil),
		ItemLabel:     s.t("sandbox.item", nil),
		ItemName:      p.itemName,
		QuantityLabel: s.t("sandbox.quantity", nil),
		Quantity:      s.t("sandbox.quantity_value", map[string]any{"Quantity": formatWon(p.quantity)}),
		MethodLabel:   s.t("sandbox.method", nil),
		Method:        method,
		AmountLabel:   s.t("sandbox.amount", nil),
		Amount:        s.t("sandbox.amount_value", map[string]any{"Amount": formatWon(p.amount.Total)}),
		Note:          s.t("sandbox.note", nil),
		ActionsLabel:  s.t("sandbox.actions", nil),
		ApproveLabel:  s.t("sandbox.approve", nil),
		CancelLabel:   s.t("sandbox.cancel", nil),
		FailLabel:     s.t("sandbox.fail", nil),
		ApproveURL:    templ.SafeURL(action + walletApprove),
		CancelURL:     templ.SafeURL(action + walletCancel),
		FailURL:       templ.SafeURL(action + walletFail),
	}
	if pc {
		v.PCNote = s.t("sandbox.pc_note", nil)
	}
	return v
}

// renderWallet shows the payment screen. Its forms post to the sandbox and are then redirected to
// the merchant's return URLs and on to wherever the merchant sends the shopper; browsers check
// form-action at every redirect, and the sandbox cannot know the shop's origins, so form-action
// allows any http(s) destination (the page runs no script).
func (s *Sandbox) renderWallet(w http.ResponseWriter, r *http.Request, p *payment, pc bool) {
	nonce := newNonce()
	s.render(w, r, http.StatusOK, csp(nonce, "'self' http: https:"), walletPage(s.walletView(p, pc, nonce)))
}

// renderError shows a Korean error page with a 4xx status.
func (s *Sandbox) renderError(w http.ResponseWriter, r *http.Request, status int, msgID string) {
	nonce := newNonce()
	v := errorView{Page: s.page(nonce), Heading: s.t("sandbox.error_title", nil), Message: s.t(msgID, nil)}
	s.render(w, r, status, csp(nonce, "'none'"), errorPage(v))
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

func csp(nonce, formAction string) string {
	return fmt.Sprintf("default-src 'none'; style-src 'nonce-%s'; form-action %s; base-uri 'none'; frame-ancestors 'none'",
		nonce, formAction)
}

package views

import (
	"context"
	"strings"
	"unicode/utf8"
)

// statusText is what the page's live region says of the checkout's state.
func statusText(ctx context.Context, p CheckoutModel) string {
	switch p.View {
	case ViewQR:
		if p.WalletOpened {
			return T(ctx, "status.approve")
		}
		return T(ctx, "status.scan")
	case ViewHandoff:
		if p.WalletOpened {
			return T(ctx, "status.approve")
		}
		return statusOpening(ctx, p)
	case ViewConfirming:
		return T(ctx, "status.confirming")
	case ViewPaid:
		return T(ctx, "status.paid")
	case ViewExpired, ViewCanceled:
		return T(ctx, p.View+".title")
	case ViewPay:
		if p.Outcome != "" {
			return T(ctx, "outcome."+p.Outcome)
		}
	}
	return ""
}

// statusOpening says the page is opening KakaoPay: KakaoTalk from a browser, KakaoPay's screen
// inside KakaoTalk, where the shopper already is.
func statusOpening(ctx context.Context, p CheckoutModel) string {
	if p.InApp == "kakaotalk" {
		return T(ctx, "status.opening_kakaotalk")
	}
	return T(ctx, "status.opening")
}

// merchantOr is the merchant's name, or "the shop" when the page does not know it.
func merchantOr(ctx context.Context, name string) string {
	if name == "" {
		return T(ctx, "merchant.unknown")
	}
	return name
}

// BackTo is the label of a link back to the merchant's shop, naming it ("테스트 카페로 돌아가기",
// "Back to Test Cafe"); a page that does not know the merchant says "back to the shop".
func BackTo(ctx context.Context, merchant string) string {
	if merchant == "" {
		return T(ctx, "back_to_shop")
	}
	return Td(ctx, "back_to", map[string]any{"Merchant": merchant, "Ro": ro(merchant)})
}

// ro is the Korean particle "(으)로" that fits after name: "로" after a vowel or ㄹ, "으로" after
// another final consonant, and "(으)로" when the name does not end in Hangul.
func ro(name string) string {
	r, _ := utf8.DecodeLastRuneInString(name)
	if r < 0xAC00 || r > 0xD7A3 {
		return "(으)로"
	}
	switch (r - 0xAC00) % 28 {
	case 0, 8: // no final consonant, or ㄹ
		return "로"
	}
	return "으로"
}

// top is the target of a link that leaves the checkout: the whole window when the page is framed
// (a merchant's modal), else the page itself.
func top(p CheckoutModel) string {
	if p.Embed {
		return "_top"
	}
	return "_self"
}

// newTab is the target of a link that opens beside the checkout: a new tab, except in a
// merchant's frame, where pop-ups are blocked (in-app browsers) and the whole window goes.
func newTab(p CheckoutModel) string {
	if p.Embed {
		return "_top"
	}
	return "_blank"
}

// PaymentMethod names how KakaoPay took a payment (MONEY, CARD) in the localizer's language.
func (l *Localizer) PaymentMethod(method string) string {
	if l.Has("method." + method) {
		return l.T("method."+method, nil)
	}
	return l.T("method.default", nil)
}

// wordOr is the message prefix+value, or value itself when there is none (a status a newer
// version added).
func wordOr(ctx context.Context, prefix, value string) string {
	if l := L(ctx); l.Has(prefix + value) {
		return l.T(prefix+value, nil)
	}
	return value
}

// attemptFailure says why a payment try failed, in the page's language: the message of KakaoPay's
// code when there is one ("INSUFFICIENT_BALANCE …" reads as "카카오페이머니 잔액이 부족해요…"), else
// what KakaoPay said.
func attemptFailure(ctx context.Context, failure string) string {
	code, message, _ := strings.Cut(failure, " ")
	if code == "" {
		return ""
	}
	if l := L(ctx); l.Has("failure." + code) {
		return l.T("failure."+code, nil)
	}
	if message != "" && strings.ToUpper(code) == code {
		return message
	}
	return failure
}

// deliverySummary writes a webhook delivery's status and its last answer ("succeeded 204") in
// the page's language ("전송 성공 204").
func deliverySummary(ctx context.Context, summary string) string {
	status, code, _ := strings.Cut(summary, " ")
	return strings.TrimSpace(wordOr(ctx, "dash.delivery.", status) + " " + code)
}

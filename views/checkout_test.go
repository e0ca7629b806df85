package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// text is the whitespace-folded text of what sel selects.
func text(doc *goquery.Document, sel string) string {
	return strings.Join(strings.Fields(doc.Find(sel).Text()), " ")
}

func cafe(view string) CheckoutModel {
	return CheckoutModel{ID: "cs_1", MerchantName: "테스트 카페", Amount: 11000, View: view, SuccessURL: "https://shop.example/thanks",
		FailureURL: "https://shop.example/cart", PayURL: "/c/cs_1/pay", CancelURL: "/c/cs_1/cancel", RefreshURL: "/c/cs_1"}
}

// TestPaidPageSaysItOnceWithATick: the paid view says it is done once, with a tick, without
// repeating the amount the page's top shows; a subscription's says the recurring payment is set up.
func TestPaidPageSaysItOnceWithATick(t *testing.T) {
	p := cafe(ViewPaid)
	doc := render(t, "ko", CheckoutPage(p))
	paid := text(doc, `[data-testid="paid"]`)
	if !strings.Contains(paid, "✓") || !strings.Contains(paid, "결제를 완료했어요") {
		t.Errorf("the paid view says %q", paid)
	}
	if strings.Contains(paid, "11,000원") {
		t.Errorf("the paid view repeats the amount: %q", paid)
	}
	if doc.Find(`[data-testid="paid-recurring"]`).Length() != 0 {
		t.Error("a one-time payment's paid view mentions recurring payments")
	}
	p.Recurring = true
	if got := text(render(t, "ko", CheckoutPage(p)), `[data-testid="paid-recurring"]`); !strings.Contains(got, "정기 결제도 등록했어요") {
		t.Errorf("a subscription's paid view says %q", got)
	}
}

// TestEndedCheckoutNamesTheMerchant: an expired checkout sends the shopper back to the merchant by
// name (a café is no 쇼핑몰), and says no money moved.
func TestEndedCheckoutNamesTheMerchant(t *testing.T) {
	got := text(render(t, "ko", CheckoutPage(cafe(ViewExpired))), `[data-testid="expired"]`)
	if !strings.Contains(got, "테스트 카페에서 결제를 다시 시작해 주세요") || !strings.Contains(got, "빠져나간 돈은 없어요") || strings.Contains(got, "쇼핑몰") {
		t.Errorf("the expired view says %q", got)
	}
}

// TestInsideKakaoTalkTheButtonOpensKakaoPay: a shopper already in KakaoTalk is not told to open it.
func TestInsideKakaoTalkTheButtonOpensKakaoPay(t *testing.T) {
	p := cafe(ViewHandoff)
	p.MobileURL, p.OnPhone, p.Device = "https://wallet.example/pay", true, "mobile"
	if got := text(render(t, "ko", CheckoutPage(p)), `[data-testid="open-kakaotalk"]`); got != "카카오톡 열기" {
		t.Errorf("in a browser the button says %q", got)
	}
	p.InApp = "kakaotalk"
	doc := render(t, "ko", CheckoutPage(p))
	if got := text(doc, `[data-testid="open-kakaotalk"]`); got != "카카오페이로 결제하기" {
		t.Errorf("inside KakaoTalk the button says %q", got)
	}
	if got := text(doc, "#view-heading") + text(doc, "[data-opening]") + text(doc, `[data-testid="fallback"] h3`); strings.Contains(got, "카카오톡") {
		t.Errorf("inside KakaoTalk the page speaks of opening KakaoTalk: %q", got)
	}
}

// TestQRViewSteps: the QR view's heading is not its first step; the code carries KakaoPay's mark;
// the last step promises a page that moves by itself only where the script runs (without it, the
// refresh link); once scanned the code folds away, at hand again.
func TestQRViewSteps(t *testing.T) {
	p := cafe(ViewQR)
	p.QRDataURI = "data:image/png;base64,AAAA"
	doc := render(t, "ko", CheckoutPage(p))
	heading, step1 := text(doc, "#view-heading"), text(doc, `[data-testid="steps"] li:nth-child(1)`)
	if strings.Contains(step1, heading) || strings.Contains(heading, "스캔") {
		t.Errorf("the heading %q repeats the first step %q", heading, step1)
	}
	if doc.Find(`[data-testid="qr-brand"] svg.kakao-mark`).Length() != 1 {
		t.Error("no KakaoPay mark by the QR code")
	}
	last := doc.Find(`[data-testid="steps"] li:nth-child(3)`)
	if live := last.Find("[data-live-only]"); live.Length() != 1 || !strings.Contains(live.Text(), "저절로") {
		t.Errorf("the last step's live text: %q", live.Text())
	} else if _, hidden := live.Attr("hidden"); !hidden {
		t.Error("the last step promises a page that moves by itself before the script runs")
	}
	if got := last.Find("noscript").Text(); !strings.Contains(got, "새로고침") {
		t.Errorf("without the script the last step says %q", got)
	}
	if doc.Find(`[data-testid="qr-again"]`).Length() != 0 {
		t.Error("the QR code is folded away before the scan")
	}
	p.WalletOpened = true
	doc = render(t, "ko", CheckoutPage(p))
	if doc.Find(`details[data-testid="qr-again"]:not([open]) [data-testid="qr"]`).Length() != 1 {
		t.Error("after the scan the QR code is not folded away")
	}
}

// TestLinkPreviewIsACleanCard: a link's Open Graph tags make a text card (merchant, what it
// sells, the amount), not a preview of its QR code; a closed link says its sale has ended.
func TestLinkPreviewIsACleanCard(t *testing.T) {
	p := LinkModel{MerchantName: "테스트 카페", Title: "원두 200g", Amount: 15000, URL: "https://pay.example/l/abc", PayURL: "/l/abc/pay"}
	doc := render(t, "ko", LinkPage(p))
	if doc.Find(`meta[property="og:image"]`).Length() != 0 {
		t.Error("the link's preview shows an image (its QR code)")
	}
	title, _ := doc.Find(`meta[property="og:title"]`).Attr("content")
	desc, _ := doc.Find(`meta[property="og:description"]`).Attr("content")
	if title != "테스트 카페 · 원두 200g" || !strings.Contains(desc, "15,000원") {
		t.Errorf("the preview card: %q / %q", title, desc)
	}
	p.Unavailable = "link.inactive"
	if got := text(render(t, "ko", LinkPage(p)), `[data-testid="link-unavailable"]`); !strings.HasPrefix(got, "판매가 끝난 링크예요") {
		t.Errorf("a closed link says %q", got)
	}
}

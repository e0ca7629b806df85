package shop_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestQRCodeImage(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	desktop := e.Browser(handlerstest.UADesktop)
	qr := "/c/" + c.ID + "/qr.png"
	res, html := desktop.Do(desktop.NoRedirect(), "GET", qr, nil, nil)
	handlerstest.CheckErrorPage(t, res, html, http.StatusNotFound, "결제 페이지를 찾을 수 없어요") // no attempt yet

	desktop.PayOn(c.ID)
	res, body := desktop.Get(qr)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("qr.png: %d Content-Type %q Cache-Control %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	if got, want := handlerstest.QRCodeText(t, []byte(body)), e.AttemptMobileURL(c.ID); got != want {
		t.Fatalf("the QR code says %q, want the attempt's mobile URL %q", got, want)
	}
	// The page's inline code is the same picture, drawn once.
	_, html = desktop.Get(c.URL)
	src := handlerstest.Page(t, html).Find(`[data-testid="qr"]`).AttrOr("src", "")
	if inline, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, "data:image/png;base64,")); string(inline) != body {
		t.Errorf("the page's QR code (%d bytes) is not qr.png (%d bytes)", len(inline), len(body))
	}

	e.Browser(handlerstest.UAIPhone).WalletAct(e.AttemptMobileURL(c.ID), "approve")
	res, html = desktop.Do(desktop.NoRedirect(), "GET", qr, nil, nil)
	handlerstest.CheckErrorPage(t, res, html, http.StatusNotFound, "") // paid: nothing left to scan
}

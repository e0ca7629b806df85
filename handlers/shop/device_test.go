package shop_test

import (
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestDeviceOverride(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	for _, tc := range []struct{ name, ua, query, chMobile, want string }{
		{"?device=mobile", handlerstest.UADesktop, "?device=mobile", "", "mobile"},
		{"?device=desktop", handlerstest.UAIPhone, "?device=desktop", "", "desktop"},
		{"Sec-CH-UA-Mobile ?1", "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0", "", "?1", "mobile"},
	} {
		b := e.Browser(tc.ua)
		if tc.chMobile != "" {
			b.Header.Set("Sec-CH-UA-Mobile", tc.chMobile)
		}
		_, html := b.Get(c.URL + tc.query)
		if d := handlerstest.Page(t, html).Find(`input[name="device"]`).AttrOr("value", ""); d != tc.want {
			t.Errorf("%s gives %q, want %q", tc.name, d, tc.want)
		}
	}
}

func TestPhonePaysInBrowser(t *testing.T) {
	for _, tc := range []struct{ name, ua string }{{"iphone", handlerstest.UAIPhone}, {"android", handlerstest.UAAndroid}} {
		t.Run(tc.name, func(t *testing.T) {
			e, c := handlerstest.NewCheckout(t)
			phone := e.Browser(tc.ua)
			doc := handlerstest.Page(t, phone.PayOn(c.ID))
			if v := doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "handoff" {
				t.Fatalf("phone shows %q, want the KakaoTalk hand-off", v)
			}
			href := doc.Find(`[data-testid="open-kakaotalk"]`).AttrOr("href", "")
			if href != e.AttemptMobileURL(c.ID) {
				t.Fatalf("hand-off link %q, want the attempt's mobile URL", href)
			}
			fb := doc.Find(`[data-testid="fallback"]`)
			if _, hidden := fb.Attr("hidden"); !hidden || fb.Find(`[data-testid="pay-qr"]`).Length() != 1 {
				t.Error("the fallback must be hidden until KakaoTalk fails to open, and offer QR")
			}
			store := map[string]string{"iphone": "app-store", "android": "play-store"}[tc.name]
			if fb.Find(`[data-testid="`+store+`"]`).Length() != 1 {
				t.Errorf("no %s link in the fallback", store)
			}
			res, _ := phone.WalletAct(href, "approve")
			if !strings.HasPrefix(res.Request.URL.String(), e.Shop.URL+"/thanks") || res.Request.URL.Query().Get("checkout_id") != c.ID {
				t.Fatalf("phone ended at %s", res.Request.URL)
			}
		})
	}
}

func TestKakaoTalkInAppBrowser(t *testing.T) {
	e, c := handlerstest.NewCheckout(t)
	talk := e.Browser(handlerstest.UAKakaoTalk)
	doc := handlerstest.Page(t, talk.PayOn(c.ID))
	if v := doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "handoff" {
		t.Fatalf("KakaoTalk shows %q", v)
	}
	if n := doc.Find(`[data-testid="app-store"], [data-testid="play-store"]`).Length(); n != 0 {
		t.Error("inside KakaoTalk the page must not advise installing KakaoTalk")
	}
	if doc.Find(`[target="_blank"]`).Length() != 0 {
		t.Error("in-app browsers get no pop-ups")
	}
	res, _ := talk.WalletAct(doc.Find(`[data-testid="open-kakaotalk"]`).AttrOr("href", ""), "approve")
	if !strings.HasPrefix(res.Request.URL.String(), e.Shop.URL+"/thanks") {
		t.Fatalf("ended at %s", res.Request.URL)
	}
}

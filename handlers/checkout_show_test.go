package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestPagesEscapeMerchantInput(t *testing.T) {
	const script, img = `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`
	e := handlerstest.New(t)
	evil, err := e.Service.CreateMerchant(context.Background(), checkout.NewMerchant{Name: img + script})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, key string
		change    map[string]any
		check     func(t *testing.T, c handlerstest.CheckoutObject, html string)
	}{
		{"item name and reference", e.Key, map[string]any{
			"amount": 1000, "reference": img, "description": script,
			"items": []map[string]any{{"name": script, "quantity": 1, "unit_price": 500}, {"name": img, "quantity": 1, "unit_price": 500}},
		}, func(t *testing.T, c handlerstest.CheckoutObject, html string) {
			doc := handlerstest.Page(t, html)
			if items := handlerstest.TextOf(doc, "items"); !strings.Contains(items, script) || !strings.Contains(items, img) {
				t.Errorf("items show %q", items)
			}
			if got := handlerstest.TextOf(doc, "reference"); got != img {
				t.Errorf("reference shows %q", got)
			}
		}},
		{"description", e.Key, map[string]any{"amount": 1000, "items": nil, "reference": script, "description": script + img},
			func(t *testing.T, c handlerstest.CheckoutObject, html string) {
				doc := handlerstest.Page(t, html)
				if got := strings.TrimSpace(doc.Find(".description").Text()); got != script+img {
					t.Errorf("description shows %q", got)
				}
				if got := handlerstest.TextOf(doc, "reference"); got != script {
					t.Errorf("reference shows %q", got)
				}
			}},
		{"merchant name", evil.APIKey, map[string]any{"reference": script},
			func(t *testing.T, c handlerstest.CheckoutObject, html string) {
				doc := handlerstest.Page(t, html)
				if got := handlerstest.TextOf(doc, "merchant-name"); got != img+script {
					t.Errorf("merchant shows %q", got)
				}
				if !strings.Contains(doc.Find("title").Text(), img+script) {
					t.Errorf("title %q", doc.Find("title").Text())
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := e.ValidCheckoutBody(tc.change)
			var c handlerstest.CheckoutObject
			if res := e.APIAs(tc.key, "POST", "/v1/checkouts", body, &c, nil); res.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d", res.StatusCode)
			}
			// The API answers what was sent, verbatim.
			var got map[string]any
			e.APIAs(tc.key, "GET", "/v1/checkouts/"+c.ID, "", &got, nil)
			var sent map[string]any
			json.Unmarshal([]byte(body), &sent)
			for _, k := range []string{"reference", "description", "items"} {
				if sent[k] == nil {
					continue
				}
				if fmt.Sprint(got[k]) != fmt.Sprint(sent[k]) {
					t.Errorf("API %s = %v, want %v", k, got[k], sent[k])
				}
			}
			for _, lang := range []string{"", "?lang=en"} {
				res, html := e.Browser(handlerstest.UADesktop).Get(c.URL + lang)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("page: %d", res.StatusCode)
				}
				for _, raw := range []string{"<script>alert", "<img src=x", "<img src=\"x\"", "onerror=alert(1)>"} {
					if strings.Contains(html, raw) {
						t.Errorf("the page holds %q unescaped", raw)
					}
				}
				tc.check(t, c, html)
			}
		})
	}
}

func TestCheckoutExpiresByTime(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout(e.ValidCheckoutBody(map[string]any{"expires_in": 300}))
	e.Clock.Add(299 * time.Second)
	_, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
	if v := handlerstest.Page(t, html).Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "pay" {
		t.Fatalf("at 299 s the page shows %q", v)
	}
	e.Clock.Add(2 * time.Second)
	for i := range 2 {
		res, html := e.Browser(handlerstest.UADesktop).Get(c.URL)
		doc := handlerstest.Page(t, html)
		if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="expired"]`).Length() != 1 {
			t.Fatalf("GET %d at 301 s: %d view=%q", i, res.StatusCode, doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""))
		}
		if doc.Find(`[data-testid="back-to-shop"]`).Length() != 1 {
			t.Error("no back-to-shop link")
		}
	}
	// Many shoppers' and merchants' reads at once expire it once.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := []string{"/c/" + c.ID, "/c/" + c.ID + "/status", "/v1/checkouts/" + c.ID, "/v1/checkouts?status=open"}[i%4]
			res, _, err := apiRaw(e, e.Key, "GET", path, "", nil)
			if err != nil || res.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %v %v", path, res, err)
			}
		}()
	}
	wg.Wait()
	if got := getCheckoutObj(t, e, c.ID); got.Status != "expired" {
		t.Errorf("API status %q", got.Status)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "checkout.expired") != 1 {
		t.Errorf("events %v, want one checkout.expired", ev)
	}
	b := e.Browser(handlerstest.UADesktop)
	res, html := b.Do(b.NoRedirect(), "POST", "/c/"+c.ID+"/pay", strings.NewReader("device=desktop"), nil)
	checkErrorPage(t, res, html, http.StatusConflict, "결제 시간이 만료된 주문입니다")
}

func TestAttemptExpires(t *testing.T) {
	e := handlerstest.New(t)
	c := e.CreateCheckout("")
	desktop := e.Browser(handlerstest.UADesktop)
	desktop.PayOn(c.ID)
	mobileURL := e.AttemptMobileURL(c.ID)
	e.Clock.Add(16 * time.Minute)
	_, html := desktop.Get(c.URL)
	doc := handlerstest.Page(t, html)
	if v := doc.Find(`[data-testid="checkout"]`).AttrOr("data-view", ""); v != "pay" || doc.Find(`[data-outcome="expired"]`).Length() != 1 {
		t.Fatalf("after 16 minutes the page shows %q outcome=%q", v, doc.Find(`[data-testid="outcome"]`).AttrOr("data-outcome", ""))
	}
	if !strings.Contains(handlerstest.TextOf(doc, "outcome"), "결제 요청 시간이 지났습니다") {
		t.Errorf("outcome text %q", handlerstest.TextOf(doc, "outcome"))
	}
	if doc.Find(`[data-testid="pay-button"]`).Length() != 1 {
		t.Error("no pay button to try again")
	}
	if got := e.LatestAttempt(c.ID); got.Status != "expired" {
		t.Errorf("attempt %s", got.Status)
	}
	if got := getCheckoutObj(t, e, c.ID); got.Status != "open" {
		t.Errorf("checkout %s", got.Status)
	}
	if ev := e.Events(c.ID); handlerstest.Count(ev, "attempt.expired") != 1 {
		t.Errorf("events %v", ev)
	}
	phone := e.Browser(handlerstest.UAIPhone)
	res, _ := phone.Do(phone.NoRedirect(), "GET", mobileURL, nil, map[string]string{"X-Sandbox-Auto": "approve"})
	if res.StatusCode < 400 {
		t.Errorf("the sandbox wallet answered %d for an expired tid", res.StatusCode)
	}
	// A new attempt pays.
	desktop.PayOn(c.ID)
	if e.AttemptMobileURL(c.ID) == mobileURL {
		t.Fatal("pay reused the expired attempt")
	}
	phone.WalletAct(e.AttemptMobileURL(c.ID), "approve")
	if got := getCheckoutObj(t, e, c.ID); got.Status != "paid" {
		t.Errorf("after a new attempt the checkout is %s", got.Status)
	}
}

// BenchmarkCheckoutPage measures serving the hosted page of an open checkout.
func BenchmarkCheckoutPage(b *testing.B) {
	e := handlerstest.New(b)
	c := e.CreateCheckout("")
	client := &http.Client{}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := client.Get(c.URL)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

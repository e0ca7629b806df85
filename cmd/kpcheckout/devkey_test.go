package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAClientWithItsOwnDevKeyRunsAgainstServe plays a merchant's own KakaoPay integration (as
// KakaoPay's toolkit sends it: its own DEV key, either header scheme) against `make run`'s
// built-in sandbox: ready → the shopper approves in the wallet → approve → order → cancel.
func TestAClientWithItsOwnDevKeyRunsAgainstServe(t *testing.T) {
	srv := startServe(t)
	base := "http://" + srv.addr + "/sandbox/online/v1/payment/"
	for _, scheme := range []string{"SECRET_KEY", "DEV_SECRET_KEY"} {
		t.Run(scheme, func(t *testing.T) {
			auth := scheme + " DEV" + rand.Text()
			call := func(endpoint string, body map[string]any) map[string]any {
				t.Helper()
				b, _ := json.Marshal(body)
				req, _ := http.NewRequest("POST", base+endpoint, bytes.NewReader(b))
				req.Header.Set("Authorization", auth)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				var out map[string]any
				if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
					t.Fatalf("%s: %d %v %v", endpoint, res.StatusCode, out, err)
				}
				return out
			}
			shop := "http://127.0.0.1:9/shop/"
			ready := call("ready", map[string]any{
				"cid": "TC0ONETIME", "partner_order_id": "order-1", "partner_user_id": "user-1", "item_name": "아메리카노",
				"quantity": 1, "total_amount": 4500, "tax_free_amount": 0,
				"approval_url": shop + "approve", "cancel_url": shop + "cancel", "fail_url": shop + "fail",
			})
			tid, _ := ready["tid"].(string)
			mobile, _ := ready["next_redirect_mobile_url"].(string)
			if tid == "" || mobile == "" {
				t.Fatalf("ready answered %v", ready)
			}

			// The shopper approves in the wallet, which sends the browser to approval_url with a pg_token.
			req, _ := http.NewRequest("GET", mobile, nil)
			req.Header.Set("X-Sandbox-Auto", "approve")
			noRedirect := noRedirects()
			res, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			loc, err := url.Parse(res.Header.Get("Location"))
			if res.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), shop+"approve") || loc.Query().Get("pg_token") == "" {
				t.Fatalf("wallet: %d %q", res.StatusCode, res.Header.Get("Location"))
			}

			ids := map[string]any{"cid": "TC0ONETIME", "tid": tid}
			approved := call("approve", map[string]any{"cid": "TC0ONETIME", "tid": tid, "partner_order_id": "order-1",
				"partner_user_id": "user-1", "pg_token": loc.Query().Get("pg_token")})
			if amount, _ := approved["amount"].(map[string]any); amount["total"] != 4500.0 || approved["aid"] == "" {
				t.Errorf("approve answered %v", approved)
			}
			if order := call("order", ids); order["status"] != "SUCCESS_PAYMENT" {
				t.Errorf("order after approve: %v", order["status"])
			}
			canceled := call("cancel", map[string]any{"cid": "TC0ONETIME", "tid": tid, "cancel_amount": 4500, "cancel_tax_free_amount": 0})
			if canceled["status"] != "CANCEL_PAYMENT" {
				t.Errorf("cancel answered %v", canceled["status"])
			}
			if order := call("order", ids); order["status"] != "CANCEL_PAYMENT" {
				t.Errorf("order after cancel: %v", order["status"])
			}
		})
	}
}

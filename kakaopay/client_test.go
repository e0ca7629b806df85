package kakaopay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/kakaopay"
)

const secretKey = "DEV1234567890SECRET"

// received is what the fake KakaoPay saw of one call.
type received struct {
	method, path string
	header       http.Header
	body         map[string]any
}

// fakeKakaoPay starts a server that records each call and answers status and
// answer, returning a client for it (base URL with a trailing slash) and the calls.
func fakeKakaoPay(t *testing.T, status int, answer string) (*kakaopay.Client, <-chan received) {
	t.Helper()
	url, calls := fakeServer(t, status, answer)
	return newClient(t, url+"/", nil), calls
}

// fakeServer is fakeKakaoPay without the client.
func fakeServer(t *testing.T, status int, answer string) (string, <-chan received) {
	t.Helper()
	calls := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("request body is not JSON: %v", err)
		}
		calls <- received{r.Method, r.URL.Path, r.Header.Clone(), body}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, calls
}

func newClient(t *testing.T, base string, hc *http.Client) *kakaopay.Client {
	t.Helper()
	c, err := kakaopay.New(kakaopay.Options{BaseURL: base, SecretKey: secretKey, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// jsonMap decodes a JSON object literal for comparison with a request body.
func jsonMap(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

func kst(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.FixedZone("KST", 9*3600))
}

const approveAnswer = `{
	"aid": "A5678901234567890123", "tid": "T1234567890123456789", "cid": "TC0ONETIME",
	"partner_order_id": "cs_123", "partner_user_id": "mer_1",
	"payment_method_type": "CARD",
	"item_name": "초코파이", "item_code": "", "quantity": 1,
	"amount": {"total": 2200, "tax_free": 0, "vat": 200, "point": 0, "discount": 0, "green_deposit": 0},
	"card_info": {
		"kakaopay_purchase_corp": "비씨카드", "kakaopay_purchase_corp_code": "104",
		"kakaopay_issuer_corp": "수협은행", "kakaopay_issuer_corp_code": "212",
		"bin": "621640", "card_type": "체크", "install_month": "00",
		"approved_id": "30001131", "card_mid": "123456789",
		"interest_free_install": "N", "installment_type": "CARD_INSTALLMENT", "card_item_code": "000000"
	},
	"sequential_payment_methods": [],
	"created_at": "2016-11-15T21:18:22", "approved_at": "2016-11-15T21:20:47",
	"payload": "attempt-1"
}`

func TestCallsRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		call     func(context.Context, *kakaopay.Client) (any, error)
		wantBody string // exactly the JSON the client must send
		answer   string
		check    func(t *testing.T, got any)
	}{
		{
			name: "ready",
			path: "/online/v1/payment/ready",
			call: func(ctx context.Context, c *kakaopay.Client) (any, error) {
				return c.Ready(ctx, kakaopay.ReadyRequest{
					Purchase: kakaopay.Purchase{CID: kakaopay.TestCID, PartnerOrderID: "cs_123", PartnerUserID: "mer_1",
						ItemName: "초코파이", Quantity: 1, TotalAmount: 2200, TaxFreeAmount: 0},
					ApprovalURL:  "https://pay.example/c/cs_123/return/approve",
					CancelURL:    "https://pay.example/c/cs_123/return/cancel",
					FailURL:      "https://pay.example/c/cs_123/return/fail",
					InstallMonth: new(0),
					CustomJSON:   map[string]string{"return_custom_url": "https://pay.example"},
				})
			},
			wantBody: `{"cid":"TC0ONETIME","partner_order_id":"cs_123","partner_user_id":"mer_1",
				"item_name":"초코파이","quantity":1,"total_amount":2200,"tax_free_amount":0,
				"approval_url":"https://pay.example/c/cs_123/return/approve",
				"cancel_url":"https://pay.example/c/cs_123/return/cancel",
				"fail_url":"https://pay.example/c/cs_123/return/fail",
				"install_month":0,"custom_json":{"return_custom_url":"https://pay.example"}}`,
			answer: `{"tid":"T1234567890123456789","tms_result":false,"created_at":"2016-11-15T21:18:22",
				"next_redirect_pc_url":"https://online-pay.kakao.com/mockup/v1/abc/info",
				"next_redirect_mobile_url":"https://online-pay.kakao.com/mockup/v1/abc/mInfo",
				"next_redirect_app_url":"https://online-pay.kakao.com/mockup/v1/abc/aInfo",
				"android_app_scheme":"kakaotalk://kakaopay/pg?url=https://online-pay.kakao.com/pay/mockup/abc",
				"ios_app_scheme":"kakaotalk://kakaopay/pg?url=https://online-pay.kakao.com/pay/mockup/abc"}`,
			check: func(t *testing.T, got any) {
				r := got.(*kakaopay.ReadyResponse)
				if r.TID != "T1234567890123456789" || r.NextRedirectMobileURL != "https://online-pay.kakao.com/mockup/v1/abc/mInfo" ||
					r.NextRedirectPCURL == "" || r.NextRedirectAppURL == "" || !strings.HasPrefix(r.AndroidAppScheme, "kakaotalk://") || r.IOSAppScheme == "" {
					t.Errorf("answer = %+v", r)
				}
				if !r.CreatedAt.Equal(kst(2016, 11, 15, 21, 18, 22)) {
					t.Errorf("created_at = %v", r.CreatedAt)
				}
			},
		},
		{
			name: "ready with every option",
			path: "/online/v1/payment/ready",
			call: func(ctx context.Context, c *kakaopay.Client) (any, error) {
				return c.Ready(ctx, kakaopay.ReadyRequest{
					Purchase: kakaopay.Purchase{CID: kakaopay.TestCID, PartnerOrderID: "o", PartnerUserID: "u", ItemName: "i", ItemCode: "SKU1",
						Quantity: 2, TotalAmount: 1000, TaxFreeAmount: 1000, VATAmount: new(int64(0))},
					ApprovalURL: "a", CancelURL: "c", FailURL: "f", PaymentMethodType: kakaopay.MethodMoney,
					AvailableCards: []string{"SHINHAN"},
				})
			},
			wantBody: `{"cid":"TC0ONETIME","partner_order_id":"o","partner_user_id":"u","item_name":"i","item_code":"SKU1",
				"quantity":2,"total_amount":1000,"tax_free_amount":1000,"vat_amount":0,
				"approval_url":"a","cancel_url":"c","fail_url":"f","payment_method_type":"MONEY","available_cards":["SHINHAN"]}`,
			answer: `{"tid":"T1"}`,
			check:  func(t *testing.T, got any) {},
		},
		{
			name: "approve",
			path: "/online/v1/payment/approve",
			call: func(ctx context.Context, c *kakaopay.Client) (any, error) {
				return c.Approve(ctx, kakaopay.ApproveRequest{
					CID: kakaopay.TestCID, TID: "T1234567890123456789", PartnerOrderID: "cs_123",
					PartnerUserID: "mer_1", PGToken: "pgtoken123", TotalAmount: 2200,
				})
			},
			wantBody: `{"cid":"TC0ONETIME","tid":"T1234567890123456789","partner_order_id":"cs_123",
				"partner_user_id":"mer_1","pg_token":"pgtoken123","total_amount":2200}`,
			answer: approveAnswer,
			check: func(t *testing.T, got any) {
				r := got.(*kakaopay.ApproveResponse)
				if r.AID != "A5678901234567890123" || r.PaymentMethodType != kakaopay.MethodCard || r.Quantity != 1 || r.Payload != "attempt-1" {
					t.Errorf("answer = %+v", r)
				}
				if r.Amount != (kakaopay.Amount{Total: 2200, VAT: 200}) {
					t.Errorf("amount = %+v", r.Amount)
				}
				if r.CardInfo == nil || r.CardInfo.InstallMonth != 0 || r.CardInfo.Bin != "621640" || r.CardInfo.KakaoPayIssuerCorp != "수협은행" {
					t.Errorf("card_info = %+v", r.CardInfo)
				}
				if !r.ApprovedAt.Equal(kst(2016, 11, 15, 21, 20, 47)) || r.ApprovedAt.UTC().Hour() != 12 {
					t.Errorf("approved_at = %v", r.ApprovedAt)
				}
			},
		},
		{
			name: "approve money, install_month as a number",
			path: "/online/v1/payment/approve",
			call: func(ctx context.Context, c *kakaopay.Client) (any, error) {
				return c.Approve(ctx, kakaopay.ApproveRequest{CID: "C", TID: "T", PartnerOrderID: "o", PartnerUserID: "u", PGToken: "p"})
			},
			wantBody: `{"cid":"C","tid":"T","partner_order_id":"o","partner_user_id":"u","pg_token":"p"}`,
			answer:   `{"aid":"A","payment_method_type":"MONEY","card_info":{"install_month":3},"sid":"S1234567890123456789","approved_at":null}`,
			check: func(t *testing.T, got any) {
				r := got.(*kakaopay.ApproveResponse)
				if r.CardInfo.InstallMonth != 3 || r.SID != "S1234567890123456789" || !r.ApprovedAt.IsZero() {
					t.Errorf("answer = %+v", r)
				}
			},
		},
		{
			name: "cancel",
			path: "/online/v1/payment/cancel",
			call: func(ctx context.Context, c *kakaopay.Client) (any, error) {
				return c.Cancel(ctx, kakaopay.CancelRequest{
					CID: kakaopay.TestCID, TID: "T1234567890123456789", CancelAmount: 1100,
					CancelTaxFreeAmount: 0, CancelVATAmount: new(int64(100)), CancelAvailableAmount: 2200, Payload: "re_1",
				})
			},
			wantBody: `{"cid":"TC0ONETIME","tid":"T1234567890123456789","cancel_amount":1100,"cancel_tax_free_amount":0,
				"cancel_vat_amount":100,"cancel_available_amount":2200,"payload":"re_1"}`,
			answer: `{"aid":"A2","tid":"T1234567890123456789","cid":"TC0ONETIME","status":"PART_CANCEL_PAYMENT",
				"partner_order_id":"cs_123","partner_user_id":"mer_1","payment_method_type":"MONEY",
				"item_name":"초코파이","quantity":1,
				"amount":{"total":2200,"tax_free":0,"vat":200,"point":0,"discount":0,"green_deposit":0},
				"approved_cancel_amount":{"total":1100,"tax_free":0,"vat":100,"point":0,"discount":0,"green_deposit":0},
				"canceled_amount":{"total":1100,"tax_free":0,"vat":100,"point":0,"discount":0,"green_deposit":0},
				"cancel_available_amount":{"total":1100,"tax_free":0,"vat":100,"point":0,"discount":0,"green_deposit":0},
				"created_at":"2016-11-15T21:18:22","approved_at":"2016-11-15T21:20:47","canceled_at":"2016-11-16T10:00:00.123",
				"payload":"re_1"}`,
			check: func(t *testing.T, got any) {
				r := got.(*kakaopay.CancelResponse)
				if r.Status != kakaopay.StatusPartCancelPayment || r.ApprovedCancelAmount.Total != 1100 ||
					r.CanceledAmount.Total != 1100 || r.CancelAvailableAmount.VAT != 100 || r.Amount.Total != 2200 {
					t.Errorf("answer = %+v", r)
				}
				if want := kst(2016, 11, 16, 10, 0, 0).Add(123 * time.Millisecond); !r.CanceledAt.Equal(want) {
					t.Errorf("canceled_at = %v, want %v", r.CanceledAt, want)
				}
			},
		},
		{
			name: "order",
			path: "/online/v1/payment/order",
			call: func(ctx context.Context, c *kakaopay.Client) (any, error) {
				return c.Order(ctx, kakaopay.OrderRequest{CID: kakaopay.TestCID, TID: "T1234567890123456789"})
			},
			wantBody: `{"cid":"TC0ONETIME","tid":"T1234567890123456789"}`,
			answer: `{"tid":"T1234567890123456789","cid":"TC0ONETIME","status":"SUCCESS_PAYMENT",
				"partner_order_id":"cs_123","partner_user_id":"mer_1","payment_method_type":"CARD",
				"amount":{"total":2200,"tax_free":0,"vat":200,"point":0,"discount":0,"green_deposit":0},
				"canceled_amount":{"total":0,"tax_free":0,"vat":0,"point":0,"discount":0,"green_deposit":0},
				"cancel_available_amount":{"total":2200,"tax_free":0,"vat":200,"point":0,"discount":0,"green_deposit":0},
				"item_name":"초코파이","item_code":"","quantity":1,
				"created_at":"2016-11-15T21:18:22","approved_at":"2016-11-15T21:20:47","canceled_at":null,
				"selected_card_info":{"card_bin":"621640","install_month":0,"installment_type":"CARD_INSTALLMENT","card_corp_name":"비씨카드","interest_free_install":"N"},
				"payment_action_details":[{"aid":"A5678901234567890123","approved_at":"2016-11-15T21:20:48",
					"amount":2200,"point_amount":0,"discount_amount":0,"green_deposit":0,
					"payment_action_type":"PAYMENT","payload":"attempt-1"}]}`,
			check: func(t *testing.T, got any) {
				r := got.(*kakaopay.OrderResponse)
				if r.Status != kakaopay.StatusSuccessPayment || r.CancelAvailableAmount.Total != 2200 || !r.CanceledAt.IsZero() {
					t.Errorf("answer = %+v", r)
				}
				if r.SelectedCardInfo == nil || r.SelectedCardInfo.CardCorpName != "비씨카드" {
					t.Errorf("selected_card_info = %+v", r.SelectedCardInfo)
				}
				if len(r.PaymentActionDetails) != 1 || r.PaymentActionDetails[0].PaymentActionType != kakaopay.ActionPayment ||
					r.PaymentActionDetails[0].Amount != 2200 || r.PaymentActionDetails[0].ApprovedAt.IsZero() {
					t.Errorf("payment_action_details = %+v", r.PaymentActionDetails)
				}
			},
		},
		{
			name: "subscription",
			path: "/online/v1/payment/subscription",
			call: func(ctx context.Context, c *kakaopay.Client) (any, error) {
				return c.Subscription(ctx, kakaopay.SubscriptionRequest{SID: "S1234567890123456789", Purchase: kakaopay.Purchase{
					CID: kakaopay.TestSubscriptionCID, PartnerOrderID: "ch_1",
					PartnerUserID: "agr_1", ItemName: "월 구독", Quantity: 1, TotalAmount: 9900, TaxFreeAmount: 0,
				}})
			},
			wantBody: `{"cid":"TCSUBSCRIP","sid":"S1234567890123456789","partner_order_id":"ch_1","partner_user_id":"agr_1",
				"item_name":"월 구독","quantity":1,"total_amount":9900,"tax_free_amount":0}`,
			answer: `{"aid":"A9","tid":"T9","cid":"TCSUBSCRIP","sid":"S1234567890123456789","partner_order_id":"ch_1",
				"partner_user_id":"agr_1","payment_method_type":"MONEY","item_name":"월 구독","quantity":1,
				"amount":{"total":9900,"tax_free":0,"vat":900,"point":0,"discount":0,"green_deposit":0},
				"created_at":"2024-05-01T09:00:00","approved_at":"2024-05-01T09:00:01"}`,
			check: func(t *testing.T, got any) {
				r := got.(*kakaopay.ApproveResponse)
				if r.TID != "T9" || r.Amount.Total != 9900 || r.CardInfo != nil {
					t.Errorf("answer = %+v", r)
				}
			},
		},
		{
			name: "subscription status",
			path: "/online/v1/payment/manage/subscription/status",
			call: func(ctx context.Context, c *kakaopay.Client) (any, error) {
				return c.SubscriptionStatus(ctx, kakaopay.SIDRequest{CID: kakaopay.TestSubscriptionCID, SID: "S1"})
			},
			wantBody: `{"cid":"TCSUBSCRIP","sid":"S1"}`,
			answer: `{"available":true,"cid":"TCSUBSCRIP","sid":"S1","status":"ACTIVE","payment_method_type":"CARD",
				"item_name":"월 구독","created_at":"2024-04-01T09:00:00","last_approved_at":"2024-05-01T09:00:01",
				"inactivated_at":null,"use_point_status":"NOT_USE"}`,
			check: func(t *testing.T, got any) {
				r := got.(*kakaopay.SubscriptionStatusResponse)
				if !r.Available || r.Status != kakaopay.SubscriptionActive || r.LastApprovedAt.IsZero() || !r.InactivatedAt.IsZero() {
					t.Errorf("answer = %+v", r)
				}
			},
		},
		{
			name: "inactive",
			path: "/online/v1/payment/manage/subscription/inactive",
			call: func(ctx context.Context, c *kakaopay.Client) (any, error) {
				return c.Inactive(ctx, kakaopay.SIDRequest{CID: kakaopay.TestSubscriptionCID, SID: "S1"})
			},
			wantBody: `{"cid":"TCSUBSCRIP","sid":"S1"}`,
			answer: `{"cid":"TCSUBSCRIP","sid":"S1","status":"INACTIVE","created_at":"2024-04-01T09:00:00",
				"last_approved_at":"2024-05-01T09:00:01","inactivated_at":"2024-05-02T10:00:00"}`,
			check: func(t *testing.T, got any) {
				r := got.(*kakaopay.SubscriptionStatusResponse)
				if r.Status != kakaopay.SubscriptionInactive || !r.InactivatedAt.Equal(kst(2024, 5, 2, 10, 0, 0)) {
					t.Errorf("answer = %+v", r)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, calls := fakeKakaoPay(t, http.StatusOK, tt.answer)
			got, err := tt.call(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			r := <-calls
			if r.method != http.MethodPost || r.path != tt.path {
				t.Errorf("request = %s %s, want POST %s", r.method, r.path, tt.path)
			}
			if h := r.header.Get("Authorization"); h != "SECRET_KEY "+secretKey {
				t.Errorf("Authorization = %q", h)
			}
			if h := r.header.Get("Content-Type"); h != "application/json" {
				t.Errorf("Content-Type = %q", h)
			}
			if h := r.header.Get("X-Request-Id"); h != "" {
				t.Errorf("X-Request-Id = %q without WithRequestID", h)
			}
			if want := jsonMap(t, tt.wantBody); !reflect.DeepEqual(r.body, want) {
				t.Errorf("request body\n got %v\nwant %v", r.body, want)
			}
			tt.check(t, got)
		})
	}
}

func TestKakaoPayError(t *testing.T) {
	c, _ := fakeKakaoPay(t, http.StatusBadRequest, `{"error_code":-780,"error_message":"approval failure!",
		"extras":{"method_result_code":"USER_LOCKED","method_result_message":"진행중인 거래가 있습니다. 잠시 후 다시 시도해 주세요."}}`)
	resp, err := c.Approve(t.Context(), kakaopay.ApproveRequest{CID: "C", TID: "T", PGToken: "p"})
	if resp != nil {
		t.Errorf("answer = %+v, want nil on error", resp)
	}
	var e *kakaopay.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *kakaopay.Error", err, err)
	}
	want := kakaopay.Error{Endpoint: "approve", HTTPStatus: 400, Code: kakaopay.CodeApprovalFailed, Message: "approval failure!",
		MethodResultCode: "USER_LOCKED", MethodResultMessage: "진행중인 거래가 있습니다. 잠시 후 다시 시도해 주세요."}
	if *e != want {
		t.Errorf("error = %+v\nwant %+v", *e, want)
	}
	for _, s := range []string{"kakaopay: approve", "400", "-780", "approval failure!", "USER_LOCKED"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Error() = %q, missing %q", err, s)
		}
	}
	if e.Unauthorized() || kakaopay.IsTimeout(err) || kakaopay.IsOutcomeUnknown(err) {
		t.Errorf("Unauthorized=%v IsTimeout=%v IsOutcomeUnknown=%v, want all false",
			e.Unauthorized(), kakaopay.IsTimeout(err), kakaopay.IsOutcomeUnknown(err))
	}
}

func TestNonJSONErrorBody(t *testing.T) {
	html := "<html><head><title>502 Bad Gateway</title></head><body>" + strings.Repeat("프록시 ", 100) + "</body></html>"
	tests := []struct {
		name, body, wantMessage string
		status                  int
	}{
		{"html", html, "<html><head><title>502 Bad Gateway</title>", http.StatusBadGateway},
		{"empty", "", "Service Unavailable", http.StatusServiceUnavailable},
		{"other json", `{"message":"no route"}`, `{"message":"no route"}`, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := fakeKakaoPay(t, tt.status, tt.body)
			_, err := c.Order(t.Context(), kakaopay.OrderRequest{CID: "C", TID: "T"})
			var e *kakaopay.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *kakaopay.Error", err, err)
			}
			if e.HTTPStatus != tt.status || e.Code != 0 || e.Endpoint != "order" || !strings.HasPrefix(e.Message, tt.wantMessage) {
				t.Errorf("error = %+v", e)
			}
			if len(e.Message) > 200 || !strings.Contains(err.Error(), e.Message) {
				t.Errorf("message (%d bytes) = %q", len(e.Message), e.Message)
			}
			if got, want := kakaopay.IsOutcomeUnknown(err), tt.status >= 500; got != want {
				t.Errorf("IsOutcomeUnknown = %v, want %v", got, want)
			}
		})
	}
}

func TestUnauthorized(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		c, _ := fakeKakaoPay(t, status, `{"error_code":-401,"error_message":"invalid secret key"}`)
		_, err := c.Ready(t.Context(), kakaopay.ReadyRequest{})
		var e *kakaopay.Error
		if !errors.As(err, &e) || !e.Unauthorized() || e.Code != -401 {
			t.Errorf("HTTP %d: err = %v, want Unauthorized", status, err)
		}
	}
}

func TestTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)

	t.Run("http client timeout", func(t *testing.T) {
		c := newClient(t, srv.URL, &http.Client{Timeout: 50 * time.Millisecond})
		_, err := c.Approve(t.Context(), kakaopay.ApproveRequest{})
		if !kakaopay.IsTimeout(err) || !kakaopay.IsOutcomeUnknown(err) {
			t.Errorf("err = %v: IsTimeout=%v IsOutcomeUnknown=%v", err, kakaopay.IsTimeout(err), kakaopay.IsOutcomeUnknown(err))
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want errors.Is context.DeadlineExceeded", err)
		}
		if !strings.HasPrefix(err.Error(), "kakaopay: approve: ") {
			t.Errorf("err = %q", err)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		c := newClient(t, srv.URL, nil)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Cancel(ctx, kakaopay.CancelRequest{})
		if !kakaopay.IsTimeout(err) || !errors.Is(err, context.DeadlineExceeded) || !kakaopay.IsOutcomeUnknown(err) {
			t.Errorf("err = %v, want a timeout with unknown outcome", err)
		}
	})
	t.Run("context canceled", func(t *testing.T) {
		c := newClient(t, srv.URL, nil)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := c.Subscription(ctx, kakaopay.SubscriptionRequest{})
		if !errors.Is(err, context.Canceled) || kakaopay.IsTimeout(err) || !kakaopay.IsOutcomeUnknown(err) {
			t.Errorf("err = %v, want context.Canceled, not a timeout, unknown outcome", err)
		}
	})
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := newClient(t, srv.URL, nil).Order(t.Context(), kakaopay.OrderRequest{})
	var e *kakaopay.Error
	if err == nil || errors.As(err, &e) || kakaopay.IsTimeout(err) || !kakaopay.IsOutcomeUnknown(err) {
		t.Errorf("err = %v, want a transport error with unknown outcome", err)
	}
}

func TestBadSuccessAnswer(t *testing.T) {
	for name, body := range map[string]string{
		"html":     "<html>ok</html>",
		"too big":  `{"tid":"` + strings.Repeat("x", 1<<20) + `"}`,
		"bad time": `{"approved_at":"yesterday"}`,
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := fakeKakaoPay(t, http.StatusOK, body)
			resp, err := c.Approve(t.Context(), kakaopay.ApproveRequest{})
			var e *kakaopay.Error
			if err == nil || resp != nil || errors.As(err, &e) || !kakaopay.IsOutcomeUnknown(err) {
				t.Errorf("resp = %v, err = %v, want an unknown-outcome error", resp, err)
			}
		})
	}
}

func TestRequestIDAndLogging(t *testing.T) {
	srvURL, calls := fakeServer(t, http.StatusOK, approveAnswer)
	var logs bytes.Buffer
	c, err := kakaopay.New(kakaopay.Options{
		BaseURL: srvURL, SecretKey: secretKey,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := kakaopay.WithRequestID(t.Context(), "req-42")
	if got := kakaopay.RequestID(ctx); got != "req-42" {
		t.Errorf("RequestID = %q", got)
	}
	if _, err := c.Approve(ctx, kakaopay.ApproveRequest{PGToken: "secret-pg-token"}); err != nil {
		t.Fatal(err)
	}
	if h := (<-calls).header.Get("X-Request-Id"); h != "req-42" {
		t.Errorf("X-Request-Id = %q, want req-42", h)
	}
	out := logs.String()
	for _, s := range []string{`"level":"DEBUG"`, `"endpoint":"approve"`, `"status":200`, `"duration"`, `"request_id":"req-42"`} {
		if !strings.Contains(out, s) {
			t.Errorf("log %s: missing %s", out, s)
		}
	}
	for _, s := range []string{secretKey, "secret-pg-token"} {
		if strings.Contains(out, s) || strings.Contains(c.String(), s) {
			t.Errorf("log or String() leaks %q: %s", s, out)
		}
	}
}

func TestNew(t *testing.T) {
	for _, base := range []string{"", "open-api.kakaopay.com", "/sandbox", "ftp://x.example", "http://", "https://x.example/?a=b"} {
		if _, err := kakaopay.New(kakaopay.Options{BaseURL: base, SecretKey: "k"}); err == nil || !strings.HasPrefix(err.Error(), "kakaopay: ") {
			t.Errorf("New(%q) err = %v, want a kakaopay error", base, err)
		}
	}
	if _, err := kakaopay.New(kakaopay.Options{BaseURL: kakaopay.DefaultBaseURL}); err == nil {
		t.Error("New without a secret key: want an error")
	}
	c, err := kakaopay.New(kakaopay.Options{BaseURL: "http://127.0.0.1:8080/sandbox/", SecretKey: "k"})
	if err != nil || c.String() != "kakaopay.Client(http://127.0.0.1:8080/sandbox)" {
		t.Errorf("New = %v, %v", c, err)
	}
}

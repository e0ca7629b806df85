package api

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkDecodeCreate decodes a full create body strictly, as every POST /v1/checkouts does.
func BenchmarkDecodeCreate(b *testing.B) {
	body := `{"amount":11000,"reference":"ORDER-1","description":"커피","items":[{"name":"원두","quantity":1,"unit_price":11000}],"customer":{"name":"김","email":"a@b.kr"},"success_url":"https://shop.example/ok","failure_url":"https://shop.example/no","metadata":{"order_id":"1"}}`
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v1/checkouts", strings.NewReader(body))
		var req createCheckoutRequest
		if err := decode(r, &req); err != nil {
			b.Fatal(err)
		}
	}
}

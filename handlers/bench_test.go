package handlers_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

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

// BenchmarkCreateCheckout measures POST /v1/checkouts end to end, SQLite write included.
func BenchmarkCreateCheckout(b *testing.B) {
	e := handlerstest.New(b)
	body := `{"amount":11000,"reference":"B","success_url":"https://shop.example/ok","failure_url":"https://shop.example/no"}`
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("POST", e.URL+"/v1/checkouts", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.Key)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 201 {
			b.Fatal(err, res)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

// BenchmarkStatus measures the status endpoint without waiting.
func BenchmarkStatus(b *testing.B) {
	e := handlerstest.New(b)
	c := e.CreateCheckout("")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := http.Get(e.URL + "/c/" + c.ID + "/status")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

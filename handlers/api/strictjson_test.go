package api

import (
	"net/http"
	"testing"

	"github.com/kpcheckout/kpcheckout/handlers/web"
)

func TestStrictJSON(t *testing.T) {
	for _, tc := range []struct {
		name, body, code, param string
	}{
		{"duplicate key", `{"amount":1000,"amount":5000}`, "parameter_duplicate", "amount"},
		{"keys differing in case", `{"amount":1,"Amount":2}`, "parameter_duplicate", "Amount"},
		{"keys differing by Unicode folding", `{"description":"a","deſcription":"b"}`, "parameter_duplicate", "deſcription"},
		{"nested duplicate", `{"customer":{"name":"a","NAME":"b"}}`, "parameter_duplicate", "customer.NAME"},
		{"duplicate in an array item", `{"items":[{"name":"a"},{"name":"b","name":"c"}]}`, "parameter_duplicate", "items[1].name"},
		{"duplicate metadata key", `{"metadata":{"a":"1","a":"2"}}`, "parameter_duplicate", "metadata[a]"},
		{"invalid UTF-8 byte", "{\"reference\":\"A\xff\"}", "string_invalid_utf8", "reference"},
		{"invalid UTF-8 in a key", "{\"customer\":{\"n\xc3\":1}}", "string_invalid_utf8", "customer.n\uFFFD"},
		{"invalid UTF-8 in an array", "{\"items\":[{\"name\":\"\xed\xa0\x80\"}]}", "string_invalid_utf8", "items[0].name"},
		{"lone high surrogate", `{"description":"\ud800x"}`, "string_invalid_utf8", "description"},
		{"lone low surrogate", `{"description":"\uDC00"}`, "string_invalid_utf8", "description"},
		{"high surrogate then a high one", `{"description":"\ud800\ud800"}`, "string_invalid_utf8", "description"},
		{"lone surrogate beside a real U+FFFD", `{"description":"\ufffd\ud800"}`, "string_invalid_utf8", "description"},
		{"invalid UTF-8 in metadata", "{\"metadata\":{\"k\":\"\xc3\"}}", "string_invalid_utf8", "metadata[k]"},
		{"control character in a metadata value", `{"metadata":{"note":"a\u0007b"}}`, "parameter_invalid", "metadata[note]"},
		{"newline in a metadata value", `{"metadata":{"note":"a\nb"}}`, "parameter_invalid", "metadata[note]"},
		{"raw DEL in a metadata value", "{\"metadata\":{\"note\":\"a\x7f\"}}", "parameter_invalid", "metadata[note]"},
		{"control character in a metadata key", `{"metadata":{"a\u0000":"b"}}`, "parameter_invalid", "metadata"},
		{"metadata spelt Metadata", `{"Metadata":{"note":"\t"}}`, "parameter_invalid", "Metadata[note]"},
		{"NUL in a string", `{"reason":"a\u0000b"}`, "parameter_invalid", "reason"},
		{"NUL in a key", `{"customer":{"a\u0000":"b"}}`, "parameter_invalid", "customer.a\x00"},
		{"control character in an array item", `{"items":[{"name":"\u001b[31m"}]}`, "parameter_invalid", "items[0].name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := strictJSON([]byte(tc.body))
			bad, ok := err.(*web.Error)
			if !ok || bad.Status() != http.StatusBadRequest || bad.Code() != tc.code || bad.Param() != tc.param || bad.Error() == "" {
				t.Errorf("strictJSON(%q) = %#v, want %s on %q", tc.body, err, tc.code, tc.param)
			}
		})
	}
	for _, body := range []string{
		`{}`,
		`{"amount":11000,"items":[{"name":"아메리카노","quantity":2,"unit_price":4500}]}`,
		`{"description":"say \"hi\" \\ \u00e9","metadata":{"order":"A-1","memo":"주문"}}`,
		`{"reference":"\ufffd","description":"�","metadata":{"k":"\uFFFD"}}`,
		`{"description":"\ud83d\ude00 and \\ud800 is not an escape"}`,
		`{"customer":{"name":"a","metadata":{"x":"line\nbreak"}},"items":[]}`,
		`{"description":"two\r\nlines"}`,
		`{"description":"tab\tis fine outside metadata"}`,
		`{"amount":1e999,"quantity":123456789012345678901234567890}`,
		`{"a":{"b":1},"c":{"b":2}}`,
		`[1,2]`, `not json`, `{"amount":`, `{"amount":1,"amount"`,
	} {
		if err := strictJSON([]byte(body)); err != nil {
			t.Errorf("strictJSON(%q) = %v, want nil", body, err)
		}
	}
}

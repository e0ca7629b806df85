package handlers

import "testing"

func TestStrictJSON(t *testing.T) {
	for _, tc := range []struct {
		name, body, code, param string
	}{
		{"duplicate key", `{"amount":1000,"amount":5000}`, "parameter_duplicate", "amount"},
		{"keys differing in case", `{"amount":1000,"Amount":5000}`, "parameter_duplicate", "Amount"},
		{"nested duplicate", `{"customer":{"name":"a","NAME":"b"}}`, "parameter_duplicate", "customer.NAME"},
		{"duplicate in an array item", `{"items":[{"name":"a","quantity":1},{"name":"b","name":"c"}]}`, "parameter_duplicate", "items[1].name"},
		{"invalid UTF-8 byte", "{\"reference\":\"A\xff\"}", "string_invalid_utf8", "reference"},
		{"lone surrogate", `{"description":"\ud800x"}`, "string_invalid_utf8", "description"},
		{"invalid UTF-8 in metadata", "{\"metadata\":{\"k\":\"\xc3\"}}", "string_invalid_utf8", "metadata[k]"},
		{"control character in a metadata value", `{"metadata":{"note":"a\u0007b"}}`, "parameter_invalid", "metadata[note]"},
		{"newline in a metadata value", `{"metadata":{"note":"a\nb"}}`, "parameter_invalid", "metadata[note]"},
		{"control character in a metadata key", `{"metadata":{"a\u0000":"b"}}`, "parameter_invalid", "metadata"},
		{"duplicate metadata key", `{"metadata":{"a":"1","a":"2"}}`, "parameter_duplicate", "metadata[a]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := strictJSON([]byte(tc.body))
			bad, ok := err.(*badRequest)
			if !ok || bad.code != tc.code || bad.param != tc.param || bad.status != 400 || bad.message == "" {
				t.Errorf("strictJSON(%q) = %#v, want %s on %s", tc.body, err, tc.code, tc.param)
			}
		})
	}
	for _, ok := range []string{
		`{}`, `{"amount":11000,"items":[{"name":"아메리카노","quantity":2,"unit_price":4500}]}`,
		`{"description":"say \"hi\" \\ \u00e9","metadata":{"order":"A-1","memo":"주문"}}`,
		`{"reference":"\ufffd","description":"�"}`, `{"customer":{"name":"a"},"items":[]}`,
		`[1,2]`, `not json`, `{"amount":`, `{"description":"tab\tis fine outside metadata"}`,
	} {
		if err := strictJSON([]byte(ok)); err != nil {
			t.Errorf("strictJSON(%q) = %v, want nil", ok, err)
		}
	}
}

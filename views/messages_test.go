package views

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
)

// TestMessagesFillInAsTextTemplateDoes fills in every message of every locale file, and a few
// made-up ones, with the Localizer's parser and with text/template: the same text each time.
func TestMessagesFillInAsTextTemplateDoes(t *testing.T) {
	srcs := []string{
		"{{.Amount}}원 결제", "{{ .Name }} and {{.Name}}", "no fields", "{{.A}}{{.B}}", "{{.Missing}}",
		"{{if .A}}yes{{end}}", "{{.A | printf \"%q\"}}", "{{- .A -}} trimmed", "{{.}}", "{{.A.B}}", "{{.Count}} {{.Nil}}",
	}
	names, err := filepath.Glob("../locales/*.toml")
	if err != nil || len(names) == 0 {
		t.Fatalf("locale files: %v %v", names, err)
	}
	fields := 0
	for _, name := range names {
		buf, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := i18n.ParseMessageFileBytes(buf, name, map[string]i18n.UnmarshalFunc{"toml": toml.Unmarshal})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range f.Messages {
			for _, src := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
				if src != "" {
					srcs = append(srcs, src)
				}
			}
		}
	}
	data := []any{
		map[string]any{"Amount": "11,000원", "Name": "홍길동", "A": "<a>", "B": 7, "Count": int64(3), "Nil": nil, "Minutes": "%d",
			"Quantity": 2, "PluralCount": 2, "Email": "a@example.com", "Reason": "", "Left": "5,000원"},
		map[string]any{"Amount": 11000, "A": 1.5, "Count": []int{1}},
		map[string]string{"Amount": "1원"},
		nil,
	}
	var fast messageParser
	var slow template.TextParser
	for _, src := range srcs {
		want, werr := slow.Parse(src, "", "")
		got, gerr := fast.Parse(src, "", "")
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: parse errors %v and %v", src, gerr, werr)
		}
		if werr != nil {
			continue
		}
		if _, ok := got.(*fieldTemplate); ok {
			fields++
		}
		for _, d := range data {
			w, werr := want.Execute(d)
			g, gerr := got.Execute(d)
			if g != w || (werr == nil) != (gerr == nil) {
				t.Errorf("%q with %v: %q (%v), text/template says %q (%v)", src, d, g, gerr, w, werr)
			}
		}
	}
	if fields < 20 {
		t.Errorf("only %d messages are filled in by joining: the parser sends nearly all to text/template", fields)
	}
}

// BenchmarkFillInMessage fills in a message with a field, as a page does for every amount.
func BenchmarkFillInMessage(b *testing.B) {
	var p messageParser
	tmpl, err := p.Parse("{{.Amount}} 결제하기", "", "")
	if err != nil {
		b.Fatal(err)
	}
	data := map[string]any{"Amount": "11,000원"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.Execute(data); err != nil {
			b.Fatal(err)
		}
	}
}

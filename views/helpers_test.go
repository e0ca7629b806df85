package views

import (
	"bytes"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/kpcheckout/kpcheckout/locales"
)

// localizer is lang's localizer over the app's locales.
func localizer(t *testing.T, lang string) *Localizer {
	t.Helper()
	bundle, err := locales.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	return NewLocalizer(bundle, lang)
}

// render renders c in lang and parses it.
func render(t *testing.T, lang string, c templ.Component) *goquery.Document {
	t.Helper()
	ctx := WithRequest(t.Context(), localizer(t, lang), Site{})
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

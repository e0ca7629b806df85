package views

import (
	"strconv"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n/template"
)

// messageParser parses go-i18n's message templates for the Localizer. A message whose actions
// only print fields of its data ("{{.Amount}}원 결제") is filled in by joining its pieces; any
// other goes to text/template, as go-i18n's own parser would. A page fills in dozens of
// messages, and text/template's reflection made a sixth of a page's allocations.
type messageParser struct {
	text template.TextParser
}

// Cacheable lets go-i18n keep each message's parsed template.
func (p *messageParser) Cacheable() bool { return true }

// Parse parses src, whose actions are delimited by left and right ("{{" and "}}" when empty).
func (p *messageParser) Parse(src, left, right string) (template.ParsedTemplate, error) {
	full, err := p.text.Parse(src, left, right)
	if err != nil {
		return nil, err
	}
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	parts, ok := fieldParts(src, left, right)
	if !ok || len(parts) == 1 {
		return full, nil
	}
	size := 0
	for i := 0; i < len(parts); i += 2 {
		size += len(parts[i])
	}
	return &fieldTemplate{parts: parts, size: size + 16*(len(parts)/2), full: full}, nil
}

// fieldParts splits src into its text and the names of the fields its actions print: the even
// indexes hold text, the odd ones names. It refuses a template with any other action.
func fieldParts(src, left, right string) ([]string, bool) {
	var parts []string
	for {
		i := strings.Index(src, left)
		if i < 0 {
			return append(parts, src), true
		}
		rest := src[i+len(left):]
		j := strings.Index(rest, right)
		if j < 0 {
			return nil, false
		}
		name, ok := strings.CutPrefix(strings.Trim(rest[:j], " "), ".")
		if !ok || !isIdentifier(name) {
			return nil, false
		}
		parts = append(parts, src[:i], name)
		src = rest[j+len(right):]
	}
}

// isIdentifier reports whether s is a Go identifier of ASCII letters, digits and underscores,
// which is what a field action may name.
func isIdentifier(s string) bool {
	for i, c := range []byte(s) {
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// fieldTemplate is a message of text and printed fields.
type fieldTemplate struct {
	parts []string
	size  int                     // the text's bytes and some for each field: the usual result's size
	full  template.ParsedTemplate // text/template's, for data it does not print by itself
}

// Execute fills in the fields from data. Data that is not a map, a field it lacks, or a value
// that is not a string or an integer goes to text/template, which prints those its own way.
func (t *fieldTemplate) Execute(data any) (string, error) {
	m, ok := data.(map[string]any)
	if !ok {
		return t.full.Execute(data)
	}
	var b strings.Builder
	b.Grow(t.size)
	for i, part := range t.parts {
		if i%2 == 0 {
			b.WriteString(part)
			continue
		}
		switch v := m[part].(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			return t.full.Execute(data)
		}
	}
	return b.String(), nil
}

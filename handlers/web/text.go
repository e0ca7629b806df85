package web

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The input rule: every text a request carries is valid UTF-8 without NUL. A one-line value (a
// path, a query value, a key sent in a header) holds no control character at all; a form field
// or a JSON string none but tab and line breaks. PostgreSQL's text type refuses NUL and invalid
// UTF-8 with an error the store cannot tell from its own failure, so each surface refuses them
// here, before anything is looked up, and both backends answer alike: 404 for a path (no object
// has such an id), 400 naming the parameter or field, 401 for an API key.

// OneLine reports whether s is valid UTF-8 without control characters.
func OneLine(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// MultiLine reports whether s is valid UTF-8 whose only C0 controls are tab and line breaks.
func MultiLine(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, badControl)
}

func badControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r'
}

// errBadPath is the answer to a path that holds no text: nothing has such an id.
var errBadPath = NotFound("resource_missing", "not found: the path is not valid text")

// CheckURL refuses a request whose path or query holds what is not one-line text: 404 for the
// path, 400 naming the first such query parameter (by name, so the answer is always the same).
func CheckURL(r *http.Request) error {
	if !OneLine(r.URL.Path) {
		return errBadPath
	}
	q := r.URL.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !OneLine(k) || slices.ContainsFunc(q[k], func(v string) bool { return !OneLine(v) }) {
			return Invalidf("parameter_invalid", k, "%s must be text without control characters", k)
		}
	}
	return nil
}

// checkForm reads a posted form and refuses a field that is not text (invalid UTF-8, NUL or
// another control character but tab and line breaks): 400 naming the field. Handlers read
// r.PostForm afterwards.
func checkForm(r *http.Request) error {
	if r.Method != http.MethodPost {
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return UnreadableBody(err)
	}
	for _, k := range slices.Sorted(maps.Keys(r.PostForm)) {
		if !OneLine(k) || slices.ContainsFunc(r.PostForm[k], func(v string) bool { return !MultiLine(v) }) {
			return Invalidf("parameter_invalid", k, "%s must be text without NUL or control characters", k)
		}
	}
	return nil
}

// CheckRequestText is CheckURL, then checkForm: what every page and form checks first.
func CheckRequestText(r *http.Request) error {
	if err := CheckURL(r); err != nil {
		return err
	}
	return checkForm(r)
}

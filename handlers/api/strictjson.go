package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kpcheckout/kpcheckout/handlers/web"
)

// strictJSON refuses what encoding/json would accept silently: a key given twice in one object,
// also twice but for case (the decoder matches fields case-insensitively and keeps the last),
// invalid UTF-8 and lone surrogate escapes (replaced by U+FFFD without a word), NUL and the
// control characters but tab and line breaks in any string, and every control character in the
// keys and values of the top-level metadata object. It returns a *web.Error (400)
// naming the field, or nil; bodies that are not JSON at all are left to the decoder's message.
func strictJSON(body []byte) error {
	if !json.Valid(body) {
		return nil // the decoder reports syntax errors; a walk would stop at them half-way
	}
	w := &jsonWalker{dec: json.NewDecoder(bytes.NewReader(body)), body: body}
	w.dec.UseNumber() // so a huge number is not a float overflow that ends the walk early
	if bad, ok := w.value("", false).(*web.Error); ok {
		return bad
	}
	return nil
}

// jsonWalker walks a JSON document token by token, keeping the raw text of each token.
type jsonWalker struct {
	dec  *json.Decoder
	body []byte
}

// next returns the next token and its raw text, without the separators before it.
func (w *jsonWalker) next() (json.Token, []byte, error) {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return nil, nil, err
	}
	return tok, bytes.TrimLeft(w.body[start:w.dec.InputOffset()], " \t\r\n,:"), nil
}

// value checks the value at path; inMeta says it is a value of the top-level metadata object.
func (w *jsonWalker) value(path string, inMeta bool) error {
	tok, raw, err := w.next()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return w.object(path)
	case json.Delim('['):
		return w.array(path)
	}
	if s, ok := tok.(string); ok {
		return checkString(s, raw, path, inMeta)
	}
	return nil
}

func (w *jsonWalker) object(path string) error {
	// The decoder fills the metadata field from "Metadata" too, so that spelling is checked alike.
	meta := strings.EqualFold(path, "metadata")
	seen := map[string]string{} // folded key → key as first written
	for w.dec.More() {
		tok, raw, err := w.next()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		child, keyPath := key, key
		switch {
		case meta:
			child, keyPath = path+"["+key+"]", path
		case path != "":
			child, keyPath = path+"."+key, path+"."+key
		}
		if err := checkString(key, raw, keyPath, meta); err != nil {
			return err
		}
		if first, dup := seen[foldKey(key)]; dup {
			msg := fmt.Sprintf("%q appears twice in the same object", key)
			if first != key {
				msg = fmt.Sprintf("%q and %q differ only in case; send the field once", first, key)
			}
			return web.Invalid("parameter_duplicate", msg, child)
		}
		seen[foldKey(key)] = key
		if err := w.value(child, meta); err != nil {
			return err
		}
	}
	_, _, err := w.next() // the closing brace
	return err
}

func (w *jsonWalker) array(path string) error {
	for i := 0; w.dec.More(); i++ {
		if err := w.value(path+"["+strconv.Itoa(i)+"]", false); err != nil {
			return err
		}
	}
	_, _, err := w.next() // the closing bracket
	return err
}

// foldKey maps every rune to the smallest of its case-fold set, as encoding/json does when it
// matches a key to a field, so "s", "S" and "ſ" (long s) collide here as they do there.
func foldKey(key string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, key)
}

// checkString refuses a string, given decoded and as raw text, that is not valid UTF-8, holds a
// lone surrogate escape or a control character but tab and line breaks, and, in metadata, one
// that holds any control character.
func checkString(s string, raw []byte, path string, inMeta bool) error {
	if !utf8.Valid(raw) || hasLoneSurrogate(raw) {
		return web.Invalid("string_invalid_utf8", path+" must be valid UTF-8 text", path)
	}
	if inMeta && strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return web.Invalid("parameter_invalid", "metadata keys and values must not contain control characters", path)
	}
	if !web.MultiLine(s) { // the input rule (web/text.go): no NUL anywhere
		return web.Invalid("parameter_invalid", path+" must not contain NUL or control characters other than tab and line breaks", path)
	}
	return nil
}

// hasLoneSurrogate reports whether the raw text of a JSON string escapes half of a UTF-16
// surrogate pair alone. The decoder turns it into U+FFFD, which is then indistinguishable from
// a U+FFFD the client meant, so the escapes are read here. raw has passed the decoder's syntax
// check, so every \u is followed by four hex digits.
func hasLoneSurrogate(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++ // the escaped byte, so the u of `\\u` is not taken for an escape
		if raw[i] != 'u' {
			continue
		}
		r := hexRune(raw[i+1:])
		i += 4
		if !utf16.IsSurrogate(r) {
			continue
		}
		// A high half must be followed at once by an escaped low half.
		if r >= 0xdc00 || !bytes.HasPrefix(raw[i+1:], []byte(`\u`)) {
			return true
		}
		if low := hexRune(raw[i+3:]); low < 0xdc00 || low > 0xdfff {
			return true
		}
		i += 6
	}
	return false
}

// hexRune reads the four hex digits of a \u escape.
func hexRune(b []byte) rune {
	n, _ := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(n)
}

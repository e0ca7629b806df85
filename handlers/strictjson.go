package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// strictJSON refuses what encoding/json would accept silently: a key given twice in one object
// (or twice but for case, since the decoder matches fields case-insensitively and keeps the
// last), invalid UTF-8 or lone surrogates (replaced by U+FFFD without a word), and control
// characters in metadata. Bodies that are not JSON at all are left to the decoder's message.
func strictJSON(body []byte) error {
	w := &jsonWalker{dec: json.NewDecoder(bytes.NewReader(body)), body: body}
	w.dec.UseNumber()
	err := w.value("", false)
	if bad, ok := err.(*badRequest); ok {
		return bad
	}
	return nil
}

// jsonWalker walks a JSON document token by token, keeping the raw text of each token.
type jsonWalker struct {
	dec  *json.Decoder
	body []byte
}

// next returns the next token and its raw bytes.
func (w *jsonWalker) next() (json.Token, []byte, error) {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return nil, nil, err
	}
	raw := bytes.TrimLeft(w.body[start:w.dec.InputOffset()], " \t\r\n,:")
	return tok, raw, nil
}

// value checks one value at path; inMeta says it is a value of the top-level metadata object.
func (w *jsonWalker) value(path string, inMeta bool) error {
	tok, raw, err := w.next()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return w.object(path)
		}
		if t == '[' {
			return w.array(path)
		}
	case string:
		return checkString(t, raw, path, inMeta)
	}
	return nil
}

func (w *jsonWalker) object(path string) error {
	seen := map[string]string{} // lower-cased key → key as written
	for w.dec.More() {
		tok, raw, err := w.next()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		child := key
		switch {
		case path == "metadata":
			child = "metadata[" + key + "]"
		case path != "":
			child = path + "." + key
		}
		if err := checkString(key, raw, child, path == "metadata"); err != nil {
			if path == "metadata" {
				err.(*badRequest).param = "metadata"
			}
			return err
		}
		if first, dup := seen[strings.ToLower(key)]; dup {
			msg := fmt.Sprintf("%q appears twice in the same object", key)
			if first != key {
				msg = fmt.Sprintf("%q and %q differ only in case; send each field once, as documented", first, key)
			}
			return &badRequest{http.StatusBadRequest, "parameter_duplicate", msg, child}
		}
		seen[strings.ToLower(key)] = key
		if err := w.value(child, path == "metadata"); err != nil {
			return err
		}
	}
	_, _, err := w.next() // }
	return err
}

func (w *jsonWalker) array(path string) error {
	for i := 0; w.dec.More(); i++ {
		if err := w.value(path+"["+strconv.Itoa(i)+"]", false); err != nil {
			return err
		}
	}
	_, _, err := w.next() // ]
	return err
}

// checkString refuses a string whose raw text is not valid UTF-8 or holds a lone surrogate
// escape, and, in metadata, one holding a control character.
func checkString(s string, raw []byte, path string, inMeta bool) error {
	if !utf8.Valid(raw) || (strings.ContainsRune(s, utf8.RuneError) && !hasReplacementChar(raw)) {
		return &badRequest{http.StatusBadRequest, "string_invalid_utf8", path + " is not valid UTF-8 text", path}
	}
	if inMeta && strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return &badRequest{http.StatusBadRequest, "parameter_invalid", "metadata keys and values must not contain control characters", path}
	}
	return nil
}

// hasReplacementChar reports whether raw JSON text spells U+FFFD itself, literally or escaped.
func hasReplacementChar(raw []byte) bool {
	return bytes.Contains(raw, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(raw), []byte(`\ufffd`))
}

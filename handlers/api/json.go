package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
)

// jsonTime is t as JSON can write it: RFC 3339 has years 0 to 9999 only, so a stored time
// beyond them (from before inputs were bounded) is shown at the nearest end rather than fail the
// whole answer.
func jsonTime(t time.Time) time.Time {
	first, last := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)
	switch {
	case t.Before(first):
		return first
	case t.After(last):
		return last
	}
	return t
}

// getByID answers a GET of one of m's objects, named by the path's {id}: read finds it (or says
// why not), object is its JSON.
func getByID[T, J any](w http.ResponseWriter, r *http.Request, m *store.Merchant,
	read func(context.Context, *store.Merchant, string) (T, error), object func(T) J) error {
	v, err := read(r.Context(), m, r.PathValue("id"))
	return answer(w, v, err, object)
}

// answer answers 200 with v's JSON, or the error that came instead of v.
func answer[T, J any](w http.ResponseWriter, v T, err error, object func(T) J) error {
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, object(v))
	return nil
}

// answerMade answers a request that made v at KakaoPay (a refund, a charge): 201 when KakaoPay
// did it, 202 while open says its outcome is not known yet (KakaoPay's answer was lost and the
// reconciler settles it), or the error.
func answerMade[T, J any](w http.ResponseWriter, v T, err error, open func(T) bool, object func(T) J) error {
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if open(v) {
		status = http.StatusAccepted
	}
	web.WriteJSON(w, status, object(v))
	return nil
}

// writeList answers a page of objects as the API's list object.
func writeList[T, J any](w http.ResponseWriter, list []T, more bool, object func(T) J) {
	data := make([]J, 0, len(list))
	for _, v := range list {
		data = append(data, object(v))
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "has_more": more})
}

// decode reads one JSON object from the body into v, strictly: unknown, repeated or
// case-twisted fields, wrong types, invalid UTF-8, trailing data and bodies over the limit are
// refused with a clear message.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return web.BodyNotJSON()
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return web.UnreadableBody(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := strictJSON(body); err != nil {
		return err
	}
	// Most bodies are right: one strict decode tells, without the walk that names an unknown
	// field. Any error, and the walk and the plain decode below name what is wrong as always.
	strict := json.NewDecoder(bytes.NewReader(body))
	strict.DisallowUnknownFields()
	if strict.Decode(v) == nil && !strict.More() {
		return nil
	}
	if field := unknownField(body, reflect.TypeOf(v), ""); field != "" {
		return web.Invalid("parameter_unknown", fmt.Sprintf("unknown parameter %q", field), field)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return web.Invalid("json_invalid", "the body holds more than one JSON value", "")
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return web.Invalid("json_invalid", "the body is not valid JSON", "")
	case errors.As(err, &te):
		field := te.Field
		msg := fmt.Sprintf("%s must be %s", field, jsonKind(te.Type.Kind().String()))
		if field == "" {
			msg = "the body must be a JSON object"
		}
		return web.Invalid("parameter_invalid", msg, field)
	}
	return web.Invalid("json_invalid", "the body is not valid JSON", "")
}

func jsonKind(k string) string {
	switch k {
	case "int64", "int", "int32":
		return "a whole number (KRW has no minor unit)"
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	case "bool":
		return "true or false"
	}
	return "of another type"
}

// unknownField names, by its path ("items[0].colour"), the first key of the JSON object body that
// the struct type t (or what t points to) has no field for, or answers "". Keys match fields as
// encoding/json matches them, case-insensitively; maps (metadata) take any key. Bodies that are
// not objects of the expected shape are left to the decoder.
func unknownField(body []byte, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			return ""
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		fields := jsonFields(t) // once per object, not once per key: this runs on every API call
		for _, k := range keys {
			child := k
			if path != "" {
				child = path + "." + k
			}
			f, ok := fields.find(k)
			if !ok {
				return child
			}
			if bad := unknownField(obj[k], f.Type, child); bad != "" {
				return bad
			}
		}
	case reflect.Slice, reflect.Array:
		var list []json.RawMessage
		if json.Unmarshal(body, &list) != nil {
			return ""
		}
		for i, el := range list {
			if bad := unknownField(el, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// namedFields are the fields encoding/json fills in a struct type, each by its JSON name.
type namedFields []namedField

type namedField struct {
	name  string
	field reflect.StructField
}

// jsonFields lists the fields of struct type t that encoding/json fills, with their names.
func jsonFields(t reflect.Type) namedFields {
	var out namedFields
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, namedField{name, f})
	}
	return out
}

// find is the field encoding/json fills from key: names match case-insensitively, as it
// matches them.
func (fs namedFields) find(key string) (reflect.StructField, bool) {
	for _, f := range fs {
		if strings.EqualFold(f.name, key) {
			return f.field, true
		}
	}
	return reflect.StructField{}, false
}

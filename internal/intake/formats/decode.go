package formats

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/quell-ir/quell/internal/validation"
)

// item is one alert-sized JSON value of a body and its place in the body.
type item struct {
	raw json.RawMessage
	ptr string
}

// cleanBody replaces a leading UTF-8 byte order mark, which encoding/json refuses, with
// spaces, so that the offsets in error messages still count from the start of the body. It
// returns the body and the index of its first byte that is not white space (len(body) when
// the body is blank).
func cleanBody(body []byte) ([]byte, int) {
	if bom := "\xef\xbb\xbf"; bytes.HasPrefix(body, []byte(bom)) {
		body = append([]byte("   "), body[len(bom):]...)
	}
	return body, skipSpace(body, 0)
}

// splitItems reads a body that holds one JSON value, a JSON array of values, or values one
// after another (newline-delimited JSON such as Suricata's eve.json). A single value has the
// pointer ""; the values of an array or a stream have "/0", "/1", …. The values are not yet
// checked to be objects.
func splitItems(body []byte) ([]item, error) {
	body, start := cleanBody(body)
	if start == len(body) {
		return nil, validation.Errorf("", "the body is empty")
	}
	array := body[start] == '['
	var raws []json.RawMessage
	if array {
		if err := validJSON(body); err != nil {
			return nil, err
		}
		raws, _ = elements(body)
	} else {
		var ok bool
		if raws, ok = streamValues(body); !ok {
			return nil, streamError(body)
		}
	}
	items := make([]item, len(raws))
	for i, r := range raws {
		items[i] = item{raw: r, ptr: "/" + strconv.Itoa(i)}
	}
	if !array && len(items) == 1 {
		items[0].ptr = ""
	}
	return items, nil
}

// validJSON checks that body is one valid JSON value.
func validJSON(body []byte) error {
	if json.Valid(body) {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return jsonError(body, err)
	}
	return validation.Errorf("", "invalid JSON")
}

// streamError finds the first bad value of a stream of JSON values.
func streamError(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		var r json.RawMessage
		err := dec.Decode(&r)
		if err == io.EOF {
			return validation.Errorf("", "invalid JSON")
		}
		if err != nil {
			return jsonError(body, err)
		}
	}
}

// decodeDocument reads a body that must be one JSON object.
func decodeDocument(body []byte, what string, errp *error) (*object, error) {
	body, start := cleanBody(body)
	if start == len(body) {
		return nil, validation.Errorf("", "the body is empty")
	}
	if err := validJSON(body); err != nil {
		return nil, err
	}
	value := bytes.TrimRight(body[start:], " \t\r\n")
	if value[0] != '{' {
		return nil, validation.Errorf("", "the body must be a JSON object (%s), not %s", what, kindOf(value))
	}
	return newObject(value, "", errp), nil
}

// jsonError describes a JSON syntax error by line, column and byte offset.
func jsonError(body []byte, err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		line, col := position(body, syn.Offset)
		msg := syn.Error()
		if syn.Offset >= int64(len(body)) && strings.Contains(msg, "end of JSON input") {
			msg = "unexpected end of JSON input"
		}
		return validation.Errorf("", "invalid JSON at line %d, column %d (byte offset %d): %s", line, col, syn.Offset, msg)
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(body, int64(len(body)))
		return validation.Errorf("", "invalid JSON at line %d, column %d (byte offset %d): unexpected end of JSON input", line, col, len(body))
	case err != nil:
		return validation.Errorf("", "invalid JSON: %v", err)
	}
	return nil
}

// position gives the 1-based line and column of the byte before offset (where a decoder that
// has read offset bytes found a problem).
func position(body []byte, offset int64) (line, col int) {
	end := int(max(0, min(offset-1, int64(len(body)))))
	line = 1 + bytes.Count(body[:end], []byte("\n"))
	start := bytes.LastIndexByte(body[:end], '\n') + 1
	return line, utf8.RuneCount(body[start:end]) + 1
}

// kindOf names the kind of a JSON value for messages.
func kindOf(v json.RawMessage) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// isObject reports whether a value is a JSON object.
func isObject(v json.RawMessage) bool { return len(v) > 0 && v[0] == '{' }

// isNull reports whether a value is absent or JSON null.
func isNull(v json.RawMessage) bool { return len(v) == 0 || v[0] == 'n' }

// pointerToken escapes one reference token of a JSON Pointer.
func pointerToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// object is one JSON object of a body, read lazily: its members stay JSON text until a
// parser asks for them, and each knows its place in the body for error messages. Every
// object read for one alert shares one error slot; the first problem found is kept there and
// later reads return zero values, so that a parser reads its fields straight through and
// checks the slot once at the end.
type object struct {
	m    map[string]json.RawMessage
	raw  json.RawMessage
	ptr  string
	errp *error
	kids map[string]*object
}

// newObject reads raw, which must be valid JSON, as an object at ptr. A value that is not an
// object records an error and gives an empty object.
func newObject(raw json.RawMessage, ptr string, errp *error) *object {
	o := &object{raw: raw, ptr: ptr, errp: errp}
	if len(raw) == 0 || raw[0] != '{' {
		o.failAt(ptr, "must be a JSON object, not %s", kindOf(raw))
		return o
	}
	m, ok := members(raw)
	if !ok {
		o.failAt(ptr, "must be a JSON object")
	}
	o.m = m
	return o
}

// failAt records a problem at ptr unless one is already recorded.
func (o *object) failAt(ptr, format string, args ...any) {
	if *o.errp == nil {
		*o.errp = validation.Errorf(ptr, format, args...)
	}
}

// fail records a problem with the member key.
func (o *object) fail(key, format string, args ...any) { o.failAt(o.at(key), format, args...) }

// at is the pointer to the member key.
func (o *object) at(key string) string { return o.ptr + "/" + pointerToken(key) }

// has reports whether key is present and not null.
func (o *object) has(key string) bool { return !isNull(o.m[key]) }

// str reads a member as text: a string as is, a number or a boolean as written. Absent and
// null give "". An object or an array is an error.
func (o *object) str(key string) string {
	v := o.m[key]
	s, ok := scalarText(v)
	if !ok {
		o.fail(key, "must be a string, not %s", kindOf(v))
	}
	return s
}

// num reads a member as a number; a string holding a number is taken too. ok is false when the
// member is absent or null; anything else that is not a number is an error.
func (o *object) num(key string) (float64, bool) {
	v := o.m[key]
	if isNull(v) {
		return 0, false
	}
	s, _ := scalarText(v)
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		if v[0] == '"' {
			o.fail(key, "must be a number, not %s", describe(s))
		} else {
			o.fail(key, "must be a number, not %s", kindOf(v))
		}
		return 0, false
	}
	return f, true
}

// obj reads a member that is an object. Absent and null give an empty object; anything else
// that is not an object is an error.
func (o *object) obj(key string) *object {
	if k, ok := o.kids[key]; ok {
		return k
	}
	v := o.m[key]
	var k *object
	if isNull(v) {
		k = &object{ptr: o.at(key), errp: o.errp}
	} else {
		k = newObject(v, o.at(key), o.errp)
	}
	if o.kids == nil {
		o.kids = map[string]*object{}
	}
	o.kids[key] = k
	return k
}

// list reads a member that is an array. Absent and null give nil; anything else that is not
// an array is an error.
func (o *object) list(key string) []json.RawMessage {
	v := o.m[key]
	if isNull(v) {
		return nil
	}
	if v[0] != '[' {
		o.fail(key, "must be an array, not %s", kindOf(v))
		return nil
	}
	out, ok := elements(v)
	if !ok {
		o.fail(key, "must be an array")
	}
	return out
}

// objects reads a member that is an array of objects.
func (o *object) objects(key string) []*object {
	raws := o.list(key)
	out := make([]*object, 0, len(raws))
	for i, r := range raws {
		out = append(out, newObject(r, o.at(key)+"/"+strconv.Itoa(i), o.errp))
	}
	return out
}

// strs reads a member that is a string or an array of strings (numbers and booleans are
// taken as written, nulls skipped). Absent and null give nil.
func (o *object) strs(key string) []string {
	v := o.m[key]
	if isNull(v) {
		return nil
	}
	if v[0] != '[' {
		return []string{o.str(key)}
	}
	var out []string
	for i, e := range o.list(key) {
		s, ok := scalarText(e)
		if !ok {
			o.failAt(o.at(key)+"/"+strconv.Itoa(i), "must be a string, not %s", kindOf(e))
			return nil
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// keys lists the members of the object in order.
func (o *object) keys() []string {
	keys := make([]string, 0, len(o.m))
	for k := range o.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// lookup finds a dotted field name such as "kibana.alert.rule.name" whether the document
// spells it as one flat key, as nested objects (kibana → alert → rule → name) or as a mix of
// both, as Elasticsearch documents do. It returns the value (nil when absent or null), the
// object that holds it and its key there.
func (o *object) lookup(path string) (json.RawMessage, *object, string) {
	if v, ok := o.m[path]; ok && !isNull(v) {
		return v, o, path
	}
	for i := len(path) - 1; i > 0; i-- {
		if path[i] != '.' {
			continue
		}
		if v := o.m[path[:i]]; len(v) == 0 || v[0] != '{' {
			continue
		}
		if v, holder, key := o.obj(path[:i]).lookup(path[i+1:]); v != nil {
			return v, holder, key
		}
	}
	return nil, nil, ""
}

// pathStr reads a dotted field (see lookup) as text. An array gives its first element, as
// Elasticsearch fields may hold one value or many.
func (o *object) pathStr(path string) string {
	v, holder, key := o.lookup(path)
	if v == nil {
		return ""
	}
	if v[0] == '[' {
		if all := holder.strs(key); len(all) > 0 {
			return all[0]
		}
		return ""
	}
	return holder.str(key)
}

// pathStrs reads a dotted field (see lookup) that holds one value or an array of them.
func (o *object) pathStrs(path string) []string {
	v, holder, key := o.lookup(path)
	if v == nil {
		return nil
	}
	return holder.strs(key)
}

// scalarText gives the text of a string, number or boolean; "" for absent and null. ok is
// false for objects and arrays.
func scalarText(v json.RawMessage) (string, bool) {
	if isNull(v) {
		return "", true
	}
	switch v[0] {
	case '{', '[':
		return "", false
	case '"':
		return unquote(v)
	}
	return string(v), true
}

// describe quotes a value for a message, shortened.
func describe(s string) string {
	if len(s) > 40 {
		i := 37
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "…"
	}
	return strconv.Quote(s)
}

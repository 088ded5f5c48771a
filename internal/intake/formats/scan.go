package formats

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// A body is checked to be valid JSON once, as a whole (or value by value for a stream). The
// objects and arrays inside it are then split by the small scanner in this file instead of
// being decoded again: each member stays a slice of the body (no copy), and each byte is read
// about once per level of nesting rather than twice per level as json.Unmarshal would. The
// scanner trusts that its input is valid JSON, but checks every index, so that bad input gives
// ok == false, never a panic.

// skipSpace returns the index of the first byte at or after i that is not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// stringEnd returns the index just after the string that starts at b[i] == '"', or -1.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd returns the index just after the value that starts at b[i], or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end := stringEnd(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && strings.IndexByte(",}] \t\r\n", b[j]) < 0 {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// members splits a JSON object into its members; ok is false when raw is not an object.
func members(raw []byte) (m map[string]json.RawMessage, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	// A guess at the number of members from the size, to spare the map most of its growing.
	m = make(map[string]json.RawMessage, min(max(len(raw)/40, 8), 64))
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return m, true
	}
	for i < len(raw) && raw[i] == '"' {
		end := stringEnd(raw, i)
		if end < 0 {
			return nil, false
		}
		key, ok := unquote(raw[i:end])
		if !ok {
			return nil, false
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, false
		}
		i = skipSpace(raw, i+1)
		vend := valueEnd(raw, i)
		if vend < 0 {
			return nil, false
		}
		m[key] = raw[i:vend:vend]
		i = skipSpace(raw, vend)
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return m, true
		default:
			return nil, false
		}
	}
	return nil, false
}

// elements splits a JSON array into its elements; ok is false when raw is not an array.
func elements(raw []byte) (out []json.RawMessage, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return []json.RawMessage{}, true
	}
	for i < len(raw) {
		end := valueEnd(raw, i)
		if end < 0 {
			return nil, false
		}
		out = append(out, raw[i:end:end])
		i = skipSpace(raw, end)
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case ']':
			return out, true
		default:
			return nil, false
		}
	}
	return nil, false
}

// unquote gives the text of a JSON string (with its quotes). Invalid UTF-8 is replaced, as
// encoding/json does.
func unquote(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// streamValues splits a body of JSON values one after another (as newline-delimited JSON),
// each of which must be valid; ok is false otherwise.
func streamValues(body []byte) (out []json.RawMessage, ok bool) {
	for i := skipSpace(body, 0); i < len(body); i = skipSpace(body, i) {
		end := valueEnd(body, i)
		if end < 0 || !json.Valid(body[i:end]) {
			return nil, false
		}
		out = append(out, body[i:end:end])
		i = end
	}
	return out, true
}

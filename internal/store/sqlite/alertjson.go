package sqlite

import (
	"slices"
	"unicode/utf8"

	"github.com/quell-ir/quell/internal/alert"
)

// The writer encodes an alert's labels, observables and asset ids for every alert it stores,
// and the writer is the one thing intake cannot run in parallel. These encoders write the
// same bytes as encoding/json (keys sorted, HTML characters and invalid UTF-8 escaped the way
// it does; FuzzAlertJSON holds them to that) without its reflection.

// labelsJSON encodes labels as json.Marshal does.
func labelsJSON(labels map[string]string) string {
	if labels == nil {
		return "null"
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := make([]byte, 0, 16+len(keys)*24)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, labels[k])
	}
	return string(append(b, '}'))
}

// observablesJSON encodes observables as json.Marshal does.
func observablesJSON(obs []alert.Observable) string {
	if obs == nil {
		return "null"
	}
	b := make([]byte, 0, 2+len(obs)*48)
	b = append(b, '[')
	for i, o := range obs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":`...)
		b = appendJSONString(b, string(o.Type))
		b = append(b, `,"value":`...)
		b = appendJSONString(b, o.Value)
		if o.Role != "" {
			b = append(b, `,"role":`...)
			b = appendJSONString(b, o.Role)
		}
		b = append(b, '}')
	}
	return string(append(b, ']'))
}

// stringsJSON encodes a list of strings as json.Marshal does.
func stringsJSON(list []string) string {
	if list == nil {
		return "null"
	}
	if len(list) == 0 {
		return "[]"
	}
	b := make([]byte, 0, 2+len(list)*28)
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return string(append(b, ']'))
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way encoding/json writes it: quotes,
// backslashes and control characters escaped, <, > and & as \u escapes, invalid UTF-8 as
// U+FFFD, and U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

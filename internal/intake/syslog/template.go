package syslog

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// template is a string with placeholders: "{host}" is replaced by the value named host, "{{" and
// "}}" stand for literal braces, and a lone "}" is itself. Nothing else is interpreted, so a
// value can never inject more placeholders or run anything: the substitution is one pass.
type template struct {
	parts []templatePart
}

type templatePart struct {
	text  string // literal text, or the placeholder's name when isVar
	isVar bool
}

// maxPlaceholderLen bounds a placeholder name.
const maxPlaceholderLen = 64

// parseTemplate reads a template; known says which placeholder names exist.
func parseTemplate(s string, known func(string) bool) (template, error) {
	var t template
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, templatePart{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '{':
			end := strings.IndexByte(s[i+1:], '}')
			if end < 0 {
				return template{}, fmt.Errorf("unclosed placeholder at byte %d (write {{ for a literal {)", i)
			}
			name := s[i+1 : i+1+end]
			if !validPlaceholder(name) {
				return template{}, fmt.Errorf("bad placeholder {%s} (letters, digits and _; write {{ for a literal {)", name)
			}
			if !known(name) {
				return template{}, fmt.Errorf("unknown placeholder {%s}: use host, program, message, facility, severity, procid, msgid, rule or a named group of the rule's regular expressions", name)
			}
			flush()
			t.parts = append(t.parts, templatePart{text: name, isVar: true})
			i += end + 1
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return t, nil
}

func validPlaceholder(name string) bool {
	if name == "" || len(name) > maxPlaceholderLen {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// empty reports whether the template has no parts at all.
func (t template) empty() bool { return len(t.parts) == 0 }

// render substitutes the values, each cut to max bytes (no cut when max ≤ 0).
func (t template) render(value func(string) string, max int) string {
	var b strings.Builder
	for _, p := range t.parts {
		if !p.isVar {
			b.WriteString(p.text)
			continue
		}
		b.WriteString(cut(value(p.text), max))
	}
	return b.String()
}

// cut shortens s to at most max bytes (no cut when max ≤ 0) without splitting a character.
func cut(s string, max int) string {
	if max <= 0 || len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

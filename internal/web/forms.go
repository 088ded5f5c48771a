package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/validation"
)

// form is the state of a form shown again after a failed submit: what was typed, and the
// message for each field that was not right, shown next to it. Templates read it with Get,
// Has, Err and Problem. A nil *form reads as empty.
type form struct {
	values url.Values
	errs   map[string]string
	// problem is a message about the form as a whole.
	problem string
	// Items lists details of the problem, such as the tasks that block a phase exit.
	Items []string
}

// newForm returns a form holding values (nil for an empty form).
func newForm(values url.Values) *form {
	if values == nil {
		values = url.Values{}
	}
	return &form{values: values, errs: map[string]string{}}
}

// Get is the value typed into a field.
func (f *form) Get(name string) string {
	if f == nil {
		return ""
	}
	return f.values.Get(name)
}

// Has reports whether a field has the value, for options and checkboxes.
func (f *form) Has(name string, value any) bool {
	if f == nil {
		return false
	}
	return slices.Contains(f.values[name], toString(value))
}

// Err is the message for a field, or "".
func (f *form) Err(name string) string {
	if f == nil {
		return ""
	}
	return f.errs[name]
}

// Problem is the message about the whole form, or "".
func (f *form) Problem() string {
	if f == nil {
		return ""
	}
	return f.problem
}

// Failed reports whether the form has any message.
func (f *form) Failed() bool { return f != nil && (f.problem != "" || len(f.errs) > 0) }

// set fills a field's value unless it was typed already (defaults for a new form).
func (f *form) set(name, value string) *form {
	if _, ok := f.values[name]; !ok {
		f.values.Set(name, value)
	}
	return f
}

// fieldError records a message for one field.
func (f *form) fieldError(name, message string) *form {
	f.errs[name] = message
	return f
}

func toString(v any) string { return fmt.Sprint(v) }

// fieldName turns a JSON pointer from a validation error into the name of the form field it
// is about: "/title" → "title", "/identifiers/3" → "identifiers", "?q" → "q".
func fieldName(pointer string) string {
	p := strings.TrimPrefix(strings.TrimPrefix(pointer, "?"), "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		p = p[:i]
	}
	return p
}

// reject puts a use case's error on the form when it is about what was typed: a validation
// error goes next to its field (or, for a field the form does not have, on the form as a
// whole). It reports false for any other error, which the caller returns as it is.
// fields maps the names the use case gives (JSON pointers' first segment) to form field names
// where they differ.
func (f *form) reject(err error, fields map[string]string) bool {
	v, ok := validation.As(err)
	if !ok {
		return false
	}
	name := fieldName(v.Pointer)
	if alias, ok := fields[name]; ok {
		name = alias
	}
	detail := v.Detail
	if i, ok := indexIn(v.Pointer); ok {
		detail = "line " + strconv.Itoa(i+1) + ": " + detail
	}
	if name == "" || fields == nil || !hasField(fields, name) {
		f.problem = sentence(name, detail)
		return true
	}
	f.errs[name] = capitalise(detail) + "."
	return true
}

// indexIn reads the list index of a pointer such as "/identifiers/3".
func indexIn(pointer string) (int, bool) {
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	if len(parts) < 2 {
		return 0, false
	}
	n, err := strconv.Atoi(parts[1])
	return n, err == nil
}

func hasField(fields map[string]string, name string) bool {
	if _, ok := fields[name]; ok {
		return true
	}
	for _, v := range fields {
		if v == name {
			return true
		}
	}
	return false
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// fieldsOf lists a form's fields whose names the use case uses as they are.
func fieldsOf(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[n] = n
	}
	return m
}

// parseForm reads a POST form, mapping a body over the limit to its own error.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return err
		}
		return badRequest("The form could not be read. Reload the page and try again.")
	}
	return nil
}

// optional returns a pointer to a trimmed form value, or nil when the field was not sent.
func optional(r *http.Request, name string) *string {
	if _, ok := r.PostForm[name]; !ok {
		return nil
	}
	v := strings.TrimSpace(r.PostForm.Get(name))
	return &v
}

// splitList splits a comma- or line-separated list, dropping empty items.
func splitList(s string) []string {
	out := []string{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// withProblem sets the message about the whole form.
func (f *form) withProblem(message string) *form {
	f.problem = message
	return f
}

// atoi64 reads a number from a form field; anything else is 0 (not given).
func atoi64(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

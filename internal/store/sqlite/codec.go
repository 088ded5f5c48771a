package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// timeLayout stores times as UTC text with nanoseconds and a fixed width, so that text order
// is time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// tm formats a time for storage.
func tm(t time.Time) string { return t.UTC().Format(timeLayout) }

// tmPtr formats an optional time: nil is NULL.
func tmPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return tm(*t)
}

// parseTime reads a stored time.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: stored time %q: %w", s, err)
	}
	return t, nil
}

// timeCol scans a NOT NULL time column into a time.Time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	s, err := textOf(src)
	if err != nil {
		return err
	}
	*c.t, err = parseTime(s)
	return err
}

// timePtrCol scans a nullable time column into a *time.Time.
type timePtrCol struct{ t **time.Time }

func (c timePtrCol) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	s, err := textOf(src)
	if err != nil {
		return err
	}
	v, err := parseTime(s)
	if err != nil {
		return err
	}
	*c.t = &v
	return nil
}

// jsonCol scans a JSON text column into v (NULL leaves v as it is).
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	if src == nil {
		return nil
	}
	s, err := textOf(src)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(s), c.v)
}

// rawCol scans a nullable text column into raw bytes kept as they are (NULL is nil).
type rawCol struct{ b *json.RawMessage }

func (c rawCol) Scan(src any) error {
	if src == nil {
		*c.b = nil
		return nil
	}
	s, err := textOf(src)
	if err != nil {
		return err
	}
	*c.b = json.RawMessage(s)
	return nil
}

func textOf(src any) (string, error) {
	switch v := src.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	}
	return "", fmt.Errorf("sqlite: expected text, got %T", src)
}

// jsonText encodes v for a JSON text column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode %T: %w", v, err)
	}
	return string(b), nil
}

// rawText stores raw JSON as it is: nil is NULL.
func rawText(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// boolInt stores a bool as 0/1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nullString is sql.NullString shortened.
type nullString = sql.NullString

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// where collects the conditions and arguments of a dynamic WHERE clause.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "col IN (…)" for a non-empty list of values.
func in[T ~string](w *where, col string, vals []T) {
	if len(vals) == 0 {
		return
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = string(v)
	}
	w.add(col+" IN ("+placeholders(len(vals))+")", args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

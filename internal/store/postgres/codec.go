package postgres

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Times are stored as two columns (see migrations/0001_init.sql): x timestamptz holds the time
// truncated to the microsecond, x_ns smallint the nanoseconds below it.

// splitTime returns the microsecond part and the nanosecond remainder of t.
func splitTime(t time.Time) (time.Time, int16) {
	ns := t.Nanosecond() % 1000
	return t.Add(-time.Duration(ns)).UTC(), int16(ns)
}

// cursorLayout writes times into cursors: UTC, nanoseconds, fixed width.
const cursorLayout = "2006-01-02T15:04:05.000000000Z"

func cursorTime(t time.Time) string { return t.UTC().Format(cursorLayout) }

func parseCursorTime(s string) (time.Time, error) { return time.Parse(cursorLayout, s) }

// atCol scans the timestamptz column of a NOT NULL time; the nsCol that follows it in the
// select list adds the nanoseconds.
type atCol struct{ t *time.Time }

func (c atCol) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid {
		return fmt.Errorf("postgres: NULL in a NOT NULL time column")
	}
	*c.t = v.Time.UTC()
	return nil
}

type nsCol struct{ t *time.Time }

func (c nsCol) ScanInt64(v pgtype.Int8) error {
	*c.t = c.t.Add(time.Duration(v.Int64))
	return nil
}

// atPtrCol and nsPtrCol scan the two columns of a nullable time.
type atPtrCol struct{ t **time.Time }

func (c atPtrCol) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid {
		*c.t = nil
		return nil
	}
	t := v.Time.UTC()
	*c.t = &t
	return nil
}

type nsPtrCol struct{ t **time.Time }

func (c nsPtrCol) ScanInt64(v pgtype.Int8) error {
	if *c.t != nil && v.Valid {
		t := (*c.t).Add(time.Duration(v.Int64))
		*c.t = &t
	}
	return nil
}

// tcol returns the scan targets of a NOT NULL time's two columns.
func tcol(t *time.Time) []any { return []any{atCol{t}, nsCol{t}} }

// tcolPtr returns the scan targets of a nullable time's two columns.
func tcolPtr(t **time.Time) []any { return []any{atPtrCol{t}, nsPtrCol{t}} }

// dest flattens scan targets, some of them pairs from tcol and tcolPtr.
func dest(parts ...any) []any {
	out := make([]any, 0, len(parts)+8)
	for _, p := range parts {
		if pair, ok := p.([]any); ok {
			out = append(out, pair...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// tc names the two columns of a time: tc("i.created_at") is "i.created_at, i.created_at_ns".
func tc(col string) string { return col + ", " + col + "_ns" }

// rawJSON scans a nullable json or jsonb column into raw bytes (NULL is nil).
type rawJSON struct{ b *json.RawMessage }

func (c rawJSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.b = nil
	case string:
		*c.b = json.RawMessage(v)
	case []byte:
		*c.b = json.RawMessage(append([]byte(nil), v...))
	default:
		return fmt.Errorf("postgres: expected JSON text, got %T", src)
	}
	return nil
}

// jsonArg encodes v for a jsonb column; a nil map or slice is NULL.
func jsonArg(v any, isNil bool) (any, error) {
	if isNil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode %T: %w", v, err)
	}
	return string(b), nil
}

// rawArg stores raw JSON as it is: nil is NULL.
func rawArg(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// args collects the positional arguments of a statement and hands out their placeholders.
type args []any

// add appends v and returns its placeholder, such as "$3".
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// cols collects the columns and values of an INSERT or the assignments of an UPDATE.
type cols struct {
	names []string
	marks []string
	args  args
}

func (c *cols) set(name string, v any) *cols {
	c.names = append(c.names, name)
	c.marks = append(c.marks, c.args.add(v))
	return c
}

// setTime sets the two columns of a NOT NULL time.
func (c *cols) setTime(name string, t time.Time) *cols {
	at, ns := splitTime(t)
	return c.set(name, at).set(name+"_ns", ns)
}

// setTimePtr sets the two columns of a nullable time.
func (c *cols) setTimePtr(name string, t *time.Time) *cols {
	if t == nil {
		return c.set(name, nil).set(name+"_ns", nil)
	}
	return c.setTime(name, *t)
}

// insert returns "INSERT INTO table (a, b) VALUES ($1, $2)".
func (c *cols) insert(table string) string {
	return "INSERT INTO " + table + " (" + strings.Join(c.names, ", ") + ") VALUES (" + strings.Join(c.marks, ", ") + ")"
}

// assignments returns "a = $1, b = $2".
func (c *cols) assignments() string {
	parts := make([]string, len(c.names))
	for i := range c.names {
		parts[i] = c.names[i] + " = " + c.marks[i]
	}
	return strings.Join(parts, ", ")
}

// where collects the conditions and arguments of a dynamic WHERE clause.
type where struct {
	conds []string
	args  args
}

// arg adds an argument and returns its placeholder.
func (w *where) arg(v any) string { return w.args.add(v) }

func (w *where) add(cond string) { w.conds = append(w.conds, cond) }

// in adds "col = ANY($n)" for a non-empty list of values.
func in[T ~string](w *where, col string, vals []T) {
	if len(vals) == 0 {
		return
	}
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = string(v)
	}
	w.add(col + " = ANY(" + w.arg(s) + ")")
}

// plannedArgs makes a statement be planned for its arguments each time it runs (see search.go)
// rather than use a cached generic plan.
func plannedArgs(args []any) []any { return append([]any{pgx.QueryExecModeDescribeExec}, args...) }

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/quell-ir/quell/internal/apiclient"
)

// outputFormat is the value of the global -o flag.
type outputFormat string

const (
	outputTable outputFormat = "table"
	outputJSON  outputFormat = "json"
)

func (o *outputFormat) String() string { return string(*o) }
func (o *outputFormat) Type() string   { return "format" }

func (o *outputFormat) Set(s string) error {
	switch outputFormat(s) {
	case outputTable, outputJSON:
		*o = outputFormat(s)
		return nil
	}
	return fmt.Errorf("must be table or json")
}

// show prints v as JSON with -o json, else calls human to print it for people.
func (c *cli) show(v any, human func(w io.Writer)) error {
	if c.output == outputJSON {
		return writeJSON(c.stdout, v)
	}
	human(c.stdout)
	return nil
}

// writeJSON prints v indented, for scripts (and jq).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table prints aligned columns. Cells are cleaned to one line of printable text.
type table struct {
	tw     *tabwriter.Writer
	prefix string
}

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(headers...)
	return t
}

// newSubTable is a table indented by two spaces, for a section of a detail view.
func newSubTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0), prefix: "  "}
	t.row(headers...)
	return t
}

func (t *table) row(cells ...string) {
	for len(cells) > 1 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1] // no padding at the end of the line
	}
	_, _ = io.WriteString(t.tw, t.prefix)
	for i, cell := range cells {
		if i > 0 {
			_, _ = io.WriteString(t.tw, "\t")
		}
		_, _ = io.WriteString(t.tw, oneLine(cell))
	}
	_, _ = io.WriteString(t.tw, "\n")
}

func (t *table) flush() { _ = t.tw.Flush() }

// oneLine makes server text safe for one table cell or one line of output.
func oneLine(s string) string {
	return strings.Join(strings.Fields(apiclient.Clean(s)), " ")
}

// truncate shortens s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// field prints one "Label: value" line of a detail view, skipping empty values.
func field(w io.Writer, label, value string) {
	if value == "" {
		return
	}
	fmt.Fprintf(w, "%-14s %s\n", label+":", oneLine(value))
}

// fmtTime shows a time in UTC, to the minute: "2025-03-01 14:05 UTC".
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 MST")
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

// age says how long ago t was: 45s, 12m, 5h, 3d.
func age(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

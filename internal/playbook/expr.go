package playbook

import (
	"bytes"
	"errors"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"go.yaml.in/yaml/v3"
)

// Env is what a `when` expression sees of an incident. Expressions use the names in the expr
// tags, such as `type == "data_breach" and personal_data` or `"cloud-credentials" in tags`.
type Env struct {
	// Type, Severity, Priority and TLP are the incident's, as strings ("data_breach", "high",
	// "P1", "amber+strict").
	Type     string `expr:"type"`
	Severity string `expr:"severity"`
	// SeverityRank is 4 for critical down to 0 for informational.
	SeverityRank int    `expr:"severity_rank"`
	Priority     string `expr:"priority"`
	TLP          string `expr:"tlp"`
	// Tags are lower case.
	Tags       []string `expr:"tags"`
	Restricted bool     `expr:"restricted"`
	// Custom holds the incident's custom fields; a missing field reads as nil.
	Custom map[string]string `expr:"custom"`
	// Criticality is the highest criticality (1–4) of the linked assets, 0 when none is linked.
	Criticality int `expr:"criticality"`
	// PersonalData is true when a linked asset holds personal data, or the incident says so.
	PersonalData bool `expr:"personal_data"`
}

// MaxExpressionNodes bounds the size of a `when` expression.
const MaxExpressionNodes = 500

// compileWhen compiles a `when` expression against Env. The expression must give true or
// false; reading the clock (now) is not allowed, so that a playbook matches the same incident
// the same way whenever it is asked.
func compileWhen(src string) (*vm.Program, error) {
	return expr.Compile(src, expr.Env(Env{}), expr.AsBool(), expr.DisableBuiltin("now"),
		expr.MaxNodes(MaxExpressionNodes))
}

// whenErrorPos returns the line (from 1) and column (from 0) in the expression of a compile
// error, or 1, 0 when the error has no position.
func whenErrorPos(err error) (line, col int) {
	var fe *file.Error
	if errors.As(err, &fe) && fe.Line > 0 {
		return fe.Line, max(fe.Column, 0)
	}
	return 1, 0
}

func whenErrorText(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) && fe.Message != "" {
		return fe.Message
	}
	text := err.Error()
	if strings.HasPrefix(text, "expected bool") {
		return "the expression must give true or false (" + text + ")"
	}
	return text
}

// exprPos maps a position in the expression held by scalar n (line from 1, column from 0) to a
// position in the file. Block scalars (| and >) are mapped line by line; a quoted or plain
// scalar on one line is mapped by column. Where the mapping cannot be exact (escapes, folded
// lines), the position is kept within the scalar.
func (d *decoder) exprPos(n *yaml.Node, line, col int) Position {
	start := at(n)
	lines := bytes.Split(d.src, []byte("\n"))
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		// The content starts on the line after the indicator and is indented as its first
		// line with text. Folding joins lines, so a folded scalar maps its first line only.
		if n.Style&yaml.FoldedStyle != 0 && line != 1 {
			return start
		}
		indent := -1
		for i := n.Line; i < len(lines) && indent < 0; i++ {
			if t := bytes.TrimLeft(lines[i], " "); len(bytes.TrimSpace(t)) > 0 {
				indent = len(lines[i]) - len(t)
			}
		}
		fl := n.Line + line
		if indent < 0 || fl < 1 || fl > len(lines) {
			return start
		}
		text := lines[fl-1]
		if c := indent + col + 1; c <= len(text)+1 {
			return Position{Line: fl, Column: c}
		}
		return start
	}
	if line != 1 || n.Line < 1 || n.Line > len(lines) {
		return start
	}
	offset := 0
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		offset = 1
	}
	c := n.Column + offset + col
	if c > len(lines[n.Line-1])+1 {
		return start
	}
	return Position{Line: n.Line, Column: c}
}

package playbook

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a message stops a playbook from being used.
type Severity string

// Message severities. A playbook with an error is refused; a warning points at something a
// reader should look at, and the playbook is still used.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Message is one problem found in a playbook file.
type Message struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Severity Severity `json:"severity"`
	Code     Code     `json:"code"`
	Text     string   `json:"text"`
}

// String formats the message as file:line:col: severity: text [code].
func (m Message) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s [%s]", m.File, m.Line, m.Column, m.Severity, m.Text, m.Code)
}

// Code names a kind of problem; docs/playbooks.md explains each.
type Code string

// Lint codes. Each has one severity, given by Code.Severity.
const (
	// The file is not a single YAML document: a syntax error, an empty file, several documents,
	// anchors and aliases, or a file too large.
	CodeYAML Code = "yaml"
	// A field this version does not know.
	CodeUnknownField Code = "unknown-field"
	// A field given twice in one mapping.
	CodeDuplicateField Code = "duplicate-field"
	// A value of the wrong type: a list where a string belongs, a string where a number does.
	CodeWrongType Code = "wrong-type"
	// A required field is absent.
	CodeMissingField Code = "missing-field"
	// A playbook name, task title or guidance title that is empty or only spaces.
	CodeEmptyTitle Code = "empty-title"
	// A checklist item or exit criterion that is empty.
	CodeEmptyItem Code = "empty-item"
	// Text longer than an incident allows (titles 300 bytes, descriptions 20,000).
	CodeTooLong Code = "too-long"
	// A playbook or step id that is not a slug.
	CodeBadID Code = "bad-id"
	// A version that is not a positive integer.
	CodeBadVersion Code = "bad-version"
	// An incident type that does not exist.
	CodeUnknownType Code = "unknown-type"
	// A `when` expression that does not compile, or is not true or false.
	CodeBadExpression Code = "bad-expression"
	// A role that is not an incident role.
	CodeUnknownRole Code = "unknown-role"
	// A task whose role is not in the playbook's roles.
	CodeRoleNotDeclared Code = "role-not-declared"
	// A task without a role.
	CodeMissingRole Code = "missing-role"
	// A role listed in roles that no step uses.
	CodeUnusedRole Code = "unused-role"
	// An incident type or role listed twice.
	CodeDuplicateEntry Code = "duplicate-entry"
	// Two steps with one id, in one phase or in two.
	CodeDuplicateStepID Code = "duplicate-step-id"
	// Two files (or the library and a file) that use one playbook id.
	CodeDuplicatePlaybookID Code = "duplicate-playbook-id"
	// A phase name that is not a working phase of the lifecycle (closed included).
	CodeUnknownPhase Code = "unknown-phase"
	// A phase listed twice.
	CodeDuplicatePhase Code = "duplicate-phase"
	// A phase listed before a phase that comes earlier in the lifecycle.
	CodePhaseOrder Code = "phase-order"
	// A phase with work that can only be reached by overriding an exit that can never be met.
	CodeUnreachablePhase Code = "unreachable-phase"
	// A phase with no steps, exit criteria or guidance.
	CodeEmptyPhase Code = "empty-phase"
	// A playbook without a single step.
	CodeNoSteps Code = "no-steps"
	// A step kind this version does not know; the step is kept but not planned.
	CodeUnknownKind Code = "unknown-kind"
	// A due time whose duration cannot be read, is zero or is over a year.
	CodeBadDuration Code = "bad-duration"
	// A due time counted from something other than phase_start or detection.
	CodeBadAnchor Code = "bad-anchor"
	// A guidance URL that is not an absolute http or https URL.
	CodeBadURL Code = "bad-url"
)

// warnings are the codes reported as warnings; every other code is an error.
var warnings = []Code{CodeUnusedRole, CodeDuplicateEntry, CodePhaseOrder, CodeEmptyPhase, CodeNoSteps, CodeUnknownKind}

// Codes lists every lint code.
var Codes = []Code{CodeYAML, CodeUnknownField, CodeDuplicateField, CodeWrongType, CodeMissingField, CodeEmptyTitle,
	CodeEmptyItem, CodeTooLong, CodeBadID, CodeBadVersion, CodeUnknownType, CodeBadExpression, CodeUnknownRole,
	CodeRoleNotDeclared, CodeMissingRole, CodeUnusedRole, CodeDuplicateEntry, CodeDuplicateStepID,
	CodeDuplicatePlaybookID, CodeUnknownPhase, CodeDuplicatePhase, CodePhaseOrder, CodeUnreachablePhase,
	CodeEmptyPhase, CodeNoSteps, CodeUnknownKind, CodeBadDuration, CodeBadAnchor, CodeBadURL}

// Severity is the severity messages with code c have.
func (c Code) Severity() Severity {
	if slices.Contains(warnings, c) {
		return SeverityWarning
	}
	return SeverityError
}

// HasErrors reports whether msgs holds an error.
func HasErrors(msgs []Message) bool {
	return slices.ContainsFunc(msgs, func(m Message) bool { return m.Severity == SeverityError })
}

// Count returns the number of errors and of warnings in msgs.
func Count(msgs []Message) (errors, warnings int) {
	for _, m := range msgs {
		if m.Severity == SeverityError {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// SortMessages orders messages by file, line, column, then code and text.
func SortMessages(msgs []Message) {
	slices.SortStableFunc(msgs, func(a, b Message) int {
		return cmp.Or(
			strings.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			strings.Compare(string(a.Code), string(b.Code)),
			strings.Compare(a.Text, b.Text),
		)
	})
}

// InvalidError is returned by Load for a playbook with errors; it holds every message, the
// warnings included.
type InvalidError struct {
	Messages []Message
}

func (e *InvalidError) Error() string {
	var first Message
	for _, m := range e.Messages {
		if m.Severity == SeverityError {
			first = m
			break
		}
	}
	n, _ := Count(e.Messages)
	if n == 1 {
		return "invalid playbook: " + first.String()
	}
	return fmt.Sprintf("invalid playbook: %s (and %d more errors)", first, n-1)
}

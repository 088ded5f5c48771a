package formats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"go.yaml.in/yaml/v3"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/validation"
)

// MappingSpec is an admin's description of how to read alerts out of JSON bodies of any other
// shape: the name of the source, and an expression (in the language of
// github.com/expr-lang/expr) per field of the alert. Each expression runs with the alert's JSON
// object as its environment, so that a member is named as a variable (title: 'rule.name',
// severity: 'lower(level)'); absent members are nil, and `?.` and `??` reach into optional
// parts ('labels?.team ?? "unknown"'). Besides expr's built-in functions (lower, upper, trim,
// split, join, keys, toJSON, date, …; repeat is disabled) there are:
//
//	get(v, "a.b.0.c")          the member at a dotted path (flat dotted keys, nested objects and
//	                           array indexes alike), nil when absent
//	obs(type, value[, role])   an observable, for the observables expression
//
// JSON numbers reach the expressions as int when they are whole, float64 otherwise. Calling a
// function that is not defined is refused when the mapping is compiled. Each expression may
// have at most 2000 nodes, and each run of one may allocate at most expr's memory budget of
// 200,000 units (about one per element of an array, map or range it builds); a run that goes
// beyond fails that body with a validation error. Only Source and Title are required.
type MappingSpec struct {
	// Source is the source name of the alerts (a literal such as "my-scanner", not an
	// expression): lower-case letters, digits, '.', '_' and '-'.
	Source string `json:"source" yaml:"source"`
	// Items, when set, selects the alerts in a body that carries several: an expression giving
	// an array of objects ('alerts', 'data.events'). Each becomes one alert and the
	// environment of the other expressions, with the whole body beside it as `_root`. Without
	// Items, a body that is an object is one alert, and an array (or newline-delimited
	// objects) is one alert per element.
	Items string `json:"items,omitempty" yaml:"items,omitempty"`
	// Title gives the alert's title (required, and must not come out empty).
	Title string `json:"title" yaml:"title"`
	// Description gives the alert's description.
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Severity gives a severity name (critical, high, medium, low, informational, or a name
	// alert.ParseSeverity knows); nil or "" leaves the default.
	Severity string `json:"severity,omitempty" yaml:"severity,omitempty"`
	// Fingerprint gives the deduplication key; empty means one computed from title and labels.
	Fingerprint string `json:"fingerprint,omitempty" yaml:"fingerprint,omitempty"`
	// SourceRef gives the tool's own id of the alert.
	SourceRef string `json:"source_ref,omitempty" yaml:"source_ref,omitempty"`
	// Time gives when the event happened: an RFC 3339 string (or one of the other spellings
	// tools use), a number of seconds or milliseconds since 1970, or a date() value.
	Time string `json:"time,omitempty" yaml:"time,omitempty"`
	// Labels gives a map of labels; values that are not strings are written as text, lists
	// joined with ", ".
	Labels string `json:"labels,omitempty" yaml:"labels,omitempty"`
	// Observables gives a list whose elements are obs(…) values (or maps with type, value
	// and role) or strings, in which observables are found as in free text.
	Observables string `json:"observables,omitempty" yaml:"observables,omitempty"`
	// Resolved gives true for an all-clear of an earlier alert.
	Resolved string `json:"resolved,omitempty" yaml:"resolved,omitempty"`
}

// Limits on a mapping's expressions.
const (
	// mappingMaxNodes bounds the size of one expression.
	mappingMaxNodes = 2000
	// mappingMemoryBudget bounds what one run of an expression may allocate, in expr's units
	// (about one per element of an array, map or range it builds).
	mappingMemoryBudget = 200_000
)

// Mapping is a compiled MappingSpec, ready to read bodies. It is safe for concurrent use.
type Mapping struct {
	source string
	items  *vm.Program
	fields []mappingField
}

// mappingField is one compiled expression and the alert field it fills.
type mappingField struct {
	name    string // the spec's JSON name, for messages
	program *vm.Program
	set     func(in *alert.Input, v any) error
}

var mappingSourcePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// ParseMapping reads a mapping written as YAML (or JSON) and compiles it. Unknown fields are
// refused.
func ParseMapping(doc []byte) (m *Mapping, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, validation.Errorf("", "the mapping cannot be read: %v", r)
		}
	}()
	var spec MappingSpec
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, validation.Errorf("", "the mapping is empty")
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
		msg = strings.ReplaceAll(msg, " in type formats.MappingSpec", "")
		return nil, validation.Errorf("", "the mapping is not valid YAML: %s", msg)
	}
	return CompileMapping(spec)
}

// CompileMapping checks and compiles a mapping. An error names the field of the spec that is
// wrong, as a JSON Pointer ("/title") with the line and column within its expression.
func CompileMapping(spec MappingSpec) (m *Mapping, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, validation.Errorf("", "the mapping cannot be compiled: %v", r)
		}
	}()
	if !mappingSourcePattern.MatchString(spec.Source) {
		return nil, validation.Errorf("/source", "must be 1–64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
	}
	if strings.TrimSpace(spec.Title) == "" {
		return nil, validation.Errorf("/title", "is required")
	}
	m = &Mapping{source: spec.Source}
	if strings.TrimSpace(spec.Items) != "" {
		if m.items, err = compileExpr("items", spec.Items); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name, src string
		set       func(*alert.Input, any) error
	}{
		{"title", spec.Title, func(in *alert.Input, v any) (err error) { in.Title, err = exprText(v); return err }},
		{"description", spec.Description, func(in *alert.Input, v any) (err error) { in.Description, err = exprText(v); return err }},
		{"severity", spec.Severity, setExprSeverity},
		{"fingerprint", spec.Fingerprint, func(in *alert.Input, v any) (err error) { in.Fingerprint, err = exprText(v); return err }},
		{"source_ref", spec.SourceRef, func(in *alert.Input, v any) (err error) { in.SourceRef, err = exprText(v); return err }},
		{"time", spec.Time, setExprTime},
		{"labels", spec.Labels, setExprLabels},
		{"observables", spec.Observables, setExprObservables},
		{"resolved", spec.Resolved, setExprResolved},
	} {
		if strings.TrimSpace(f.src) == "" {
			continue
		}
		p, err := compileExpr(f.name, f.src)
		if err != nil {
			return nil, err
		}
		m.fields = append(m.fields, mappingField{name: f.name, program: p, set: f.set})
	}
	return m, nil
}

func compileExpr(field, src string) (*vm.Program, error) {
	p, err := expr.Compile(src,
		expr.Env(map[string]any{}),
		expr.AllowUndefinedVariables(),
		expr.MaxNodes(mappingMaxNodes),
		expr.DisableBuiltin("repeat"),
		expr.Function("get", exprGet),
		expr.Function("obs", exprObs),
	)
	if err != nil {
		return nil, validation.Errorf("/"+field, "%s", exprError(err))
	}
	// The environment is JSON data, which holds no functions: a call of any name but a
	// built-in or one of ours can never work, so it is refused now rather than at run time.
	var calls unknownCalls
	root := p.Node()
	ast.Walk(&root, &calls)
	if calls.node != nil {
		line, col := lineColumn(src, calls.node.Location().From)
		return nil, validation.Errorf("/"+field, "unknown function %s (line %d, column %d)", calls.name, line, col)
	}
	return p, nil
}

// unknownCalls finds the first call of a function that is not defined.
type unknownCalls struct {
	node ast.Node
	name string
}

// Visit implements ast.Visitor.
func (c *unknownCalls) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok || c.node != nil {
		return
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); ok && id.Value != "get" && id.Value != "obs" {
		c.node, c.name = call, id.Value
	}
}

// lineColumn gives the 1-based line and column of the rune at index from of src.
func lineColumn(src string, from int) (line, col int) {
	line, col = 1, 1
	i := 0
	for _, r := range src {
		if i == from {
			break
		}
		i++
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// exprError renders an expression error on one line.
func exprError(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		if fe.Line > 0 {
			return fmt.Sprintf("%s (line %d, column %d)", fe.Message, fe.Line, fe.Column+1)
		}
		return fe.Message
	}
	return err.Error()
}

// Parse reads one body with the mapping. The body is one JSON object, an array of objects or
// objects one per line; see MappingSpec.Items for how alerts are found in it. A runtime error
// of an expression is a validation error at the alert's place in the body, naming the
// mapping field.
func (m *Mapping) Parse(body []byte) ([]alert.Input, error) {
	items, err := splitItems(body)
	if err != nil {
		return nil, err
	}
	machine := &vm.VM{MemoryBudget: mappingMemoryBudget}
	var out []alert.Input
	for _, it := range items {
		doc, err := decodeGeneric(it)
		if err != nil {
			return nil, err
		}
		if m.items == nil {
			in, err := m.alert(machine, doc, it.ptr, "")
			if err != nil {
				return nil, err
			}
			in.Raw = it.raw
			out = append(out, in)
			continue
		}
		v, err := machine.Run(m.items, doc)
		if err != nil {
			return nil, validation.Errorf(it.ptr, "mapping field items: %s", exprError(err))
		}
		list, ok := v.([]any)
		if v != nil && !ok {
			return nil, validation.Errorf(it.ptr, "mapping field items must give an array of objects, not %s", exprKind(v))
		}
		for i, e := range list {
			obj, ok := e.(map[string]any)
			if !ok {
				return nil, validation.Errorf(it.ptr, "mapping field items: element %d must be an object, not %s", i, exprKind(e))
			}
			env := make(map[string]any, len(obj)+1)
			for k, v := range obj {
				env[k] = v
			}
			env["_root"] = doc
			in, err := m.alert(machine, env, it.ptr, fmt.Sprintf("item %d of items: ", i))
			if err != nil {
				return nil, err
			}
			if in.Raw, err = marshalRaw(obj); err != nil {
				return nil, validation.Errorf(it.ptr, "item %d of items cannot be kept as JSON: %v", i, err)
			}
			out = append(out, in)
		}
	}
	if len(out) == 0 {
		return nil, noAlerts(len(items), "the mapping's items expression selected none")
	}
	return out, nil
}

// marshalRaw writes an item selected by the items expression as JSON, for the alert's raw
// payload.
func marshalRaw(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// alert runs the field expressions over one alert's environment.
func (m *Mapping) alert(machine *vm.VM, env map[string]any, ptr, where string) (alert.Input, error) {
	in := alert.Input{Source: m.source}
	for _, f := range m.fields {
		v, err := machine.Run(f.program, env)
		if err == nil {
			err = f.set(&in, v)
		} else {
			err = errors.New(exprError(err))
		}
		if err != nil {
			return alert.Input{}, validation.Errorf(ptr, "%smapping field %s: %v", where, f.name, err)
		}
	}
	if blank(in.Title) {
		return alert.Input{}, validation.Errorf(ptr, "%smapping field title gave an empty title", where)
	}
	return in, nil
}

// decodeGeneric decodes one item of a body for the expressions: objects as map[string]any,
// whole numbers that fit as int, other numbers as float64.
func decodeGeneric(it item) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(it.raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, validation.Errorf(it.ptr, "invalid JSON: %v", err)
	}
	obj, ok := convertNumbers(v).(map[string]any)
	if !ok {
		return nil, validation.Errorf(it.ptr, "must be a JSON object, not %s", kindOf(it.raw))
	}
	return obj, nil
}

func convertNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return int(i)
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return f
		}
		return x // beyond float64: kept as written
	case map[string]any:
		for k, e := range x {
			x[k] = convertNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = convertNumbers(e)
		}
	}
	return v
}

// exprKind names the kind of an expression's value for messages.
func exprKind(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	case time.Time:
		return "a time"
	}
	return fmt.Sprintf("a value of type %T", v)
}

// exprText turns a scalar result into text.
func exprText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	}
	return "", fmt.Errorf("must give a string, not %s", exprKind(v))
}

func setExprSeverity(in *alert.Input, v any) error {
	s, err := exprText(v)
	if err != nil || blank(s) {
		return err
	}
	sev, ok := alert.ParseSeverity(s)
	if !ok {
		return fmt.Errorf("gave %s, which is not a severity (critical, high, medium, low, informational)", describe(s))
	}
	in.Severity = sev
	return nil
}

func setExprTime(in *alert.Input, v any) error {
	var err error
	switch x := v.(type) {
	case nil:
	case time.Time:
		in.OccurredAt, err = x, inRange(x)
	case int:
		in.OccurredAt, err = epochTime(float64(x))
	case float64:
		in.OccurredAt, err = epochTime(x)
	case string:
		in.OccurredAt, err = parseTime(x)
	default:
		err = fmt.Errorf("must give a time, not %s", exprKind(v))
	}
	return err
}

func setExprLabels(in *alert.Input, v any) error {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("must give a map, not %s", exprKind(v))
	}
	in.Labels = make(map[string]string, len(m))
	for k, e := range m {
		if list, ok := e.([]any); ok {
			parts := make([]string, 0, len(list))
			for _, p := range list {
				s, err := exprText(p)
				if err != nil {
					return fmt.Errorf("label %s: %w", describe(k), err)
				}
				parts = append(parts, s)
			}
			setLabel(in.Labels, k, strings.Join(parts, ", "))
			continue
		}
		s, err := exprText(e)
		if err != nil {
			return fmt.Errorf("label %s: %w", describe(k), err)
		}
		setLabel(in.Labels, k, s)
	}
	return nil
}

func setExprObservables(in *alert.Input, v any) error {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	for i, e := range list {
		switch x := e.(type) {
		case nil:
		case string:
			in.Observables = append(in.Observables, alert.Extract(x)...)
		case map[string]any:
			t, _ := exprText(x["type"])
			value, _ := exprText(x["value"])
			role, _ := exprText(x["role"])
			if !alert.ObservableType(t).Valid() {
				return fmt.Errorf("element %d: type must be one of %s, not %s", i, observableTypeList(), describe(t))
			}
			if !blank(value) {
				in.Observables = append(in.Observables, alert.Observable{Type: alert.ObservableType(t), Value: value, Role: role})
			}
		default:
			return fmt.Errorf("element %d must be an observable (obs(type, value, role)) or a string, not %s", i, exprKind(e))
		}
	}
	return nil
}

func setExprResolved(in *alert.Input, v any) error {
	switch x := v.(type) {
	case nil:
	case bool:
		in.Resolved = x
	default:
		return fmt.Errorf("must give true or false, not %s", exprKind(v))
	}
	return nil
}

// exprGet is get(v, path): the member of v at a dotted path, or at an index.
func exprGet(params ...any) (any, error) {
	if len(params) != 2 {
		return nil, fmt.Errorf("get takes 2 arguments (a value and a path), not %d", len(params))
	}
	switch key := params[1].(type) {
	case string:
		return getPath(params[0], key), nil
	case int:
		return getPath(params[0], strconv.Itoa(key)), nil
	}
	return nil, fmt.Errorf("get: the path must be a string, not %s", exprKind(params[1]))
}

// getPath finds path in v: a member named by the whole path, or, splitting at each dot, a
// member named by the part before it and the rest within that; an array is indexed by a
// number.
func getPath(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		if e, ok := x[path]; ok {
			return e
		}
		for i := len(path) - 1; i > 0; i-- {
			if path[i] == '.' {
				if inner, ok := x[path[:i]]; ok {
					if e := getPath(inner, path[i+1:]); e != nil {
						return e
					}
				}
			}
		}
	case []any:
		head, rest, _ := strings.Cut(path, ".")
		n, err := strconv.Atoi(head)
		if err != nil || n < 0 || n >= len(x) {
			return nil
		}
		if rest == "" {
			return x[n]
		}
		return getPath(x[n], rest)
	}
	return nil
}

// exprObs is obs(type, value[, role]): an observable for the observables expression.
func exprObs(params ...any) (any, error) {
	if len(params) < 2 || len(params) > 3 {
		return nil, fmt.Errorf("obs takes 2 or 3 arguments (type, value, role), not %d", len(params))
	}
	t, err := exprText(params[0])
	if err != nil || !slices.Contains(alert.ObservableTypes, alert.ObservableType(t)) {
		return nil, fmt.Errorf("obs: the type must be one of %s", observableTypeList())
	}
	value, err := exprText(params[1])
	if err != nil {
		return nil, fmt.Errorf("obs: the value %w", err)
	}
	role := ""
	if len(params) == 3 {
		if role, err = exprText(params[2]); err != nil {
			return nil, fmt.Errorf("obs: the role %w", err)
		}
	}
	return map[string]any{"type": t, "value": value, "role": role}, nil
}

package playbook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/quell-ir/quell/internal/incident"
)

// MaxSize bounds a playbook file, in bytes.
const MaxSize = 1 << 20

// Limits on text, in bytes. Titles are bounded by incident.MaxTitle and task descriptions by
// incident.MaxTaskDescription, as the tasks they become are.
const (
	// MaxDescription bounds a playbook's description.
	MaxDescription = 20000
	// MaxItem bounds a checklist item or an exit criterion.
	MaxItem = 1200
)

// Field names, as written in a playbook.
var (
	playbookFields  = []string{"id", "name", "version", "description", "applies_to", "roles", "guidance", "phases"}
	appliesToFields = []string{"types", "when"}
	phaseFields     = []string{"steps", "exit_criteria", "guidance"}
	taskFields      = []string{"id", "kind", "title", "description", "role", "required", "due", "checklist"}
	dueFields       = []string{"after", "from"}
	linkFields      = []string{"title", "url"}
)

// kindPattern is the form of a step kind.
var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Parse reads a playbook from src, which came from filename (used in messages only). It returns
// what it could read and every message, sorted. The playbook may be used only when no message
// is an error: see HasErrors, or use Load.
func Parse(filename string, src []byte) (Playbook, []Message) {
	d := &decoder{file: filename, src: src, stepIDs: map[string]Position{}}
	var p Playbook
	if root := d.document(); root != nil {
		d.playbook(root, &p)
		d.check(&p)
	}
	SortMessages(d.msgs)
	return p, d.msgs
}

// Load reads a playbook and returns it, or an *InvalidError when it has an error.
func Load(filename string, src []byte) (Playbook, error) {
	p, msgs := Parse(filename, src)
	if HasErrors(msgs) {
		return Playbook{}, &InvalidError{Messages: msgs}
	}
	return p, nil
}

// Lint checks one playbook file and returns its messages, sorted by position.
func Lint(filename string, src []byte) []Message {
	_, msgs := Parse(filename, src)
	return msgs
}

// decoder walks the YAML tree of one playbook, fills the playbook and records messages.
type decoder struct {
	file string
	src  []byte
	msgs []Message
	// stepIDs holds where each step id was first given.
	stepIDs map[string]Position
	// otherRoles holds the roles named by steps of kinds this version does not know.
	otherRoles []incident.Role
	phasesPos  Position
}

func (d *decoder) report(pos Position, code Code, format string, args ...any) {
	d.msgs = append(d.msgs, Message{File: d.file, Line: max(pos.Line, 1), Column: max(pos.Column, 1),
		Severity: code.Severity(), Code: code, Text: fmt.Sprintf(format, args...)})
}

func at(n *yaml.Node) Position { return Position{Line: n.Line, Column: n.Column} }

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parserProblems are the problems the YAML parser (as opposed to its scanner) reports. The
// library prints the line of a parser problem counting from 0, and of a scanner problem
// counting from 1.
var parserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "did not find expected '-' indicator",
	"did not find expected <document start>", "did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive", "found duplicate %YAML directive",
	"found incompatible YAML document", "found undefined tag handle",
}

// document parses the YAML stream and returns the root node of its one document, or nil.
func (d *decoder) document() (root *yaml.Node) {
	start := Position{Line: 1, Column: 1}
	if len(d.src) > MaxSize {
		d.report(start, CodeYAML, "the file is larger than %d bytes, the most a playbook may be", MaxSize)
		return nil
	}
	// Playbooks come from users; a panic in the YAML library on some odd input must not take
	// down the caller.
	defer func() {
		if r := recover(); r != nil {
			d.report(start, CodeYAML, "the file cannot be read as YAML")
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(d.src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.report(start, CodeYAML, "the file is empty: a playbook needs id, name, version, roles and phases")
		} else {
			d.yamlError(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.report(at(&next), CodeYAML, "a second YAML document starts here; a file holds one playbook")
		return nil
	case !errors.Is(err, io.EOF):
		d.yamlError(err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		d.report(start, CodeYAML, "the file is empty: a playbook needs id, name, version, roles and phases")
		return nil
	}
	root = doc.Content[0]
	if d.aliases(root) {
		return nil
	}
	return root
}

func (d *decoder) yamlError(err error) {
	msg := err.Error()
	pos := Position{Line: 1, Column: 1}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		msg = msg[len(m[0]):]
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			pos.Line = n
			if slices.Contains(parserProblems, msg) {
				pos.Line++
			}
			pos.Line = min(pos.Line, bytes.Count(d.src, []byte("\n"))+1)
		}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	d.report(pos, CodeYAML, "YAML syntax: %s", msg)
}

// aliases reports every alias in the tree: a playbook is plain data, and aliases would let a
// small file expand into a very large one.
func (d *decoder) aliases(n *yaml.Node) bool {
	found := false
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode {
			d.report(at(n), CodeYAML, "anchors and aliases are not supported in playbooks; write the value out")
			found = true
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return found
}

// describe names the type of a node for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "true or false"
		case "!!null":
			return "empty"
		case "!!timestamp":
			return "a date"
		}
		return "a value tagged " + n.ShortTag()
	}
	return "something else"
}

// fields are the fields of one mapping, by name.
type fields struct {
	d    *decoder
	n    *yaml.Node
	what string
	vals map[string]*yaml.Node
}

// mapping reads the fields of n, which must be a mapping. Unless open, a field not in names is
// reported. It returns nil (on which get and need return nil) when n is not a mapping.
func (d *decoder) mapping(n *yaml.Node, what string, open bool, names ...string) *fields {
	if n.Kind != yaml.MappingNode {
		d.report(at(n), CodeWrongType, "%s must be a mapping, not %s", what, describe(n))
		return nil
	}
	f := &fields{d: d, n: n, what: what, vals: map[string]*yaml.Node{}}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.report(at(k), CodeWrongType, "a field name in %s must be a plain word, not %s", what, describe(k))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.report(at(k), CodeDuplicateField, "%s is given twice in %s (first on line %d)", k.Value, what, line)
			continue
		}
		seen[k.Value] = k.Line
		if !open && !slices.Contains(names, k.Value) {
			text := fmt.Sprintf("unknown field %q in %s", k.Value, what)
			if s := suggest(k.Value, names); s != "" {
				text += fmt.Sprintf("; did you mean %s?", s)
			} else {
				text += "; it takes " + strings.Join(names, ", ")
			}
			d.report(at(k), CodeUnknownField, "%s", text)
			continue
		}
		f.vals[k.Value] = v
	}
	return f
}

func (f *fields) get(name string) *yaml.Node {
	if f == nil {
		return nil
	}
	return f.vals[name]
}

// need returns field name, reporting it missing when absent.
func (f *fields) need(name string) *yaml.Node {
	if f == nil {
		return nil
	}
	v := f.vals[name]
	if v == nil {
		f.d.report(at(f.n), CodeMissingField, "%s needs %s", f.what, name)
	}
	return v
}

// suggest returns the name in names closest to s, if it is a likely misspelling.
func suggest(s string, names []string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if dist := editDistance(s, n); dist < bestDist {
			best, bestDist = n, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// str reads a string.
func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		return n.Value, true
	}
	hint := ""
	if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
		hint = " (put it in quotes)"
	}
	d.report(at(n), CodeWrongType, "%s must be a string, not %s%s", what, describe(n), hint)
	return "", false
}

// title reads a title: a string with something in it, at most limit bytes.
func (d *decoder) title(n *yaml.Node, what string, limit int) string {
	s, ok := d.str(n, what)
	if !ok {
		return ""
	}
	switch {
	case strings.TrimSpace(s) == "":
		d.report(at(n), CodeEmptyTitle, "%s is empty", what)
	case len(s) > limit:
		d.report(at(n), CodeTooLong, "%s is %d bytes long; at most %d", what, len(s), limit)
	}
	return strings.TrimSpace(s)
}

// text reads a string of at most limit bytes.
func (d *decoder) text(n *yaml.Node, what string, limit int) string {
	s, _ := d.str(n, what)
	if len(s) > limit {
		d.report(at(n), CodeTooLong, "%s is %d bytes long; at most %d", what, len(s), limit)
	}
	return s
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, what string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.report(at(n), CodeWrongType, "%s must be true or false, not %s", what, describe(n))
	}
	return b
}

// list returns the items of a list.
func (d *decoder) list(n *yaml.Node, what string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		d.report(at(n), CodeWrongType, "%s must be a list, not %s", what, describe(n))
		return nil
	}
	return n.Content
}

// items reads a list of non-empty strings.
func (d *decoder) items(n *yaml.Node, what string, limit int) []string {
	var out []string
	for _, it := range d.list(n, what) {
		s, ok := d.str(it, "an item of "+what)
		if !ok {
			continue
		}
		switch {
		case strings.TrimSpace(s) == "":
			d.report(at(it), CodeEmptyItem, "an item of %s is empty", what)
			continue
		case len(s) > limit:
			d.report(at(it), CodeTooLong, "an item of %s is %d bytes long; at most %d", what, len(s), limit)
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// id reads a playbook or step id.
func (d *decoder) id(n *yaml.Node, what string) string {
	s, ok := d.str(n, what)
	if ok && !validID(s) {
		d.report(at(n), CodeBadID, "%s %q must be a slug: lower-case letters and digits in words joined by single dashes, at most %d characters, such as isolate-hosts", what, s, MaxID)
	}
	return s
}

func (d *decoder) playbook(n *yaml.Node, p *Playbook) {
	p.Pos = at(n)
	f := d.mapping(n, "the playbook", false, playbookFields...)
	if f == nil {
		return
	}
	if v := f.need("id"); v != nil {
		p.ID, p.idPos = d.id(v, "the playbook id"), at(v)
	}
	if v := f.need("name"); v != nil {
		p.Name = d.title(v, "the playbook name", incident.MaxTitle)
	}
	if v := f.need("version"); v != nil {
		p.Version = d.version(v)
	}
	if v := f.get("description"); v != nil {
		p.Description = d.text(v, "the description", MaxDescription)
	}
	if v := f.get("applies_to"); v != nil {
		d.appliesTo(v, &p.AppliesTo)
	}
	if v := f.need("roles"); v != nil {
		d.roles(v, p)
	}
	if v := f.get("guidance"); v != nil {
		p.Guidance = d.links(v)
	}
	if v := f.need("phases"); v != nil {
		d.phasesPos = at(v)
		d.phases(v, p)
	}
}

func (d *decoder) version(n *yaml.Node) int {
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil || v < 1 {
		d.report(at(n), CodeBadVersion, "version must be a whole number from 1 up, raised on every change, not %q", n.Value)
		return 0
	}
	return v
}

func (d *decoder) appliesTo(n *yaml.Node, a *AppliesTo) {
	f := d.mapping(n, "applies_to", false, appliesToFields...)
	if v := f.get("types"); v != nil {
		seen := map[incident.Type]bool{}
		for _, it := range d.list(v, "applies_to.types") {
			s, ok := d.str(it, "an incident type")
			if !ok {
				continue
			}
			t := incident.Type(s)
			switch {
			case !t.Valid():
				d.report(at(it), CodeUnknownType, "%q is not an incident type; the types are %s", s, joinTypes())
			case seen[t]:
				d.report(at(it), CodeDuplicateEntry, "incident type %s is listed twice", s)
				continue
			}
			seen[t] = true
			a.Types = append(a.Types, t)
		}
	}
	if v := f.get("when"); v != nil {
		s, ok := d.str(v, "when")
		if !ok {
			return
		}
		a.When = s
		if strings.TrimSpace(s) == "" {
			d.report(at(v), CodeBadExpression, "when is empty; leave it out to match on types alone")
			return
		}
		prog, err := compileWhen(s)
		if err != nil {
			line, col := whenErrorPos(err)
			d.report(d.exprPos(v, line, col), CodeBadExpression, "when: %s", whenErrorText(err))
			return
		}
		a.program = prog
	}
}

func joinTypes() string {
	s := make([]string, len(incident.Types))
	for i, t := range incident.Types {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func joinRoles() string {
	s := make([]string, len(incident.Roles))
	for i, r := range incident.Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

func (d *decoder) roles(n *yaml.Node, p *Playbook) {
	items := d.list(n, "roles")
	if n.Kind == yaml.SequenceNode && len(items) == 0 {
		d.report(at(n), CodeMissingField, "roles is empty: list the incident roles the playbook's tasks are for")
	}
	seen := map[incident.Role]bool{}
	for _, it := range items {
		s, ok := d.str(it, "a role")
		if !ok {
			continue
		}
		r := incident.Role(s)
		switch {
		case !r.Valid():
			d.report(at(it), CodeUnknownRole, "%q is not an incident role; the roles are %s", s, joinRoles())
			continue
		case seen[r]:
			d.report(at(it), CodeDuplicateEntry, "role %s is listed twice", s)
			continue
		}
		seen[r] = true
		p.Roles = append(p.Roles, r)
		p.rolePos = append(p.rolePos, at(it))
	}
}

func (d *decoder) links(n *yaml.Node) []Link {
	var out []Link
	for _, it := range d.list(n, "guidance") {
		f := d.mapping(it, "a guidance link", false, linkFields...)
		if f == nil {
			continue
		}
		l := Link{Pos: at(it)}
		if v := f.need("title"); v != nil {
			l.Title = d.title(v, "the title of a guidance link", incident.MaxTitle)
		}
		if v := f.need("url"); v != nil {
			if s, ok := d.str(v, "url"); ok {
				l.URL = s
				if why := checkURL(s); why != "" {
					d.report(at(v), CodeBadURL, "guidance URL %q %s", s, why)
				}
			}
		}
		out = append(out, l)
	}
	return out
}

// checkURL says what is wrong with a guidance URL, or returns "".
func checkURL(s string) string {
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		return "must start with https:// or http://"
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return "must not contain spaces"
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "cannot be read as a URL"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "must not hold a user name or password"
	}
	return ""
}

func (d *decoder) phases(n *yaml.Node, p *Playbook) {
	if n.Kind != yaml.MappingNode {
		d.report(at(n), CodeWrongType, "phases must be a mapping from phase name to its work (identification: {steps: […]}), not %s", describe(n))
		return
	}
	seen := map[incident.Phase]int{}
	var last incident.Phase
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := d.str(k, "a phase name")
		ph := Phase{Name: incident.Phase(name), Pos: at(k)}
		keep := ok
		switch {
		case !ok:
		case !ph.Name.Valid() || ph.Name == incident.PhaseClosed:
			d.report(at(k), CodeUnknownPhase, "%q is not a phase with work; the phases are identification, containment, investigation, response, recovery and review", name)
			keep = false
		case seen[ph.Name] > 0:
			d.report(at(k), CodeDuplicatePhase, "phase %s is listed twice (first on line %d)", name, seen[ph.Name])
			keep = false
		case last != "" && ph.Name.Index() < last.Index():
			d.report(at(k), CodePhaseOrder, "phase %s is listed after %s, but comes before it in the lifecycle; phases run in lifecycle order whatever the order here", name, last)
		}
		if keep {
			seen[ph.Name] = k.Line
			if ph.Name.Index() > last.Index() {
				last = ph.Name
			}
		}
		if !d.phase(v, &ph) {
			keep = false
		}
		if keep {
			p.Phases = append(p.Phases, ph)
		}
	}
	slices.SortStableFunc(p.Phases, func(a, b Phase) int { return a.Name.Index() - b.Name.Index() })
}

// phase reads the work of one phase; it returns false when n is not a mapping.
func (d *decoder) phase(n *yaml.Node, ph *Phase) bool {
	f := d.mapping(n, "phase "+string(ph.Name), false, phaseFields...)
	if f == nil {
		return false
	}
	if v := f.get("steps"); v != nil {
		for _, it := range d.list(v, "steps") {
			if s, ok := d.step(it); ok {
				ph.Steps = append(ph.Steps, s)
			}
		}
	}
	if v := f.get("exit_criteria"); v != nil {
		ph.ExitCriteria = d.items(v, "exit_criteria", MaxItem)
	}
	if v := f.get("guidance"); v != nil {
		ph.Guidance = d.links(v)
	}
	return true
}

// step reads one step; it returns false when n is not a mapping.
func (d *decoder) step(n *yaml.Node) (Step, bool) {
	s := Step{Kind: KindTask, Pos: at(n)}
	if n.Kind != yaml.MappingNode {
		d.report(at(n), CodeWrongType, "a step must be a mapping with id, kind, title, role…, not %s", describe(n))
		return s, false
	}
	// The kind decides which fields the step takes, so it is read first.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Kind == yaml.ScalarNode && k.Value == "kind" {
			kind, ok := d.str(v, "kind")
			switch {
			case !ok:
			case !kindPattern.MatchString(kind):
				d.report(at(v), CodeWrongType, "kind must be a lower-case word such as task, not %q", kind)
			default:
				s.Kind = Kind(kind)
				if !s.Kind.Known() {
					d.report(at(v), CodeUnknownKind, "step kind %q is not known to this version of Quell; the step is kept but creates nothing", kind)
				}
			}
			break
		}
	}
	known := s.Kind.Known()
	f := d.mapping(n, "a step", !known, taskFields...)
	if v := f.need("id"); v != nil {
		s.ID, s.idPos = d.id(v, "the step id"), at(v)
		if first, dup := d.stepIDs[s.ID]; dup && s.ID != "" {
			d.report(at(v), CodeDuplicateStepID, "step id %s is already used on line %d; step ids are unique across the whole playbook", s.ID, first.Line)
		} else {
			d.stepIDs[s.ID] = at(v)
		}
	}
	if v := f.get("required"); v != nil {
		s.Required = d.boolean(v, "required")
	}
	if !known {
		// Steps of later kinds are checked by the versions that know them; only the role they
		// name is noted, so that it does not count as unused.
		if v := f.get("role"); v != nil && v.Kind == yaml.ScalarNode {
			d.otherRoles = append(d.otherRoles, incident.Role(v.Value))
		}
		return s, true
	}
	if v := f.need("title"); v != nil {
		s.Title = d.title(v, "the task title", incident.MaxTitle)
	}
	if v := f.get("description"); v != nil {
		s.Description = d.text(v, "the task description", incident.MaxTaskDescription)
	}
	if v := f.get("role"); v != nil {
		if r, ok := d.str(v, "role"); ok {
			s.Role, s.rolePos = incident.Role(r), at(v)
			if !s.Role.Valid() {
				d.report(at(v), CodeUnknownRole, "%q is not an incident role; the roles are %s", r, joinRoles())
			}
		}
	} else {
		d.report(at(n), CodeMissingRole, "task %s has no role: say which of the playbook's roles does it", s.ID)
	}
	if v := f.get("due"); v != nil {
		s.Due = d.due(v)
	}
	if v := f.get("checklist"); v != nil {
		s.Checklist = d.items(v, "checklist", MaxItem)
	}
	if size := len(renderDescription(s)); size > incident.MaxTaskDescription {
		d.report(s.Pos, CodeTooLong, "the task's description with its checklist is %d bytes long; at most %d", size, incident.MaxTaskDescription)
	}
	return s, true
}

func (d *decoder) due(n *yaml.Node) *Due {
	due := &Due{From: FromPhaseStart}
	after := n
	switch n.Kind {
	case yaml.ScalarNode:
	case yaml.MappingNode:
		f := d.mapping(n, "a due time", false, dueFields...)
		after = f.need("after")
		if v := f.get("from"); v != nil {
			if s, ok := d.str(v, "from"); ok {
				due.From = Anchor(s)
				if !due.From.Valid() {
					d.report(at(v), CodeBadAnchor, "a due time counts from phase_start or detection, not %q", s)
				}
			}
		}
	default:
		d.report(at(n), CodeWrongType, "due must be a duration such as 4h, or {after: 30m, from: detection}, not %s", describe(n))
		return nil
	}
	if after == nil {
		return nil
	}
	if after.Kind != yaml.ScalarNode || after.ShortTag() != "!!str" {
		hint := ""
		if after.ShortTag() == "!!int" {
			hint = "; give a unit, such as " + after.Value + "m or " + after.Value + "h"
		}
		d.report(at(after), CodeBadDuration, "a due time must be a duration such as 30m, 4h or 2d, not %s%s", describe(after), hint)
		return nil
	}
	v, err := ParseDuration(after.Value)
	if err != nil {
		d.report(at(after), CodeBadDuration, "%v", err)
		return nil
	}
	due.After = v
	return due
}

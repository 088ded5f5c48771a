package obligation

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ParseError is one problem in a rule or policy file, at a line (0 when it has none).
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// ParseErrors are the problems found in one file, in the order of the file.
type ParseErrors []*ParseError

func (es ParseErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// MaxFileSize bounds a rule or policy file.
const MaxFileSize = 1 << 20

// maxErrors bounds the problems reported for one file.
const maxErrors = 50

// doc walks a YAML tree and collects problems with their lines.
type doc struct{ errs ParseErrors }

func (d *doc) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	if len(d.errs) < maxErrors {
		d.errs = append(d.errs, &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)})
	}
}

func (d *doc) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	d.errs.sort()
	return d.errs
}

// sort puts the problems in the order of the file.
func (es ParseErrors) sort() {
	slices.SortStableFunc(es, func(a, b *ParseError) int { return a.Line - b.Line })
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

// root parses one YAML document and returns its top node, or nil for an empty file.
func (d *doc) root(b []byte) *yaml.Node {
	if len(b) > MaxFileSize {
		d.errorf(nil, "the file is larger than %d bytes", MaxFileSize)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = strings.Replace(msg, m[0], "", 1)
		}
		d.errs = append(d.errs, &ParseError{Line: line, Msg: msg})
		return nil
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		d.errorf(&more, "a file holds one YAML document; remove the '---' and what follows")
		return nil
	}
	if len(n.Content) == 0 {
		return nil
	}
	top := n.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return nil
	}
	return top
}

// usable reports whether n can be read: an alias (*name) may stand for a single value, such as
// a shared disclaimer, but not for a list or a mapping, so that a small file cannot expand
// into a huge one.
func (d *doc) usable(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode && (n.Alias == nil || n.Alias.Kind != yaml.ScalarNode) {
		d.errorf(n, "an alias (*name) may only stand for a single value, not a list or a mapping")
		return false
	}
	return true
}

// scalar returns the value node an alias stands for, or n itself.
func scalar(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

type field struct {
	key string
	k   *yaml.Node
	v   *yaml.Node
}

// mapping returns the fields of a mapping, refusing keys not in allowed and repeated keys.
func (d *doc) mapping(n *yaml.Node, what string, allowed ...string) []field {
	if !d.usable(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping of fields", what)
		return nil
	}
	var fs []field
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !d.usable(k) || !d.usable(v) {
			continue
		}
		name := scalar(k)
		if name.Kind != yaml.ScalarNode {
			d.errorf(k, "%s: a field name must be a plain word", what)
			continue
		}
		if !slices.Contains(allowed, name.Value) {
			d.errorf(k, "%s: unknown field %q (known: %s)", what, name.Value, strings.Join(allowed, ", "))
			continue
		}
		if l, dup := seen[name.Value]; dup {
			d.errorf(k, "%s: field %q is given twice (first on line %d)", what, name.Value, l)
			continue
		}
		seen[name.Value] = k.Line
		fs = append(fs, field{name.Value, k, v})
	}
	return fs
}

// sequence returns the items of a sequence.
func (d *doc) sequence(n *yaml.Node, what string) []*yaml.Node {
	if !d.usable(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list", what)
		return nil
	}
	var items []*yaml.Node
	for _, it := range n.Content {
		if d.usable(it) {
			items = append(items, it)
		}
	}
	return items
}

// str returns a scalar's text; null is the empty string.
func (d *doc) str(n *yaml.Node, what string) (string, bool) {
	n = scalar(n)
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be a single value, not a list or a mapping", what)
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return n.Value, true
}

func (d *doc) boolean(n *yaml.Node, what string) (bool, bool) {
	n = scalar(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, "%s must be true or false", what)
		return false, false
	}
	v, err := strconv.ParseBool(strings.ToLower(n.Value))
	if err != nil {
		d.errorf(n, "%s must be true or false", what)
		return false, false
	}
	return v, true
}

func (d *doc) integer(n *yaml.Node, what string) (int, bool) {
	n = scalar(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.errorf(n, "%s must be a whole number", what)
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		d.errorf(n, "%s must be a whole number", what)
		return 0, false
	}
	return v, true
}

// ParseRules reads a rule file (see docs/obligations.md for the format) and checks it. The
// error lists every problem found with its line, as [ParseErrors].
func ParseRules(b []byte) (*RuleSet, error) {
	d := &doc{}
	s := &RuleSet{calLines: map[string]int{}}
	top := d.root(b)
	if top == nil {
		if err := d.err(); err != nil {
			return nil, err
		}
		return s, nil
	}
	for _, f := range d.mapping(top, "the rule file", "default_calendar", "calendars", "rules") {
		switch f.key {
		case "default_calendar":
			s.DefaultCalendar, _ = d.str(f.v, "default_calendar")
			s.defaultLine = f.k.Line
		case "calendars":
			for _, n := range d.sequence(f.v, "calendars") {
				if c := d.calendar(n); c != nil {
					s.Calendars = append(s.Calendars, c)
					s.calLines[c.Name()] = n.Line
				}
			}
		case "rules":
			items := d.sequence(f.v, "rules")
			if len(items) > MaxRules {
				d.errorf(f.v, "at most %d rules", MaxRules)
				items = items[:MaxRules]
			}
			for i, n := range items {
				s.Rules = append(s.Rules, d.rule(n, i))
			}
		}
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	for i := range s.Rules {
		if s.Rules[i].Disclaimer == "" {
			s.Rules[i].Disclaimer = Disclaimer
		}
	}
	return s, nil
}

func (d *doc) calendar(n *yaml.Node) *Calendar {
	spec := CalendarSpec{Weekend: []time.Weekday{time.Saturday, time.Sunday}}
	ok := true
	fs := d.mapping(n, "a calendar", "name", "time_zone", "weekend", "holidays", "from_year", "to_year")
	for _, f := range fs {
		var good bool
		switch f.key {
		case "name":
			spec.Name, good = d.str(f.v, "name")
		case "time_zone":
			spec.Location, good = d.zone(f.v)
		case "weekend":
			spec.Weekend, good = nil, true
			for _, it := range d.sequence(f.v, "weekend") {
				s, _ := d.str(it, "a weekend day")
				wd, known := parseWeekday(s)
				if !known {
					d.errorf(it, "%q is not a day of the week such as saturday or sat", s)
					good = false
				}
				spec.Weekend = append(spec.Weekend, wd)
			}
		case "holidays":
			spec.Holidays, good = d.holidays(f.v)
		case "from_year":
			spec.FromYear, good = d.integer(f.v, "from_year")
		case "to_year":
			spec.ToYear, good = d.integer(f.v, "to_year")
		}
		ok = ok && good
	}
	if !ok || n.Kind != yaml.MappingNode {
		return nil // the problem is already reported
	}
	if spec.Location == nil {
		d.errorf(n, "calendar %q: time_zone is required, such as Europe/Berlin", spec.Name)
		return nil
	}
	c, err := NewCalendar(spec)
	if err != nil {
		d.errorf(n, "%v", err)
		return nil
	}
	return c
}

func (d *doc) zone(n *yaml.Node) (*time.Location, bool) {
	name, ok := d.str(n, "time_zone")
	if !ok {
		return nil, false
	}
	// "Local" would make deadlines depend on the machine; an empty name is UTC in Go, which
	// is better said out loud.
	if name == "" || name == "Local" || len(name) > 64 {
		d.errorf(n, "time_zone must be an IANA zone name such as Europe/Berlin or UTC")
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		d.errorf(n, "%q is not a known IANA time zone such as Europe/Berlin", name)
		return nil, false
	}
	return loc, true
}

func (d *doc) holidays(n *yaml.Node) ([]Holiday, bool) {
	var hs []Holiday
	ok := true
	for _, it := range d.sequence(n, "holidays") {
		var h Holiday
		raw, good := "", true
		if it.Kind == yaml.MappingNode {
			for _, f := range d.mapping(it, "a holiday", "date", "name") {
				switch f.key {
				case "date":
					raw, good = d.str(f.v, "date")
				case "name":
					h.Name, _ = d.str(f.v, "name")
				}
			}
		} else {
			raw, good = d.str(it, "a holiday")
		}
		date, err := ParseDate(raw)
		if good && err != nil {
			d.errorf(it, "holiday: %v", err)
		}
		if !good || err != nil {
			ok = false
			continue
		}
		h.Date = date
		hs = append(hs, h)
	}
	return hs, ok
}

var ruleFields = []string{"id", "name", "jurisdiction", "recipient", "trigger", "period", "without_undue_delay",
	"not_later_than", "calendar", "text", "reference", "url", "disclaimer"}

func (d *doc) rule(n *yaml.Node, i int) Rule {
	r := Rule{line: n.Line, lines: map[string]int{}}
	what := fmt.Sprintf("rule %d", i+1)
	var undue *bool
	for _, f := range d.mapping(n, what, ruleFields...) {
		r.lines[f.key] = f.k.Line
		text := func(dst *string) {
			*dst, _ = d.str(f.v, f.key)
		}
		switch f.key {
		case "id":
			text(&r.ID)
		case "name":
			text(&r.Name)
		case "jurisdiction":
			text(&r.Jurisdiction)
		case "recipient":
			text(&r.Recipient)
		case "calendar":
			text(&r.Calendar)
		case "text":
			text(&r.Text)
			r.Text = strings.TrimSpace(r.Text)
		case "reference":
			text(&r.Reference)
		case "url":
			text(&r.URL)
		case "disclaimer":
			text(&r.Disclaimer)
			r.Disclaimer = strings.TrimSpace(r.Disclaimer)
		case "trigger":
			r.Trigger = d.trigger(f.v, "trigger")
		case "period":
			r.Period = d.period(f.v, "period")
		case "without_undue_delay":
			if v, ok := d.boolean(f.v, "without_undue_delay"); ok {
				undue = &v
			}
		case "not_later_than":
			b := &Bound{}
			for _, g := range d.mapping(f.v, "not_later_than", "trigger", "period") {
				switch g.key {
				case "trigger":
					b.Trigger = d.trigger(g.v, "not_later_than.trigger")
				case "period":
					b.Period = d.period(g.v, "not_later_than.period")
				}
			}
			r.NotLaterThan = b
		}
	}
	r.WithoutUndueDelay = r.Period.Unit == UndueDelay
	if undue != nil {
		r.WithoutUndueDelay = *undue
	}
	return r
}

func (d *doc) trigger(n *yaml.Node, what string) Trigger {
	s, ok := d.str(n, what)
	if !ok {
		return Trigger{}
	}
	t, err := ParseTrigger(s)
	if err != nil {
		d.errorf(n, "%s: %v", what, err)
	}
	return t
}

func (d *doc) period(n *yaml.Node, what string) Period {
	s, ok := d.str(n, what)
	if !ok {
		return Period{}
	}
	p, err := ParsePeriod(s)
	if err != nil {
		d.errorf(n, "%s: %v", what, err)
	}
	return p
}

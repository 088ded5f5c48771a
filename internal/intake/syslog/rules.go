package syslog

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/quell-ir/quell/internal/alert"
)

// Rules decide which syslog messages become alerts. They are data, read from YAML:
//
//	rules:
//	  - name: sshd-auth-failure
//	    match:
//	      program: sshd
//	      message: 'Failed password for (?:invalid user )?(?P<user>\S+) from (?P<src>\S+)'
//	    title: "SSH authentication failure for {user} on {host} from {src}"
//	    severity: medium
//
// The first rule whose match fits a message decides: a drop rule drops it, any other rule makes
// an alert of it. A message that no rule fits is dropped.
type Rules struct {
	Rules []Rule `yaml:"rules"`
}

// Rule is one entry of a rule set.
type Rule struct {
	// Name identifies the rule in the alert's "rule" label and in errors; "rule N" when empty.
	Name  string `yaml:"name,omitempty"`
	Match Match  `yaml:"match,omitempty"`
	// Drop discards the messages the rule matches; no other field but Name and Match is used.
	Drop bool `yaml:"drop,omitempty"`
	// Title is the alert's title, a template (see Template); required unless Drop is set.
	Title string `yaml:"title,omitempty"`
	// Description is a template for the alert's description; "{message}" when empty.
	Description string `yaml:"description,omitempty"`
	// Severity is the alert's severity (critical, high, medium, low, informational); when empty
	// it is mapped from the syslog severity: emerg, alert and crit are critical, err is high,
	// warning medium, notice low, info and debug informational.
	Severity string `yaml:"severity,omitempty"`
	// Fingerprint is a template for the deduplication key; when empty the key is computed from
	// the rule, the host, the program and the title.
	Fingerprint string `yaml:"fingerprint,omitempty"`
	// Labels are added to the alert; the values are templates.
	Labels map[string]string `yaml:"labels,omitempty"`
	// Observables are added to the alert, such as the user a message names.
	Observables []ObservableRule `yaml:"observables,omitempty"`

	line  int            // where the rule starts in its YAML file, when read from one
	lines map[string]int // where each field starts ("match.message")
}

// ObservableRule makes a typed observable of a template: {type: user, value: "{user}"}. An
// observable whose value comes out empty or invalid for its type is left out.
type ObservableRule struct {
	Type  string `yaml:"type"`
	Value string `yaml:"value"`
	Role  string `yaml:"role,omitempty"`
}

// Match says which messages a rule applies to. Every condition given must hold; a list holds when
// any of its entries does; an empty Match matches every message.
type Match struct {
	// Host is a list of globs (* and ?, case-insensitive) for the message's host name, or the
	// sender's address when the message names no host.
	Host StringList `yaml:"host,omitempty"`
	// HostRegex is a regular expression (Go syntax) the host must match.
	HostRegex string `yaml:"host_regex,omitempty"`
	// Program is a list of globs for the program (RFC 3164 tag, RFC 5424 APP-NAME).
	Program StringList `yaml:"program,omitempty"`
	// ProgramRegex is a regular expression the program must match.
	ProgramRegex string `yaml:"program_regex,omitempty"`
	// Facility lists facility names (kern, user, mail, daemon, auth, syslog, lpr, news, uucp,
	// cron, authpriv, ftp, ntp, audit, alert, clock, local0 … local7) or numbers.
	Facility StringList `yaml:"facility,omitempty"`
	// Severity lists syslog severities (emerg, alert, crit, err, warning, notice, info, debug, or
	// 0–7), each either a name or a comparison such as "<=warning" (warning or worse; lower
	// numbers are worse), ">=info", "<err", ">notice" or "=crit".
	Severity StringList `yaml:"severity,omitempty"`
	// Message is a regular expression the message text must match. Its named groups
	// ((?P<user>…)) can be used in the rule's templates.
	Message string `yaml:"message,omitempty"`
}

// StringList is a list of strings that YAML may also give as a single string.
type StringList []string

// UnmarshalYAML reads a scalar or a sequence of scalars.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = StringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// Fields allowed in each part of a rule, to report misspelled keys.
var (
	ruleFields       = []string{"name", "match", "drop", "title", "description", "severity", "fingerprint", "labels", "observables"}
	matchFields      = []string{"host", "host_regex", "program", "program_regex", "facility", "severity", "message"}
	observableFields = []string{"type", "value", "role"}
)

// UnmarshalYAML reads a rule and remembers where its fields are, for error messages.
func (r *Rule) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a rule must be a mapping", n.Line)
	}
	lines := map[string]int{}
	if err := checkFields(n, "", ruleFields, lines); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i].Value, n.Content[i+1]
		switch key {
		case "match":
			if val.Kind != yaml.MappingNode {
				return fmt.Errorf("line %d: match must be a mapping", val.Line)
			}
			if err := checkFields(val, "match.", matchFields, lines); err != nil {
				return err
			}
		case "observables":
			for j, o := range val.Content {
				if o.Kind != yaml.MappingNode {
					return fmt.Errorf("line %d: an observable must be a mapping", o.Line)
				}
				if err := checkFields(o, fmt.Sprintf("observables.%d.", j), observableFields, lines); err != nil {
					return err
				}
			}
		}
	}
	type plain Rule
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = Rule(p)
	r.line, r.lines = n.Line, lines
	return nil
}

func checkFields(n *yaml.Node, prefix string, allowed []string, lines map[string]int) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			return fmt.Errorf("line %d: unknown field %q (allowed: %s)", k.Line, prefix+k.Value,
				strings.Join(allowed, ", "))
		}
		lines[prefix+k.Value] = k.Line
	}
	return nil
}

// ParseRules reads a rule set from YAML and checks it: unknown fields, bad regular expressions,
// unknown names and placeholders are errors that give the line they are on.
func ParseRules(data []byte) (Rules, error) {
	var rs Rules
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&rs); err != nil {
		if errors.Is(err, io.EOF) {
			return Rules{}, errors.New("syslog rules: the document is empty")
		}
		return Rules{}, fmt.Errorf("syslog rules: %w", err)
	}
	if _, err := compileRules(rs); err != nil {
		return Rules{}, err
	}
	return rs, nil
}

//go:embed default_rules.yaml
var defaultRulesYAML []byte

// DefaultRulesYAML returns the YAML of the rule set used when none is configured, as a starting
// point for one's own.
func DefaultRulesYAML() []byte { return bytes.Clone(defaultRulesYAML) }

// DefaultRules returns the rule set used when none is configured: SSH and sudo authentication
// failures, su failures, accounts created, kernel segfaults, SELinux, AppArmor and auditd
// denials and anomalies, and any message of syslog severity crit or worse.
func DefaultRules() Rules {
	rs, err := ParseRules(defaultRulesYAML)
	if err != nil {
		panic("syslog: default rules: " + err.Error())
	}
	return rs
}

// Validate checks a rule set as ParseRules does.
func (rs Rules) Validate() error {
	_, err := compileRules(rs)
	return err
}

// compiledRule is a rule made ready to match.
type compiledRule struct {
	name                       string
	drop                       bool
	host, hostRe               *regexp.Regexp
	program, programRe         *regexp.Regexp
	message                    *regexp.Regexp
	facilities                 uint32 // bit per facility; 0 is any
	severities                 uint8  // bit per severity; 0 is any
	severity                   alert.Severity
	title, description, finger template
	labelKeys                  []string
	labels                     map[string]template
	observables                []compiledObservable
}

type compiledObservable struct {
	typ   alert.ObservableType
	value template
	role  string
}

// baseVars are the placeholders every template may use.
var baseVars = []string{"host", "program", "message", "facility", "severity", "procid", "msgid", "rule"}

func compileRules(rs Rules) ([]*compiledRule, error) {
	out := make([]*compiledRule, 0, len(rs.Rules))
	for i := range rs.Rules {
		c, err := compileRule(&rs.Rules[i], i)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// ruleError names the rule, and the line of the field when the rule was read from YAML.
func ruleError(r *Rule, name, field string, err error) error {
	where := "rule " + fmt.Sprintf("%q", name)
	if line := r.lines[field]; line > 0 {
		where = fmt.Sprintf("line %d: %s", line, where)
	} else if r.line > 0 {
		where = fmt.Sprintf("line %d: %s", r.line, where)
	}
	return fmt.Errorf("syslog rules: %s: %s: %w", where, field, err)
}

func compileRule(r *Rule, index int) (*compiledRule, error) {
	name := strings.TrimSpace(r.Name)
	if name == "" {
		name = fmt.Sprintf("rule %d", index+1)
	}
	c := &compiledRule{name: name, drop: r.Drop}
	var err error
	if c.host, err = compileGlobs(r.Match.Host); err != nil {
		return nil, ruleError(r, name, "match.host", err)
	}
	if c.program, err = compileGlobs(r.Match.Program); err != nil {
		return nil, ruleError(r, name, "match.program", err)
	}
	for _, f := range []struct {
		field string
		src   string
		dst   **regexp.Regexp
	}{
		{"match.host_regex", r.Match.HostRegex, &c.hostRe},
		{"match.program_regex", r.Match.ProgramRegex, &c.programRe},
		{"match.message", r.Match.Message, &c.message},
	} {
		if f.src == "" {
			continue
		}
		if *f.dst, err = regexp.Compile(f.src); err != nil {
			return nil, ruleError(r, name, f.field, err)
		}
	}
	for _, f := range r.Match.Facility {
		n, ok := parseFacility(f)
		if !ok {
			return nil, ruleError(r, name, "match.facility", fmt.Errorf("unknown facility %q", f))
		}
		c.facilities |= 1 << n
	}
	for _, s := range r.Match.Severity {
		set, err := parseSeverityCondition(s)
		if err != nil {
			return nil, ruleError(r, name, "match.severity", err)
		}
		c.severities |= set
	}
	if r.Drop {
		return c, nil
	}
	if strings.TrimSpace(r.Title) == "" {
		return nil, ruleError(r, name, "title", errors.New("is required unless drop is set"))
	}
	if r.Severity != "" {
		sev, ok := alert.ParseSeverity(r.Severity)
		if !ok {
			return nil, ruleError(r, name, "severity", fmt.Errorf("unknown alert severity %q", r.Severity))
		}
		c.severity = sev
	}
	vars := slices.Clone(baseVars)
	for _, re := range []*regexp.Regexp{c.hostRe, c.programRe, c.message} {
		if re != nil {
			for _, n := range re.SubexpNames() {
				if n != "" {
					vars = append(vars, n)
				}
			}
		}
	}
	known := func(v string) bool { return slices.Contains(vars, v) }
	desc := r.Description
	if desc == "" {
		desc = "{message}"
	}
	for _, t := range []struct {
		field string
		src   string
		dst   *template
	}{
		{"title", r.Title, &c.title}, {"description", desc, &c.description}, {"fingerprint", r.Fingerprint, &c.finger},
	} {
		if *t.dst, err = parseTemplate(t.src, known); err != nil {
			return nil, ruleError(r, name, t.field, err)
		}
	}
	c.labels = map[string]template{}
	for k, v := range r.Labels {
		if strings.TrimSpace(k) == "" {
			return nil, ruleError(r, name, "labels", errors.New("a label needs a name"))
		}
		if c.labels[k], err = parseTemplate(v, known); err != nil {
			return nil, ruleError(r, name, "labels", fmt.Errorf("%s: %w", k, err))
		}
		c.labelKeys = append(c.labelKeys, k)
	}
	slices.Sort(c.labelKeys)
	for j, o := range r.Observables {
		field := fmt.Sprintf("observables.%d.type", j)
		t := alert.ObservableType(strings.ToLower(strings.TrimSpace(o.Type)))
		if !t.Valid() {
			return nil, ruleError(r, name, field, fmt.Errorf("unknown observable type %q", o.Type))
		}
		v, err := parseTemplate(o.Value, known)
		if err != nil {
			return nil, ruleError(r, name, fmt.Sprintf("observables.%d.value", j), err)
		}
		c.observables = append(c.observables, compiledObservable{typ: t, value: v, role: o.Role})
	}
	return c, nil
}

// compileGlobs makes one case-insensitive regular expression of a list of globs.
func compileGlobs(globs []string) (*regexp.Regexp, error) {
	if len(globs) == 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString(`(?is)^(?:`)
	for i, g := range globs {
		if g == "" {
			return nil, errors.New("an empty pattern matches nothing; leave the field out to match anything")
		}
		if i > 0 {
			b.WriteByte('|')
		}
		for _, r := range g {
			switch r {
			case '*':
				b.WriteString(".*")
			case '?':
				b.WriteByte('.')
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
	}
	b.WriteString(`)$`)
	return regexp.Compile(b.String())
}

// parseSeverityCondition reads "warning", "<=warning", ">err" and the like into a bit set of
// syslog severities.
func parseSeverityCondition(s string) (uint8, error) {
	s = strings.TrimSpace(s)
	op := ""
	for _, o := range []string{"<=", ">=", "==", "<", ">", "="} {
		if strings.HasPrefix(s, o) {
			op, s = o, strings.TrimSpace(s[len(o):])
			break
		}
	}
	n, ok := parseSeverity(s)
	if !ok {
		return 0, fmt.Errorf("unknown syslog severity %q (emerg, alert, crit, err, warning, notice, info, debug)", s)
	}
	var set uint8
	for v := range 8 {
		var in bool
		switch op {
		case "<=":
			in = v <= n
		case ">=":
			in = v >= n
		case "<":
			in = v < n
		case ">":
			in = v > n
		default:
			in = v == n
		}
		if in {
			set |= 1 << v
		}
	}
	if set == 0 {
		return 0, fmt.Errorf("%q matches no severity", op+s)
	}
	return set, nil
}

// match reports whether the rule applies to m (whose Hostname is already the host to match),
// and the values of the named groups of its regular expressions.
func (c *compiledRule) match(m *Message) (bool, map[string]string) {
	if c.facilities != 0 && (m.Facility < 0 || m.Facility > 23 || c.facilities&(1<<m.Facility) == 0) {
		return false, nil
	}
	if c.severities != 0 && (m.Severity < 0 || m.Severity > 7 || c.severities&(1<<m.Severity) == 0) {
		return false, nil
	}
	if c.host != nil && !c.host.MatchString(m.Hostname) {
		return false, nil
	}
	if c.program != nil && !c.program.MatchString(m.AppName) {
		return false, nil
	}
	var groups map[string]string
	for _, f := range []struct {
		re *regexp.Regexp
		s  string
	}{{c.hostRe, m.Hostname}, {c.programRe, m.AppName}, {c.message, m.Text}} {
		if f.re == nil {
			continue
		}
		sub := f.re.FindStringSubmatch(f.s)
		if sub == nil {
			return false, nil
		}
		for i, n := range f.re.SubexpNames() {
			if n != "" && i < len(sub) {
				if groups == nil {
					groups = map[string]string{}
				}
				if sub[i] != "" || groups[n] == "" {
					groups[n] = sub[i]
				}
			}
		}
	}
	return true, groups
}

package obligation

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Triggers used by the shipped rules. A trigger is recorded on an incident by a person (or,
// for incident_detected, taken from the incident's detected_at milestone).
const (
	TriggerIncidentDetected            = "incident_detected"
	TriggerPersonalDataBreachConfirmed = "personal_data_breach_confirmed"
	TriggerPersonalDataBreachHighRisk  = "personal_data_breach_high_risk"
	TriggerSignificantIncidentAware    = "significant_incident_aware"
	TriggerClassifiedMajor             = "classified_major"
	TriggerMaterialityDetermined       = "materiality_determined"
	TriggerBreachDiscovered            = "breach_discovered"
)

// TriggerInfo describes a trigger for the people who record it.
type TriggerInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// KnownTriggers describes the triggers of the shipped rules, in the order an incident tends to
// reach them.
var KnownTriggers = []TriggerInfo{
	{TriggerIncidentDetected, "The organisation became aware of the incident (the incident's detected_at)."},
	{TriggerSignificantIncidentAware, "The incident is known to be significant under NIS2 (art. 23(3))."},
	{TriggerClassifiedMajor, "The ICT-related incident was classified as major under DORA."},
	{TriggerPersonalDataBreachConfirmed, "The controller is reasonably certain that a personal data breach happened."},
	{TriggerPersonalDataBreachHighRisk, "The personal data breach is judged likely to result in a high risk to people's rights and freedoms."},
	{TriggerBreachDiscovered, "A breach of unsecured protected health information was discovered (HIPAA)."},
	{TriggerMaterialityDetermined, "The company determined that the cybersecurity incident is material (SEC)."},
}

// Trigger is what starts an obligation's clock: an event recorded on the incident, or the
// submission of another obligation.
type Trigger struct {
	// Event names a trigger recorded on the incident, such as classified_major.
	Event string
	// Submission is the id of the obligation whose submission starts the clock.
	Submission string
	// Latest counts from the latest submission of that obligation rather than the first.
	Latest bool
}

// Prefixes of a submission trigger as written in a rule file.
const (
	submittedPrefix     = "submitted:"
	lastSubmittedPrefix = "last_submitted:"
)

var (
	eventPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	idPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
)

// ParseTrigger reads a trigger as written in a rule file: an event name such as
// classified_major, "submitted:RULE-ID" (the first submission of that obligation) or
// "last_submitted:RULE-ID" (its latest submission, such as an updated report).
func ParseTrigger(s string) (Trigger, error) {
	s = strings.TrimSpace(s)
	for _, pre := range []string{submittedPrefix, lastSubmittedPrefix} {
		if id, ok := strings.CutPrefix(s, pre); ok {
			id = strings.TrimSpace(id)
			if !idPattern.MatchString(id) {
				return Trigger{}, fmt.Errorf("%q does not name an obligation id after %q", s, pre)
			}
			return Trigger{Submission: id, Latest: pre == lastSubmittedPrefix}, nil
		}
	}
	if !eventPattern.MatchString(s) {
		return Trigger{}, fmt.Errorf("%q is not a trigger: write an event name such as classified_major "+
			"(lower case letters, digits and '_'), submitted:RULE-ID or last_submitted:RULE-ID", s)
	}
	return Trigger{Event: s}, nil
}

// String writes the trigger as a rule file does.
func (t Trigger) String() string {
	switch {
	case t.Submission != "" && t.Latest:
		return lastSubmittedPrefix + t.Submission
	case t.Submission != "":
		return submittedPrefix + t.Submission
	}
	return t.Event
}

// Describe says in words what the trigger is.
func (t Trigger) Describe() string {
	switch {
	case t.Submission != "" && t.Latest:
		return "the latest submission of " + t.Submission
	case t.Submission != "":
		return "the submission of " + t.Submission
	}
	return t.Event
}

// MarshalText writes the trigger as [Trigger.String] does, for JSON.
func (t Trigger) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a trigger as [ParseTrigger] does.
func (t *Trigger) UnmarshalText(b []byte) error {
	v, err := ParseTrigger(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Bound is a second limit on a deadline: not later than Period after Trigger.
type Bound struct {
	Trigger Trigger `json:"trigger"`
	Period  Period  `json:"period"`
}

// Rule is one obligation: whom to tell, what, and by when.
type Rule struct {
	// ID identifies the rule and its submissions: lower case letters, digits, '.', '-', '_'.
	ID           string `json:"id"`
	Name         string `json:"name"`
	Jurisdiction string `json:"jurisdiction,omitempty"`
	// Recipient is the authority or the people to notify.
	Recipient string  `json:"recipient"`
	Trigger   Trigger `json:"trigger"`
	Period    Period  `json:"period"`
	// WithoutUndueDelay says the obligation is to act as soon as possible, the deadline (if
	// any) being the latest acceptable time. Always true for a period without undue delay.
	WithoutUndueDelay bool `json:"without_undue_delay"`
	// NotLaterThan is an optional second bound; the deadline is whichever comes first.
	NotLaterThan *Bound `json:"not_later_than,omitempty"`
	// Calendar names the calendar that counts days; empty means the rule set's default.
	Calendar string `json:"calendar,omitempty"`
	// Text says what the obligation requires.
	Text string `json:"text"`
	// Reference cites the article or section; URL links to the text.
	Reference string `json:"reference,omitempty"`
	URL       string `json:"url,omitempty"`
	// Disclaimer is the rule's own caveat; it defaults to [Disclaimer].
	Disclaimer string `json:"disclaimer"`

	line  int
	lines map[string]int
}

// Limits on a rule's text, so that a rule file cannot bloat what is shown.
const (
	MaxRules    = 500
	maxShort    = 200
	maxLongText = 10000
)

// RuleSet is a set of rules with the calendars they count days in.
type RuleSet struct {
	// DefaultCalendar names the calendar of rules that name none: the organisation's own time
	// zone and holidays. Empty means the built-in "weekends" calendar in UTC.
	DefaultCalendar string
	// Calendars are those the rule file defines, besides the built-in ones.
	Calendars []*Calendar
	Rules     []Rule

	defaultLine int
	calLines    map[string]int
}

// Rule returns the rule with that id.
func (s *RuleSet) Rule(id string) (*Rule, bool) {
	for i := range s.Rules {
		if s.Rules[i].ID == id {
			return &s.Rules[i], true
		}
	}
	return nil, false
}

// Calendar returns the calendar with that name, defined in the set or built in; the empty
// name is the set's default calendar.
func (s *RuleSet) Calendar(name string) (*Calendar, bool) {
	if name == "" {
		name = s.DefaultCalendar
		if name == "" {
			name = CalendarWeekends
		}
	}
	for _, c := range s.Calendars {
		if c.Name() == name {
			return c, true
		}
	}
	return BuiltinCalendar(name)
}

// Events returns the event triggers the rules start on or are bounded by, sorted: the
// triggers a person may need to record on an incident.
func (s *RuleSet) Events() []string {
	var ev []string
	for _, r := range s.Rules {
		for _, t := range r.triggers() {
			if t.Event != "" && !slices.Contains(ev, t.Event) {
				ev = append(ev, t.Event)
			}
		}
	}
	slices.Sort(ev)
	return ev
}

func (r *Rule) triggers() []Trigger {
	if r.NotLaterThan != nil {
		return []Trigger{r.Trigger, r.NotLaterThan.Trigger}
	}
	return []Trigger{r.Trigger}
}

// at returns the line of a rule's field, or of the rule, when the rule came from a file.
func (r *Rule) at(field string) int {
	if l, ok := r.lines[field]; ok {
		return l
	}
	return r.line
}

// Validate checks the set: rule fields, unique ids, calendars that exist, submission
// triggers that name another rule, and no rule that waits on itself through others. Errors
// name the line when the set came from a file.
func (s *RuleSet) Validate() error {
	var errs ParseErrors
	add := func(line int, format string, args ...any) {
		errs = append(errs, &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if len(s.Rules) > MaxRules {
		add(0, "at most %d rules", MaxRules)
		return errs
	}
	names := map[string]bool{}
	for _, c := range s.Calendars {
		if _, builtin := BuiltinCalendar(c.Name()); builtin {
			add(s.calLines[c.Name()], "calendar %q is built in; choose another name", c.Name())
		}
		if names[c.Name()] {
			add(s.calLines[c.Name()], "two calendars are named %q", c.Name())
		}
		names[c.Name()] = true
	}
	if _, ok := s.Calendar(s.DefaultCalendar); !ok {
		add(s.defaultLine, "default_calendar %q is neither built in (%s, %s) nor defined in calendars",
			s.DefaultCalendar, CalendarWeekends, CalendarUSFederal)
	}
	ids := map[string]int{}
	for i := range s.Rules {
		if _, dup := ids[s.Rules[i].ID]; dup && s.Rules[i].ID != "" {
			add(s.Rules[i].at("id"), "two rules have the id %q", s.Rules[i].ID)
		}
		ids[s.Rules[i].ID] = i
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		for _, msg := range r.problems(s, ids) {
			add(r.at(msg.field), "rule %s: %s", r.label(i), msg.text)
		}
	}
	if len(errs) == 0 {
		if cyc := s.cycle(ids); cyc != nil {
			r := &s.Rules[ids[cyc[0]]]
			add(r.at("trigger"), "rules wait on each other's submissions in a circle and would never start: %s",
				strings.Join(cyc, " → "))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	errs.sort()
	return errs
}

func (r *Rule) label(i int) string {
	if r.ID != "" {
		return fmt.Sprintf("%q", r.ID)
	}
	return fmt.Sprintf("%d", i+1)
}

type problem struct{ field, text string }

func (r *Rule) problems(s *RuleSet, ids map[string]int) []problem {
	var ps []problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, problem{field, fmt.Sprintf(format, args...)})
	}
	if !idPattern.MatchString(r.ID) {
		bad("id", "id %q must be 1 to 64 lower case letters, digits, '.', '-' or '_'", r.ID)
	}
	for _, f := range []struct {
		field, value string
		required     bool
		limit        int
	}{
		{"name", r.Name, true, maxShort}, {"recipient", r.Recipient, true, maxShort},
		{"jurisdiction", r.Jurisdiction, false, maxShort}, {"reference", r.Reference, false, maxShort * 2},
		{"url", r.URL, false, maxShort * 5}, {"text", r.Text, true, maxLongText},
		{"disclaimer", r.Disclaimer, false, maxLongText},
	} {
		switch {
		case f.required && strings.TrimSpace(f.value) == "":
			bad(f.field, "%s is required", f.field)
		case utf8.RuneCountInString(f.value) > f.limit:
			bad(f.field, "%s is longer than %d characters", f.field, f.limit)
		case !utf8.ValidString(f.value):
			bad(f.field, "%s is not valid UTF-8", f.field)
		}
	}
	if r.URL != "" && !strings.HasPrefix(r.URL, "https://") && !strings.HasPrefix(r.URL, "http://") {
		bad("url", "url must start with https:// or http://")
	}
	checkTrigger := func(field string, t Trigger) {
		switch {
		case t.Event == "" && t.Submission == "":
			bad(field, "%s is required", field)
		case t.Submission == r.ID:
			bad(field, "%s: the rule cannot start on its own submission", field)
		case t.Submission != "":
			if _, ok := ids[t.Submission]; !ok {
				bad(field, "%s: no rule has the id %q", field, t.Submission)
			}
		}
	}
	checkTrigger("trigger", r.Trigger)
	if r.Period == (Period{}) {
		bad("period", "period is required")
	} else if err := r.Period.Validate(); err != nil {
		bad("period", "period: %v", err)
	}
	if b := r.NotLaterThan; b != nil {
		checkTrigger("not_later_than", b.Trigger)
		if b.Period == (Period{}) {
			bad("not_later_than", "not_later_than: period is required")
		} else if err := b.Period.Validate(); err != nil {
			bad("not_later_than", "not_later_than: period: %v", err)
		} else if !b.Period.HasDeadline() {
			bad("not_later_than", "not_later_than needs a period with a deadline")
		}
	}
	if r.Period.Unit == UndueDelay && !r.WithoutUndueDelay {
		bad("without_undue_delay", "a period without undue delay cannot set without_undue_delay to false")
	}
	if _, ok := s.Calendar(r.Calendar); !ok && r.Calendar != "" {
		bad("calendar", "calendar %q is neither built in (%s, %s) nor defined in calendars",
			r.Calendar, CalendarWeekends, CalendarUSFederal)
	}
	return ps
}

// cycle returns the ids of rules that wait on each other's submissions, if any do.
func (s *RuleSet) cycle(ids map[string]int) []string {
	const (
		unseen = iota
		open
		done
	)
	state := make([]int, len(s.Rules))
	var path []string
	var visit func(i int) []string
	visit = func(i int) []string {
		state[i] = open
		path = append(path, s.Rules[i].ID)
		for _, t := range s.Rules[i].triggers() {
			j, ok := ids[t.Submission]
			if t.Submission == "" || !ok {
				continue
			}
			switch state[j] {
			case open:
				at := slices.Index(path, s.Rules[j].ID)
				return append(slices.Clone(path[at:]), s.Rules[j].ID)
			case unseen:
				if c := visit(j); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[i] = done
		return nil
	}
	for i := range s.Rules {
		if state[i] == unseen {
			if c := visit(i); c != nil {
				return c
			}
		}
	}
	return nil
}

// Combine layers rule sets, such as the shipped defaults and an administrator's file: a later
// rule with the id of an earlier one replaces it in place, new rules follow in order, calendars
// are merged by name, and the last default calendar set wins. The result is validated.
func Combine(sets ...*RuleSet) (*RuleSet, error) {
	out := &RuleSet{calLines: map[string]int{}}
	for _, s := range sets {
		if s == nil {
			continue
		}
		if s.DefaultCalendar != "" {
			out.DefaultCalendar, out.defaultLine = s.DefaultCalendar, 0
		}
		for _, c := range s.Calendars {
			if i := slices.IndexFunc(out.Calendars, func(o *Calendar) bool { return o.Name() == c.Name() }); i >= 0 {
				out.Calendars[i] = c
			} else {
				out.Calendars = append(out.Calendars, c)
			}
		}
		for _, r := range s.Rules {
			r.line, r.lines = 0, nil
			if i := slices.IndexFunc(out.Rules, func(o Rule) bool { return o.ID == r.ID }); i >= 0 {
				out.Rules[i] = r
			} else {
				out.Rules = append(out.Rules, r)
			}
		}
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}

//go:embed rules/default.yaml
var defaultRulesYAML []byte

// DefaultRulesYAML returns the shipped rule file.
func DefaultRulesYAML() []byte { return slices.Clone(defaultRulesYAML) }

// DefaultRules returns the shipped rules: GDPR art. 33 and 34, NIS2 art. 23, DORA major
// ICT-related incident reporting, SEC Form 8-K Item 1.05 and HIPAA breach notification.
func DefaultRules() *RuleSet {
	s, err := ParseRules(defaultRulesYAML)
	if err != nil {
		panic("obligation: shipped rules: " + err.Error())
	}
	return s
}

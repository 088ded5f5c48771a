package obligation

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rule writes one valid rule with the given extra or replaced lines, for error tests.
const okRule = `  - id: r1
    name: A rule
    recipient: Someone
    trigger: classified_major
    period: 4 hours
    text: Tell them.
`

func TestParseRulesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		// want lists each expected problem as "line: part of the message".
		want []string
	}{
		{"YAML syntax", "rules:\n  - id: a\n    name: x: y\n", []string{"3: mapping values are not allowed in this context"}},
		{"tab indentation", "rules:\n\t- id: a\n", []string{"2: found character that cannot start any token"}},
		{"unknown top-level field", "rulez: []\n", []string{`1: the rule file: unknown field "rulez"`}},
		{"unknown rule field", "rules:\n" + okRule + "    deadline: 72h\n", []string{`8: rule 1: unknown field "deadline"`}},
		{"field given twice", "rules:\n" + okRule + "    period: 5 hours\n", []string{`8: rule 1: field "period" is given twice (first on line 6)`}},
		{"bad period", "rules:\n" + strings.Replace(okRule, "4 hours", "3 days", 1),
			[]string{`6: period: "3 days" is ambiguous: say 3 calendar days or 3 business days`}},
		{"period as a number", "rules:\n" + strings.Replace(okRule, "4 hours", "72", 1), []string{`6: period: "72" is not a period`}},
		{"bad trigger", "rules:\n" + strings.Replace(okRule, "classified_major", "Classified Major", 1),
			[]string{`5: trigger: "Classified Major" is not a trigger`}},
		{"rules not a list", "rules:\n  id: a\n", []string{"2: rules must be a list"}},
		{"a rule not a mapping", "rules:\n  - just text\n", []string{"2: rule 1 must be a mapping of fields"}},
		{"text as a list", "rules:\n" + strings.Replace(okRule, "text: Tell them.", "text: [a, b]", 1),
			[]string{"7: text must be a single value"}},
		{"boolean expected", "rules:\n" + okRule + "    without_undue_delay: maybe\n", []string{"8: without_undue_delay must be true or false"}},
		{"missing fields name the rule's line", "rules:\n" + okRule + "  - id: r2\n    trigger: classified_major\n",
			[]string{`8: rule "r2": name is required`, `8: rule "r2": recipient is required`,
				`8: rule "r2": text is required`, `8: rule "r2": period is required`}},
		{"duplicate id at the second one", "rules:\n" + okRule + okRule, []string{`8: two rules have the id "r1"`}},
		{"bad id", "rules:\n" + strings.Replace(okRule, "id: r1", "id: R 1", 1), []string{`2: rule "R 1": id "R 1" must be`}},
		{"unknown calendar", "rules:\n" + okRule + "    calendar: mars\n", []string{`8: rule "r1": calendar "mars" is neither built in`}},
		{"unknown default calendar", "default_calendar: mars\nrules:\n" + okRule, []string{`1: default_calendar "mars"`}},
		{"submission of an unknown rule", "rules:\n" + strings.Replace(okRule, "classified_major", "submitted:nope", 1),
			[]string{`5: rule "r1": trigger: no rule has the id "nope"`}},
		{"its own submission", "rules:\n" + strings.Replace(okRule, "classified_major", "submitted:r1", 1),
			[]string{`5: rule "r1": trigger: the rule cannot start on its own submission`}},
		{"a circle of submissions", "rules:\n" + strings.Replace(okRule, "classified_major", "submitted:r2", 1) +
			strings.NewReplacer("id: r1", "id: r2", "classified_major", "last_submitted:r1").Replace(okRule),
			[]string{`5: rules wait on each other's submissions in a circle and would never start: r1 → r2 → r1`}},
		{"not_later_than without a deadline", "rules:\n" + okRule + "    not_later_than:\n      trigger: incident_detected\n      period: without undue delay\n",
			[]string{`8: rule "r1": not_later_than needs a period with a deadline`}},
		{"not_later_than unknown field", "rules:\n" + okRule + "    not_later_than:\n      after: incident_detected\n",
			[]string{`9: not_later_than: unknown field "after"`}},
		{"no deadline cannot be prompt=false", "rules:\n" + strings.Replace(okRule, "4 hours", "without undue delay", 1) +
			"    without_undue_delay: false\n", []string{`8: rule "r1": a period without undue delay cannot set without_undue_delay to false`}},
		{"a link that is not http", "rules:\n" + okRule + "    url: javascript:alert(1)\n", []string{`8: rule "r1": url must start with https://`}},
		{"calendar: unknown zone", "calendars:\n  - name: x\n    time_zone: Mars/Olympus\n", []string{`3: "Mars/Olympus" is not a known IANA time zone`}},
		{"calendar: Local refused", "calendars:\n  - name: x\n    time_zone: Local\n", []string{"3: time_zone must be an IANA zone name"}},
		{"calendar: no zone", "calendars:\n  - name: x\n", []string{`2: calendar "x": time_zone is required`}},
		{"calendar: empty", "calendars:\n  - {}\n", []string{`2: calendar "": time_zone is required`}},
		{"calendar: not a mapping", "calendars:\n  - x\n", []string{`2: a calendar must be a mapping of fields`}},
		{"calendar: bad weekday", "calendars:\n  - name: x\n    time_zone: UTC\n    weekend: [saturday, funday]\n",
			[]string{`4: "funday" is not a day of the week`}},
		{"calendar: bad holiday", "calendars:\n  - name: x\n    time_zone: UTC\n    holidays:\n      - 2026-01-01\n      - 2026-02-30\n",
			[]string{`6: holiday: "2026-02-30" is not a date`}},
		{"calendar: whole week off", "calendars:\n  - name: x\n    time_zone: UTC\n    weekend: [mon, tue, wed, thu, fri, sat, sun]\n",
			[]string{`2: calendar "x": a week needs at least one business day`}},
		{"calendar: built-in name", "calendars:\n  - name: us-federal\n    time_zone: UTC\n",
			[]string{`2: calendar "us-federal" is built in`}},
		{"calendar: years as text", "calendars:\n  - name: x\n    time_zone: UTC\n    from_year: soon\n",
			[]string{"4: from_year must be a whole number"}},
		{"an alias of a mapping", "base: &b {id: x}\nrules:\n  - *b\n", []string{`1: the rule file: unknown field "base"`,
			"3: an alias (*name) may only stand for a single value"}},
		{"two documents", "rules: []\n---\nrules: []\n", []string{"2: a file holds one YAML document"}},
		{"several problems at once", "rules:\n" + strings.Replace(okRule, "4 hours", "4 weeks", 1) + "    colour: red\n" +
			"  - id: r2\n    trigger: 'submitted:'\n",
			[]string{`6: period: "4 weeks" is not a period`, `8: rule 1: unknown field "colour"`,
				`10: trigger: "submitted:" does not name an obligation id`}},
	}
	for _, tt := range tests {
		_, err := ParseRules([]byte(tt.yaml))
		require.Error(t, err, tt.name)
		var pe ParseErrors
		require.True(t, errors.As(err, &pe), "%s: %T %v", tt.name, err, err)
		require.Len(t, pe, len(tt.want), "%s: %v", tt.name, err)
		for i, w := range tt.want {
			line, msg, _ := strings.Cut(w, ": ")
			require.Equal(t, line, strconv.Itoa(pe[i].Line), "%s: %v", tt.name, pe[i])
			require.Contains(t, pe[i].Msg, msg, tt.name)
			require.True(t, strings.HasPrefix(pe[i].Error(), "line "+line+": "), pe[i].Error())
		}
	}
}

func TestParseRulesAccepts(t *testing.T) {
	t.Parallel()
	for name, y := range map[string]string{
		"empty":        "",
		"only comment": "# nothing yet\n",
		"null":         "~\n",
		"empty rules":  "rules: []\n",
	} {
		s, err := ParseRules([]byte(y))
		require.NoError(t, err, name)
		require.Empty(t, s.Rules, name)
	}
	// An alias may stand for a single value, such as a shared disclaimer.
	s, err := ParseRules([]byte("rules:\n" + okRule + "    disclaimer: &d Ask counsel.\n" +
		strings.Replace(okRule, "id: r1", "id: r2", 1) + "    disclaimer: *d\n"))
	require.NoError(t, err)
	require.Equal(t, "Ask counsel.", s.Rules[1].Disclaimer)
	require.Equal(t, s.Rules[0].Disclaimer, s.Rules[1].Disclaimer)
	require.False(t, s.Rules[0].WithoutUndueDelay)
	_, err = ParseRules([]byte(strings.Repeat("#", MaxFileSize+1)))
	require.ErrorContains(t, err, "larger than")
}

func TestCombine(t *testing.T) {
	t.Parallel()
	admin, err := ParseRules([]byte(`
default_calendar: org
calendars:
  - name: org
    time_zone: Europe/Vienna
rules:
  - id: gdpr-art33
    name: GDPR art. 33, as our counsel reads it
    recipient: Datenschutzbehörde
    trigger: personal_data_breach_confirmed
    period: 48 hours
    text: Notify the DSB.
  - id: board
    name: Inform the board
    recipient: Board of directors
    trigger: submitted:gdpr-art33
    period: 1 business day
    text: Brief the board after the authority is told.
`))
	require.NoError(t, err)
	s, err := Combine(DefaultRules(), admin)
	require.NoError(t, err)
	require.Len(t, s.Rules, len(DefaultRules().Rules)+1)
	r, ok := s.Rule("gdpr-art33")
	require.True(t, ok)
	require.Equal(t, HoursPeriod(48), r.Period, "the admin's rule replaces the shipped one")
	require.Equal(t, "gdpr-art33", s.Rules[0].ID, "in place")
	require.Equal(t, "board", s.Rules[len(s.Rules)-1].ID)
	cal, ok := s.Calendar("")
	require.True(t, ok)
	require.Equal(t, "Europe/Vienna", cal.Location().String())

	// The combined set is checked as a whole: a dependency must exist in some layer.
	_, err = Combine(DefaultRules(), &RuleSet{Rules: []Rule{{ID: "x", Name: "x", Recipient: "x", Text: "x",
		Trigger: Trigger{Submission: "nowhere"}, Period: HoursPeriod(1)}}})
	require.ErrorContains(t, err, `rule "x": trigger: no rule has the id "nowhere"`)
	require.NotContains(t, err.Error(), "line ", "combined sets have no lines")
}

func FuzzParseRules(f *testing.F) {
	f.Add(DefaultRulesYAML())
	f.Add([]byte(customRules))
	f.Add([]byte("rules:\n" + okRule))
	f.Add([]byte("base: &b {id: x}\nrules:\n  - *b\n  - *b\n"))
	f.Add([]byte("calendars:\n  - name: x\n    time_zone: UTC\n    holidays: [2026-01-01, {date: 2026-12-25, name: X}]\n"))
	f.Add(DefaultPolicyYAML())
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseRules(b)
		if err != nil {
			var pe ParseErrors
			if !errors.As(err, &pe) || len(pe) == 0 {
				t.Fatalf("error is not a list of problems: %T %v", err, err)
			}
			return
		}
		// A set that parses evaluates without panicking, every trigger and every other rule submitted.
		in := Input{Triggers: map[string]time.Time{}}
		for i, ev := range s.Events() {
			in.Triggers[ev] = fuzzNow.Add(time.Duration(i) * time.Hour)
		}
		for i, r := range s.Rules {
			if i%2 == 0 {
				in.Submissions = append(in.Submissions, Submission{r.ID, fuzzNow.Add(time.Duration(i) * time.Minute)})
			}
		}
		if sts := s.Evaluate(in, fuzzNow.Add(48*time.Hour)); len(sts) != len(s.Rules) {
			t.Fatalf("%d statuses for %d rules", len(sts), len(s.Rules))
		}
		_, _ = ParsePolicy(b)
	})
}

var fuzzNow = time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC)

// The examples in docs/obligations.md are what users copy: they must parse.
func TestDocumentedExamples(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/obligations.md")
	require.NoError(t, err)
	var blocks []string
	for _, part := range strings.Split(string(b), "```yaml\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		require.True(t, ok)
		blocks = append(blocks, block)
	}
	// The page shows a rule file, a policy, and the configuration keys that point at them.
	require.GreaterOrEqual(t, len(blocks), 2, "a rule file and a policy")
	s, err := ParseRules([]byte(blocks[0]))
	require.NoError(t, err)
	combined, err := Combine(DefaultRules(), s)
	require.NoError(t, err)
	require.Len(t, combined.Rules, len(DefaultRules().Rules)+2)
	p, err := ParsePolicy([]byte(blocks[1]))
	require.NoError(t, err)
	require.Len(t, p.Severities, 3)
	require.Contains(t, string(b), Disclaimer[:60], "the page carries the disclaimer")
}

package alert

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/validation"
)

// MatchOp is how a matcher compares a field with its value.
type MatchOp string

// Matcher operators, as Alertmanager spells them.
const (
	OpEqual    MatchOp = "="
	OpNotEqual MatchOp = "!="
	OpRegex    MatchOp = "=~"
	OpNotRegex MatchOp = "!~"
)

// Matcher tests one field of an alert. Name is "source", "severity", "title", "fingerprint",
// "observable" (true when any observable value matches) or the name of a label.
type Matcher struct {
	Name  string  `json:"name" yaml:"name"`
	Op    MatchOp `json:"op" yaml:"op"`
	Value string  `json:"value" yaml:"value"`
	re    *regexp.Regexp
}

// Compile checks the matcher and prepares its pattern; pointer names the matcher in errors.
// A regular expression must match the whole value, as in Alertmanager.
func (m *Matcher) Compile(pointer string) error {
	if strings.TrimSpace(m.Name) == "" {
		return validation.Errorf(pointer+"/name", "is required")
	}
	switch m.Op {
	case "":
		m.Op = OpEqual
	case OpEqual, OpNotEqual:
	case OpRegex, OpNotRegex:
		if len(m.Value) > 1024 {
			return validation.Errorf(pointer+"/value", "is longer than 1024 characters")
		}
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return validation.Errorf(pointer+"/value", "is not a valid regular expression: %v", err)
		}
		m.re = re
		return nil
	default:
		return validation.Errorf(pointer+"/op", "must be one of =, !=, =~, !~")
	}
	return nil
}

// Matches reports whether the matcher holds for a. An uncompiled regex matcher never matches.
func (m *Matcher) Matches(a *Alert) bool {
	if m.Name == "observable" {
		some := slices.ContainsFunc(a.Observables, func(o Observable) bool { return m.positive(o.Value) })
		if m.Op == OpNotEqual || m.Op == OpNotRegex {
			return !some // no observable is the value
		}
		return some
	}
	return m.test(field(a, m.Name))
}

func (m *Matcher) positive(v string) bool {
	switch m.Op {
	case OpEqual, OpNotEqual:
		return v == m.Value
	}
	return m.re != nil && m.re.MatchString(v)
}

func (m *Matcher) test(v string) bool {
	switch m.Op {
	case OpEqual:
		return v == m.Value
	case OpNotEqual:
		return v != m.Value
	case OpRegex:
		return m.re != nil && m.re.MatchString(v)
	case OpNotRegex:
		return m.re != nil && !m.re.MatchString(v)
	}
	return false
}

// field is the value of a named alert field or label ("" when absent).
func field(a *Alert, name string) string {
	switch name {
	case "source":
		return a.Source
	case "severity":
		return string(a.Severity)
	case "title":
		return a.Title
	case "fingerprint":
		return a.Fingerprint
	}
	return a.Labels[name]
}

// Silence mutes the alerts its matchers all match between StartsAt and EndsAt. A muted alert is
// kept, marked with the silence's id and left out of correlation; it is never dropped.
type Silence struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"-"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiredAt is set when someone ended the silence early.
	ExpiredAt *time.Time `json:"expired_at,omitempty"`
}

// MaxSilenceMatchers bounds the matchers of one silence.
const MaxSilenceMatchers = 16

// Validate checks a silence and compiles its matchers.
func (s *Silence) Validate() error {
	if len(s.Matchers) == 0 {
		return validation.Errorf("/matchers", "needs at least one matcher: a silence that matches everything would hide every alert")
	}
	if len(s.Matchers) > MaxSilenceMatchers {
		return validation.Errorf("/matchers", "has more than %d matchers", MaxSilenceMatchers)
	}
	for i := range s.Matchers {
		if err := s.Matchers[i].Compile("/matchers/" + strconv.Itoa(i)); err != nil {
			return err
		}
	}
	if s.EndsAt.IsZero() {
		return validation.Errorf("/ends_at", "is required")
	}
	if !s.EndsAt.After(s.StartsAt) {
		return validation.Errorf("/ends_at", "must be after starts_at")
	}
	if strings.TrimSpace(s.Reason) == "" {
		return validation.Errorf("/reason", "is required: say why these alerts may be muted")
	}
	return nil
}

// Active reports whether the silence mutes alerts at now.
func (s *Silence) Active(now time.Time) bool {
	if s.ExpiredAt != nil && !now.Before(*s.ExpiredAt) {
		return false
	}
	return !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

// Matches reports whether every matcher holds for a.
func (s *Silence) Matches(a *Alert) bool {
	for i := range s.Matchers {
		if !s.Matchers[i].Matches(a) {
			return false
		}
	}
	return len(s.Matchers) > 0
}

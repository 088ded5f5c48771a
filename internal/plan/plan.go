// Package plan holds the incident response plan of an organisation as a document: its
// sections, the rules its fields must follow, when it is next due for review, and its export
// as Markdown and HTML. It does no I/O; storage keeps its versions and casework runs the
// approval flow (docs/plan.md).
package plan

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/validation"
)

// State is where a version of the plan stands.
type State string

// A version starts as a draft; a lead or an admin approves it. The newest approved version is
// the plan in force; an approved version replaced by a newer approved one is superseded.
const (
	StateDraft      State = "draft"
	StateApproved   State = "approved"
	StateSuperseded State = "superseded"
)

// Content is the body of one version of the plan.
type Content struct {
	Title      string `json:"title"`
	Scope      string `json:"scope"`
	Objectives string `json:"objectives"`
	// Roles says who fills each incident role and what it is responsible for.
	Roles []Role `json:"roles"`
	// Severities is the severity matrix: for each severity, the criteria that put an
	// incident there.
	Severities []Severity `json:"severities"`
	// Escalation says who is told or called in, when, and in which order.
	Escalation string `json:"escalation"`
	// Communication is the communication policy: who speaks, through which channels, what
	// may be said to whom.
	Communication string      `json:"communication"`
	Obligations   Obligations `json:"obligations"`
	// Playbooks are the ids of the playbooks in force.
	Playbooks []string `json:"playbooks"`
	// ReviewMonths is the review cadence: the plan is reviewed this many months after each
	// approval.
	ReviewMonths int `json:"review_months"`
}

// Role is one incident role in the plan.
type Role struct {
	Role             incident.Role `json:"role"`
	Responsibilities string        `json:"responsibilities"`
	// People are named people, as free text; Contacts are ids of the organisation's contacts.
	People   []string `json:"people"`
	Contacts []string `json:"contacts"`
}

// Severity is one row of the severity matrix.
type Severity struct {
	Severity incident.Severity `json:"severity"`
	Criteria string            `json:"criteria"`
}

// Obligations are the legal and contractual duties the plan answers.
type Obligations struct {
	Text string `json:"text"`
	// Rules are the ids of the regulatory rules in force (see internal/obligation).
	Rules []string `json:"rules"`
}

// Limits on what the plan holds.
const (
	MaxTitle   = 200
	MaxSection = 20000
	MaxName    = 200
	MaxList    = 100
	// DefaultReviewMonths is the cadence of a plan that names none.
	DefaultReviewMonths = 12
	MaxReviewMonths     = 36
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)

// Normalize trims the text fields, drops empty list items and fills the defaults.
func (c *Content) Normalize() {
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&c.Title, &c.Scope, &c.Objectives, &c.Escalation, &c.Communication, &c.Obligations.Text} {
		trim(p)
	}
	clean := func(list []string) []string {
		out := []string{}
		for _, s := range list {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	}
	roles := []Role{}
	for _, r := range c.Roles {
		r.Responsibilities = strings.TrimSpace(r.Responsibilities)
		r.People, r.Contacts = clean(r.People), clean(r.Contacts)
		if r.Role == "" && r.Responsibilities == "" && len(r.People) == 0 && len(r.Contacts) == 0 {
			continue
		}
		roles = append(roles, r)
	}
	c.Roles = roles
	sevs := []Severity{}
	for _, s := range c.Severities {
		s.Criteria = strings.TrimSpace(s.Criteria)
		if s.Severity == "" && s.Criteria == "" {
			continue
		}
		sevs = append(sevs, s)
	}
	c.Severities = sevs
	c.Playbooks, c.Obligations.Rules = clean(c.Playbooks), clean(c.Obligations.Rules)
	if c.ReviewMonths == 0 {
		c.ReviewMonths = DefaultReviewMonths
	}
}

// Validate checks a normalised plan. knownRule reports whether a regulatory rule id is in
// force; a nil knownRule accepts any well-formed id.
func (c *Content) Validate(knownRule func(string) bool) error {
	if c.Title == "" {
		return validation.Errorf("/title", "the plan needs a title")
	}
	if len(c.Title) > MaxTitle {
		return validation.Errorf("/title", "at most %d characters", MaxTitle)
	}
	for ptr, v := range map[string]string{"/scope": c.Scope, "/objectives": c.Objectives, "/escalation": c.Escalation,
		"/communication": c.Communication, "/obligations/text": c.Obligations.Text} {
		if len(v) > MaxSection {
			return validation.Errorf(ptr, "at most %d characters", MaxSection)
		}
	}
	if len(c.Roles) > len(incident.Roles) {
		return validation.Errorf("/roles", "at most one entry per incident role")
	}
	seen := map[incident.Role]bool{}
	for i, r := range c.Roles {
		ptr := fmt.Sprintf("/roles/%d", i)
		if !r.Role.Valid() {
			return validation.Errorf(ptr+"/role", "must be one of %s", joinRoles())
		}
		if seen[r.Role] {
			return validation.Errorf(ptr+"/role", "%s is listed twice", r.Role)
		}
		seen[r.Role] = true
		if len(r.Responsibilities) > MaxSection {
			return validation.Errorf(ptr+"/responsibilities", "at most %d characters", MaxSection)
		}
		if len(r.People) > MaxList || len(r.Contacts) > MaxList {
			return validation.Errorf(ptr+"/people", "at most %d people", MaxList)
		}
		for j, p := range r.People {
			if len(p) > MaxName {
				return validation.Errorf(fmt.Sprintf("%s/people/%d", ptr, j), "at most %d characters", MaxName)
			}
		}
	}
	sevSeen := map[incident.Severity]bool{}
	for i, s := range c.Severities {
		ptr := fmt.Sprintf("/severities/%d", i)
		if !s.Severity.Valid() {
			return validation.Errorf(ptr+"/severity", "must be one of %v", incident.Severities)
		}
		if sevSeen[s.Severity] {
			return validation.Errorf(ptr+"/severity", "%s is listed twice", s.Severity)
		}
		sevSeen[s.Severity] = true
		if len(s.Criteria) > MaxSection {
			return validation.Errorf(ptr+"/criteria", "at most %d characters", MaxSection)
		}
	}
	if len(c.Obligations.Rules) > MaxList {
		return validation.Errorf("/obligations/rules", "at most %d rules", MaxList)
	}
	for i, id := range c.Obligations.Rules {
		if !idPattern.MatchString(id) || (knownRule != nil && !knownRule(id)) {
			return validation.Errorf(fmt.Sprintf("/obligations/rules/%d", i), "no regulatory rule %q in force", id)
		}
	}
	if len(c.Playbooks) > MaxList {
		return validation.Errorf("/playbooks", "at most %d playbooks", MaxList)
	}
	for i, id := range c.Playbooks {
		if !idPattern.MatchString(id) {
			return validation.Errorf(fmt.Sprintf("/playbooks/%d", i), "%q is not a playbook id (lower-case letters, digits, '.', '_' and '-')", id)
		}
	}
	if c.ReviewMonths < 1 || c.ReviewMonths > MaxReviewMonths {
		return validation.Errorf("/review_months", "must be between 1 and %d months", MaxReviewMonths)
	}
	return nil
}

func joinRoles() string {
	s := make([]string, len(incident.Roles))
	for i, r := range incident.Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// NextReview returns when a plan approved at approvedAt is due for review: months later, on
// the same day of the month or, when that month is shorter, on its last day.
func NextReview(approvedAt time.Time, months int) time.Time {
	approvedAt = approvedAt.UTC()
	y, m, d := approvedAt.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	d = min(d, last)
	hh, mm, ss := approvedAt.Clock()
	return time.Date(first.Year(), first.Month(), d, hh, mm, ss, approvedAt.Nanosecond(), time.UTC)
}

// Overdue reports whether a review due at next is overdue at now.
func Overdue(next, now time.Time) bool { return !next.IsZero() && now.After(next) }

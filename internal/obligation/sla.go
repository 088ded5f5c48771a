package obligation

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/quell-ir/quell/internal/incident"
)

// SLA names one response target.
type SLA string

// SLAs, in the order an incident meets them.
const (
	// SLAAcknowledge runs from detected_at to acknowledged_at.
	SLAAcknowledge SLA = "acknowledge"
	// SLAContain runs from detected_at to contained_at.
	SLAContain SLA = "contain"
	// SLAResolve runs from detected_at to recovered_at or closed_at, whichever is first.
	SLAResolve SLA = "resolve"
)

// SLAs lists every SLA in the order an incident meets them.
var SLAs = []SLA{SLAAcknowledge, SLAContain, SLAResolve}

// Targets are the times allowed for one severity; zero means no target.
type Targets struct {
	Acknowledge time.Duration
	Contain     time.Duration
	Resolve     time.Duration
}

// For returns the target for one SLA.
func (t Targets) For(s SLA) time.Duration {
	switch s {
	case SLAAcknowledge:
		return t.Acknowledge
	case SLAContain:
		return t.Contain
	case SLAResolve:
		return t.Resolve
	}
	return 0
}

// Policy holds the SLA targets per severity. A severity it leaves out has no SLA.
type Policy struct {
	Severities map[incident.Severity]Targets
}

// MaxTarget bounds one SLA target.
const MaxTarget = 365 * 24 * time.Hour

//go:embed rules/sla.yaml
var defaultPolicyYAML []byte

// DefaultPolicyYAML returns the shipped SLA policy file.
func DefaultPolicyYAML() []byte { return slices.Clone(defaultPolicyYAML) }

// DefaultPolicy returns the shipped SLA policy. Targets are elapsed time around the clock
// (no business hours), measured from detection:
//
//	severity        acknowledge  contain  resolve
//	critical        15m          4h       3d
//	high            1h           24h      7d
//	medium          4h           3d       14d
//	low             24h          7d       30d
//	informational   3d           -        -
func DefaultPolicy() Policy {
	p, err := ParsePolicy(defaultPolicyYAML)
	if err != nil {
		panic("obligation: shipped SLA policy: " + err.Error())
	}
	return p
}

// ParsePolicy reads an SLA policy file:
//
//	severities:
//	  critical: {acknowledge: 15m, contain: 4h, resolve: 3d}
//
// Durations are Go durations ("90m", "4h") with an optional leading count of days ("3d",
// "1d12h"). The error lists every problem found with its line, as [ParseErrors].
func ParsePolicy(b []byte) (Policy, error) {
	d := &doc{}
	p := Policy{Severities: map[incident.Severity]Targets{}}
	top := d.root(b)
	if top == nil {
		return p, d.err()
	}
	for _, f := range d.mapping(top, "the SLA policy", "severities") {
		if !d.usable(f.v) || f.v.Kind == yaml.ScalarNode && f.v.Tag == "!!null" {
			continue
		}
		if f.v.Kind != yaml.MappingNode {
			d.errorf(f.v, "severities must be a mapping from severity to targets")
			continue
		}
		for i := 0; i+1 < len(f.v.Content); i += 2 {
			k, v := f.v.Content[i], f.v.Content[i+1]
			name, ok := d.str(k, "a severity")
			if !ok {
				continue
			}
			sev := incident.Severity(name)
			if !sev.Valid() {
				d.errorf(k, "%q is not a severity (%s)", name, joinSeverities())
				continue
			}
			if _, dup := p.Severities[sev]; dup {
				d.errorf(k, "severity %q is given twice", name)
				continue
			}
			p.Severities[sev] = d.targets(v, name)
		}
	}
	return p, d.err()
}

func joinSeverities() string {
	names := make([]string, len(incident.Severities))
	for i, s := range incident.Severities {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

func (d *doc) targets(n *yaml.Node, sev string) Targets {
	var t Targets
	lines := map[SLA]int{}
	for _, f := range d.mapping(n, sev, string(SLAAcknowledge), string(SLAContain), string(SLAResolve)) {
		s, ok := d.str(f.v, f.key)
		if !ok {
			continue
		}
		v, err := ParseDuration(s)
		if err != nil {
			d.errorf(f.v, "%s.%s: %v", sev, f.key, err)
			continue
		}
		switch SLA(f.key) {
		case SLAAcknowledge:
			t.Acknowledge = v
		case SLAContain:
			t.Contain = v
		case SLAResolve:
			t.Resolve = v
		}
		lines[SLA(f.key)] = f.k.Line
	}
	if t.Resolve > 0 && (t.Resolve < t.Acknowledge || t.Resolve < t.Contain) {
		d.errorf(&yaml.Node{Line: lines[SLAResolve]}, "%s.resolve (%s) is shorter than the time to acknowledge or to contain",
			sev, FormatDuration(t.Resolve))
	}
	return t
}

// ParseDuration reads an SLA target: a Go duration such as "90m" or "4h", with an optional
// leading count of days: "3d", "1d12h". It must be positive and at most a year.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var total time.Duration
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		days, err := strconv.Atoi(s[:i])
		if err != nil || days < 0 || days > 366 || strings.HasPrefix(s, "+") {
			return 0, fmt.Errorf("%q is not a duration such as 15m, 4h or 3d", s)
		}
		total, rest = time.Duration(days)*24*time.Hour, s[i+1:]
	}
	if rest != "" {
		v, err := time.ParseDuration(rest)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%q is not a duration such as 15m, 4h or 3d", s)
		}
		total += v
	}
	if total <= 0 || total > MaxTarget {
		return 0, fmt.Errorf("%q must be more than zero and at most 365d", s)
	}
	return total, nil
}

// FormatDuration writes a duration as ParseDuration reads it: "15m", "4h", "3d", "1d12h".
func FormatDuration(v time.Duration) string {
	if v <= 0 || v%time.Second != 0 {
		return v.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		size time.Duration
		unit string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := v / u.size; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.unit)
			v -= n * u.size
		}
	}
	return b.String()
}

// SLAState is where one SLA stands.
type SLAState string

// SLA states.
const (
	SLAPending  SLAState = "pending"
	SLAMet      SLAState = "met"
	SLABreached SLAState = "breached"
)

// SLAStatus is one SLA of one incident at one moment. Times are in UTC.
type SLAStatus struct {
	SLA      SLA               `json:"sla"`
	Severity incident.Severity `json:"severity"`
	Target   time.Duration     `json:"target"`
	// Start is the incident's detected_at; Due is Start plus Target.
	Start time.Time `json:"start"`
	Due   time.Time `json:"due"`
	State SLAState  `json:"state"`
	// EndedAt is when the milestone that stops the clock was reached, and EndedBy which one;
	// both are zero while it runs.
	EndedAt time.Time          `json:"ended_at,omitzero"`
	EndedBy incident.Milestone `json:"ended_by,omitempty"`
	// BreachedAt is the moment the SLA was breached: Due, for a breached SLA.
	BreachedAt time.Time `json:"breached_at,omitzero"`
	// Remaining is the time left until Due, for a pending SLA.
	Remaining time.Duration `json:"remaining,omitempty"`
}

// Evaluate measures an incident's milestones against the policy's targets for its severity at
// time now, one status per SLA the severity has a target for, in the order of [SLAs]. It
// returns nothing for an incident without detected_at or a severity without targets.
//
// Every clock starts at detected_at. Acknowledge stops at acknowledged_at, contain at
// contained_at, resolve at recovered_at; closing the incident stops every clock still running
// (an incident closed as a false positive before its containment target met that target). A
// milestone reached exactly at the target is on time. A breach is dated at the target: the
// first moment past it without the milestone. Targets follow the severity passed in, so a
// change of severity moves them.
func (p Policy) Evaluate(sev incident.Severity, ms incident.Milestones, now time.Time) []SLAStatus {
	targets, ok := p.Severities[sev]
	if ms.DetectedAt == nil || !ok {
		return nil
	}
	start := ms.DetectedAt.UTC()
	var out []SLAStatus
	for _, s := range SLAs {
		target := targets.For(s)
		if target <= 0 {
			continue
		}
		st := SLAStatus{SLA: s, Severity: sev, Target: target, Start: start, Due: start.Add(target)}
		if at, by, ok := end(s, ms); ok {
			st.EndedAt, st.EndedBy = at.UTC(), by
		}
		switch {
		case !st.EndedAt.IsZero() && !st.EndedAt.After(st.Due):
			st.State = SLAMet
		case !st.EndedAt.IsZero() || now.After(st.Due):
			st.State, st.BreachedAt = SLABreached, st.Due
		default:
			st.State, st.Remaining = SLAPending, st.Due.Sub(now)
		}
		out = append(out, st)
	}
	return out
}

// end returns the milestone that stops an SLA's clock: its own, else closed_at; for resolve
// the earlier of recovered_at and closed_at.
func end(s SLA, ms incident.Milestones) (time.Time, incident.Milestone, bool) {
	var own incident.Milestone
	switch s {
	case SLAAcknowledge:
		own = incident.MilestoneAcknowledged
	case SLAContain:
		own = incident.MilestoneContained
	case SLAResolve:
		own = incident.MilestoneRecovered
	}
	at, by := ms.Get(own), own
	if c := ms.ClosedAt; c != nil && (at == nil || c.Before(*at)) {
		at, by = c, incident.MilestoneClosed
	}
	if at == nil {
		return time.Time{}, "", false
	}
	return *at, by, true
}

// NextSLADue returns the earliest due time of a pending SLA: when a timer must next look at
// the incident. ok is false when none is pending.
func NextSLADue(sts []SLAStatus) (next time.Time, ok bool) {
	for _, st := range sts {
		if st.State == SLAPending && (!ok || st.Due.Before(next)) {
			next, ok = st.Due, true
		}
	}
	return next, ok
}

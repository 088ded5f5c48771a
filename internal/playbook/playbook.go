package playbook

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/quell-ir/quell/internal/incident"
)

// Playbook is one parsed playbook.
type Playbook struct {
	// ID is a slug (lower-case letters, digits and dashes) naming the playbook in every version.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Version is a positive integer, raised by one on every change. An incident records the
	// id and version of the playbook it was started with.
	Version     int       `json:"version"`
	Description string    `json:"description,omitempty"`
	AppliesTo   AppliesTo `json:"applies_to"`
	// Roles are the incident roles the playbook needs filled; every task names one of them.
	Roles    []incident.Role `json:"roles"`
	Guidance []Link          `json:"guidance,omitempty"`
	// Phases holds the phases the playbook has work for, in lifecycle order.
	Phases []Phase `json:"phases"`
	// Pos is where the playbook starts in its file.
	Pos Position `json:"-"`

	rolePos []Position // positions of the Roles items
	idPos   Position
}

// AppliesTo says which incidents a playbook is applied to on its own. A playbook that sets
// neither Types nor When is only applied by hand.
type AppliesTo struct {
	// Types limits the playbook to incidents of these types.
	Types []incident.Type `json:"types,omitempty"`
	// When is an expression over the incident's fields (see Env) that must be true.
	When string `json:"when,omitempty"`

	program *vm.Program // When compiled; nil when there is none or it does not compile
}

// Automatic reports whether the playbook is applied without being chosen by hand.
func (a AppliesTo) Automatic() bool { return len(a.Types) > 0 || a.When != "" }

// Phase is the work a playbook has for one phase of the incident lifecycle.
type Phase struct {
	Name  incident.Phase `json:"name"`
	Steps []Step         `json:"steps"`
	// ExitCriteria are conditions, in words, that the commander confirms before the incident
	// leaves the phase. Whatever they say, the phase is also left only when its required steps
	// are done (or the commander overrides, which is recorded).
	ExitCriteria []string `json:"exit_criteria,omitempty"`
	Guidance     []Link   `json:"guidance,omitempty"`
	// Pos is where the phase's name stands in the file.
	Pos Position `json:"-"`
}

// RequiredSteps returns the ids of the required steps of the phase that this version plans (the
// steps whose kind it knows): the steps that gate the phase's exit.
func (ph Phase) RequiredSteps() []string {
	var ids []string
	for _, s := range ph.Steps {
		if s.Required && s.Kind.Known() {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// Kind is the kind of a step.
type Kind string

// KindTask is the kind of a task step, the only kind this version plans. A step of another
// kind is read, kept and reported by Lint as a warning, so that playbooks written for later
// versions still load.
const KindTask Kind = "task"

// Kinds lists the step kinds this version plans.
var Kinds = []Kind{KindTask}

// Known reports whether this version knows how to plan a step of kind k.
func (k Kind) Known() bool { return slices.Contains(Kinds, k) }

// Step is one step of a phase.
type Step struct {
	// ID is a slug unique within the playbook; a task's origin names it.
	ID string `json:"id"`
	// Kind is task unless set otherwise.
	Kind Kind `json:"kind"`
	// Title is a short imperative sentence.
	Title string `json:"title,omitempty"`
	// Description is Markdown.
	Description string        `json:"description,omitempty"`
	Role        incident.Role `json:"role,omitempty"`
	// Required steps gate the exit of their phase.
	Required  bool     `json:"required,omitempty"`
	Due       *Due     `json:"due,omitempty"`
	Checklist []string `json:"checklist,omitempty"`
	// Pos is where the step starts in its file.
	Pos Position `json:"-"`

	idPos, rolePos Position
}

// Anchor is the moment a due time counts from.
type Anchor string

// Anchors of due times.
const (
	FromPhaseStart Anchor = "phase_start"
	FromDetection  Anchor = "detection"
)

// Anchors lists every anchor.
var Anchors = []Anchor{FromPhaseStart, FromDetection}

// Valid reports whether a is a known anchor.
func (a Anchor) Valid() bool { return slices.Contains(Anchors, a) }

// Due is a due time relative to the start of the step's phase or to the incident's detection.
// It is written `due: 4h` (from the phase start) or `due: {after: 30m, from: detection}`.
type Due struct {
	After Duration `json:"after"`
	From  Anchor   `json:"from"`
}

// Resolve returns the due time given the time the step's phase started and the time the
// incident was detected. It returns false when the time it counts from is not known (zero).
func (d Due) Resolve(phaseStart, detected time.Time) (time.Time, bool) {
	base := phaseStart
	if d.From == FromDetection {
		base = detected
	}
	if base.IsZero() {
		return time.Time{}, false
	}
	return base.Add(time.Duration(d.After)), true
}

func (d Due) String() string { return fmt.Sprintf("%s after %s", d.After, d.From) }

// Link is a guidance link.
type Link struct {
	Title string `json:"title"`
	// URL is an absolute http or https URL.
	URL string `json:"url"`
	// Pos is where the link starts in its file.
	Pos Position `json:"-"`
}

// Position is a place in a file; lines and columns count from 1.
type Position struct {
	Line, Column int
}

// Duration is a length of time written with the units w (7 days), d (24 hours), h and m, largest
// first, each at most once: 30m, 4h, 2d, 1d12h, 1w.
type Duration time.Duration

// MaxDuration bounds a due time: a year.
const MaxDuration = Duration(365 * 24 * time.Hour)

type durationUnit struct {
	unit byte
	size time.Duration
}

var durationUnits = []durationUnit{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}}

// ParseDuration reads a duration such as 30m, 4h, 2d or 1d12h. It must be more than zero and at
// most MaxDuration.
func ParseDuration(s string) (Duration, error) {
	bad := fmt.Errorf("%q is not a duration such as 30m, 4h, 2d or 1d12h (units w, d, h, m, largest first)", s)
	tooLong := fmt.Errorf("%q is longer than a due time may be (%s)", s, MaxDuration)
	if s == "" {
		return 0, bad
	}
	var total time.Duration
	next := 0 // index in durationUnits of the smallest unit still allowed
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 9 {
			return 0, bad
		}
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, bad
		}
		u := slices.IndexFunc(durationUnits[next:], func(du durationUnit) bool { return du.unit == s[i] })
		if u < 0 {
			return 0, bad
		}
		next += u
		size := durationUnits[next].size
		if time.Duration(n) > time.Duration(MaxDuration)/size {
			return 0, tooLong
		}
		total += time.Duration(n) * size
		if total > time.Duration(MaxDuration) {
			return 0, tooLong
		}
		next++
		s = s[i+1:]
	}
	if total <= 0 {
		return 0, fmt.Errorf("a due time must be more than zero")
	}
	return Duration(total), nil
}

// String writes d in the form ParseDuration reads, without weeks: 90m is 1h30m, 48h is 2d.
func (d Duration) String() string {
	if d <= 0 {
		return "0m"
	}
	var b strings.Builder
	rest := time.Duration(d)
	for _, du := range durationUnits[1:] {
		if n := rest / du.size; n > 0 {
			fmt.Fprintf(&b, "%d%c", n, du.unit)
			rest -= n * du.size
		}
	}
	if b.Len() == 0 {
		return "0m"
	}
	return b.String()
}

// MarshalText writes the duration as ParseDuration reads it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a duration such as 4h.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// slug is the form of playbook and step ids.
var slug = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// MaxID bounds playbook and step ids.
const MaxID = 64

// validID reports whether s is a slug of at most MaxID bytes.
func validID(s string) bool { return len(s) <= MaxID && slug.MatchString(s) }

// Phase returns the playbook's work for phase name, if it has any.
func (p Playbook) Phase(name incident.Phase) (Phase, bool) {
	for _, ph := range p.Phases {
		if ph.Name == name {
			return ph, true
		}
	}
	return Phase{}, false
}

// Clone returns a deep copy of p.
func (p Playbook) Clone() Playbook {
	c := p
	c.AppliesTo.Types = slices.Clone(p.AppliesTo.Types)
	c.Roles = slices.Clone(p.Roles)
	c.rolePos = slices.Clone(p.rolePos)
	c.Guidance = slices.Clone(p.Guidance)
	c.Phases = slices.Clone(p.Phases)
	for i := range c.Phases {
		ph := &c.Phases[i]
		ph.ExitCriteria = slices.Clone(ph.ExitCriteria)
		ph.Guidance = slices.Clone(ph.Guidance)
		ph.Steps = slices.Clone(ph.Steps)
		for j := range ph.Steps {
			s := &ph.Steps[j]
			s.Checklist = slices.Clone(s.Checklist)
			if s.Due != nil {
				due := *s.Due
				s.Due = &due
			}
		}
	}
	return c
}

package playbook

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"

	"github.com/quell-ir/quell/internal/incident"
)

// IncidentFacts are what matching and planning need to know of an incident.
type IncidentFacts struct {
	Type         incident.Type
	Severity     incident.Severity
	Priority     incident.Priority
	TLP          incident.TLP
	Tags         []string
	Restricted   bool
	CustomFields map[string]string
	// MaxCriticality is the highest criticality of the linked assets, 0 when none is linked.
	MaxCriticality int
	// PersonalData is true when a linked asset holds personal data, or a person has said the
	// incident involves it.
	PersonalData bool

	// Phase is the phase the incident is in, and PhaseStartedAt when it entered it (zero: the
	// now passed to Tasks). A new incident is in identification, which started when it was
	// created.
	Phase          incident.Phase
	PhaseStartedAt time.Time
	// DetectedAt is the incident's detection milestone (zero when it is not known).
	DetectedAt time.Time
}

// Facts returns the facts of an incident as stored. PersonalData and PhaseStartedAt are not part
// of the incident record: the caller sets them from the linked assets and the phase history.
func Facts(inc *incident.Incident) IncidentFacts {
	f := IncidentFacts{
		Type: inc.Type, Severity: inc.Severity, Priority: inc.Priority, TLP: inc.TLP,
		Tags: inc.Tags, Restricted: inc.Restricted, CustomFields: inc.CustomFields,
		MaxCriticality: inc.MaxCriticality, Phase: inc.Phase,
	}
	if inc.DetectedAt != nil {
		f.DetectedAt = *inc.DetectedAt
	}
	return f
}

// Env returns the environment `when` expressions are evaluated in.
func (f IncidentFacts) Env() Env {
	tags := make([]string, len(f.Tags))
	for i, t := range f.Tags {
		tags[i] = strings.ToLower(t)
	}
	custom := f.CustomFields
	if custom == nil {
		custom = map[string]string{}
	}
	return Env{
		Type: string(f.Type), Severity: string(f.Severity), SeverityRank: f.Severity.Rank(),
		Priority: string(f.Priority), TLP: string(f.TLP), Tags: tags, Restricted: f.Restricted,
		Custom: custom, Criticality: f.MaxCriticality, PersonalData: f.PersonalData,
	}
}

// Matches reports whether the playbook applies on its own to an incident with these facts: its
// types (if it lists any) include the incident's type, and its `when` expression (if it has
// one) is true. A playbook with neither never matches; it is applied by hand. An expression
// that fails when run counts as false.
func (p Playbook) Matches(inc IncidentFacts) bool {
	a := p.AppliesTo
	if !a.Automatic() {
		return false
	}
	if len(a.Types) > 0 && !slices.Contains(a.Types, inc.Type) {
		return false
	}
	if a.When == "" {
		return true
	}
	prog := a.program
	if prog == nil {
		var err error
		if prog, err = compileWhen(a.When); err != nil {
			return false
		}
	}
	out, err := expr.Run(prog, inc.Env())
	ok, isBool := out.(bool)
	return err == nil && isBool && ok
}

// specificity ranks how narrowly a playbook's applies_to picks incidents: an expression beats
// none, listing types beats not listing them, and fewer types beat more.
func (p Playbook) specificity() (when, types, narrow int) {
	if p.AppliesTo.When != "" {
		when = 1
	}
	if n := len(p.AppliesTo.Types); n > 0 {
		types, narrow = 1, -n
	}
	return when, types, narrow
}

// Select returns the playbook of library that fits an incident best: of those that match, the
// most specific one (one with a `when` expression before one without; then one that lists
// types before one that does not; then the one with fewer types), and of equals the one whose
// id sorts first. It returns false when none matches.
func Select(library []Playbook, inc IncidentFacts) (Playbook, bool) {
	var best *Playbook
	for i := range library {
		p := &library[i]
		if !p.Matches(inc) {
			continue
		}
		if best == nil || compareFit(p, best) < 0 {
			best = p
		}
	}
	if best == nil {
		return Playbook{}, false
	}
	return *best, true
}

// compareFit orders a before b when a fits more specifically.
func compareFit(a, b *Playbook) int {
	aw, at, an := a.specificity()
	bw, bt, bn := b.specificity()
	return cmp.Or(cmp.Compare(bw, aw), cmp.Compare(bt, at), cmp.Compare(bn, an), strings.Compare(a.ID, b.ID))
}

package playbook

import (
	"fmt"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/incident"
)

// PlannedTask is a task a playbook creates on an incident, with the relative due time it came
// with.
type PlannedTask struct {
	incident.Task
	// Step is the id of the playbook step the task comes from.
	Step string
	// Due is the step's due time, nil when it has none. When Due is set and Task.DueAt is not,
	// the due time cannot be known yet: the task's phase has not started, or the incident's
	// detection time is not known. Keep Due with the task and compute DueAt with Due.Resolve
	// when the phase starts (or the detection time is set).
	Due *Due
}

// Pending reports whether the task has a due time that is still to be computed.
func (t PlannedTask) Pending() bool { return t.Due != nil && t.DueAt == nil }

// Origin is what tasks created from step stepID record as their origin:
// playbook:ID@VERSION/STEP, such as playbook:ransomware@3/isolate-hosts.
func (p Playbook) Origin(stepID string) string {
	return fmt.Sprintf("playbook:%s@%d/%s", p.ID, p.Version, stepID)
}

// Tasks plans the tasks the playbook creates on an incident: one per task step, phase by phase
// in lifecycle order. Each has the step's title, its description followed by its checklist as
// a Markdown task list, its phase, role and required flag, status todo, the origin naming the
// step, and now as its creation time. Steps of kinds this version does not know create nothing.
//
// Due times are computed where they can be:
//   - from detection: DetectedAt plus the step's duration; pending when DetectedAt is zero;
//   - from phase_start, in the phase the incident is in: PhaseStartedAt (or now, when it is
//     zero) plus the duration;
//   - from phase_start, in any other phase: pending, to be computed when the phase starts. A
//     phase the incident has already left does not start again unless the incident goes back
//     to it.
//
// A computed due time may already be past when a playbook is applied late; the task is then
// overdue from the start, which is the truth. An empty Phase counts as identification.
func (p Playbook) Tasks(inc IncidentFacts, now time.Time) []PlannedTask {
	current := inc.Phase
	if current == "" {
		current = incident.PhaseIdentification
	}
	phaseStart := inc.PhaseStartedAt
	if phaseStart.IsZero() {
		phaseStart = now
	}
	var out []PlannedTask
	for _, ph := range p.Phases {
		for _, s := range ph.Steps {
			if s.Kind != KindTask {
				continue
			}
			t := PlannedTask{
				Task: incident.Task{
					Phase: ph.Name, Title: strings.TrimSpace(s.Title), Description: renderDescription(s),
					Role: s.Role, Status: incident.TaskTodo, Required: s.Required, Origin: p.Origin(s.ID),
					CreatedAt: now, UpdatedAt: now,
				},
				Step: s.ID,
			}
			if s.Due != nil {
				due := *s.Due
				t.Due = &due
				start := time.Time{}
				if ph.Name == current {
					start = phaseStart
				}
				if at, ok := due.Resolve(start, inc.DetectedAt); ok {
					at = at.UTC()
					t.DueAt = &at
				}
			}
			out = append(out, t)
		}
	}
	return out
}

// renderDescription is a task's description: the step's Markdown description, then its
// checklist as a Markdown task list.
func renderDescription(s Step) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(s.Description))
	if len(s.Checklist) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		for i, item := range s.Checklist {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString("- [ ] ")
			b.WriteString(strings.ReplaceAll(strings.TrimSpace(item), "\n", "\n  "))
		}
	}
	return b.String()
}

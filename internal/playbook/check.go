package playbook

import (
	"github.com/quell-ir/quell/internal/incident"
)

// check runs the checks that need the whole playbook: the roles of tasks against the roles the
// playbook declares, the reachability of phases, and phases or playbooks with nothing in them.
func (d *decoder) check(p *Playbook) {
	declared := map[incident.Role]bool{}
	for _, r := range p.Roles {
		declared[r] = true
	}
	used := map[incident.Role]bool{}
	for _, r := range d.otherRoles {
		used[r] = true
	}
	steps := 0
	for _, ph := range p.Phases {
		if len(ph.Steps) == 0 && len(ph.ExitCriteria) == 0 && len(ph.Guidance) == 0 {
			d.report(ph.Pos, CodeEmptyPhase, "phase %s has no steps, exit criteria or guidance; leave it out", ph.Name)
		}
		for _, s := range ph.Steps {
			steps++
			if !s.Kind.Known() {
				continue
			}
			used[s.Role] = true
			if s.Role.Valid() && !declared[s.Role] && len(p.Roles) > 0 {
				d.report(s.rolePos, CodeRoleNotDeclared, "task %s is for role %s, which is not in the playbook's roles; add it there", s.ID, s.Role)
			}
		}
	}
	for i, r := range p.Roles {
		if !used[r] {
			d.report(p.rolePos[i], CodeUnusedRole, "role %s is in roles, but no step is for it", r)
		}
	}
	if steps == 0 && d.phasesPos.Line > 0 {
		d.report(d.phasesPos, CodeNoSteps, "the playbook has no steps: applying it creates nothing")
	}
	d.reachability(p, declared)
}

// reachability reports the phases that can only be reached by overriding an exit that can
// never be met.
//
// A phase is left going forward when its required steps are done. A required task that has no
// role, or a role the playbook does not fill, is offered to nobody, so the phase that holds it
// cannot be left by meeting its exit criteria: every later phase with steps is unreachable.
// (Unknown phase names and phases listed twice are reported where they are read.)
func (d *decoder) reachability(p *Playbook, declared map[incident.Role]bool) {
	var (
		blocked *Phase
		stuck   Step
	)
	for i := range p.Phases {
		ph := &p.Phases[i]
		if blocked != nil {
			if len(ph.Steps) > 0 {
				d.report(ph.Pos, CodeUnreachablePhase,
					"phase %s cannot be reached without an override: phase %s cannot be left, as its required task %s (line %d) is for no role this playbook fills",
					ph.Name, blocked.Name, stuck.ID, stuck.Pos.Line)
			}
			continue
		}
		for _, s := range ph.Steps {
			if s.Required && s.Kind.Known() && !declared[s.Role] {
				blocked, stuck = ph, s
				break
			}
		}
	}
}

package casework

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// ChangePhase moves an incident to another phase. Going forward, the required tasks of every
// phase being left must be done or skipped; otherwise the move fails with *ExitBlockedError,
// unless the incident commander (or an admin) overrides it, which is recorded with the reason
// and the open tasks. Going back and reopening are always allowed and recorded.
func (s *Service) ChangePhase(ctx context.Context, p access.Principal, key string, req PhaseRequest) (IncidentDetail, error) {
	var out IncidentDetail
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		if err := checkVersion(inc.Version, 0, req.Version); err != nil {
			return err
		}
		reason, err := incident.CheckReason("/reason", req.Reason)
		if err != nil {
			return err
		}
		t, err := incident.PlanTransition(inc.Phase, req.To)
		if err != nil {
			return invalid("/to", "%v", err)
		}
		pc := incident.PhaseChange{
			ID: NewID(), IncidentID: inc.ID, From: t.From, To: t.To, Direction: t.Direction,
			Actor: actor(p), At: w.now, Reason: reason,
		}
		if len(t.Exited) > 0 {
			tasks, err := w.tx.Tasks().ListByIncident(ctx, p.OrgID, inc.ID)
			if err != nil {
				return err
			}
			if unmet := incident.UnmetExitCriteria(tasks, t.Exited); len(unmet) > 0 {
				if !req.Override {
					return &ExitBlockedError{Phases: t.Exited, Unmet: unmet}
				}
				commander, err := w.holdsRole(inc.ID, incident.RoleCommander)
				if err != nil {
					return err
				}
				if !p.CanOverrideExit(commander) {
					return fmt.Errorf("%w: only the incident commander or an admin may override exit criteria", access.ErrForbidden)
				}
				pc.Override = true
				for _, u := range unmet {
					pc.Unmet = append(pc.Unmet, u.ID)
				}
			}
		}
		before := inc
		switch {
		case t.To == incident.PhaseClosed:
			if !req.Resolution.Valid() {
				return invalid("/resolution", "closing needs a resolution, one of %v", incident.Resolutions)
			}
			inc.Resolution = req.Resolution
		case req.Resolution != "":
			return invalid("/resolution", "a resolution is only given when closing")
		case t.Direction == incident.Reopen:
			inc.Resolution = ""
		}
		inc.Phase = t.To
		set := inc.Milestones.ApplyTransition(t, w.now)
		inc.UpdatedAt = w.now
		if err := w.tx.Incidents().Update(ctx, inc, before.Version); err != nil {
			return err
		}
		inc.Version = before.Version + 1
		if err := w.tx.Incidents().AddPhaseChange(ctx, p.OrgID, pc); err != nil {
			return err
		}
		if err := w.timeline(inc.ID, incident.KindPhase, phaseText(pc, inc.Resolution), map[string]any{
			"from": pc.From, "to": pc.To, "direction": pc.Direction, "override": pc.Override,
			"unmet": pc.Unmet, "milestones": set,
		}); err != nil {
			return err
		}
		if err := w.audit("incident.phase", "incident", inc.ID, inc.ID, map[string]any{
			"phase_change": pc, "milestones": set, "resolution": inc.Resolution,
		}); err != nil {
			return err
		}
		out, err = w.detail(inc)
		return err
	})
	return out, err
}

func phaseText(pc incident.PhaseChange, res incident.Resolution) string {
	var text string
	switch pc.Direction {
	case incident.Back:
		text = fmt.Sprintf("Phase moved back from %s to %s", pc.From, pc.To)
	case incident.Reopen:
		text = fmt.Sprintf("Incident reopened in %s", pc.To)
	default:
		text = fmt.Sprintf("Phase %s → %s", pc.From, pc.To)
	}
	if pc.To == incident.PhaseClosed {
		text += fmt.Sprintf(" (resolution: %s)", res)
	}
	if pc.Override {
		text += fmt.Sprintf("; exit criteria overridden with %d required task(s) open", len(pc.Unmet))
	}
	return text + ". Reason: " + pc.Reason
}

func (w *work) holdsRole(incidentID string, role incident.Role) (bool, error) {
	as, err := w.tx.Incidents().Assignments(w.ctx, w.p.OrgID, incidentID)
	if err != nil {
		return false, err
	}
	for _, a := range as {
		if a.Role == role && a.UserID == w.p.UserID {
			return true, nil
		}
	}
	return false, nil
}

// PhaseHistory lists an incident's phase changes, oldest first.
func (s *Service) PhaseHistory(ctx context.Context, p access.Principal, key string) ([]incident.PhaseChange, error) {
	var out []incident.PhaseChange
	err := s.read(ctx, p, func(w *work) error {
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		out, err = w.tx.Incidents().PhaseChanges(ctx, p.OrgID, inc.ID)
		return err
	})
	if out == nil {
		out = []incident.PhaseChange{}
	}
	return out, err
}

// CorrectMilestone sets, moves or clears a milestone by hand. The reason and the old value are
// kept in the milestone history, on the timeline and in the audit chain.
func (s *Service) CorrectMilestone(ctx context.Context, p access.Principal, key string, m incident.Milestone, req MilestoneRequest) (IncidentDetail, error) {
	var out IncidentDetail
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		if !m.Valid() {
			return invalid("/milestone", "must be one of %v", incident.AllMilestones)
		}
		reason, err := incident.CheckReason("/reason", req.Reason)
		if err != nil {
			return err
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		var next *time.Time
		if req.At != nil {
			v := req.At.UTC()
			if v.After(w.now.Add(5 * time.Minute)) {
				return invalid("/at", "cannot be in the future")
			}
			next = &v
		}
		field := inc.Milestones.Field(m)
		mc := incident.MilestoneCorrection{ID: NewID(), IncidentID: inc.ID, Milestone: m, Old: *field, New: next,
			Reason: reason, Actor: actor(p), At: w.now}
		*field = next
		before := inc.Version
		inc.UpdatedAt = w.now
		if err := w.tx.Incidents().Update(ctx, inc, before); err != nil {
			return err
		}
		inc.Version = before + 1
		if err := w.tx.Incidents().AddMilestoneCorrection(ctx, p.OrgID, mc); err != nil {
			return err
		}
		if err := w.timeline(inc.ID, incident.KindMilestone, fmt.Sprintf("Milestone %s corrected from %s to %s. Reason: %s",
			m, fmtTime(mc.Old), fmtTime(mc.New), reason), mc); err != nil {
			return err
		}
		if err := w.audit("incident.milestone", "incident", inc.ID, inc.ID, mc); err != nil {
			return err
		}
		out, err = w.detail(inc)
		return err
	})
	return out, err
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "unset"
	}
	return t.UTC().Format(time.RFC3339)
}

// MilestoneHistory lists the hand corrections of an incident's milestones.
func (s *Service) MilestoneHistory(ctx context.Context, p access.Principal, key string) ([]incident.MilestoneCorrection, error) {
	var out []incident.MilestoneCorrection
	err := s.read(ctx, p, func(w *work) error {
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		out, err = w.tx.Incidents().MilestoneCorrections(ctx, p.OrgID, inc.ID)
		return err
	})
	if out == nil {
		out = []incident.MilestoneCorrection{}
	}
	return out, err
}

// AssignRole gives an incident role to a user of the organisation, who also becomes a member.
func (s *Service) AssignRole(ctx context.Context, p access.Principal, key string, role incident.Role, req RoleRequest) (IncidentDetail, error) {
	var out IncidentDetail
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		if !role.Valid() {
			return invalid("/role", "must be one of %v", incident.Roles)
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		u, err := w.resolveUser("/user", req.User)
		if err != nil {
			return err
		}
		a := incident.Assignment{IncidentID: inc.ID, Role: role, UserID: u.ID, Username: u.Username, AssignedBy: actor(p), AssignedAt: w.now}
		if err := w.tx.Incidents().SetAssignment(ctx, p.OrgID, a); err != nil {
			return err
		}
		if err := w.tx.Incidents().AddMember(ctx, p.OrgID, inc.ID, u.ID); err != nil {
			return err
		}
		if err := w.timeline(inc.ID, incident.KindRole, fmt.Sprintf("%s assigned as %s", u.Username, role), a); err != nil {
			return err
		}
		if err := w.audit("incident.role.assign", "incident", inc.ID, inc.ID, a); err != nil {
			return err
		}
		if role == incident.RoleCommander && inc.AcknowledgedAt == nil {
			// Someone owns the incident now: that is its acknowledgement.
			if inc, err = w.acknowledge(inc, fmt.Sprintf("Acknowledged: %s took command", u.Username)); err != nil {
				return err
			}
		}
		out, err = w.detail(inc)
		return err
	})
	return out, err
}

// UnassignRole leaves an incident role vacant.
func (s *Service) UnassignRole(ctx context.Context, p access.Principal, key string, role incident.Role) (IncidentDetail, error) {
	var out IncidentDetail
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		if !role.Valid() {
			return invalid("/role", "must be one of %v", incident.Roles)
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		err = w.tx.Incidents().RemoveAssignment(ctx, p.OrgID, inc.ID, role)
		if errors.Is(err, store.ErrNotFound) {
			// Already vacant: nothing to record.
			out, err = w.detail(inc)
			return err
		}
		if err != nil {
			return err
		}
		if err := w.timeline(inc.ID, incident.KindRole, fmt.Sprintf("Role %s left vacant", role), nil); err != nil {
			return err
		}
		if err := w.audit("incident.role.unassign", "incident", inc.ID, inc.ID, map[string]any{"role": role}); err != nil {
			return err
		}
		out, err = w.detail(inc)
		return err
	})
	return out, err
}

// Members lists the user ids with need-to-know membership of an incident.
func (s *Service) Members(ctx context.Context, p access.Principal, key string) ([]string, error) {
	var out []string
	err := s.read(ctx, p, func(w *work) error {
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		out, err = w.tx.Incidents().Members(ctx, p.OrgID, inc.ID)
		return err
	})
	if out == nil {
		out = []string{}
	}
	return out, err
}

// SetMember adds (add=true) or removes a user's need-to-know membership. Only the incident
// commander, leads and admins manage membership.
func (s *Service) SetMember(ctx context.Context, p access.Principal, key, user string, add bool) error {
	return s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		commander, err := w.holdsRole(inc.ID, incident.RoleCommander)
		if err != nil {
			return err
		}
		if !commander && !p.Can(access.RoleLead) {
			return fmt.Errorf("%w: only the incident commander, a lead or an admin manage membership", access.ErrForbidden)
		}
		u, err := w.resolveUser("/user", user)
		if err != nil {
			return err
		}
		action, text := "incident.member.add", fmt.Sprintf("%s given need-to-know access", u.Username)
		if add {
			err = w.tx.Incidents().AddMember(ctx, p.OrgID, inc.ID, u.ID)
		} else {
			action, text = "incident.member.remove", fmt.Sprintf("%s's need-to-know access removed", u.Username)
			err = w.tx.Incidents().RemoveMember(ctx, p.OrgID, inc.ID, u.ID)
			if errors.Is(err, store.ErrNotFound) {
				return nil // not a member: nothing to remove or record
			}
		}
		if err != nil {
			return err
		}
		if err := w.timeline(inc.ID, incident.KindRole, text, nil); err != nil {
			return err
		}
		return w.audit(action, "incident", inc.ID, inc.ID, map[string]string{"user_id": u.ID, "username": u.Username})
	})
}

// acknowledge sets acknowledged_at to now and records it.
func (w *work) acknowledge(inc incident.Incident, text string) (incident.Incident, error) {
	now := w.now
	inc.AcknowledgedAt, inc.UpdatedAt = &now, now
	if err := w.tx.Incidents().Update(w.ctx, inc, inc.Version); err != nil {
		return inc, err
	}
	inc.Version++
	set := []incident.MilestoneSet{{Milestone: incident.MilestoneAcknowledged, New: &now}}
	if err := w.timeline(inc.ID, incident.KindMilestone, text, set); err != nil {
		return inc, err
	}
	return inc, w.audit("incident.acknowledge", "incident", inc.ID, inc.ID, set)
}

package postgres

import (
	"context"
	"slices"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// Phase history, milestone corrections, role assignments and need-to-know members of incidents.

func (r incidentRepo) AddPhaseChange(ctx context.Context, orgID string, pc incident.PhaseChange) error {
	c := (&cols{}).set("id", pc.ID).set("org_id", orgID).set("incident_id", pc.IncidentID).
		set("from_phase", string(pc.From)).set("to_phase", string(pc.To)).set("direction", string(pc.Direction)).
		set("actor", pc.Actor).setTime("at", pc.At).set("reason", pc.Reason).set("override", pc.Override).
		set("unmet", pc.Unmet)
	_, err := r.exec(ctx, c.insert("phase_changes"), c.args...)
	return err
}

// PhaseChanges lists an incident's phase changes oldest first.
func (r incidentRepo) PhaseChanges(ctx context.Context, orgID, incidentID string) ([]incident.PhaseChange, error) {
	return scanList(ctx, r.tx, func(s rowScanner) (incident.PhaseChange, error) {
		var pc incident.PhaseChange
		err := s.Scan(dest(&pc.ID, &pc.IncidentID, &pc.From, &pc.To, &pc.Direction, &pc.Actor, tcol(&pc.At),
			&pc.Reason, &pc.Override, &pc.Unmet)...)
		return pc, err
	}, `SELECT id, incident_id, from_phase, to_phase, direction, actor, at, at_ns, reason, override, unmet
		FROM phase_changes WHERE org_id = $1 AND incident_id = $2 ORDER BY at, at_ns, id`, orgID, incidentID)
}

func (r incidentRepo) AddMilestoneCorrection(ctx context.Context, orgID string, mc incident.MilestoneCorrection) error {
	c := (&cols{}).set("id", mc.ID).set("org_id", orgID).set("incident_id", mc.IncidentID).
		set("milestone", string(mc.Milestone)).setTimePtr("old_at", mc.Old).setTimePtr("new_at", mc.New).
		set("reason", mc.Reason).set("actor", mc.Actor).setTime("at", mc.At)
	_, err := r.exec(ctx, c.insert("milestone_corrections"), c.args...)
	return err
}

// MilestoneCorrections lists an incident's milestone corrections oldest first.
func (r incidentRepo) MilestoneCorrections(ctx context.Context, orgID, incidentID string) ([]incident.MilestoneCorrection, error) {
	return scanList(ctx, r.tx, func(s rowScanner) (incident.MilestoneCorrection, error) {
		var mc incident.MilestoneCorrection
		err := s.Scan(dest(&mc.ID, &mc.IncidentID, &mc.Milestone, tcolPtr(&mc.Old), tcolPtr(&mc.New),
			&mc.Reason, &mc.Actor, tcol(&mc.At))...)
		return mc, err
	}, `SELECT id, incident_id, milestone, old_at, old_at_ns, new_at, new_at_ns, reason, actor, at, at_ns
		FROM milestone_corrections WHERE org_id = $1 AND incident_id = $2 ORDER BY at, at_ns, id`, orgID, incidentID)
}

// SetAssignment gives a role to a user, replacing whoever held it.
func (r incidentRepo) SetAssignment(ctx context.Context, orgID string, a incident.Assignment) error {
	at, ns := splitTime(a.AssignedAt)
	// The WHERE keeps another organisation's row untouched: no row changed is ErrNotFound.
	return r.execOne(ctx, `INSERT INTO assignments (incident_id, role, org_id, user_id, assigned_by, assigned_at,
		assigned_at_ns) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (incident_id, role) DO UPDATE SET user_id = excluded.user_id,
			assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at, assigned_at_ns = excluded.assigned_at_ns
		WHERE assignments.org_id = excluded.org_id`,
		a.IncidentID, string(a.Role), orgID, a.UserID, a.AssignedBy, at, ns)
}

// RemoveAssignment returns ErrNotFound when nobody holds the role.
func (r incidentRepo) RemoveAssignment(ctx context.Context, orgID, incidentID string, role incident.Role) error {
	return r.execOne(ctx, "DELETE FROM assignments WHERE org_id = $1 AND incident_id = $2 AND role = $3",
		orgID, incidentID, string(role))
}

// Assignments lists the roles held on an incident in the order of incident.Roles.
func (r incidentRepo) Assignments(ctx context.Context, orgID, incidentID string) ([]incident.Assignment, error) {
	as, err := scanList(ctx, r.tx, func(s rowScanner) (incident.Assignment, error) {
		var a incident.Assignment
		var username *string
		err := s.Scan(dest(&a.IncidentID, &a.Role, &a.UserID, &username, &a.AssignedBy, tcol(&a.AssignedAt))...)
		if username != nil {
			a.Username = *username
		}
		return a, err
	}, `SELECT a.incident_id, a.role, a.user_id, u.username, a.assigned_by, a.assigned_at, a.assigned_at_ns
		FROM assignments a LEFT JOIN users u ON u.id = a.user_id
		WHERE a.org_id = $1 AND a.incident_id = $2`, orgID, incidentID)
	slices.SortFunc(as, func(x, y incident.Assignment) int {
		return slices.Index(incident.Roles, x.Role) - slices.Index(incident.Roles, y.Role)
	})
	return as, err
}

// AddMember gives a user need-to-know access; adding a member again changes nothing.
func (r incidentRepo) AddMember(ctx context.Context, orgID, incidentID, userID string) error {
	tag, err := r.exec(ctx, `INSERT INTO incident_members (incident_id, user_id, org_id) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, incidentID, userID, orgID)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	// Already there, unless the incident is another organisation's.
	ok, err := r.IsMember(ctx, orgID, incidentID, userID)
	if err == nil && !ok {
		err = store.ErrNotFound
	}
	return err
}

// RemoveMember returns ErrNotFound when the user is not a member.
func (r incidentRepo) RemoveMember(ctx context.Context, orgID, incidentID, userID string) error {
	return r.execOne(ctx, "DELETE FROM incident_members WHERE org_id = $1 AND incident_id = $2 AND user_id = $3",
		orgID, incidentID, userID)
}

func (r incidentRepo) IsMember(ctx context.Context, orgID, incidentID, userID string) (bool, error) {
	var ok bool
	err := r.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM incident_members
		WHERE org_id = $1 AND incident_id = $2 AND user_id = $3)`, []any{orgID, incidentID, userID}, &ok)
	return ok, err
}

// Members lists the user ids of an incident's members in id order.
func (r incidentRepo) Members(ctx context.Context, orgID, incidentID string) ([]string, error) {
	return scanList(ctx, r.tx, func(s rowScanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	}, "SELECT user_id FROM incident_members WHERE org_id = $1 AND incident_id = $2 ORDER BY user_id", orgID, incidentID)
}

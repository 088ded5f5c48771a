package sqlite

import (
	"context"
	"slices"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// Phase history, milestone corrections, role assignments and need-to-know members of incidents.

func (r incidentRepo) AddPhaseChange(ctx context.Context, orgID string, pc incident.PhaseChange) error {
	unmet, err := jsonText(pc.Unmet)
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, `INSERT INTO phase_changes (id, org_id, incident_id, from_phase, to_phase, direction, actor,
		at, reason, override, unmet) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		pc.ID, orgID, pc.IncidentID, string(pc.From), string(pc.To), string(pc.Direction), pc.Actor, tm(pc.At),
		pc.Reason, boolInt(pc.Override), unmet)
	return err
}

// PhaseChanges lists an incident's phase changes oldest first.
func (r incidentRepo) PhaseChanges(ctx context.Context, orgID, incidentID string) ([]incident.PhaseChange, error) {
	return scanList(ctx, r.tx, func(s rowScanner) (incident.PhaseChange, error) {
		var pc incident.PhaseChange
		err := s.Scan(&pc.ID, &pc.IncidentID, &pc.From, &pc.To, &pc.Direction, &pc.Actor, timeCol{&pc.At},
			&pc.Reason, &pc.Override, jsonCol{&pc.Unmet})
		return pc, err
	}, `SELECT id, incident_id, from_phase, to_phase, direction, actor, at, reason, override, unmet
		FROM phase_changes WHERE org_id = ? AND incident_id = ? ORDER BY at, id`, orgID, incidentID)
}

func (r incidentRepo) AddMilestoneCorrection(ctx context.Context, orgID string, mc incident.MilestoneCorrection) error {
	_, err := r.exec(ctx, `INSERT INTO milestone_corrections (id, org_id, incident_id, milestone, old_at, new_at,
		reason, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		mc.ID, orgID, mc.IncidentID, string(mc.Milestone), tmPtr(mc.Old), tmPtr(mc.New), mc.Reason, mc.Actor, tm(mc.At))
	return err
}

// MilestoneCorrections lists an incident's milestone corrections oldest first.
func (r incidentRepo) MilestoneCorrections(ctx context.Context, orgID, incidentID string) ([]incident.MilestoneCorrection, error) {
	return scanList(ctx, r.tx, func(s rowScanner) (incident.MilestoneCorrection, error) {
		var mc incident.MilestoneCorrection
		err := s.Scan(&mc.ID, &mc.IncidentID, &mc.Milestone, timePtrCol{&mc.Old}, timePtrCol{&mc.New},
			&mc.Reason, &mc.Actor, timeCol{&mc.At})
		return mc, err
	}, `SELECT id, incident_id, milestone, old_at, new_at, reason, actor, at
		FROM milestone_corrections WHERE org_id = ? AND incident_id = ? ORDER BY at, id`, orgID, incidentID)
}

// SetAssignment gives a role to a user, replacing whoever held it.
func (r incidentRepo) SetAssignment(ctx context.Context, orgID string, a incident.Assignment) error {
	// The WHERE keeps another organisation's row untouched: no row changed is ErrNotFound.
	return r.execOne(ctx, `INSERT INTO assignments (incident_id, role, org_id, user_id, assigned_by, assigned_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (incident_id, role) DO UPDATE SET user_id = excluded.user_id,
			assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at
		WHERE assignments.org_id = excluded.org_id`,
		a.IncidentID, string(a.Role), orgID, a.UserID, a.AssignedBy, tm(a.AssignedAt))
}

// RemoveAssignment returns ErrNotFound when nobody holds the role.
func (r incidentRepo) RemoveAssignment(ctx context.Context, orgID, incidentID string, role incident.Role) error {
	return r.execOne(ctx, "DELETE FROM assignments WHERE org_id = ? AND incident_id = ? AND role = ?",
		orgID, incidentID, string(role))
}

// Assignments lists the roles held on an incident in the order of incident.Roles.
func (r incidentRepo) Assignments(ctx context.Context, orgID, incidentID string) ([]incident.Assignment, error) {
	as, err := scanList(ctx, r.tx, func(s rowScanner) (incident.Assignment, error) {
		var a incident.Assignment
		var username nullString
		err := s.Scan(&a.IncidentID, &a.Role, &a.UserID, &username, &a.AssignedBy, timeCol{&a.AssignedAt})
		a.Username = username.String
		return a, err
	}, `SELECT a.incident_id, a.role, a.user_id, u.username, a.assigned_by, a.assigned_at
		FROM assignments a LEFT JOIN users u ON u.id = a.user_id
		WHERE a.org_id = ? AND a.incident_id = ?`, orgID, incidentID)
	slices.SortFunc(as, func(x, y incident.Assignment) int {
		return slices.Index(incident.Roles, x.Role) - slices.Index(incident.Roles, y.Role)
	})
	return as, err
}

// AddMember gives a user need-to-know access; adding a member again changes nothing.
func (r incidentRepo) AddMember(ctx context.Context, orgID, incidentID, userID string) error {
	res, err := r.exec(ctx, `INSERT INTO incident_members (incident_id, user_id, org_id) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, incidentID, userID, orgID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return mapErr(err)
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
	return r.execOne(ctx, "DELETE FROM incident_members WHERE org_id = ? AND incident_id = ? AND user_id = ?",
		orgID, incidentID, userID)
}

func (r incidentRepo) IsMember(ctx context.Context, orgID, incidentID, userID string) (bool, error) {
	var n int
	err := r.queryRow(ctx, `SELECT count(*) FROM incident_members
		WHERE org_id = ? AND incident_id = ? AND user_id = ?`, orgID, incidentID, userID).Scan(&n)
	return n > 0, mapErr(err)
}

// Members lists the user ids of an incident's members in id order.
func (r incidentRepo) Members(ctx context.Context, orgID, incidentID string) ([]string, error) {
	return scanList(ctx, r.tx, func(s rowScanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	}, "SELECT user_id FROM incident_members WHERE org_id = ? AND incident_id = ? ORDER BY user_id", orgID, incidentID)
}

package sqlite

import (
	"context"
	"time"

	"github.com/quell-ir/quell/internal/store"
)

type playbookRepo struct{ *tx }

func (t *tx) Playbooks() store.Playbooks { return playbookRepo{t} }

const playbookCols = "org_id, id, version, name, source, created_by, created_at"

func scanPlaybook(s rowScanner) (store.PlaybookVersion, error) {
	var v store.PlaybookVersion
	err := s.Scan(&v.OrgID, &v.ID, &v.Version, &v.Name, &v.Source, &v.CreatedBy, timeCol{&v.CreatedAt})
	return v, err
}

func (r playbookRepo) AddVersion(ctx context.Context, v store.PlaybookVersion) error {
	_, err := r.exec(ctx, "INSERT INTO playbook_versions ("+playbookCols+") VALUES (?, ?, ?, ?, ?, ?, ?)",
		v.OrgID, v.ID, v.Version, v.Name, v.Source, v.CreatedBy, tm(v.CreatedAt))
	return err
}

func (r playbookRepo) Get(ctx context.Context, orgID, id string, version int) (store.PlaybookVersion, error) {
	if version == 0 {
		return scanOne(ctx, r.tx, scanPlaybook, "SELECT "+playbookCols+
			" FROM playbook_versions WHERE org_id = ? AND id = ? ORDER BY version DESC LIMIT 1", orgID, id)
	}
	return scanOne(ctx, r.tx, scanPlaybook, "SELECT "+playbookCols+
		" FROM playbook_versions WHERE org_id = ? AND id = ? AND version = ?", orgID, id, version)
}

func (r playbookRepo) Latest(ctx context.Context, orgID string) ([]store.PlaybookVersion, error) {
	out, err := scanList(ctx, r.tx, scanPlaybook, "SELECT "+playbookCols+` FROM playbook_versions p
		WHERE org_id = ? AND version = (SELECT max(version) FROM playbook_versions q WHERE q.org_id = p.org_id AND q.id = p.id)
		ORDER BY id`, orgID)
	if out == nil {
		out = []store.PlaybookVersion{}
	}
	return out, err
}

func (r playbookRepo) Versions(ctx context.Context, orgID, id string) ([]store.PlaybookVersion, error) {
	out, err := scanList(ctx, r.tx, scanPlaybook, "SELECT org_id, id, version, name, '', created_by, created_at"+
		" FROM playbook_versions WHERE org_id = ? AND id = ? ORDER BY version DESC", orgID, id)
	if out == nil {
		out = []store.PlaybookVersion{}
	}
	return out, err
}

const appliedCols = "id, org_id, incident_id, playbook_id, version, name, reason, applied_by, applied_at, tasks"

func scanApplied(s rowScanner) (store.AppliedPlaybook, error) {
	var v store.AppliedPlaybook
	err := s.Scan(&v.ID, &v.OrgID, &v.IncidentID, &v.PlaybookID, &v.Version, &v.Name, &v.Reason, &v.AppliedBy,
		timeCol{&v.AppliedAt}, &v.Tasks)
	return v, err
}

func (r playbookRepo) AddApplied(ctx context.Context, a store.AppliedPlaybook) error {
	_, err := r.exec(ctx, "INSERT INTO incident_playbooks ("+appliedCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.OrgID, a.IncidentID, a.PlaybookID, a.Version, a.Name, a.Reason, a.AppliedBy, tm(a.AppliedAt), a.Tasks)
	return err
}

func (r playbookRepo) Applied(ctx context.Context, orgID, incidentID string) ([]store.AppliedPlaybook, error) {
	out, err := scanList(ctx, r.tx, scanApplied, "SELECT "+appliedCols+
		" FROM incident_playbooks WHERE org_id = ? AND incident_id = ? ORDER BY applied_at, id", orgID, incidentID)
	if out == nil {
		out = []store.AppliedPlaybook{}
	}
	return out, err
}

func (r playbookRepo) AddDueSpec(ctx context.Context, s store.TaskDueSpec) error {
	// The insert is skipped for a task that is not the incident's: report it as missing.
	return r.execOne(ctx, `INSERT INTO task_due_specs (task_id, org_id, incident_id, after_ns, from_anchor)
		SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = ?1 AND org_id = ?2 AND incident_id = ?3)`,
		s.TaskID, s.OrgID, s.IncidentID, int64(s.After), s.From)
}

func (r playbookRepo) DueSpecs(ctx context.Context, orgID, incidentID string) ([]store.TaskDueSpec, error) {
	out, err := scanList(ctx, r.tx, func(rs rowScanner) (store.TaskDueSpec, error) {
		var s store.TaskDueSpec
		var after int64
		err := rs.Scan(&s.TaskID, &s.OrgID, &s.IncidentID, &after, &s.From)
		s.After = time.Duration(after)
		return s, err
	}, "SELECT task_id, org_id, incident_id, after_ns, from_anchor FROM task_due_specs WHERE org_id = ? AND incident_id = ? ORDER BY task_id",
		orgID, incidentID)
	if out == nil {
		out = []store.TaskDueSpec{}
	}
	return out, err
}

func (r playbookRepo) DeleteDueSpec(ctx context.Context, orgID, taskID string) error {
	_, err := r.exec(ctx, "DELETE FROM task_due_specs WHERE org_id = ? AND task_id = ?", orgID, taskID)
	return err
}

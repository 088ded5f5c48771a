package postgres

import (
	"context"
	"time"

	"github.com/quell-ir/quell/internal/store"
)

type playbookRepo struct{ *tx }

func (t *tx) Playbooks() store.Playbooks { return playbookRepo{t} }

var playbookCols = "org_id, id, version, name, source, created_by, " + tc("created_at")

func scanPlaybook(s rowScanner) (store.PlaybookVersion, error) {
	var v store.PlaybookVersion
	err := s.Scan(dest(&v.OrgID, &v.ID, &v.Version, &v.Name, &v.Source, &v.CreatedBy, tcol(&v.CreatedAt))...)
	return v, err
}

func (r playbookRepo) AddVersion(ctx context.Context, v store.PlaybookVersion) error {
	c := (&cols{}).set("org_id", v.OrgID).set("id", v.ID).set("version", v.Version).set("name", v.Name).
		set("source", v.Source).set("created_by", v.CreatedBy).setTime("created_at", v.CreatedAt)
	_, err := r.exec(ctx, c.insert("playbook_versions"), c.args...)
	return err
}

func (r playbookRepo) Get(ctx context.Context, orgID, id string, version int) (store.PlaybookVersion, error) {
	if version == 0 {
		return scanOne(ctx, r.tx, scanPlaybook, "SELECT "+playbookCols+
			" FROM playbook_versions WHERE org_id = $1 AND id = $2 ORDER BY version DESC LIMIT 1", orgID, id)
	}
	return scanOne(ctx, r.tx, scanPlaybook, "SELECT "+playbookCols+
		" FROM playbook_versions WHERE org_id = $1 AND id = $2 AND version = $3", orgID, id, version)
}

func (r playbookRepo) Latest(ctx context.Context, orgID string) ([]store.PlaybookVersion, error) {
	out, err := scanList(ctx, r.tx, scanPlaybook, "SELECT DISTINCT ON (id) "+playbookCols+
		" FROM playbook_versions WHERE org_id = $1 ORDER BY id, version DESC", orgID)
	return nonNil(out), err
}

func (r playbookRepo) Versions(ctx context.Context, orgID, id string) ([]store.PlaybookVersion, error) {
	out, err := scanList(ctx, r.tx, scanPlaybook, "SELECT org_id, id, version, name, '', created_by, "+tc("created_at")+
		" FROM playbook_versions WHERE org_id = $1 AND id = $2 ORDER BY version DESC", orgID, id)
	return nonNil(out), err
}

var appliedCols = "id, org_id, incident_id, playbook_id, version, name, reason, applied_by, " + tc("applied_at") + ", tasks"

func scanApplied(s rowScanner) (store.AppliedPlaybook, error) {
	var v store.AppliedPlaybook
	err := s.Scan(dest(&v.ID, &v.OrgID, &v.IncidentID, &v.PlaybookID, &v.Version, &v.Name, &v.Reason, &v.AppliedBy,
		tcol(&v.AppliedAt), &v.Tasks)...)
	return v, err
}

func (r playbookRepo) AddApplied(ctx context.Context, a store.AppliedPlaybook) error {
	c := (&cols{}).set("id", a.ID).set("org_id", a.OrgID).set("incident_id", a.IncidentID).
		set("playbook_id", a.PlaybookID).set("version", a.Version).set("name", a.Name).set("reason", a.Reason).
		set("applied_by", a.AppliedBy).setTime("applied_at", a.AppliedAt).set("tasks", a.Tasks)
	_, err := r.exec(ctx, c.insert("incident_playbooks"), c.args...)
	return err
}

func (r playbookRepo) Applied(ctx context.Context, orgID, incidentID string) ([]store.AppliedPlaybook, error) {
	out, err := scanList(ctx, r.tx, scanApplied, "SELECT "+appliedCols+
		" FROM incident_playbooks WHERE org_id = $1 AND incident_id = $2 ORDER BY applied_at, applied_at_ns, id",
		orgID, incidentID)
	return nonNil(out), err
}

func (r playbookRepo) AddDueSpec(ctx context.Context, s store.TaskDueSpec) error {
	// The insert is skipped for a task that is not the incident's: report it as missing.
	return r.execOne(ctx, `INSERT INTO task_due_specs (task_id, org_id, incident_id, after_ns, from_anchor)
		SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $1 AND org_id = $2 AND incident_id = $3)`,
		s.TaskID, s.OrgID, s.IncidentID, int64(s.After), s.From)
}

func (r playbookRepo) DueSpecs(ctx context.Context, orgID, incidentID string) ([]store.TaskDueSpec, error) {
	out, err := scanList(ctx, r.tx, func(rs rowScanner) (store.TaskDueSpec, error) {
		var s store.TaskDueSpec
		var after int64
		err := rs.Scan(&s.TaskID, &s.OrgID, &s.IncidentID, &after, &s.From)
		s.After = time.Duration(after)
		return s, err
	}, "SELECT task_id, org_id, incident_id, after_ns, from_anchor FROM task_due_specs WHERE org_id = $1 AND incident_id = $2 ORDER BY task_id",
		orgID, incidentID)
	return nonNil(out), err
}

func (r playbookRepo) DeleteDueSpec(ctx context.Context, orgID, taskID string) error {
	_, err := r.exec(ctx, "DELETE FROM task_due_specs WHERE org_id = $1 AND task_id = $2", orgID, taskID)
	return err
}

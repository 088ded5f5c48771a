-- Playbooks as code (docs/playbooks.md): every saved version of an organisation's playbooks,
-- the playbooks applied to each incident, and the relative due times of playbook tasks whose
-- phase has not started yet. The built-in library is served from the binary, not stored.
-- Conventions as in 0001.

-- A version is never changed: a change is a new row.
CREATE TABLE playbook_versions (
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, id, version)
) WITHOUT ROWID;

CREATE TABLE incident_playbooks (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    incident_id TEXT NOT NULL,
    playbook_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    applied_by  TEXT NOT NULL,
    applied_at  TEXT NOT NULL,
    tasks       INTEGER NOT NULL,
    UNIQUE (org_id, incident_id, playbook_id, version),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);

-- The due time of a planned task, relative to its phase's start or to detection, until it
-- can be computed. after_ns is the duration in nanoseconds; from_anchor is phase_start or
-- detection.
CREATE TABLE task_due_specs (
    task_id     TEXT PRIMARY KEY REFERENCES tasks (id),
    org_id      TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    after_ns    INTEGER NOT NULL,
    from_anchor TEXT NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
) WITHOUT ROWID;
CREATE INDEX task_due_specs_incident ON task_due_specs (org_id, incident_id);

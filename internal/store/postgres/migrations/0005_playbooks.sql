-- Playbooks as code (docs/playbooks.md): every saved version of an organisation's playbooks,
-- the playbooks applied to each incident, and the relative due times of playbook tasks whose
-- phase has not started yet. The built-in library is served from the binary, not stored.
-- Conventions as in 0001: times in two columns (x, x_ns).

-- A version is never changed: a change is a new row.
CREATE TABLE playbook_versions (
    org_id        text COLLATE "C" NOT NULL REFERENCES orgs (id),
    id            text COLLATE "C" NOT NULL,
    version       integer NOT NULL,
    name          text NOT NULL,
    source        text NOT NULL,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL,
    created_at_ns smallint NOT NULL,
    PRIMARY KEY (org_id, id, version)
);

CREATE TABLE incident_playbooks (
    id            text COLLATE "C" PRIMARY KEY,
    org_id        text COLLATE "C" NOT NULL REFERENCES orgs (id),
    incident_id   text COLLATE "C" NOT NULL,
    playbook_id   text COLLATE "C" NOT NULL,
    version       integer NOT NULL,
    name          text NOT NULL,
    reason        text NOT NULL,
    applied_by    text NOT NULL,
    applied_at    timestamptz NOT NULL,
    applied_at_ns smallint NOT NULL,
    tasks         integer NOT NULL,
    UNIQUE (org_id, incident_id, playbook_id, version),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);

-- The due time of a planned task, relative to its phase's start or to detection, until it
-- can be computed. after_ns is the duration in nanoseconds; from_anchor is phase_start or
-- detection.
CREATE TABLE task_due_specs (
    task_id     text COLLATE "C" PRIMARY KEY REFERENCES tasks (id),
    org_id      text COLLATE "C" NOT NULL,
    incident_id text COLLATE "C" NOT NULL,
    after_ns    bigint NOT NULL,
    from_anchor text COLLATE "C" NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX task_due_specs_incident ON task_due_specs (org_id, incident_id);

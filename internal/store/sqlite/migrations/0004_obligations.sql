-- Regulatory and SLA clocks: the triggers recorded on incidents, the submission log, the
-- notices already put on timelines, and when each incident's clocks are next looked at.
-- See docs/obligations.md. Conventions as in 0001.

CREATE TABLE obligation_triggers (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    incident_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    at          TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    note        TEXT NOT NULL,
    UNIQUE (org_id, incident_id, name),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);

CREATE TABLE obligation_submissions (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    incident_id  TEXT NOT NULL,
    obligation   TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    summary      TEXT NOT NULL,
    reference    TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX obligation_submissions_incident ON obligation_submissions (org_id, incident_id, submitted_at);

-- One row per notice given: an SLA breached ("sla:contain") or an obligation overdue
-- ("obligation:gdpr-art33"), so that each is put on the timeline once.
CREATE TABLE clock_notices (
    org_id      TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    item        TEXT NOT NULL,
    noticed_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, incident_id, item),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
) WITHOUT ROWID;

-- When the incident's clocks are next to be looked at: the time of the job scheduled for it.
CREATE TABLE clock_checks (
    org_id      TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    next_at     TEXT NOT NULL,
    PRIMARY KEY (org_id, incident_id),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
) WITHOUT ROWID;

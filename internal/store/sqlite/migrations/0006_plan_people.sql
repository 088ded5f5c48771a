-- The incident response plan and the people it names: the plan's versions, contacts, teams
-- and rosters. See docs/plan.md. Conventions as in 0001.

-- One row per version of an organisation's plan; content is the plan as JSON.
CREATE TABLE plan_versions (
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    number      INTEGER NOT NULL,
    content     TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    approved_by TEXT NOT NULL DEFAULT '',
    approved_at TEXT,
    next_review TEXT,
    PRIMARY KEY (org_id, number)
) WITHOUT ROWID;

-- channels is a JSON array of {kind, value, label}.
CREATE TABLE contacts (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    name         TEXT NOT NULL,
    title        TEXT NOT NULL,
    organisation TEXT NOT NULL,
    external     INTEGER NOT NULL,
    channels     TEXT NOT NULL,
    notes        TEXT NOT NULL,
    version      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    archived_at  TEXT
);
CREATE INDEX contacts_org ON contacts (org_id, name);

-- members is a JSON array of contact ids.
CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    members     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    archived_at TEXT
);
CREATE INDEX teams_org ON teams (org_id, name);

-- Who can fill an incident role from starts (inclusive) to ends (exclusive); contacts and
-- users are JSON arrays of contact ids and user names.
CREATE TABLE rosters (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    role        TEXT NOT NULL,
    starts      TEXT NOT NULL,
    ends        TEXT NOT NULL,
    contacts    TEXT NOT NULL,
    users       TEXT NOT NULL,
    note        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    archived_at TEXT
);
CREATE INDEX rosters_org_role ON rosters (org_id, role, starts);

-- Quell schema, version 1.
--
-- Conventions: every organisation-owned table carries org_id and every query filters on it;
-- ids are ULID strings made by callers; times are UTC text in the layout
-- 2006-01-02T15:04:05.000000000Z so that text order is time order; booleans are 0/1;
-- lists and maps are JSON text. Child rows of an incident reference (org_id, incident_id), so
-- the database itself refuses a row that points into another organisation.
--
-- incidents, tasks, notes and timeline have an INTEGER PRIMARY KEY (rid) beside their id: it is
-- the stable rowid their full-text indexes (external-content FTS5 tables) are keyed by.

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    -- username folded to lower case: user names are unique whatever their case.
    username_key  TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_login_at TEXT,
    version       INTEGER NOT NULL
);

CREATE TABLE memberships (
    user_id TEXT NOT NULL REFERENCES users (id),
    org_id  TEXT NOT NULL REFERENCES orgs (id),
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, org_id)
) WITHOUT ROWID;
CREATE INDEX memberships_org ON memberships (org_id, user_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    org_id       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX tokens_org_user ON tokens (org_id, user_id, id);

CREATE TABLE incident_counters (
    org_id TEXT PRIMARY KEY REFERENCES orgs (id),
    next   INTEGER NOT NULL
);

CREATE TABLE incidents (
    rid             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    org_id          TEXT NOT NULL REFERENCES orgs (id),
    number          INTEGER NOT NULL,
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    type            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    -- incident.Severity.Rank: 4 critical … 0 informational.
    severity_rank   INTEGER NOT NULL,
    priority        TEXT NOT NULL,
    -- 4 for P1 … 1 for P4, so that every list sorts "worst first" descending.
    priority_rank   INTEGER NOT NULL,
    phase           TEXT NOT NULL,
    resolution      TEXT NOT NULL,
    tlp             TEXT NOT NULL,
    restricted      INTEGER NOT NULL,
    tags            TEXT NOT NULL,
    custom_fields   TEXT NOT NULL,
    occurred_at     TEXT,
    detected_at     TEXT,
    reported_at     TEXT,
    acknowledged_at TEXT,
    contained_at    TEXT,
    eradicated_at   TEXT,
    recovered_at    TEXT,
    closed_at       TEXT,
    max_criticality INTEGER NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL,
    UNIQUE (org_id, number),
    -- Newest first (ids are ULIDs) and the target of the children's (org_id, incident_id) keys.
    UNIQUE (org_id, id)
);
CREATE INDEX incidents_updated ON incidents (org_id, updated_at, id);
CREATE INDEX incidents_severity ON incidents (org_id, severity_rank, id);
CREATE INDEX incidents_priority ON incidents (org_id, priority_rank, id);
CREATE INDEX incidents_phase ON incidents (org_id, phase, id);

-- The tags of incidents.tags, one row each, for the tag filter.
CREATE TABLE incident_tags (
    incident_id TEXT NOT NULL,
    tag         TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    PRIMARY KEY (incident_id, tag),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
) WITHOUT ROWID;
CREATE INDEX incident_tags_tag ON incident_tags (org_id, tag, incident_id);

CREATE TABLE phase_changes (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    from_phase  TEXT NOT NULL,
    to_phase    TEXT NOT NULL,
    direction   TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    reason      TEXT NOT NULL,
    override    INTEGER NOT NULL,
    unmet       TEXT NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX phase_changes_incident ON phase_changes (incident_id, at, id);

CREATE TABLE milestone_corrections (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    milestone   TEXT NOT NULL,
    old_at      TEXT,
    new_at      TEXT,
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX milestone_corrections_incident ON milestone_corrections (incident_id, at, id);

CREATE TABLE assignments (
    incident_id TEXT NOT NULL,
    role        TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    assigned_by TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (incident_id, role),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
) WITHOUT ROWID;
CREATE INDEX assignments_user ON assignments (org_id, user_id, incident_id);

CREATE TABLE incident_members (
    incident_id TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    org_id      TEXT NOT NULL,
    PRIMARY KEY (incident_id, user_id),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
) WITHOUT ROWID;
CREATE INDEX incident_members_user ON incident_members (user_id);

CREATE TABLE tasks (
    rid              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    org_id           TEXT NOT NULL,
    incident_id      TEXT NOT NULL,
    phase            TEXT NOT NULL,
    -- incident.Phase.Index, for "phase order".
    phase_rank       INTEGER NOT NULL,
    title            TEXT NOT NULL,
    description      TEXT NOT NULL,
    role             TEXT NOT NULL,
    assignee         TEXT NOT NULL,
    status           TEXT NOT NULL,
    required         INTEGER NOT NULL,
    due_at           TEXT,
    origin           TEXT NOT NULL,
    overdue_noted_at TEXT,
    completed_at     TEXT,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    version          INTEGER NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX tasks_incident ON tasks (incident_id, phase_rank, id);
CREATE INDEX tasks_org ON tasks (org_id, id);
CREATE INDEX tasks_assignee ON tasks (org_id, assignee, incident_id);
-- Unfinished, due and not yet noted as overdue: what the overdue sweep looks at.
CREATE INDEX tasks_due_unnoted ON tasks (due_at, id)
    WHERE due_at IS NOT NULL AND overdue_noted_at IS NULL AND status NOT IN ('done', 'skipped');

CREATE TABLE notes (
    rid         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    org_id      TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    body        TEXT NOT NULL,
    author      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX notes_incident ON notes (incident_id, created_at, id);

CREATE TABLE note_revisions (
    note_id   TEXT NOT NULL REFERENCES notes (id),
    version   INTEGER NOT NULL,
    org_id    TEXT NOT NULL,
    body      TEXT NOT NULL,
    edited_by TEXT NOT NULL,
    edited_at TEXT NOT NULL,
    PRIMARY KEY (note_id, version)
) WITHOUT ROWID;

CREATE TABLE timeline (
    rid         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    org_id      TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    event_at    TEXT NOT NULL,
    event_zone  TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    text        TEXT NOT NULL,
    details     TEXT,
    technique   TEXT NOT NULL,
    flagged     INTEGER NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX timeline_incident ON timeline (incident_id, event_at, id);

CREATE TABLE assets (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES orgs (id),
    kind                TEXT NOT NULL,
    name                TEXT NOT NULL,
    description         TEXT NOT NULL,
    identifiers         TEXT NOT NULL,
    criticality         INTEGER NOT NULL,
    owner               TEXT NOT NULL,
    data_classification TEXT NOT NULL,
    personal_data       INTEGER NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    version             INTEGER NOT NULL,
    UNIQUE (org_id, id)
);
CREATE INDEX assets_kind ON assets (org_id, kind, id);

-- The identifiers of assets.identifiers, one row each, for look-ups by value.
CREATE TABLE asset_identifiers (
    asset_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    org_id   TEXT NOT NULL,
    type     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (asset_id, position),
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id)
) WITHOUT ROWID;
CREATE INDEX asset_identifiers_value ON asset_identifiers (org_id, type, value);
CREATE INDEX asset_identifiers_prefix ON asset_identifiers (org_id, value);

CREATE TABLE incident_assets (
    incident_id TEXT NOT NULL,
    asset_id    TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    status      TEXT NOT NULL,
    note        TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (incident_id, asset_id),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id),
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id)
) WITHOUT ROWID;
CREATE INDEX incident_assets_asset ON incident_assets (asset_id, incident_id);

-- The hash chain of audit records. seq is the position in the chain, from 1, without gaps;
-- org_id and incident_id are '' when the record belongs to none.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    org_id      TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    -- Kept byte for byte: the record's hash covers it.
    changes     TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, seq);
CREATE INDEX audit_log_incident ON audit_log (incident_id, seq) WHERE incident_id <> '';

-- Full-text search: one external-content FTS5 index per searchable table, keyed by its rid and
-- kept in step by the triggers below. Queries join back to the table for org_id and incident_id.

CREATE VIRTUAL TABLE incidents_fts USING fts5 (
    title, summary,
    content = 'incidents', content_rowid = 'rid', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER incidents_fts_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO incidents_fts (rowid, title, summary) VALUES (new.rid, new.title, new.summary);
END;
CREATE TRIGGER incidents_fts_update AFTER UPDATE OF title, summary ON incidents
    WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, title, summary) VALUES ('delete', old.rid, old.title, old.summary);
    INSERT INTO incidents_fts (rowid, title, summary) VALUES (new.rid, new.title, new.summary);
END;
CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, title, summary) VALUES ('delete', old.rid, old.title, old.summary);
END;

CREATE VIRTUAL TABLE tasks_fts USING fts5 (
    title, description,
    content = 'tasks', content_rowid = 'rid', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO tasks_fts (rowid, title, description) VALUES (new.rid, new.title, new.description);
END;
CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, description ON tasks
    WHEN old.title IS NOT new.title OR old.description IS NOT new.description BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, title, description) VALUES ('delete', old.rid, old.title, old.description);
    INSERT INTO tasks_fts (rowid, title, description) VALUES (new.rid, new.title, new.description);
END;
CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, title, description) VALUES ('delete', old.rid, old.title, old.description);
END;

CREATE VIRTUAL TABLE notes_fts USING fts5 (
    body,
    content = 'notes', content_rowid = 'rid', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts (rowid, body) VALUES (new.rid, new.body);
END;
CREATE TRIGGER notes_fts_update AFTER UPDATE OF body ON notes WHEN old.body IS NOT new.body BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, body) VALUES ('delete', old.rid, old.body);
    INSERT INTO notes_fts (rowid, body) VALUES (new.rid, new.body);
END;
CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, body) VALUES ('delete', old.rid, old.body);
END;

CREATE VIRTUAL TABLE timeline_fts USING fts5 (
    text,
    content = 'timeline', content_rowid = 'rid', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER timeline_fts_insert AFTER INSERT ON timeline BEGIN
    INSERT INTO timeline_fts (rowid, text) VALUES (new.rid, new.text);
END;
CREATE TRIGGER timeline_fts_update AFTER UPDATE OF text ON timeline WHEN old.text IS NOT new.text BEGIN
    INSERT INTO timeline_fts (timeline_fts, rowid, text) VALUES ('delete', old.rid, old.text);
    INSERT INTO timeline_fts (rowid, text) VALUES (new.rid, new.text);
END;
CREATE TRIGGER timeline_fts_delete AFTER DELETE ON timeline BEGIN
    INSERT INTO timeline_fts (timeline_fts, rowid, text) VALUES ('delete', old.rid, old.text);
END;

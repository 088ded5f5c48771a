-- Quell schema for PostgreSQL, version 1.
--
-- Conventions: every organisation-owned table carries org_id and every query filters on it;
-- ids are ULID strings made by callers, compared byte by byte (COLLATE "C"), so that id order
-- is creation order whatever the database's locale; child rows of an incident reference
-- (org_id, incident_id), so the database itself refuses a row that points into another
-- organisation.
--
-- Times: PostgreSQL keeps microseconds, Go keeps nanoseconds, and an audit record's hash covers
-- its time to the nanosecond. So every time is two columns: x timestamptz, the time truncated
-- to the microsecond (what people and SQL see), and x_ns smallint, the nanoseconds below it
-- (0 to 999). Both are NULL for an unset time. Orders and ranges use the pair.
--
-- Lists and maps whose nil and empty values differ (tags, custom fields, identifiers) are
-- NULL for nil. Full-text search uses generated tsvector columns with GIN indexes; see
-- search_words below.

-- search_words turns ASCII punctuation into spaces before text is split into words, so that
-- "xylophone-cdn.example", "svc_backup" or "203.0.113.7" are searchable by their parts (the
-- default parser would keep a host name or a file path as one word). Queries go through the
-- same function, so a query of several parts matches them as a phrase.
CREATE FUNCTION search_words(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT translate(t, E'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', '                                ') $$;

CREATE TABLE orgs (
    id            text COLLATE "C" PRIMARY KEY,
    slug          text COLLATE "C" NOT NULL UNIQUE,
    name          text NOT NULL,
    created_at    timestamptz NOT NULL,
    created_at_ns smallint NOT NULL
);

CREATE TABLE users (
    id               text COLLATE "C" PRIMARY KEY,
    username         text NOT NULL,
    -- username folded to lower case: user names are unique whatever their case.
    username_key     text COLLATE "C" NOT NULL UNIQUE,
    display_name     text NOT NULL,
    email            text NOT NULL,
    password_hash    text NOT NULL,
    disabled         boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    created_at_ns    smallint NOT NULL,
    updated_at       timestamptz NOT NULL,
    updated_at_ns    smallint NOT NULL,
    last_login_at    timestamptz,
    last_login_at_ns smallint,
    version          bigint NOT NULL
);

CREATE TABLE memberships (
    user_id text COLLATE "C" NOT NULL REFERENCES users (id),
    org_id  text COLLATE "C" NOT NULL REFERENCES orgs (id),
    role    text NOT NULL,
    PRIMARY KEY (user_id, org_id)
);
CREATE INDEX memberships_org ON memberships (org_id, user_id);

CREATE TABLE sessions (
    id              text COLLATE "C" PRIMARY KEY,
    user_id         text COLLATE "C" NOT NULL REFERENCES users (id),
    org_id          text COLLATE "C" NOT NULL,
    created_at      timestamptz NOT NULL,
    created_at_ns   smallint NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    last_seen_at_ns smallint NOT NULL,
    expires_at      timestamptz NOT NULL,
    expires_at_ns   smallint NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at, expires_at_ns);

CREATE TABLE tokens (
    id              text COLLATE "C" PRIMARY KEY,
    org_id          text COLLATE "C" NOT NULL REFERENCES orgs (id),
    user_id         text COLLATE "C" NOT NULL,
    name            text NOT NULL,
    prefix          text NOT NULL,
    hash            text COLLATE "C" NOT NULL UNIQUE,
    scope           text NOT NULL,
    created_at      timestamptz NOT NULL,
    created_at_ns   smallint NOT NULL,
    expires_at      timestamptz,
    expires_at_ns   smallint,
    last_used_at    timestamptz,
    last_used_at_ns smallint,
    revoked_at      timestamptz,
    revoked_at_ns   smallint
);
CREATE INDEX tokens_org_user ON tokens (org_id, user_id, id);

-- The next incident number of each organisation. NextNumber increments the row inside the
-- Write, so the row stays locked until commit: two nodes never hand out the same number, and
-- a number whose transaction rolls back is handed out again.
CREATE TABLE incident_counters (
    org_id text COLLATE "C" PRIMARY KEY REFERENCES orgs (id),
    next   bigint NOT NULL
);

CREATE TABLE incidents (
    id                 text COLLATE "C" PRIMARY KEY,
    org_id             text COLLATE "C" NOT NULL REFERENCES orgs (id),
    number             bigint NOT NULL,
    title              text NOT NULL,
    summary            text NOT NULL,
    type               text NOT NULL,
    severity           text NOT NULL,
    -- incident.Severity.Rank: 4 critical … 0 informational.
    severity_rank      smallint NOT NULL,
    priority           text NOT NULL,
    -- 4 for P1 … 1 for P4, so that every list sorts "worst first" descending.
    priority_rank      smallint NOT NULL,
    phase              text COLLATE "C" NOT NULL,
    resolution         text NOT NULL,
    tlp                text NOT NULL,
    restricted         boolean NOT NULL,
    tags               text[],
    custom_fields      jsonb,
    occurred_at        timestamptz,
    occurred_at_ns     smallint,
    detected_at        timestamptz,
    detected_at_ns     smallint,
    reported_at        timestamptz,
    reported_at_ns     smallint,
    acknowledged_at    timestamptz,
    acknowledged_at_ns smallint,
    contained_at       timestamptz,
    contained_at_ns    smallint,
    eradicated_at      timestamptz,
    eradicated_at_ns   smallint,
    recovered_at       timestamptz,
    recovered_at_ns    smallint,
    closed_at          timestamptz,
    closed_at_ns       smallint,
    max_criticality    smallint NOT NULL,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL,
    created_at_ns      smallint NOT NULL,
    updated_at         timestamptz NOT NULL,
    updated_at_ns      smallint NOT NULL,
    version            bigint NOT NULL,
    search             tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', search_words(title)), 'A') ||
        setweight(to_tsvector('simple', search_words(summary)), 'B')) STORED,
    UNIQUE (org_id, number),
    -- Newest first (ids are ULIDs) and the target of the children's (org_id, incident_id) keys.
    UNIQUE (org_id, id)
);
CREATE INDEX incidents_updated ON incidents (org_id, updated_at, updated_at_ns, id);
CREATE INDEX incidents_severity ON incidents (org_id, severity_rank, id);
CREATE INDEX incidents_priority ON incidents (org_id, priority_rank, id);
CREATE INDEX incidents_phase ON incidents (org_id, phase, id);
-- Restricted incidents, for need-to-know checks over many rows (search).
CREATE INDEX incidents_restricted ON incidents (org_id, id) WHERE restricted;
CREATE INDEX incidents_tags ON incidents USING gin (tags);
CREATE INDEX incidents_search ON incidents USING gin (search);

CREATE TABLE phase_changes (
    id          text COLLATE "C" PRIMARY KEY,
    org_id      text COLLATE "C" NOT NULL,
    incident_id text COLLATE "C" NOT NULL,
    from_phase  text NOT NULL,
    to_phase    text NOT NULL,
    direction   text NOT NULL,
    actor       text NOT NULL,
    at          timestamptz NOT NULL,
    at_ns       smallint NOT NULL,
    reason      text NOT NULL,
    override    boolean NOT NULL,
    unmet       text[],
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX phase_changes_incident ON phase_changes (incident_id, at, at_ns, id);

CREATE TABLE milestone_corrections (
    id          text COLLATE "C" PRIMARY KEY,
    org_id      text COLLATE "C" NOT NULL,
    incident_id text COLLATE "C" NOT NULL,
    milestone   text NOT NULL,
    old_at      timestamptz,
    old_at_ns   smallint,
    new_at      timestamptz,
    new_at_ns   smallint,
    reason      text NOT NULL,
    actor       text NOT NULL,
    at          timestamptz NOT NULL,
    at_ns       smallint NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX milestone_corrections_incident ON milestone_corrections (incident_id, at, at_ns, id);

CREATE TABLE assignments (
    incident_id    text COLLATE "C" NOT NULL,
    role           text COLLATE "C" NOT NULL,
    org_id         text COLLATE "C" NOT NULL,
    user_id        text COLLATE "C" NOT NULL REFERENCES users (id),
    assigned_by    text NOT NULL,
    assigned_at    timestamptz NOT NULL,
    assigned_at_ns smallint NOT NULL,
    PRIMARY KEY (incident_id, role),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX assignments_user ON assignments (org_id, user_id, incident_id);

CREATE TABLE incident_members (
    incident_id text COLLATE "C" NOT NULL,
    user_id     text COLLATE "C" NOT NULL REFERENCES users (id),
    org_id      text COLLATE "C" NOT NULL,
    PRIMARY KEY (incident_id, user_id),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX incident_members_user ON incident_members (user_id);

CREATE TABLE tasks (
    id                  text COLLATE "C" PRIMARY KEY,
    org_id              text COLLATE "C" NOT NULL,
    incident_id         text COLLATE "C" NOT NULL,
    phase               text NOT NULL,
    -- incident.Phase.Index, for "phase order".
    phase_rank          smallint NOT NULL,
    title               text NOT NULL,
    description         text NOT NULL,
    role                text NOT NULL,
    -- A user name (incident.Task.Assignee), '' when nobody is assigned.
    assignee            text COLLATE "C" NOT NULL,
    status              text COLLATE "C" NOT NULL,
    required            boolean NOT NULL,
    due_at              timestamptz,
    due_at_ns           smallint,
    origin              text NOT NULL,
    overdue_noted_at    timestamptz,
    overdue_noted_at_ns smallint,
    completed_at        timestamptz,
    completed_at_ns     smallint,
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL,
    created_at_ns       smallint NOT NULL,
    updated_at          timestamptz NOT NULL,
    updated_at_ns       smallint NOT NULL,
    version             bigint NOT NULL,
    search              tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', search_words(title)), 'A') ||
        setweight(to_tsvector('simple', search_words(description)), 'B')) STORED,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX tasks_incident ON tasks (incident_id, phase_rank, id);
CREATE INDEX tasks_org ON tasks (org_id, id);
CREATE INDEX tasks_assignee ON tasks (org_id, assignee, incident_id) WHERE assignee <> '';
-- Unfinished, due and not yet noted as overdue: what the overdue sweep looks at.
CREATE INDEX tasks_due_unnoted ON tasks (due_at, due_at_ns, id)
    WHERE due_at IS NOT NULL AND overdue_noted_at IS NULL AND status NOT IN ('done', 'skipped');
CREATE INDEX tasks_search ON tasks USING gin (search);

CREATE TABLE notes (
    id            text COLLATE "C" PRIMARY KEY,
    org_id        text COLLATE "C" NOT NULL,
    incident_id   text COLLATE "C" NOT NULL,
    body          text NOT NULL,
    author        text NOT NULL,
    created_at    timestamptz NOT NULL,
    created_at_ns smallint NOT NULL,
    updated_at    timestamptz NOT NULL,
    updated_at_ns smallint NOT NULL,
    version       bigint NOT NULL,
    search        tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_words(body))) STORED,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX notes_incident ON notes (incident_id, created_at, created_at_ns, id);
-- Newest first within an organisation, for search (search.go).
CREATE INDEX notes_org ON notes (org_id, id);
CREATE INDEX notes_search ON notes USING gin (search);

CREATE TABLE note_revisions (
    note_id      text COLLATE "C" NOT NULL REFERENCES notes (id),
    version      bigint NOT NULL,
    org_id       text COLLATE "C" NOT NULL,
    body         text NOT NULL,
    edited_by    text NOT NULL,
    edited_at    timestamptz NOT NULL,
    edited_at_ns smallint NOT NULL,
    PRIMARY KEY (note_id, version)
);

CREATE TABLE timeline (
    id             text COLLATE "C" PRIMARY KEY,
    org_id         text COLLATE "C" NOT NULL,
    incident_id    text COLLATE "C" NOT NULL,
    event_at       timestamptz NOT NULL,
    event_at_ns    smallint NOT NULL,
    event_zone     text NOT NULL,
    recorded_at    timestamptz NOT NULL,
    recorded_at_ns smallint NOT NULL,
    kind           text COLLATE "C" NOT NULL,
    actor          text NOT NULL,
    text           text NOT NULL,
    details        jsonb,
    technique      text NOT NULL,
    flagged        boolean NOT NULL,
    search         tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_words(text))) STORED,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX timeline_incident ON timeline (incident_id, event_at, event_at_ns, id);
CREATE INDEX timeline_flagged ON timeline (incident_id, event_at, event_at_ns, id) WHERE flagged;
CREATE INDEX timeline_org ON timeline (org_id, id);
CREATE INDEX timeline_search ON timeline USING gin (search);

CREATE TABLE assets (
    id                  text COLLATE "C" PRIMARY KEY,
    org_id              text COLLATE "C" NOT NULL REFERENCES orgs (id),
    kind                text COLLATE "C" NOT NULL,
    name                text NOT NULL,
    description         text NOT NULL,
    identifiers         jsonb,
    criticality         smallint NOT NULL,
    owner               text NOT NULL,
    data_classification text NOT NULL,
    personal_data       boolean NOT NULL,
    created_at          timestamptz NOT NULL,
    created_at_ns       smallint NOT NULL,
    updated_at          timestamptz NOT NULL,
    updated_at_ns       smallint NOT NULL,
    version             bigint NOT NULL,
    UNIQUE (org_id, id)
);
CREATE INDEX assets_kind ON assets (org_id, kind, id);

-- The identifiers of assets.identifiers, one row each, for look-ups by value and by prefix.
CREATE TABLE asset_identifiers (
    asset_id text COLLATE "C" NOT NULL,
    position integer NOT NULL,
    org_id   text COLLATE "C" NOT NULL,
    type     text COLLATE "C" NOT NULL,
    value    text NOT NULL,
    PRIMARY KEY (asset_id, position),
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id)
);
CREATE INDEX asset_identifiers_value ON asset_identifiers (org_id, type, value);
CREATE INDEX asset_identifiers_prefix ON asset_identifiers (org_id, lower(value) text_pattern_ops);

CREATE TABLE incident_assets (
    incident_id   text COLLATE "C" NOT NULL,
    asset_id      text COLLATE "C" NOT NULL,
    org_id        text COLLATE "C" NOT NULL,
    status        text NOT NULL,
    note          text NOT NULL,
    updated_by    text NOT NULL,
    updated_at    timestamptz NOT NULL,
    updated_at_ns smallint NOT NULL,
    PRIMARY KEY (incident_id, asset_id),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id),
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id)
);
CREATE INDEX incident_assets_asset ON incident_assets (asset_id, incident_id);

-- The hash chain of audit records. seq is the position in the chain, from 1, without gaps;
-- org_id and incident_id are '' when the record belongs to none.
CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY,
    id          text COLLATE "C" NOT NULL UNIQUE,
    org_id      text COLLATE "C" NOT NULL,
    at          timestamptz NOT NULL,
    at_ns       smallint NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    object_type text NOT NULL,
    object_id   text NOT NULL,
    incident_id text COLLATE "C" NOT NULL,
    -- JSON kept byte for byte (text, not jsonb): the record's hash covers it.
    changes     text,
    prev_hash   text NOT NULL,
    hash        text NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, seq);
CREATE INDEX audit_log_incident ON audit_log (incident_id, seq) WHERE incident_id <> '';

-- The head of the audit chain: one row, the sequence number and hash of the last record.
-- AuditLog.Append locks it (SELECT … FOR UPDATE) until its transaction ends, so appends from
-- every node form one linear chain. A tool that writes audit_log directly must keep it in step.
CREATE TABLE audit_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq       bigint NOT NULL,
    hash      text NOT NULL
);
INSERT INTO audit_head (singleton, seq, hash)
    VALUES (true, 0, '0000000000000000000000000000000000000000000000000000000000000000');

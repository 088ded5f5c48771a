-- Alert intake: alerts, silences, intake sources, idempotency keys, correlation keys.
-- See docs/intake.md. Conventions as in 0001.

CREATE TABLE alerts (
    rid           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    source        TEXT NOT NULL,
    -- '' when the source gave no id of its own.
    source_ref    TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    severity      TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    priority      TEXT NOT NULL,
    labels        TEXT NOT NULL,
    observables   TEXT NOT NULL,
    asset_ids     TEXT NOT NULL,
    raw           BLOB,
    raw_truncated INTEGER NOT NULL,
    occurred_at   TEXT NOT NULL,
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    count         INTEGER NOT NULL,
    status        TEXT NOT NULL,
    verdict       TEXT NOT NULL,
    silence_id    TEXT NOT NULL,
    incident_id   TEXT,
    -- 1 until the correlation worker has looked at the alert.
    pending       INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
-- One open alert per (organisation, source, fingerprint): the deduplication key.
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (org_id, source, fingerprint)
    WHERE status IN ('new', 'triaged', 'promoted');
CREATE INDEX alerts_source_ref ON alerts (org_id, source, source_ref) WHERE source_ref <> '';
CREATE INDEX alerts_org ON alerts (org_id, id);
CREATE INDEX alerts_status ON alerts (org_id, status, id);
CREATE INDEX alerts_incident ON alerts (org_id, incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX alerts_pending ON alerts (rid) WHERE pending = 1;

CREATE TABLE silences (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    matchers   TEXT NOT NULL,
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expired_at TEXT
);
CREATE INDEX silences_org ON silences (org_id, ends_at);
CREATE INDEX silences_ends ON silences (ends_at);

CREATE TABLE intake_sources (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    name         TEXT NOT NULL,
    format       TEXT NOT NULL,
    mapping      TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT,
    UNIQUE (org_id, name)
);

CREATE TABLE idempotency_keys (
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    key        TEXT NOT NULL,
    answer     BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE correlation_keys (
    org_id      TEXT NOT NULL,
    key         TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    seen_at     TEXT NOT NULL,
    PRIMARY KEY (org_id, key, incident_id),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
) WITHOUT ROWID;

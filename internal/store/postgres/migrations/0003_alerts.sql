-- Alert intake: alerts, silences, intake sources, idempotency keys, correlation keys.
-- See docs/intake.md. Conventions as in 0001: times in two columns (x, x_ns).

CREATE TABLE alerts (
    rid            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             text COLLATE "C" NOT NULL UNIQUE,
    org_id         text COLLATE "C" NOT NULL REFERENCES orgs (id),
    source         text COLLATE "C" NOT NULL,
    source_ref     text COLLATE "C" NOT NULL,
    fingerprint    text COLLATE "C" NOT NULL,
    title          text NOT NULL,
    description    text NOT NULL,
    severity       text NOT NULL,
    severity_rank  smallint NOT NULL,
    priority       text NOT NULL,
    labels         jsonb NOT NULL,
    observables    jsonb NOT NULL,
    asset_ids      jsonb NOT NULL,
    raw            bytea,
    raw_truncated  boolean NOT NULL,
    occurred_at    timestamptz NOT NULL,
    occurred_at_ns smallint NOT NULL,
    first_seen     timestamptz NOT NULL,
    first_seen_ns  smallint NOT NULL,
    last_seen      timestamptz NOT NULL,
    last_seen_ns   smallint NOT NULL,
    count          bigint NOT NULL,
    status         text NOT NULL,
    verdict        text NOT NULL,
    silence_id     text COLLATE "C" NOT NULL,
    incident_id    text COLLATE "C",
    pending        boolean NOT NULL,
    version        bigint NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (org_id, source, fingerprint)
    WHERE status IN ('new', 'triaged', 'promoted');
CREATE INDEX alerts_source_ref ON alerts (org_id, source, source_ref) WHERE source_ref <> '';
CREATE INDEX alerts_org ON alerts (org_id, id);
CREATE INDEX alerts_status ON alerts (org_id, status, id);
CREATE INDEX alerts_incident ON alerts (org_id, incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX alerts_pending ON alerts (rid) WHERE pending;

CREATE TABLE silences (
    id            text COLLATE "C" PRIMARY KEY,
    org_id        text COLLATE "C" NOT NULL REFERENCES orgs (id),
    matchers      jsonb NOT NULL,
    starts_at     timestamptz NOT NULL,
    starts_at_ns  smallint NOT NULL,
    ends_at       timestamptz NOT NULL,
    ends_at_ns    smallint NOT NULL,
    created_by    text NOT NULL,
    reason        text NOT NULL,
    created_at    timestamptz NOT NULL,
    created_at_ns smallint NOT NULL,
    expired_at    timestamptz,
    expired_at_ns smallint
);
CREATE INDEX silences_org ON silences (org_id, ends_at);
CREATE INDEX silences_ends ON silences (ends_at);

CREATE TABLE intake_sources (
    id              text COLLATE "C" PRIMARY KEY,
    org_id          text COLLATE "C" NOT NULL REFERENCES orgs (id),
    name            text NOT NULL,
    format          text NOT NULL,
    mapping         text NOT NULL,
    prefix          text NOT NULL,
    hash            text COLLATE "C" NOT NULL UNIQUE,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL,
    created_at_ns   smallint NOT NULL,
    last_used_at    timestamptz,
    last_used_at_ns smallint,
    revoked_at      timestamptz,
    revoked_at_ns   smallint,
    UNIQUE (org_id, name)
);

CREATE TABLE idempotency_keys (
    org_id        text COLLATE "C" NOT NULL REFERENCES orgs (id),
    key           text COLLATE "C" NOT NULL,
    answer        bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (org_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE correlation_keys (
    org_id      text COLLATE "C" NOT NULL,
    key         text COLLATE "C" NOT NULL,
    incident_id text COLLATE "C" NOT NULL,
    seen_at     timestamptz NOT NULL,
    seen_at_ns  smallint NOT NULL,
    PRIMARY KEY (org_id, key, incident_id),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);

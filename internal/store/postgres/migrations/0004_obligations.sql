-- Regulatory and SLA clocks: the triggers recorded on incidents, the submission log, the
-- notices already put on timelines, and when each incident's clocks are next looked at.
-- See docs/obligations.md. Conventions as in 0001: times in two columns (x, x_ns).

CREATE TABLE obligation_triggers (
    id             text COLLATE "C" PRIMARY KEY,
    org_id         text COLLATE "C" NOT NULL REFERENCES orgs (id),
    incident_id    text COLLATE "C" NOT NULL,
    name           text COLLATE "C" NOT NULL,
    at             timestamptz NOT NULL,
    at_ns          smallint NOT NULL,
    recorded_by    text NOT NULL,
    recorded_at    timestamptz NOT NULL,
    recorded_at_ns smallint NOT NULL,
    note           text NOT NULL,
    UNIQUE (org_id, incident_id, name),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);

CREATE TABLE obligation_submissions (
    id              text COLLATE "C" PRIMARY KEY,
    org_id          text COLLATE "C" NOT NULL REFERENCES orgs (id),
    incident_id     text COLLATE "C" NOT NULL,
    obligation      text COLLATE "C" NOT NULL,
    submitted_at    timestamptz NOT NULL,
    submitted_at_ns smallint NOT NULL,
    recipient       text NOT NULL,
    summary         text NOT NULL,
    reference       text NOT NULL,
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL,
    recorded_at_ns  smallint NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);
CREATE INDEX obligation_submissions_incident ON obligation_submissions (org_id, incident_id, submitted_at);

-- One row per notice given: an SLA breached ("sla:contain") or an obligation overdue
-- ("obligation:gdpr-art33"), so that each is put on the timeline once.
CREATE TABLE clock_notices (
    org_id        text COLLATE "C" NOT NULL,
    incident_id   text COLLATE "C" NOT NULL,
    item          text COLLATE "C" NOT NULL,
    noticed_at    timestamptz NOT NULL,
    noticed_at_ns smallint NOT NULL,
    PRIMARY KEY (org_id, incident_id, item),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);

-- When the incident's clocks are next to be looked at: the time of the job scheduled for it.
CREATE TABLE clock_checks (
    org_id      text COLLATE "C" NOT NULL,
    incident_id text COLLATE "C" NOT NULL,
    next_at     timestamptz NOT NULL,
    next_at_ns  smallint NOT NULL,
    PRIMARY KEY (org_id, incident_id),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id)
);

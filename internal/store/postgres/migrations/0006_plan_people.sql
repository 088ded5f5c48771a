-- The incident response plan and the people it names: the plan's versions, contacts, teams
-- and rosters. See docs/plan.md. Conventions as in 0001: times in two columns (x, x_ns).

-- One row per version of an organisation's plan; content is the plan as JSON text.
CREATE TABLE plan_versions (
    org_id         text COLLATE "C" NOT NULL REFERENCES orgs (id),
    number         integer NOT NULL,
    content        text NOT NULL,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL,
    created_at_ns  smallint NOT NULL,
    approved_by    text NOT NULL DEFAULT '',
    approved_at    timestamptz,
    approved_at_ns smallint,
    next_review    timestamptz,
    next_review_ns smallint,
    PRIMARY KEY (org_id, number)
);

-- channels is a JSON array of {kind, value, label}.
CREATE TABLE contacts (
    id             text COLLATE "C" PRIMARY KEY,
    org_id         text COLLATE "C" NOT NULL REFERENCES orgs (id),
    name           text NOT NULL,
    title          text NOT NULL,
    organisation   text NOT NULL,
    external       boolean NOT NULL,
    channels       text NOT NULL,
    notes          text NOT NULL,
    version        bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    created_at_ns  smallint NOT NULL,
    updated_at     timestamptz NOT NULL,
    updated_at_ns  smallint NOT NULL,
    archived_at    timestamptz,
    archived_at_ns smallint
);
CREATE INDEX contacts_org ON contacts (org_id, name);

-- members is a JSON array of contact ids.
CREATE TABLE teams (
    id             text COLLATE "C" PRIMARY KEY,
    org_id         text COLLATE "C" NOT NULL REFERENCES orgs (id),
    name           text NOT NULL,
    description    text NOT NULL,
    members        text NOT NULL,
    version        bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    created_at_ns  smallint NOT NULL,
    updated_at     timestamptz NOT NULL,
    updated_at_ns  smallint NOT NULL,
    archived_at    timestamptz,
    archived_at_ns smallint
);
CREATE INDEX teams_org ON teams (org_id, name);

-- Who can fill an incident role from starts (inclusive) to ends (exclusive); contacts and
-- users are JSON arrays of contact ids and user names.
CREATE TABLE rosters (
    id             text COLLATE "C" PRIMARY KEY,
    org_id         text COLLATE "C" NOT NULL REFERENCES orgs (id),
    role           text COLLATE "C" NOT NULL,
    starts         timestamptz NOT NULL,
    starts_ns      smallint NOT NULL,
    ends           timestamptz NOT NULL,
    ends_ns        smallint NOT NULL,
    contacts       text NOT NULL,
    users          text NOT NULL,
    note           text NOT NULL,
    version        bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    created_at_ns  smallint NOT NULL,
    updated_at     timestamptz NOT NULL,
    updated_at_ns  smallint NOT NULL,
    archived_at    timestamptz,
    archived_at_ns smallint
);
CREATE INDEX rosters_org_role ON rosters (org_id, role, starts);

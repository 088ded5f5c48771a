-- Search indexes of alerts, so that the queue's text search (AlertFilter.Query: a substring of
-- the title, or the whole fingerprint) and its observable filter stay fast at millions of
-- alerts.
--
-- Intake does not write them: an alert row must stay cheap to insert. The correlation worker
-- indexes each alert in the transaction that takes it off the pending list, so every alert is
-- either pending or indexed, and a search reads the indexes for the one and scans the (few)
-- pending alerts for the other. The indexes find candidates; every candidate is checked
-- against the alert itself, so a search answers exactly what a scan would.

-- Trigrams of titles, case-folded; the rowid is the alert's rid. Contentless (the text is in
-- alerts) and with no positions (a search asks for every trigram of its text, then checks the
-- candidates).
CREATE VIRTUAL TABLE alert_titles USING fts5 (
    title,
    content = '', contentless_delete = 1, tokenize = 'trigram', detail = none
);

-- The values an alert is found by whole: its fingerprint ('f:' and the fingerprint) and each
-- of its observables ('o:' and the value).
CREATE TABLE alert_terms (
    org_id    TEXT NOT NULL,
    term      TEXT NOT NULL,
    alert_rid INTEGER NOT NULL,
    PRIMARY KEY (org_id, term, alert_rid)
) WITHOUT ROWID;

-- Alerts correlated before this migration.
INSERT INTO alert_titles (rowid, title) SELECT rid, title FROM alerts WHERE pending = 0;
INSERT OR IGNORE INTO alert_terms (org_id, term, alert_rid)
    SELECT org_id, 'f:' || fingerprint, rid FROM alerts WHERE pending = 0;
INSERT OR IGNORE INTO alert_terms (org_id, term, alert_rid)
    SELECT a.org_id, 'o:' || json_extract(o.value, '$.value'), a.rid
    FROM alerts a, json_each(a.observables) o
    WHERE a.pending = 0 AND json_extract(o.value, '$.value') IS NOT NULL;

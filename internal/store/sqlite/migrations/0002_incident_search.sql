-- Search documents of incidents, for the full-text filter of incident lists; and indexes for
-- the panels of the dashboard.
--
-- The filter (IncidentFilter.Query) selects the incidents that hold every word of a search
-- anywhere in their own text (key, title, summary, tags), tasks, notes or timeline. The
-- per-row indexes of 0001 answer that with a union over four tables, whose cost follows the
-- number of matching rows: a word in a third of the timeline is hundreds of thousands of rows
-- to gather for a page of fifty incidents. Here every incident has a search document instead,
-- so that the filter is one FTS5 look-up returning incident rowids. The per-row indexes stay
-- for the search endpoint (store.Search), which returns hits on tasks, notes and timeline
-- entries.
--
-- Rebuilding a document on every change costs what the document costs, so an incident is kept
-- in one of two shapes:
--
--   * short (at most 128 timeline entries and 64 Ki characters of text, nearly every incident):
--     one row of incident_search, rowid incidents.rid, with all of its text, rebuilt from the
--     incident's rows on every change;
--   * long (beyond either bound): rows of incident_search_parts instead, each bounded and
--     changed on its own: one for the incident's own text, one per task and per note, and
--     blocks of up to 128 timeline entries (and 64 Ki characters) in the order they came. A
--     new entry goes at the end of the last block or opens a new one.
--
-- An incident matches when every word is in its document or, for a long incident, each word in
-- one of its parts (the queries, in search.go, intersect the matches of each word). Queries
-- join the incidents for their organisation and visibility, as every other query does.
--
-- incident_search_state holds each incident's shape and, while it is short, its number of
-- timeline entries and characters, so that a change knows without reading the incident's rows
-- whether the document still fits. The triggers below keep all of it in step with incidents,
-- tasks, notes and timeline. incident_search is contentless (the text is the incidents'), with
-- contentless_delete so that a document is replaced by rowid; the parts keep their text, as a
-- timeline block grows by appending to it, and are indexed as an external-content table.
--
-- The documents are made here for the incidents there are: a one-off cost of about the
-- indexing of all their text.

-- The dashboard. Unfinished tasks with a due time, by due time: the tasks due before a time
-- (TaskFilter.DueBefore) without reading every task. Open incidents by priority: the most
-- urgent ones (IncidentFilter.Open) without reading the closed ones. Phase, severity and
-- restriction of incidents: the counts by phase and severity from the index alone.
CREATE INDEX tasks_open_due ON tasks (org_id, due_at)
    WHERE due_at IS NOT NULL AND status NOT IN ('done', 'skipped');
CREATE INDEX incidents_open_priority ON incidents (org_id, priority_rank, id) WHERE phase <> 'closed';
CREATE INDEX incidents_phase_severity ON incidents (org_id, phase, severity, restricted);

-- The text of an incident: its own (key, title, summary, tags) and all of it, by rid and id.
CREATE VIEW incident_search_text (rid, incident_id, own, doc) AS
SELECT i.rid, i.id, i.own, i.own || ' ' ||
    coalesce((SELECT group_concat(t.title || ' ' || t.description, ' ') FROM tasks t WHERE t.incident_id = i.id), '') || ' ' ||
    coalesce((SELECT group_concat(n.body, ' ') FROM notes n WHERE n.incident_id = i.id), '') || ' ' ||
    coalesce((SELECT group_concat(e.text, ' ') FROM timeline e WHERE e.incident_id = i.id), '')
FROM (SELECT rid, id, 'INC-' || number || ' ' || title || ' ' || summary || ' ' ||
    coalesce((SELECT group_concat(j.value, ' ') FROM json_each(tags) j), '') AS own FROM incidents) i;

CREATE VIRTUAL TABLE incident_search USING fts5 (
    doc,
    content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE incident_search_state (
    incident_rid INTEGER PRIMARY KEY,
    -- 1 when the incident is kept in parts.
    long         INTEGER NOT NULL,
    -- While it is short: its timeline entries, and about the characters of its document.
    entries      INTEGER NOT NULL,
    length       INTEGER NOT NULL
);

CREATE TABLE incident_search_parts (
    rid          INTEGER PRIMARY KEY,
    incident_rid INTEGER NOT NULL,
    -- 'incident' (its own text), 'task' and 'note' (source: the row's rid) or 'timeline'
    -- (source: the block's number, increasing in the order of the entries).
    kind         TEXT NOT NULL,
    source       INTEGER NOT NULL,
    -- A block's entries and the rid of its last one.
    entries      INTEGER NOT NULL,
    last_entry   INTEGER,
    doc          TEXT NOT NULL,
    UNIQUE (incident_rid, kind, source)
);

CREATE VIRTUAL TABLE incident_search_parts_fts USING fts5 (
    doc,
    content = 'incident_search_parts', content_rowid = 'rid', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER incident_search_parts_fts_insert AFTER INSERT ON incident_search_parts BEGIN
    INSERT INTO incident_search_parts_fts (rowid, doc) VALUES (new.rid, new.doc);
END;
CREATE TRIGGER incident_search_parts_fts_update AFTER UPDATE OF doc ON incident_search_parts
    WHEN old.doc IS NOT new.doc BEGIN
    INSERT INTO incident_search_parts_fts (incident_search_parts_fts, rowid, doc) VALUES ('delete', old.rid, old.doc);
    INSERT INTO incident_search_parts_fts (rowid, doc) VALUES (new.rid, new.doc);
END;
CREATE TRIGGER incident_search_parts_fts_delete AFTER DELETE ON incident_search_parts BEGIN
    INSERT INTO incident_search_parts_fts (incident_search_parts_fts, rowid, doc) VALUES ('delete', old.rid, old.doc);
END;

-- Every trigger below first counts the change while the incident is short, then changes the
-- parts of a long incident, then rebuilds the document of a short one; when the document would
-- outgrow its bounds, the incident is made long instead: its parts, then its state. Of these
-- statements, those that do not apply to the incident's shape find no row to change.

-- Incidents: a new one is short.

CREATE TRIGGER incident_search_incident_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO incident_search_state (incident_rid, long, entries, length)
        SELECT s.rid, 0, 0, length(s.own) FROM incident_search_text s WHERE s.rid = new.rid;
    INSERT INTO incident_search (rowid, doc) SELECT s.rid, s.doc FROM incident_search_text s WHERE s.rid = new.rid;
END;

CREATE TRIGGER incident_search_incident_update AFTER UPDATE OF number, title, summary, tags ON incidents
    WHEN old.number IS NOT new.number OR old.title IS NOT new.title OR old.summary IS NOT new.summary
        OR old.tags IS NOT new.tags BEGIN
    UPDATE incident_search_state SET length = length - length(old.title) - length(old.summary) - length(old.tags)
            + length(new.title) + length(new.summary) + length(new.tags)
        WHERE incident_rid = new.rid AND NOT long;
    UPDATE incident_search_parts SET doc = (SELECT s.own FROM incident_search_text s WHERE s.rid = new.rid)
        WHERE incident_rid = new.rid AND kind = 'incident';
    DELETE FROM incident_search WHERE rowid = new.rid
        AND (SELECT NOT long FROM incident_search_state WHERE incident_rid = new.rid);
    INSERT INTO incident_search (rowid, doc)
        SELECT s.rid, s.doc FROM incident_search_text s WHERE s.incident_id = new.id
            AND (SELECT NOT long AND entries <= 128 AND length <= 65536 FROM incident_search_state WHERE incident_rid = new.rid);
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT s.rid, 'incident', 0, 0, NULL, s.own FROM incident_search_text s WHERE s.incident_id = new.id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = new.rid);
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'task', t.rid, 0, NULL, t.title || ' ' || t.description
        FROM incidents i CROSS JOIN tasks t ON t.incident_id = i.id WHERE i.id = new.id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = new.rid);
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'note', n.rid, 0, NULL, n.body
        FROM incidents i CROSS JOIN notes n ON n.incident_id = i.id WHERE i.id = new.id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = new.rid);
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = new.id
                AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = new.rid)
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    UPDATE incident_search_state SET long = 1
        WHERE incident_rid = new.rid AND NOT long AND (entries > 128 OR length > 65536);
END;

CREATE TRIGGER incident_search_incident_delete AFTER DELETE ON incidents BEGIN
    DELETE FROM incident_search WHERE rowid = old.rid;
    DELETE FROM incident_search_parts WHERE incident_rid = old.rid;
    DELETE FROM incident_search_state WHERE incident_rid = old.rid;
END;

-- Tasks and notes: one part each in a long incident.

CREATE TRIGGER incident_search_task_insert AFTER INSERT ON tasks BEGIN
    UPDATE incident_search_state SET length = length + length(new.title || ' ' || new.description) + 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long;
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT (SELECT rid FROM incidents WHERE id = new.incident_id), 'task', new.rid, 0, NULL, new.title || ' ' || new.description
        WHERE (SELECT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    DELETE FROM incident_search WHERE rowid = (SELECT rid FROM incidents WHERE id = new.incident_id)
        AND (SELECT NOT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search (rowid, doc)
        SELECT s.rid, s.doc FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND entries <= 128 AND length <= 65536 FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT s.rid, 'incident', 0, 0, NULL, s.own FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'task', t.rid, 0, NULL, t.title || ' ' || t.description
        FROM incidents i CROSS JOIN tasks t ON t.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'note', n.rid, 0, NULL, n.body
        FROM incidents i CROSS JOIN notes n ON n.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = new.incident_id
                AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id))
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    UPDATE incident_search_state SET long = 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long AND (entries > 128 OR length > 65536);
END;

CREATE TRIGGER incident_search_task_update AFTER UPDATE OF title, description ON tasks
    WHEN old.title IS NOT new.title OR old.description IS NOT new.description BEGIN
    UPDATE incident_search_state SET length = length + length(new.title || ' ' || new.description) - length(old.title || ' ' || old.description)
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long;
    UPDATE incident_search_parts SET doc = new.title || ' ' || new.description
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND kind = 'task' AND source = new.rid;
    DELETE FROM incident_search WHERE rowid = (SELECT rid FROM incidents WHERE id = new.incident_id)
        AND (SELECT NOT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search (rowid, doc)
        SELECT s.rid, s.doc FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND entries <= 128 AND length <= 65536 FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT s.rid, 'incident', 0, 0, NULL, s.own FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'task', t.rid, 0, NULL, t.title || ' ' || t.description
        FROM incidents i CROSS JOIN tasks t ON t.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'note', n.rid, 0, NULL, n.body
        FROM incidents i CROSS JOIN notes n ON n.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = new.incident_id
                AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id))
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    UPDATE incident_search_state SET long = 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long AND (entries > 128 OR length > 65536);
END;

CREATE TRIGGER incident_search_task_delete AFTER DELETE ON tasks BEGIN
    UPDATE incident_search_state SET length = length - length(old.title || ' ' || old.description) - 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id) AND NOT long;
    DELETE FROM incident_search_parts
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id) AND kind = 'task' AND source = old.rid;
    DELETE FROM incident_search WHERE rowid = (SELECT rid FROM incidents WHERE id = old.incident_id)
        AND (SELECT NOT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search (rowid, doc)
        SELECT s.rid, s.doc FROM incident_search_text s WHERE s.incident_id = old.incident_id
            AND (SELECT NOT long AND entries <= 128 AND length <= 65536 FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT s.rid, 'incident', 0, 0, NULL, s.own FROM incident_search_text s WHERE s.incident_id = old.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'task', t.rid, 0, NULL, t.title || ' ' || t.description
        FROM incidents i CROSS JOIN tasks t ON t.incident_id = i.id WHERE i.id = old.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'note', n.rid, 0, NULL, n.body
        FROM incidents i CROSS JOIN notes n ON n.incident_id = i.id WHERE i.id = old.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = old.incident_id
                AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id))
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    UPDATE incident_search_state SET long = 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id) AND NOT long AND (entries > 128 OR length > 65536);
END;

CREATE TRIGGER incident_search_note_insert AFTER INSERT ON notes BEGIN
    UPDATE incident_search_state SET length = length + length(new.body) + 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long;
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT (SELECT rid FROM incidents WHERE id = new.incident_id), 'note', new.rid, 0, NULL, new.body
        WHERE (SELECT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    DELETE FROM incident_search WHERE rowid = (SELECT rid FROM incidents WHERE id = new.incident_id)
        AND (SELECT NOT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search (rowid, doc)
        SELECT s.rid, s.doc FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND entries <= 128 AND length <= 65536 FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT s.rid, 'incident', 0, 0, NULL, s.own FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'task', t.rid, 0, NULL, t.title || ' ' || t.description
        FROM incidents i CROSS JOIN tasks t ON t.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'note', n.rid, 0, NULL, n.body
        FROM incidents i CROSS JOIN notes n ON n.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = new.incident_id
                AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id))
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    UPDATE incident_search_state SET long = 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long AND (entries > 128 OR length > 65536);
END;

CREATE TRIGGER incident_search_note_update AFTER UPDATE OF body ON notes
    WHEN old.body IS NOT new.body BEGIN
    UPDATE incident_search_state SET length = length + length(new.body) - length(old.body)
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long;
    UPDATE incident_search_parts SET doc = new.body
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND kind = 'note' AND source = new.rid;
    DELETE FROM incident_search WHERE rowid = (SELECT rid FROM incidents WHERE id = new.incident_id)
        AND (SELECT NOT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search (rowid, doc)
        SELECT s.rid, s.doc FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND entries <= 128 AND length <= 65536 FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT s.rid, 'incident', 0, 0, NULL, s.own FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'task', t.rid, 0, NULL, t.title || ' ' || t.description
        FROM incidents i CROSS JOIN tasks t ON t.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'note', n.rid, 0, NULL, n.body
        FROM incidents i CROSS JOIN notes n ON n.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = new.incident_id
                AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id))
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    UPDATE incident_search_state SET long = 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long AND (entries > 128 OR length > 65536);
END;

CREATE TRIGGER incident_search_note_delete AFTER DELETE ON notes BEGIN
    UPDATE incident_search_state SET length = length - length(old.body) - 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id) AND NOT long;
    DELETE FROM incident_search_parts
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id) AND kind = 'note' AND source = old.rid;
    DELETE FROM incident_search WHERE rowid = (SELECT rid FROM incidents WHERE id = old.incident_id)
        AND (SELECT NOT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search (rowid, doc)
        SELECT s.rid, s.doc FROM incident_search_text s WHERE s.incident_id = old.incident_id
            AND (SELECT NOT long AND entries <= 128 AND length <= 65536 FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT s.rid, 'incident', 0, 0, NULL, s.own FROM incident_search_text s WHERE s.incident_id = old.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'task', t.rid, 0, NULL, t.title || ' ' || t.description
        FROM incidents i CROSS JOIN tasks t ON t.incident_id = i.id WHERE i.id = old.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'note', n.rid, 0, NULL, n.body
        FROM incidents i CROSS JOIN notes n ON n.incident_id = i.id WHERE i.id = old.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = old.incident_id
                AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id))
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    UPDATE incident_search_state SET long = 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id) AND NOT long AND (entries > 128 OR length > 65536);
END;

-- A new timeline entry: in a long incident, at the end of the last block while that has room
-- (last_entry then tells that it was placed), else in a new block.

CREATE TRIGGER incident_search_timeline_insert AFTER INSERT ON timeline BEGIN
    UPDATE incident_search_state SET entries = entries + 1, length = length + length(new.text) + 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long;
    UPDATE incident_search_parts SET doc = doc || ' ' || new.text, entries = entries + 1, last_entry = new.rid
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND kind = 'timeline'
            AND source = (SELECT max(p.source) FROM incident_search_parts p
                WHERE p.incident_rid = incident_search_parts.incident_rid AND p.kind = 'timeline')
            AND entries < 128 AND length(doc) + length(new.text) < 65536;
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'timeline', coalesce((SELECT max(p.source) FROM incident_search_parts p
                WHERE p.incident_rid = i.rid AND p.kind = 'timeline'), 0) + 1, 1, new.rid, new.text
        FROM incidents i WHERE i.id = new.incident_id
            AND (SELECT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id))
            AND NOT EXISTS (SELECT 1 FROM incident_search_parts p
                WHERE p.incident_rid = i.rid AND p.kind = 'timeline' AND p.last_entry = new.rid);
    DELETE FROM incident_search WHERE rowid = (SELECT rid FROM incidents WHERE id = new.incident_id)
        AND (SELECT NOT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search (rowid, doc)
        SELECT s.rid, s.doc FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND entries <= 128 AND length <= 65536 FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT s.rid, 'incident', 0, 0, NULL, s.own FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'task', t.rid, 0, NULL, t.title || ' ' || t.description
        FROM incidents i CROSS JOIN tasks t ON t.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'note', n.rid, 0, NULL, n.body
        FROM incidents i CROSS JOIN notes n ON n.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = new.incident_id
                AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id))
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    UPDATE incident_search_state SET long = 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long AND (entries > 128 OR length > 65536);
END;

-- The application never changes nor deletes timeline entries; should it happen, a long
-- incident's timeline is cut into blocks again.

CREATE TRIGGER incident_search_timeline_update AFTER UPDATE OF text ON timeline WHEN old.text IS NOT new.text BEGIN
    UPDATE incident_search_state SET length = length + length(new.text) - length(old.text)
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long;
    DELETE FROM incident_search_parts WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND kind = 'timeline';
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = new.incident_id
                AND (SELECT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id))
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    DELETE FROM incident_search WHERE rowid = (SELECT rid FROM incidents WHERE id = new.incident_id)
        AND (SELECT NOT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search (rowid, doc)
        SELECT s.rid, s.doc FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND entries <= 128 AND length <= 65536 FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT s.rid, 'incident', 0, 0, NULL, s.own FROM incident_search_text s WHERE s.incident_id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'task', t.rid, 0, NULL, t.title || ' ' || t.description
        FROM incidents i CROSS JOIN tasks t ON t.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'note', n.rid, 0, NULL, n.body
        FROM incidents i CROSS JOIN notes n ON n.incident_id = i.id WHERE i.id = new.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = new.incident_id
                AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id))
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    UPDATE incident_search_state SET long = 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = new.incident_id) AND NOT long AND (entries > 128 OR length > 65536);
END;

CREATE TRIGGER incident_search_timeline_delete AFTER DELETE ON timeline BEGIN
    UPDATE incident_search_state SET entries = entries - 1, length = length - length(old.text) - 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id) AND NOT long;
    DELETE FROM incident_search_parts WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id) AND kind = 'timeline';
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = old.incident_id
                AND (SELECT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id))
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    DELETE FROM incident_search WHERE rowid = (SELECT rid FROM incidents WHERE id = old.incident_id)
        AND (SELECT NOT long FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search (rowid, doc)
        SELECT s.rid, s.doc FROM incident_search_text s WHERE s.incident_id = old.incident_id
            AND (SELECT NOT long AND entries <= 128 AND length <= 65536 FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT s.rid, 'incident', 0, 0, NULL, s.own FROM incident_search_text s WHERE s.incident_id = old.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'task', t.rid, 0, NULL, t.title || ' ' || t.description
        FROM incidents i CROSS JOIN tasks t ON t.incident_id = i.id WHERE i.id = old.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT i.rid, 'note', n.rid, 0, NULL, n.body
        FROM incidents i CROSS JOIN notes n ON n.incident_id = i.id WHERE i.id = old.incident_id
            AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id));
    INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
        SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
        FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM incidents i CROSS JOIN timeline e ON e.incident_id = i.id
            WHERE i.id = old.incident_id
                AND (SELECT NOT long AND (entries > 128 OR length > 65536) FROM incident_search_state WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id))
            WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
        GROUP BY incident_rid, block;
    UPDATE incident_search_state SET long = 1
        WHERE incident_rid = (SELECT rid FROM incidents WHERE id = old.incident_id) AND NOT long AND (entries > 128 OR length > 65536);
END;

-- The documents of the incidents there are.

INSERT INTO incident_search_state (incident_rid, long, entries, length)
    SELECT s.rid, 0, coalesce(tl.n, 0), length(s.own) + coalesce(tl.len, 0) + coalesce(tk.len, 0) + coalesce(nt.len, 0)
    FROM incident_search_text s
    LEFT JOIN (SELECT incident_id, count(*) AS n, sum(length(text) + 1) AS len FROM timeline GROUP BY incident_id) tl
        ON tl.incident_id = s.incident_id
    LEFT JOIN (SELECT incident_id, sum(length(title) + length(description) + 2) AS len FROM tasks GROUP BY incident_id) tk
        ON tk.incident_id = s.incident_id
    LEFT JOIN (SELECT incident_id, sum(length(body) + 1) AS len FROM notes GROUP BY incident_id) nt
        ON nt.incident_id = s.incident_id;
UPDATE incident_search_state SET long = 1 WHERE NOT (entries <= 128 AND length <= 65536);

INSERT INTO incident_search (rowid, doc)
    SELECT s.rid, s.doc FROM incident_search_state st CROSS JOIN incident_search_text s ON s.rid = st.incident_rid
    WHERE NOT st.long;

INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
    SELECT s.rid, 'incident', 0, 0, NULL, s.own
    FROM incident_search_state st CROSS JOIN incident_search_text s ON s.rid = st.incident_rid WHERE st.long;
INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
    SELECT i.rid, 'task', t.rid, 0, NULL, t.title || ' ' || t.description
    FROM incident_search_state st CROSS JOIN incidents i ON i.rid = st.incident_rid
    CROSS JOIN tasks t ON t.incident_id = i.id WHERE st.long;
INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
    SELECT i.rid, 'note', n.rid, 0, NULL, n.body
    FROM incident_search_state st CROSS JOIN incidents i ON i.rid = st.incident_rid
    CROSS JOIN notes n ON n.incident_id = i.id WHERE st.long;
INSERT INTO incident_search_parts (incident_rid, kind, source, entries, last_entry, doc)
    SELECT incident_rid, 'timeline', block + 1, count(*), max(rid), group_concat(text, ' ')
    FROM (SELECT i.rid AS incident_rid, e.rid, e.text,
            (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
        FROM incident_search_state st CROSS JOIN incidents i ON i.rid = st.incident_rid
        CROSS JOIN timeline e ON e.incident_id = i.id
        WHERE st.long
        WINDOW win AS (PARTITION BY i.rid ORDER BY e.rid))
    GROUP BY incident_rid, block;

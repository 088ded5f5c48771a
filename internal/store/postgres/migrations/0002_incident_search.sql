-- Search documents of incidents, for the full-text filter of incident lists; and indexes for
-- the panels of the dashboard. The same design as the SQLite driver's migration 0002.
--
-- The filter (IncidentFilter.Query) selects the incidents that hold every word of a search
-- anywhere in their own text (key, title, summary, tags), tasks, notes or timeline. The
-- per-row search columns of 0001 answer that with a union over four tables, whose cost follows
-- the number of matching rows. Here every incident has a search document instead, so that the
-- filter is one GIN look-up returning incident ids. The per-row columns stay for the search
-- endpoint (store.Search), which returns hits on tasks, notes and timeline entries.
--
-- Rebuilding a document on every change costs what the document costs (and a tsvector cannot
-- exceed 1 MB), so an incident is kept in one of two shapes:
--
--   * short (at most 128 timeline entries and 64 Ki characters of text, nearly every incident):
--     one row of incident_search with all of its text. A new timeline entry is appended to it;
--     other changes rebuild it from the incident's rows;
--   * long (beyond either bound): rows of incident_search_parts instead, each bounded and
--     changed on its own: one for the incident's own text, one per task and per note, and
--     blocks of up to 128 timeline entries (and 64 Ki characters) in the order they came. A
--     new entry goes at the end of the last block or opens a new one.
--
-- An incident matches when every word is in its document or, for a long incident, each word
-- in one of its parts (the queries, in search.go, intersect the matches of each word).
-- incident_search_state holds each incident's shape and, while it is short, its number of
-- timeline entries and characters, so that a change knows without reading the incident's rows
-- whether the document still fits.
--
-- The triggers below keep all of it in step with incidents, tasks, notes and timeline. Each
-- first locks the incident's row, as an update of the incident does (FOR NO KEY UPDATE, which
-- the foreign key checks of other Writes do not wait for), so that Writes changing one
-- incident at the same time, from several nodes, change its documents one after the other,
-- each seeing what the previous one committed: under READ COMMITTED every statement of a
-- function takes a new snapshot. Taking the incident's lock first, whatever the change, keeps
-- the order of locks the same in every Write.
--
-- Documents are made of the tsvectors that 0001 keeps for every task, note and timeline entry
-- (concatenated, so no text is parsed twice), and of the incident's own text. They are made
-- here for the incidents there are.

-- The dashboard. Unfinished tasks with a due time, by due time: the tasks due before a time
-- (TaskFilter.DueBefore) without reading every task. Open incidents by priority: the most
-- urgent ones (IncidentFilter.Open) without reading the closed ones. Phase, severity and
-- restriction of incidents: the counts by phase and severity from the index alone.
CREATE INDEX tasks_open_due ON tasks (org_id, due_at, due_at_ns)
    WHERE due_at IS NOT NULL AND status NOT IN ('done', 'skipped');
CREATE INDEX incidents_open_priority ON incidents (org_id, priority_rank, id) WHERE phase <> 'closed';
CREATE INDEX incidents_phase_severity ON incidents (org_id, phase, severity) INCLUDE (restricted, id);

CREATE TABLE incident_search_state (
    incident_id text COLLATE "C" PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    -- true when the incident is kept in parts.
    long        boolean NOT NULL,
    -- While it is short: its timeline entries, and about the characters of its document.
    entries     integer NOT NULL,
    length      bigint NOT NULL
);

CREATE TABLE incident_search (
    incident_id text COLLATE "C" PRIMARY KEY,
    org_id      text COLLATE "C" NOT NULL,
    search      tsvector NOT NULL,
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id) ON DELETE CASCADE
);
CREATE INDEX incident_search_search ON incident_search USING gin (search);

CREATE TABLE incident_search_parts (
    incident_id text COLLATE "C" NOT NULL,
    -- 'incident' (its own text), 'task' and 'note' (source: the row's id) or 'timeline'
    -- (block: the block's number, increasing in the order of the entries).
    kind        text COLLATE "C" NOT NULL,
    source      text COLLATE "C" NOT NULL,
    block       integer NOT NULL,
    org_id      text COLLATE "C" NOT NULL,
    -- A block's entries and characters.
    entries     integer NOT NULL,
    length      integer NOT NULL,
    search      tsvector NOT NULL,
    PRIMARY KEY (incident_id, kind, source, block),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents (org_id, id) ON DELETE CASCADE
);
CREATE INDEX incident_search_parts_search ON incident_search_parts USING gin (search);

-- The concatenation of tsvectors (the positions of each follow those of the ones before).
CREATE AGGREGATE incident_search_concat(tsvector) (SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = '');

-- The own text of an incident: its key, title, summary and tags; and its search words.
CREATE FUNCTION incident_search_own(i incidents) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT 'INC-' || i.number || ' ' || i.title || ' ' || i.summary || ' ' || coalesce(array_to_string(i.tags, ' '), '') $$;
CREATE FUNCTION incident_search_own_vector(i incidents) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_tsvector('simple', search_words(incident_search_own(i))) $$;

-- The document of an incident: its own words, those of its tasks, notes and timeline.
CREATE FUNCTION incident_search_document(inc text) RETURNS tsvector
    LANGUAGE sql STABLE
    AS $$ SELECT incident_search_own_vector(i) ||
        coalesce((SELECT incident_search_concat(t.search ORDER BY t.id) FROM tasks t WHERE t.incident_id = i.id), '') ||
        coalesce((SELECT incident_search_concat(n.search ORDER BY n.id) FROM notes n WHERE n.incident_id = i.id), '') ||
        coalesce((SELECT incident_search_concat(e.search ORDER BY e.id) FROM timeline e WHERE e.incident_id = i.id), '')
    FROM incidents i WHERE i.id = inc $$;

-- incident_search_blocks cuts a long incident's timeline into blocks again.
CREATE FUNCTION incident_search_blocks(inc text) RETURNS void
    LANGUAGE sql VOLATILE
    AS $$
    DELETE FROM incident_search_parts WHERE incident_id = inc AND kind = 'timeline';
    INSERT INTO incident_search_parts (incident_id, kind, source, block, org_id, entries, length, search)
        SELECT inc, 'timeline', '', block + 1, min(org_id), count(*), sum(length(text) + 1),
            incident_search_concat(search ORDER BY id)
        FROM (SELECT e.id, e.org_id, e.text, e.search,
                (row_number() OVER win - 1) / 128 + sum(length(e.text)) OVER win / 65536 AS block
            FROM timeline e WHERE e.incident_id = inc
            WINDOW win AS (ORDER BY e.id)) b
        GROUP BY block;
$$;

-- incident_search_refresh rebuilds a short incident's document, or makes the incident long
-- when its document would outgrow the bounds. It does nothing to a long incident.
CREATE FUNCTION incident_search_refresh(inc text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    AS $$
DECLARE
    st incident_search_state;
BEGIN
    SELECT * INTO st FROM incident_search_state WHERE incident_id = inc;
    IF NOT FOUND OR st.long THEN
        RETURN;
    END IF;
    IF st.entries <= 128 AND st.length <= 65536 THEN
        UPDATE incident_search SET search = incident_search_document(inc) WHERE incident_id = inc;
        RETURN;
    END IF;
    DELETE FROM incident_search WHERE incident_id = inc;
    INSERT INTO incident_search_parts (incident_id, kind, source, block, org_id, entries, length, search)
        SELECT i.id, 'incident', '', 0, i.org_id, 0, 0, incident_search_own_vector(i)
        FROM incidents i WHERE i.id = inc;
    INSERT INTO incident_search_parts (incident_id, kind, source, block, org_id, entries, length, search)
        SELECT inc, 'task', t.id, 0, t.org_id, 0, 0, t.search FROM tasks t WHERE t.incident_id = inc;
    INSERT INTO incident_search_parts (incident_id, kind, source, block, org_id, entries, length, search)
        SELECT inc, 'note', n.id, 0, n.org_id, 0, 0, n.search FROM notes n WHERE n.incident_id = inc;
    PERFORM incident_search_blocks(inc);
    UPDATE incident_search_state SET long = true WHERE incident_id = inc;
END
$$;

-- Incidents: a new one is short; a change of its own text changes its document or its part.

CREATE FUNCTION incident_search_incident_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO incident_search_state (incident_id, long, entries, length)
        VALUES (NEW.id, false, 0, length(incident_search_own(NEW)));
    INSERT INTO incident_search (incident_id, org_id, search) VALUES (NEW.id, NEW.org_id, incident_search_own_vector(NEW));
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_search_incident_insert AFTER INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION incident_search_incident_insert();

CREATE FUNCTION incident_search_incident_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    st incident_search_state;
BEGIN
    SELECT * INTO st FROM incident_search_state WHERE incident_id = NEW.id;
    IF st.long THEN
        UPDATE incident_search_parts SET search = incident_search_own_vector(NEW)
            WHERE incident_id = NEW.id AND kind = 'incident';
    ELSE
        UPDATE incident_search_state
            SET length = length - length(incident_search_own(OLD)) + length(incident_search_own(NEW))
            WHERE incident_id = NEW.id;
        PERFORM incident_search_refresh(NEW.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_search_incident_update AFTER UPDATE OF number, title, summary, tags ON incidents
    FOR EACH ROW
    WHEN (OLD.number IS DISTINCT FROM NEW.number OR OLD.title IS DISTINCT FROM NEW.title
        OR OLD.summary IS DISTINCT FROM NEW.summary OR OLD.tags IS DISTINCT FROM NEW.tags)
    EXECUTE FUNCTION incident_search_incident_update();

-- Tasks and notes: one part each in a long incident. TG_ARGV[0] is the part's kind.

CREATE FUNCTION incident_search_row_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    inc  text;
    st   incident_search_state;
    txt  text;
    old_txt text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        inc := OLD.incident_id;
    ELSE
        inc := NEW.incident_id;
    END IF;
    PERFORM FROM incidents WHERE id = inc FOR NO KEY UPDATE;
    SELECT * INTO st FROM incident_search_state WHERE incident_id = inc;
    IF NOT FOUND THEN
        RETURN NULL; -- the incident is being deleted
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF TG_ARGV[0] = 'task' THEN
            txt := NEW.title || ' ' || NEW.description;
        ELSE
            txt := NEW.body;
        END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        IF TG_ARGV[0] = 'task' THEN
            old_txt := OLD.title || ' ' || OLD.description;
        ELSE
            old_txt := OLD.body;
        END IF;
    END IF;
    IF st.long THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO incident_search_parts (incident_id, kind, source, block, org_id, entries, length, search)
                VALUES (inc, TG_ARGV[0], NEW.id, 0, NEW.org_id, 0, 0, NEW.search);
        ELSIF TG_OP = 'UPDATE' THEN
            UPDATE incident_search_parts SET search = NEW.search
                WHERE incident_id = inc AND kind = TG_ARGV[0] AND source = NEW.id;
        ELSE
            DELETE FROM incident_search_parts WHERE incident_id = inc AND kind = TG_ARGV[0] AND source = OLD.id;
        END IF;
    ELSE
        UPDATE incident_search_state
            SET length = length + coalesce(length(txt) + 1, 0) - coalesce(length(old_txt) + 1, 0)
            WHERE incident_id = inc;
        PERFORM incident_search_refresh(inc);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_search_task_insert AFTER INSERT OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION incident_search_row_change('task');
CREATE TRIGGER incident_search_task_update AFTER UPDATE OF title, description ON tasks
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.description IS DISTINCT FROM NEW.description)
    EXECUTE FUNCTION incident_search_row_change('task');
CREATE TRIGGER incident_search_note_insert AFTER INSERT OR DELETE ON notes
    FOR EACH ROW EXECUTE FUNCTION incident_search_row_change('note');
CREATE TRIGGER incident_search_note_update AFTER UPDATE OF body ON notes
    FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body)
    EXECUTE FUNCTION incident_search_row_change('note');

-- A new timeline entry: appended to a short incident's document while it fits; in a long
-- incident, to the last block while that has room, else in a new block.

CREATE FUNCTION incident_search_timeline_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    st   incident_search_state;
    last incident_search_parts;
    len  integer := length(NEW.text) + 1;
BEGIN
    PERFORM FROM incidents WHERE id = NEW.incident_id FOR NO KEY UPDATE;
    SELECT * INTO st FROM incident_search_state WHERE incident_id = NEW.incident_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF st.long THEN
        SELECT * INTO last FROM incident_search_parts WHERE incident_id = NEW.incident_id AND kind = 'timeline'
            ORDER BY block DESC LIMIT 1;
        IF FOUND AND last.entries < 128 AND last.length + len <= 65536 THEN
            UPDATE incident_search_parts
                SET search = search || NEW.search, entries = entries + 1, length = length + len
                WHERE incident_id = NEW.incident_id AND kind = 'timeline' AND source = '' AND block = last.block;
        ELSE
            INSERT INTO incident_search_parts (incident_id, kind, source, block, org_id, entries, length, search)
                VALUES (NEW.incident_id, 'timeline', '', coalesce(last.block, 0) + 1, NEW.org_id, 1, len, NEW.search);
        END IF;
        RETURN NULL;
    END IF;
    UPDATE incident_search_state SET entries = entries + 1, length = length + len WHERE incident_id = NEW.incident_id;
    IF st.entries + 1 <= 128 AND st.length + len <= 65536 THEN
        UPDATE incident_search SET search = search || NEW.search WHERE incident_id = NEW.incident_id;
    ELSE
        PERFORM incident_search_refresh(NEW.incident_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_search_timeline_insert AFTER INSERT ON timeline
    FOR EACH ROW EXECUTE FUNCTION incident_search_timeline_insert();

-- The application never changes nor deletes timeline entries; should it happen, a long
-- incident's timeline is cut into blocks again, a short one's document rebuilt.
CREATE FUNCTION incident_search_timeline_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    st incident_search_state;
BEGIN
    PERFORM FROM incidents WHERE id = OLD.incident_id FOR NO KEY UPDATE;
    SELECT * INTO st FROM incident_search_state WHERE incident_id = OLD.incident_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF st.long THEN
        PERFORM incident_search_blocks(OLD.incident_id);
    ELSE
        IF TG_OP = 'DELETE' THEN
            UPDATE incident_search_state SET entries = entries - 1, length = length - length(OLD.text) - 1
                WHERE incident_id = OLD.incident_id;
        ELSE
            UPDATE incident_search_state SET length = length - length(OLD.text) + length(NEW.text)
                WHERE incident_id = OLD.incident_id;
        END IF;
        PERFORM incident_search_refresh(OLD.incident_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_search_timeline_update AFTER UPDATE OF text ON timeline
    FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text)
    EXECUTE FUNCTION incident_search_timeline_change();
CREATE TRIGGER incident_search_timeline_delete AFTER DELETE ON timeline
    FOR EACH ROW EXECUTE FUNCTION incident_search_timeline_change();

-- The documents of the incidents there are.

INSERT INTO incident_search_state (incident_id, long, entries, length)
    SELECT i.id, false, coalesce(tl.n, 0),
        length(incident_search_own(i)) + coalesce(tl.len, 0) + coalesce(tk.len, 0) + coalesce(nt.len, 0)
    FROM incidents i
    LEFT JOIN (SELECT incident_id, count(*) AS n, sum(length(text) + 1) AS len FROM timeline GROUP BY incident_id) tl
        ON tl.incident_id = i.id
    LEFT JOIN (SELECT incident_id, sum(length(title) + length(description) + 2) AS len FROM tasks GROUP BY incident_id) tk
        ON tk.incident_id = i.id
    LEFT JOIN (SELECT incident_id, sum(length(body) + 1) AS len FROM notes GROUP BY incident_id) nt
        ON nt.incident_id = i.id;

INSERT INTO incident_search (incident_id, org_id, search)
    SELECT i.id, i.org_id, incident_search_own_vector(i) || coalesce(tk.v, '') || coalesce(nt.v, '') || coalesce(tl.v, '')
    FROM incidents i
    JOIN incident_search_state st ON st.incident_id = i.id AND st.entries <= 128 AND st.length <= 65536
    LEFT JOIN (SELECT incident_id, incident_search_concat(search ORDER BY id) AS v FROM tasks GROUP BY incident_id) tk
        ON tk.incident_id = i.id
    LEFT JOIN (SELECT incident_id, incident_search_concat(search ORDER BY id) AS v FROM notes GROUP BY incident_id) nt
        ON nt.incident_id = i.id
    LEFT JOIN (SELECT incident_id, incident_search_concat(search ORDER BY id) AS v FROM timeline
        WHERE incident_id IN (SELECT incident_id FROM incident_search_state WHERE entries <= 128 AND length <= 65536)
        GROUP BY incident_id) tl ON tl.incident_id = i.id;

-- The long ones: refresh makes their parts, as it would on their last change.
SELECT incident_search_refresh(incident_id) FROM incident_search_state
    WHERE NOT (entries <= 128 AND length <= 65536);

ANALYZE incident_search_state, incident_search, incident_search_parts;

package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

type searchRepo struct{ *tx }

// maxSearchTerms bounds the words of a search, so one request cannot build a huge query.
const maxSearchTerms = 16

// maxTermBytes bounds one word; PostgreSQL ignores words longer than 2047 bytes anyway.
const maxTermBytes = 256

// asciiPunct is the set search_words (migrations/0001_init.sql) turns into spaces.
const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// tsQuery turns what a user typed into the text of a tsquery, for to_tsquery('simple', …), that
// always parses and never names an operator: the words (split at white space) are ANDed and
// the last one matches as a prefix, for search as you type. Within a word, ASCII punctuation
// separates parts, as it does in stored text (search_words), so a word of several parts
// ("203.0.113.7", "xylophone-cdn") matches them as a phrase. Each word goes in quotes and
// keeps no quote or backslash, so operators, weights and stars are plain text. Words without
// a letter or digit are left out; it returns "" when no word is left.
func tsQuery(input string) string {
	terms := searchTerms(input)
	if len(terms) == 0 {
		return ""
	}
	terms[len(terms)-1] += ":*"
	return strings.Join(terms, " & ")
}

// searchTerms returns the quoted words of a search (see tsQuery).
func searchTerms(input string) []string {
	// Control characters (NUL above all, which PostgreSQL refuses in text) separate words.
	input = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(input, " "))
	var terms []string
	for _, word := range strings.Fields(input) {
		word = strings.Join(strings.FieldsFunc(word, func(r rune) bool { return strings.ContainsRune(asciiPunct, r) }), " ")
		if !strings.ContainsFunc(word, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) {
			continue
		}
		if len(word) > maxTermBytes {
			word = strings.ToValidUTF8(word[:maxTermBytes], "")
		}
		terms = append(terms, "'"+word+"'")
		if len(terms) == maxSearchTerms {
			break
		}
	}
	return terms
}

// Full-text search costs what its matches cost, and a word may match a handful of rows or
// half the timeline. The statements below are planned for the words searched each time
// (plannedArgs: never a cached generic plan), so that PostgreSQL's statistics on the words
// choose between the GIN index (rare words) and a scan that stops early (common ones); and
// each bounds the rows it reads where it can.

const (
	// denseProbe is how many matches in one table make a list's search common (textMatchIDs).
	denseProbe = 5000
	// denseWindow is how many incidents, in list order, a common search tests one by one
	// before it falls back to collecting every match.
	denseWindow = 2000
)

// textMatchIDs returns the ids of the organisation's incidents that match the tsquery text tq
// themselves or through their tasks, notes or timeline entries; or common true, and no ids,
// when one of those tables has at least Store.denseProbe matches. It reads at most that many
// matches of each table, largest table first, and stops at the first that has them.
func (t *tx) textMatchIDs(ctx context.Context, orgID, tq string) (ids []string, common bool, err error) {
	tables := []struct{ name, incident string }{
		{"timeline", "incident_id"}, {"notes", "incident_id"}, {"tasks", "incident_id"}, {"incidents", "id"},
	}
	// CASE WHEN cardinality(m0.a) >= $3 THEN NULL ELSE (SELECT CASE WHEN cardinality(m1.a) … END
	// FROM (SELECT ARRAY(…) AS a) m1) END, nested: PostgreSQL reads a table only when the ones
	// before it had fewer matches.
	var all []string
	for i := range tables {
		all = append(all, fmt.Sprintf("m%d.a", i))
	}
	expr := "ARRAY(SELECT DISTINCT unnest(" + strings.Join(all, " || ") + "))"
	for i := len(tables) - 1; i >= 0; i-- {
		tb := tables[i]
		expr = fmt.Sprintf("(SELECT CASE WHEN cardinality(m%d.a) >= $3 THEN NULL ELSE %s END FROM (SELECT ARRAY("+
			"SELECT %s FROM %s WHERE org_id = $1 AND search @@ to_tsquery('simple', $2) LIMIT $3) AS a) m%d)",
			i, expr, tb.incident, tb.name, i)
	}
	var found *[]string
	if err := t.queryRow(ctx, "SELECT "+expr, plannedArgs([]any{orgID, tq, t.store.denseProbe}), &found); err != nil {
		return nil, false, err
	}
	if found == nil {
		return nil, true, nil
	}
	return *found, false, nil
}

// search runs a list filtered by a search: w holds the other conditions (org is the
// organisation's placeholder), tq the text of the tsquery, order the ORDER BY … LIMIT clause
// without its count.
//
// A rare word's matching incidents are collected first (textMatchIDs) and looked up by id,
// which costs what the matches cost. A common word tests the next denseWindow incidents in list
// order one by one, through each incident's own rows, and is done when they hold a page: for a
// word found everywhere this reads a few dozen incidents. When they do not (a common word found
// in few incidents, such as a host name all over one long timeline) every match is collected.
func (r incidentRepo) search(ctx context.Context, orgID string, w *where, org, tq, order string, limit int) ([]incident.Incident, error) {
	ids, common, err := r.textMatchIDs(ctx, orgID, tq)
	switch {
	case err != nil:
		return nil, err
	case !common && len(ids) == 0:
		return nil, nil
	case !common:
		w.add("i.id = ANY (" + w.arg(ids) + "::text[])")
		return scanList(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM incidents i"+w.sql()+order+strconv.Itoa(limit+1),
			plannedArgs(w.args)...)
	}
	q := "to_tsquery('simple', " + w.arg(tq) + ")"
	items, err := scanList(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM (SELECT * FROM incidents i"+
		w.sql()+order+strconv.Itoa(denseWindow)+") i WHERE "+ownMatch(org, q)+order+strconv.Itoa(limit+1),
		plannedArgs(w.args)...)
	if err != nil || len(items) > limit {
		return items, err
	}
	w.add(textMatches(org, q, true))
	return scanList(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM incidents i"+w.sql()+order+strconv.Itoa(limit+1),
		plannedArgs(w.args)...)
}

// ownMatch is the condition that incident i matches the tsquery expression q in its title or
// summary or in one of its tasks, notes or timeline entries, tested through the incident's
// own rows (OFFSET 0 keeps PostgreSQL from hashing every match of a table instead).
func ownMatch(org, q string) string {
	child := func(table string) string {
		return `EXISTS (SELECT 1 FROM ` + table + ` c WHERE c.incident_id = i.id AND c.org_id = ` + org +
			` AND c.search @@ ` + q + ` OFFSET 0)`
	}
	return "(i.search @@ " + q + " OR " + child("tasks") + " OR " + child("notes") + " OR " + child("timeline") + ")"
}

// textMatches is the condition that incident i is among the incidents matching the tsquery
// expression q, collected from the GIN indexes: as an array of ids to look up (array) or as a
// hashed set (for counts).
func textMatches(org, q string, array bool) string {
	matches := `SELECT id FROM incidents WHERE org_id = ` + org + ` AND search @@ ` + q + `
		UNION ALL SELECT incident_id FROM tasks WHERE org_id = ` + org + ` AND search @@ ` + q + `
		UNION ALL SELECT incident_id FROM notes WHERE org_id = ` + org + ` AND search @@ ` + q + `
		UNION ALL SELECT incident_id FROM timeline WHERE org_id = ` + org + ` AND search @@ ` + q
	if array {
		return "i.id = ANY (ARRAY(" + matches + "))"
	}
	return "i.id IN (" + matches + ")"
}

// searchSource is one searchable table.
type searchSource struct {
	kind, table string
	// incident, title, at and doc are the columns (alias x) of the hit's incident id, its title
	// ('' when the incident's is meant), when the row was made and the text snippets are cut from.
	incident, title, at, doc string
}

var searchSources = []searchSource{
	{kind: "incident", table: "incidents", incident: "x.id", title: "''", at: "created_at", doc: "x.title || E'\\n' || x.summary"},
	{kind: "task", table: "tasks", incident: "x.incident_id", title: "x.title", at: "created_at", doc: "x.title || E'\\n' || x.description"},
	{kind: "note", table: "notes", incident: "x.incident_id", title: "''", at: "created_at", doc: "x.body"},
	{kind: "timeline", table: "timeline", incident: "x.incident_id", title: "''", at: "recorded_at", doc: "x.text"},
}

// headlineOptions make plain-text snippets: no markup around matches, about 16 words long.
const headlineOptions = `StartSel="", StopSel="", MaxWords=16, MinWords=8, ShortWord=0, MaxFragments=1, FragmentDelimiter=" … "`

// Search finds incidents, tasks, notes and timeline entries, newest first (by creation time;
// recording time for timeline entries), with a plain-text snippet around a match.
//
// Each table gives its newest matches (by id, which follows creation order) up to the limit;
// the newest of those are the hits. How a table is read depends on how many of its rows match.
// The statement first reads up to P matches of each (from the GIN index for a rare word, by a
// scan that stops early for a common one), P being about √(rows × limit). When that is all of
// them, they are sorted and the newest kept: this reads M < P rows. When there are more, the
// table is read newest first and the reading stops at the limit: this reads about
// rows × limit / M < P rows. So no word costs more than about 2P rows a table (2,000 rows of a
// million for 20 hits). Only the hits' incidents are joined and only their snippets made.
func (r searchRepo) Search(ctx context.Context, q store.SearchQuery) ([]store.SearchHit, error) {
	tq := tsQuery(q.Query)
	if tq == "" {
		return []store.SearchHit{}, nil
	}
	sql, a := searchStatement(q, tq, r.store.searchProbe)
	found, err := scanList(ctx, r.tx, func(s rowScanner) (store.SearchHit, error) {
		var h store.SearchHit
		var number int64
		err := s.Scan(&h.Kind, &h.IncidentID, &number, &h.ObjectID, &h.Title, &h.Snippet)
		h.IncidentKey = incident.FormatKey(number)
		return h, err
	}, sql, plannedArgs(a)...)
	return nonNil(found), err
}

// searchStatement returns Search's statement and its arguments for the tsquery text tq.
// fixedProbe, when not zero (Store.searchProbe, for tests), replaces P.
func searchStatement(q store.SearchQuery, tq string, fixedProbe int) (string, args) {
	var a args
	query := "to_tsquery('simple', " + a.add(tq) + ")"
	org := a.add(q.OrgID)
	lim := a.add(store.ClampLimit(q.Limit))
	probe := func(table string) string {
		if fixedProbe > 0 {
			return strconv.Itoa(fixedProbe)
		}
		return "greatest(100, ceil(sqrt(" + lim + "::float8 * greatest((SELECT reltuples FROM pg_class WHERE oid = '" +
			table + "'::regclass), 0))))::bigint"
	}
	visInc, visChild := "", ""
	if q.VisibleTo != "" {
		user := a.add(q.VisibleTo)
		visInc = " AND " + visibleTo("x", user)
		// The restricted incidents the user may not see, computed once per table.
		visChild = ` AND x.incident_id NOT IN (SELECT r.id FROM incidents r WHERE r.org_id = ` + org + ` AND r.restricted
			AND NOT EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = r.id AND m.user_id = ` + user + `))`
	}
	var caps, probes, hits []string
	for _, src := range searchSources {
		vis := visChild
		if src.kind == "incident" {
			vis = visInc
		}
		match := "SELECT '" + src.kind + "' AS kind, " + src.incident + " AS incident_id, x.id AS object_id, " +
			src.title + " AS title, x." + src.at + " AS at, x." + src.at + "_ns AS at_ns, " + src.doc + " AS doc" +
			" FROM " + src.table + " x WHERE x.org_id = " + org + " AND x.search @@ " + query + vis
		found, cap := "found_"+src.table, "(SELECT "+src.table+" FROM caps)"
		caps = append(caps, probe(src.table)+" AS "+src.table)
		probes = append(probes, found+" AS MATERIALIZED ("+match+" LIMIT "+cap+")")
		hits = append(hits,
			"(SELECT * FROM "+found+" WHERE (SELECT count(*) FROM "+found+") < "+cap+
				" ORDER BY object_id DESC LIMIT "+lim+")",
			"("+match+" AND (SELECT count(*) FROM "+found+") >= "+cap+" ORDER BY x.id DESC LIMIT "+lim+")")
	}
	sql := "WITH caps AS MATERIALIZED (SELECT " + strings.Join(caps, ", ") + "),\n\t" + strings.Join(probes, ",\n\t") + `,
	hits AS (` + strings.Join(hits, "\n\t\tUNION ALL ") + `),
	best AS (SELECT * FROM hits ORDER BY at DESC, at_ns DESC, kind, object_id DESC LIMIT ` + lim + `)
	SELECT b.kind, b.incident_id, i.number, b.object_id, CASE WHEN b.kind = 'task' THEN b.title ELSE i.title END,
		ts_headline('simple', b.doc, ` + query + `, '` + headlineOptions + `')
	FROM best b JOIN incidents i ON i.org_id = ` + org + ` AND i.id = b.incident_id
	ORDER BY b.at DESC, b.at_ns DESC, b.kind, b.object_id DESC`
	return sql, a
}

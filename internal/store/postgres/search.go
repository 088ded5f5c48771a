package postgres

import (
	"context"
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
//
// The full-text filter of incident lists reads the incidents' search documents
// (migrations/0002_incident_search.sql): a short incident's one document in incident_search,
// a long incident's parts in incident_search_parts. An incident matches when its document
// holds every word, or, for a long incident, each word is in one of its parts.

const (
	// denseProbe is how many matching incidents make a list's search common (matchingIDs).
	denseProbe = 2000
	// denseWindow is how many incidents, in list order, a common search tests one by one
	// before it falls back to collecting every match.
	denseWindow = 2000
)

// docQuery holds the tsquery expressions of a search, as placeholders of a statement's
// arguments: all, every word ANDed, and each word on its own.
type docQuery struct {
	all   string
	words []string
}

// newDocQuery adds the tsqueries of the search terms to the arguments of w.
func newDocQuery(w *where, terms []string) docQuery {
	q := docQuery{all: "to_tsquery('simple', " + w.arg(strings.Join(terms, " & ")) + ")"}
	for _, t := range terms {
		q.words = append(q.words, "to_tsquery('simple', "+w.arg(t)+")")
	}
	return q
}

// matches is a statement listing the ids of the organisation's (placeholder org) incidents
// that match, once each.
func (q docQuery) matches(org string) string {
	var long []string
	for _, word := range q.words {
		long = append(long, "SELECT incident_id FROM incident_search_parts WHERE org_id = "+org+" AND search @@ "+word)
	}
	return "SELECT incident_id FROM incident_search WHERE org_id = " + org + " AND search @@ " + q.all +
		"\n\t\tUNION ALL (" + strings.Join(long, " INTERSECT ") + ")"
}

// ownMatch is the condition that incident i matches, tested through its own rows: a short
// incident's document, read by id (a scalar subquery, so that the GIN index, which would
// gather every match of the words, is not used), else each word in one of a long incident's
// parts (OFFSET 0 keeps the parts read by incident).
func (q docQuery) ownMatch() string {
	var long []string
	for _, word := range q.words {
		long = append(long, "EXISTS (SELECT 1 FROM (SELECT p.search FROM incident_search_parts p WHERE p.incident_id = i.id"+
			" OFFSET 0) p WHERE p.search @@ "+word+")")
	}
	return "coalesce((SELECT s.search @@ " + q.all + " FROM incident_search s WHERE s.incident_id = i.id), " +
		strings.Join(long, " AND ") + ")"
}

// searchTermsOf returns the terms of a search's tsquery: each word quoted, the last one a
// prefix; none when nothing is searchable.
func searchTermsOf(input string) []string {
	terms := searchTerms(input)
	if len(terms) > 0 {
		terms[len(terms)-1] += ":*"
	}
	return terms
}

// matchingIDs returns the ids of up to most+1 of the organisation's incidents that hold every
// term.
func (t *tx) matchingIDs(ctx context.Context, orgID string, terms []string, most int) ([]string, error) {
	w := &where{}
	org := w.arg(orgID)
	q := newDocQuery(w, terms)
	var ids []string
	err := t.queryRow(ctx, "SELECT ARRAY(SELECT incident_id FROM ("+q.matches(org)+") m LIMIT "+w.arg(most+1)+")",
		plannedArgs(w.args), &ids)
	return ids, err
}

// search runs a list filtered by a search: w holds the other conditions (org is the
// organisation's placeholder), terms the search's terms, order the ORDER BY … LIMIT clause
// without its count.
//
// A rare search's matching incidents are collected first (matchingIDs) and looked up by id,
// which costs what the matches cost. A common one tests the next denseWindow incidents in
// list order one by one, each by its own document, and is done when they hold a page: for a
// word found everywhere this reads a few dozen incidents. When they do not (a common word
// found with rare filters) every match is collected.
func (r incidentRepo) search(ctx context.Context, orgID string, w *where, org string, terms []string, order string, limit int) ([]incident.Incident, error) {
	ids, err := r.matchingIDs(ctx, orgID, terms, r.store.denseProbe)
	switch {
	case err != nil:
		return nil, err
	case len(ids) == 0:
		return nil, nil
	case len(ids) <= r.store.denseProbe:
		w.add("i.id = ANY (" + w.arg(ids) + "::text[])")
		return scanList(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM incidents i"+w.sql()+order+strconv.Itoa(limit+1),
			plannedArgs(w.args)...)
	}
	q := newDocQuery(w, terms)
	items, err := scanList(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM (SELECT * FROM incidents i"+
		w.sql()+order+strconv.Itoa(denseWindow)+") i WHERE "+q.ownMatch()+order+strconv.Itoa(limit+1),
		plannedArgs(w.args)...)
	if err != nil || len(items) > limit {
		return items, err
	}
	w.add("i.id = ANY (ARRAY(" + q.matches(org) + "))")
	return scanList(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM incidents i"+w.sql()+order+strconv.Itoa(limit+1),
		plannedArgs(w.args)...)
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

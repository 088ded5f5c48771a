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

// searchCandidates is how many matches of each table Search ranks: all of them for a word
// matching fewer rows, the first that many found for a common one.
const searchCandidates = 500

// headlineOptions make plain-text snippets: no markup around matches, about 16 words long.
const headlineOptions = `StartSel="", StopSel="", MaxWords=16, MinWords=8, ShortWord=0, MaxFragments=1, FragmentDelimiter=" … "`

// Search finds incidents, tasks, notes and timeline entries, best match first. It ranks at most
// searchCandidates matches of each table (or the limit, if larger), so that a common word
// costs no more than a rare one, keeps the best, then joins their incidents and makes snippets
// for those only.
func (r searchRepo) Search(ctx context.Context, q store.SearchQuery) ([]store.SearchHit, error) {
	tq := tsQuery(q.Query)
	if tq == "" {
		return []store.SearchHit{}, nil
	}
	var a args
	query := "to_tsquery('simple', " + a.add(tq) + ")"
	org := a.add(q.OrgID)
	limit := store.ClampLimit(q.Limit)
	lim := a.add(limit)
	candidates := a.add(max(limit, searchCandidates))
	visInc, visChild := "", ""
	if q.VisibleTo != "" {
		user := a.add(q.VisibleTo)
		visInc = " AND " + visibleTo("x", user)
		// The restricted incidents the user may not see, computed once per table.
		visChild = ` AND incident_id NOT IN (SELECT r.id FROM incidents r WHERE r.org_id = ` + org + ` AND r.restricted
			AND NOT EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = r.id AND m.user_id = ` + user + `))`
	}
	sql := `WITH hits AS (
		(SELECT 'incident' AS kind, x.id AS incident_id, x.id AS object_id, ''::text AS title, x.search,
			x.title || E'\n' || x.summary AS doc
			FROM incidents x WHERE x.org_id = ` + org + ` AND x.search @@ ` + query + visInc + `
			LIMIT ` + candidates + `)
		UNION ALL
		(SELECT 'task', incident_id, id, title, search, title || E'\n' || description
			FROM tasks WHERE org_id = ` + org + ` AND search @@ ` + query + visChild + `
			LIMIT ` + candidates + `)
		UNION ALL
		(SELECT 'note', incident_id, id, '', search, body
			FROM notes WHERE org_id = ` + org + ` AND search @@ ` + query + visChild + `
			LIMIT ` + candidates + `)
		UNION ALL
		(SELECT 'timeline', incident_id, id, '', search, text
			FROM timeline WHERE org_id = ` + org + ` AND search @@ ` + query + visChild + `
			LIMIT ` + candidates + `)
	), best AS (
		SELECT kind, incident_id, object_id, title, doc, ts_rank(search, ` + query + `) AS score
		FROM hits ORDER BY score DESC, object_id LIMIT ` + lim + `
	)
	SELECT b.kind, b.incident_id, i.number, b.object_id, CASE WHEN b.kind = 'task' THEN b.title ELSE i.title END,
		ts_headline('simple', b.doc, ` + query + `, '` + headlineOptions + `')
	FROM best b JOIN incidents i ON i.org_id = ` + org + ` AND i.id = b.incident_id
	ORDER BY b.score DESC, b.object_id`
	hits, err := scanList(ctx, r.tx, func(s rowScanner) (store.SearchHit, error) {
		var h store.SearchHit
		var number int64
		err := s.Scan(&h.Kind, &h.IncidentID, &number, &h.ObjectID, &h.Title, &h.Snippet)
		h.IncidentKey = incident.FormatKey(number)
		return h, err
	}, sql, plannedArgs(a)...)
	return nonNil(hits), err
}

package sqlite

import (
	"context"
	"strings"
	"unicode"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

type searchRepo struct{ *tx }

// maxSearchTerms bounds the words of a search, so one request cannot build a huge query.
const maxSearchTerms = 16

// ftsQuery turns what a user typed into an FTS5 query that always parses: every word becomes
// a quoted string (so operators, column filters, parentheses and stars are plain text), the
// words are ANDed, and the last one matches as a prefix, for search as you type. Words
// without a letter or digit, which the tokenizer would drop, are left out; it returns "" when
// no word is left.
func ftsQuery(input string) string {
	return strings.Join(ftsTerms(input, true), " AND ")
}

// ftsTerms returns the words of a search as FTS5 strings, as ftsQuery joins them; with prefix
// set, the last one ends in a star.
func ftsTerms(input string, prefix bool) []string {
	// Control characters (NUL above all, which ends an FTS5 string early) separate words.
	input = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(input, " "))
	var terms []string
	for _, f := range strings.Fields(input) {
		if !strings.ContainsFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) {
			continue
		}
		terms = append(terms, `"`+strings.ReplaceAll(f, `"`, `""`)+`"`)
		if len(terms) == maxSearchTerms {
			break
		}
	}
	if prefix && len(terms) > 0 {
		terms[len(terms)-1] += "*"
	}
	return terms
}

// The full-text filter of incident lists reads the incidents' search documents
// (migrations/0002_incident_search.sql): a short incident's one document in incident_search,
// a long incident's parts in incident_search_parts. An incident matches when every word of
// the search is in its document, or, for a long incident, each word in one of its parts.
//
// How best to list the matching incidents depends on how many there are, which only the index
// knows. matchQuery first collects the organisation's matching incidents, up to
// Options.listDrivenMax of them. When that is all of them, the list reads those incidents
// alone; when there are more, matches are common enough that walking the incidents in list
// order, each tested against the set of matches, fills a page soon.
const defaultListDrivenMax = 2000

// matchingSQL returns a statement that lists the rowids of the incidents, of any
// organisation, whose search documents hold every term, and its arguments. An incident is
// listed once.
func matchingSQL(terms []string) (string, []any) {
	args := []any{strings.Join(terms, " AND ")}
	var long []string
	for _, t := range terms {
		long = append(long, `SELECT incident_rid FROM incident_search_parts WHERE rid IN
			(SELECT rowid FROM incident_search_parts_fts WHERE incident_search_parts_fts MATCH ?)`)
		args = append(args, t)
	}
	return `SELECT rowid AS rid FROM incident_search WHERE incident_search MATCH ?
		UNION ALL SELECT incident_rid FROM (` + strings.Join(long, " INTERSECT ") + `)`, args
}

// matchingIDs returns the rowids of up to most+1 of the organisation's incidents that hold
// every term.
func (r incidentRepo) matchingIDs(ctx context.Context, orgID string, terms []string, most int) ([]int64, error) {
	q, args := matchingSQL(terms)
	return scanList(ctx, r.tx, func(s rowScanner) (int64, error) {
		var rid int64
		err := s.Scan(&rid)
		return rid, err
	}, "SELECT m.rid FROM ("+q+") m CROSS JOIN incidents i ON i.rid = m.rid WHERE i.org_id = ? LIMIT ?",
		append(args, orgID, most+1)...)
}

// matchQuery adds to w the condition that an incident (alias i) matches the search query. It
// reports false when nothing can match.
//
// A word that matches as a prefix makes FTS5 gather the matches of every word it begins before
// the first one comes out, so the matches are first counted without the prefix, which stops
// after the first few thousand: when the whole words are that common, the prefix is too.
func (r incidentRepo) matchQuery(ctx context.Context, w *where, orgID, query string) (bool, error) {
	whole := ftsTerms(query, false)
	if len(whole) == 0 {
		return false, nil
	}
	most := r.store.listDrivenMax
	ids, err := r.matchingIDs(ctx, orgID, whole, most)
	if err != nil {
		return false, err
	}
	terms := ftsTerms(query, true)
	if len(ids) <= most {
		if ids, err = r.matchingIDs(ctx, orgID, terms, most); err != nil {
			return false, err
		}
		switch {
		case len(ids) == 0:
			return false, nil
		case len(ids) <= most:
			list, err := jsonText(ids)
			if err != nil {
				return false, err
			}
			w.add("i.rid IN (SELECT value FROM json_each(?))", list)
			return true, nil
		}
	}
	// The set of matches is made once per query, when first needed. The unary + stops SQLite
	// from driving the query from that set (and sorting every match) instead of walking the
	// incidents in list order.
	q, args := matchingSQL(terms)
	w.add("+i.rid IN ("+q+")", args...)
	return true, nil
}

// searchSource is one searchable table and its full-text index.
type searchSource struct {
	kind  string // SearchHit.Kind
	fts   string // the FTS5 table
	table string // its content table, aliased as alias
	alias string
	// join joins the incident (alias i) of a row that is not an incident.
	join string
	// objectID and title are the hit's object id and title; at is when the row was made (its
	// rid follows the same order); texts are the two indexed columns the snippet is cut from
	// ('' when there is one).
	objectID, title, at, texts string
}

var searchSources = []searchSource{
	{kind: "incident", fts: "incidents_fts", table: "incidents", alias: "i",
		objectID: "i.id", title: "i.title", at: "i.created_at", texts: "i.title, i.summary"},
	{kind: "task", fts: "tasks_fts", table: "tasks", alias: "t", objectID: "t.id", title: "t.title",
		at: "t.created_at", texts: "t.title, t.description",
		join: " JOIN incidents i ON i.org_id = t.org_id AND i.id = t.incident_id"},
	{kind: "note", fts: "notes_fts", table: "notes", alias: "n", objectID: "n.id", title: "i.title",
		at: "n.created_at", texts: "n.body, ''",
		join: " JOIN incidents i ON i.org_id = n.org_id AND i.id = n.incident_id"},
	{kind: "timeline", fts: "timeline_fts", table: "timeline", alias: "e", objectID: "e.id", title: "i.title",
		at: "e.recorded_at", texts: "e.text, ''",
		join: " JOIN incidents i ON i.org_id = e.org_id AND i.id = e.incident_id"},
}

// searchSQL is the search statement; hits come newest first. Parameters: ?1 the FTS5 query,
// ?2 the organisation, ?3 the user the results must be visible to (when visible), ?4 the
// number of hits.
//
// Each kind's index is read newest first (rowid order) and stops after ?4 hits, so a common
// word costs no more than a rare one; relevance ranking (bm25) is left out on purpose, as it
// must visit every match. The top CTE keeps the newest hits of all kinds; the rows of those
// hits alone are then read, by rowid (CROSS JOIN keeps top the outer loop).
func searchSQL(visible bool) string {
	vis := ""
	if visible {
		vis = " AND (i.restricted = 0 OR EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = i.id AND m.user_id = ?3))"
	}
	var cands, hits []string
	for _, src := range searchSources {
		cands = append(cands, "SELECT * FROM (SELECT '"+src.kind+"' AS kind, "+src.fts+".rowid AS rid, "+src.at+" AS at"+
			" FROM "+src.fts+" JOIN "+src.table+" "+src.alias+" ON "+src.alias+".rid = "+src.fts+".rowid"+src.join+
			" WHERE "+src.fts+" MATCH ?1 AND "+src.alias+".org_id = ?2"+vis+
			" ORDER BY "+src.fts+".rowid DESC LIMIT ?4)")
		hits = append(hits, "SELECT top.at, '"+src.kind+"', i.id, i.number, "+src.objectID+", "+src.title+", "+src.texts+
			" FROM top CROSS JOIN "+src.table+" "+src.alias+src.join+
			" WHERE top.kind = '"+src.kind+"' AND "+src.alias+".rid = top.rid")
	}
	return "WITH top AS MATERIALIZED (SELECT kind, rid, at FROM (" + strings.Join(cands, " UNION ALL ") +
		") ORDER BY at DESC, kind, rid DESC LIMIT ?4) " + strings.Join(hits, " UNION ALL ") + " ORDER BY 1 DESC, 2, 5 DESC"
}

var (
	searchAll     = searchSQL(false)
	searchVisible = searchSQL(true)
)

// Search finds incidents, tasks, notes and timeline entries, newest first, with a plain text
// snippet around the first match.
func (r searchRepo) Search(ctx context.Context, q store.SearchQuery) ([]store.SearchHit, error) {
	fq := ftsQuery(q.Query)
	if fq == "" {
		return []store.SearchHit{}, nil
	}
	query := searchAll
	if q.VisibleTo != "" {
		query = searchVisible
	}
	words := searchWords(q.Query)
	hits, err := scanList(ctx, r.tx, func(s rowScanner) (store.SearchHit, error) {
		var h store.SearchHit
		var at string
		var number int64
		var text1, text2 string
		err := s.Scan(&at, &h.Kind, &h.IncidentID, &number, &h.ObjectID, &h.Title, &text1, &text2)
		h.IncidentKey = incident.FormatKey(number)
		h.Snippet = snippet(words, text1, text2)
		return h, err
	}, query, fq, q.OrgID, q.VisibleTo, store.ClampLimit(q.Limit))
	if hits == nil && err == nil {
		hits = []store.SearchHit{}
	}
	return hits, err
}

// snippetWords is the length of a snippet, in words.
const snippetWords = 16

// searchWords returns the lower-case tokens of a search, as the index's tokenizer splits them.
func searchWords(query string) []string {
	return strings.FieldsFunc(strings.ToLower(query), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}

// snippet cuts, from the first of texts that contains one of the search's words, the words
// around the first match, marking cuts with an ellipsis. The last word of a search matches as
// a prefix, as in the index. Without a visible match (a diacritic the index folded), it is
// the beginning of the longest text.
func snippet(words []string, texts ...string) string {
	matches := func(field string) bool {
		tokens := searchWords(field)
		for i, w := range words {
			for _, tok := range tokens {
				if tok == w || (i == len(words)-1 && strings.HasPrefix(tok, w)) {
					return true
				}
			}
		}
		return false
	}
	best := ""
	for _, text := range texts {
		fields := strings.Fields(text)
		for i, f := range fields {
			if matches(f) {
				return cut(fields, max(0, i-snippetWords/4))
			}
		}
		if len(text) > len(best) {
			best = text
		}
	}
	return cut(strings.Fields(best), 0)
}

// cut joins snippetWords fields from start.
func cut(fields []string, start int) string {
	end := min(len(fields), start+snippetWords)
	if end-start < snippetWords {
		start = max(0, end-snippetWords)
	}
	s := strings.Join(fields[start:end], " ")
	if start > 0 {
		s = "…" + s
	}
	if end < len(fields) {
		s += "…"
	}
	return s
}

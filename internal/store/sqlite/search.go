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
	if len(terms) == 0 {
		return ""
	}
	terms[len(terms)-1] += "*"
	return strings.Join(terms, " AND ")
}

// Full-text conditions on incident lists. How best to find the incidents whose text matches
// depends on how many there are, which only the index knows: matchQuery first collects the
// matching incidents, up to Options.listDrivenMax of them. When that is all of them, the list
// is read from those incidents alone; when there are more, matches are common enough that
// walking the incidents in list order and testing each one finds a page quickly.
const defaultListDrivenMax = 2000

// matchingIncidentsSQL lists the organisation's incidents whose text, or whose tasks', notes'
// or timeline entries' text, matches ?1. The DISTINCT streams, so a LIMIT ends it early.
const matchingIncidentsSQL = `SELECT DISTINCT id FROM (
	SELECT i.id AS id FROM incidents_fts JOIN incidents i ON i.rid = incidents_fts.rowid
		WHERE incidents_fts MATCH ?1 AND i.org_id = ?2
	UNION ALL SELECT t.incident_id FROM tasks_fts JOIN tasks t ON t.rid = tasks_fts.rowid
		WHERE tasks_fts MATCH ?1 AND t.org_id = ?2
	UNION ALL SELECT n.incident_id FROM notes_fts JOIN notes n ON n.rid = notes_fts.rowid
		WHERE notes_fts MATCH ?1 AND n.org_id = ?2
	UNION ALL SELECT e.incident_id FROM timeline_fts JOIN timeline e ON e.rid = timeline_fts.rowid
		WHERE timeline_fts MATCH ?1 AND e.org_id = ?2
) LIMIT ?3`

// matchQuery adds to w the condition that an incident (alias i) matches the search query. It
// reports false when nothing can match.
func (r incidentRepo) matchQuery(ctx context.Context, w *where, orgID, query string) (bool, error) {
	fq := ftsQuery(query)
	if fq == "" {
		return false, nil
	}
	ids, err := scanList(ctx, r.tx, func(s rowScanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	}, matchingIncidentsSQL, fq, orgID, r.store.listDrivenMax+1)
	switch {
	case err != nil:
		return false, err
	case len(ids) == 0:
		return false, nil
	case len(ids) <= r.store.listDrivenMax:
		list, err := jsonText(ids)
		if err != nil {
			return false, err
		}
		w.add("i.id IN (SELECT value FROM json_each(?))", list)
		return true, nil
	}
	// Each rowid set is made once per query, when first needed; an incident is then tested by
	// its own rows. The unary + stops SQLite from driving the query from a rowid set (and
	// sorting every match) instead of walking the incidents in list order.
	w.add(`(+i.rid IN (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ?)
		OR EXISTS (SELECT 1 FROM tasks t WHERE t.incident_id = i.id
			AND +t.rid IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?))
		OR EXISTS (SELECT 1 FROM notes n WHERE n.incident_id = i.id
			AND +n.rid IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?))
		OR EXISTS (SELECT 1 FROM timeline e WHERE e.incident_id = i.id
			AND +e.rid IN (SELECT rowid FROM timeline_fts WHERE timeline_fts MATCH ?)))`, fq, fq, fq, fq)
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

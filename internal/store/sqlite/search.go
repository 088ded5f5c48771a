package sqlite

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

// searchSource is one searchable table and its full-text index.
type searchSource struct {
	kind  string // SearchHit.Kind
	fts   string // the FTS5 table
	table string // its content table, aliased as alias
	alias string
	// join joins the incident (alias i) of a row that is not an incident.
	join string
	// objectID and title are the hit's object id and title.
	objectID, title string
}

var searchSources = []searchSource{
	{kind: "incident", fts: "incidents_fts", table: "incidents", alias: "i", objectID: "i.id", title: "i.title"},
	{kind: "task", fts: "tasks_fts", table: "tasks", alias: "t", objectID: "t.id", title: "t.title",
		join: " JOIN incidents i ON i.org_id = t.org_id AND i.id = t.incident_id"},
	{kind: "note", fts: "notes_fts", table: "notes", alias: "n", objectID: "n.id", title: "i.title",
		join: " JOIN incidents i ON i.org_id = n.org_id AND i.id = n.incident_id"},
	{kind: "timeline", fts: "timeline_fts", table: "timeline", alias: "e", objectID: "e.id", title: "i.title",
		join: " JOIN incidents i ON i.org_id = e.org_id AND i.id = e.incident_id"},
}

// searchCandidates bounds the work of a search for a very common word: of each kind, only the
// newest matches (by row order) are ranked. A rarer word ranks all its matches.
const searchCandidates = 500

// searchSQL is the search statement. Parameters: ?1 the FTS5 query, ?2 the organisation, ?3
// the user the results must be visible to (when visible), ?4 the number of hits.
//
// The top CTE picks the best hits, by bm25, among each kind's newest candidates; the snippets
// (the costly part) are then made for those hits only.
func searchSQL(visible bool) string {
	vis := ""
	if visible {
		vis = " AND (i.restricted = 0 OR EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = i.id AND m.user_id = ?3))"
	}
	var cands, hits []string
	for _, src := range searchSources {
		from := " FROM " + src.fts + " JOIN " + src.table + " " + src.alias + " ON " + src.alias + ".rid = " + src.fts + ".rowid" + src.join
		cands = append(cands, "SELECT * FROM (SELECT '"+src.kind+"' AS kind, "+src.fts+".rowid AS rid, bm25("+src.fts+") AS score"+
			from+" WHERE "+src.fts+" MATCH ?1 AND "+src.alias+".org_id = ?2"+vis+
			" ORDER BY "+src.fts+".rowid DESC LIMIT "+strconv.Itoa(searchCandidates)+")")
		hits = append(hits, "SELECT top.score, '"+src.kind+"', i.id, i.number, "+src.objectID+", "+src.title+
			", snippet("+src.fts+", -1, '', '', '…', 16) FROM top JOIN "+src.fts+" ON "+src.fts+".rowid = top.rid"+
			" JOIN "+src.table+" "+src.alias+" ON "+src.alias+".rid = top.rid"+src.join+
			" WHERE top.kind = '"+src.kind+"' AND "+src.fts+" MATCH ?1")
	}
	return "WITH top AS MATERIALIZED (SELECT kind, rid, score FROM (" + strings.Join(cands, " UNION ALL ") +
		") ORDER BY score, kind, rid LIMIT ?4) " + strings.Join(hits, " UNION ALL ") + " ORDER BY 1, 5"
}

var (
	searchAll     = searchSQL(false)
	searchVisible = searchSQL(true)
)

// Search finds incidents, tasks, notes and timeline entries, best match first. Snippets are
// plain text.
func (r searchRepo) Search(ctx context.Context, q store.SearchQuery) ([]store.SearchHit, error) {
	fq := ftsQuery(q.Query)
	if fq == "" {
		return []store.SearchHit{}, nil
	}
	query := searchAll
	if q.VisibleTo != "" {
		query = searchVisible
	}
	hits, err := scanList(ctx, r.tx, func(s rowScanner) (store.SearchHit, error) {
		var h store.SearchHit
		var score float64
		var number int64
		err := s.Scan(&score, &h.Kind, &h.IncidentID, &number, &h.ObjectID, &h.Title, &h.Snippet)
		h.IncidentKey = incident.FormatKey(number)
		return h, err
	}, query, fq, q.OrgID, q.VisibleTo, store.ClampLimit(q.Limit))
	if hits == nil && err == nil {
		hits = []store.SearchHit{}
	}
	return hits, err
}

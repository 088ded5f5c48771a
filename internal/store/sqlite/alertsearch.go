package sqlite

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/quell-ir/quell/internal/store"
)

// Searching alerts with the indexes of migration 0007: alert_titles (trigrams of titles) and
// alert_terms (fingerprints and observable values, whole). The correlation worker fills them
// when it takes alerts off the pending list (MarkCorrelated), so a search asks the indexes for
// correlated alerts and looks at pending ones directly. Either way the candidates go through the same conditions a
// scan would apply, so the indexes change how fast a search is, never what it finds.

// searchCandidates is the most candidates a search takes from the indexes. A search with more
// hits than that is answered by a scan in id order, which finds a page of them quickly because
// they are many.
const searchCandidates = 10_000

// textCondition adds AlertFilter.Query's condition on alert a: a substring of the title,
// case-insensitively, or the whole fingerprint.
func textCondition(w *where, q string) {
	pattern := "%" + likePrefix(strings.ToLower(q)) // a substring, wildcards taken literally
	w.add(`(lower(a.title) LIKE ? ESCAPE '\' OR a.fingerprint = ?)`, pattern, q)
}

// observableCondition adds AlertFilter.Observable's condition on alert a. The text of the
// observables column is looked at first: the alert encoder writes a value the same way every
// time, so an alert without that text cannot carry the value.
func observableCondition(w *where, value string) {
	w.add(`instr(a.observables, ?) > 0 AND EXISTS (SELECT 1 FROM json_each(a.observables) o
		WHERE json_extract(o.value, '$.value') = ?)`, `"value":`+string(appendJSONString(nil, value)), value)
}

// searchConditions adds the conditions of a filter's text query and observable to w and
// returns the FROM clause of the search: the alerts table, or, when the indexes could narrow
// the search, its candidates joined to it (the candidates drive the join, so the database
// reads those alerts and no others), whose argument it puts first in w.
func (r alertRepo) searchConditions(ctx context.Context, w *where, f store.AlertFilter) (string, error) {
	q := strings.TrimSpace(f.Query)
	if q == "" && f.Observable == "" {
		return "alerts a", nil
	}
	rids, ok, err := r.candidates(ctx, f.OrgID, q, f.Observable)
	if err != nil {
		return "", err
	}
	if q != "" {
		textCondition(w, q)
	}
	if f.Observable != "" {
		observableCondition(w, f.Observable)
	}
	if !ok {
		return "alerts a", nil
	}
	w.args = append([]any{ridList(rids)}, w.args...)
	return "json_each(?) AS c CROSS JOIN alerts a ON a.rid = c.value", nil
}

// candidates returns the rids of the organisation's alerts that may match a text query q and
// an observable: what the indexes name, and the pending alerts that match. ok is false when the
// indexes cannot narrow the search: a text query under three characters and no observable, or
// more than searchCandidates candidates.
func (r alertRepo) candidates(ctx context.Context, orgID, q, observable string) (rids []int64, ok bool, err error) {
	const terms = "SELECT alert_rid FROM alert_terms WHERE org_id = ? AND term = ? LIMIT ?"
	switch {
	case observable != "":
		rids, err = r.rids(ctx, nil, terms, orgID, "o:"+observable, searchCandidates+1)
	case utf8.RuneCountInString(q) >= 3:
		rids, err = r.rids(ctx, nil, "SELECT rowid FROM alert_titles WHERE alert_titles MATCH ? LIMIT ?",
			trigramQuery(q), searchCandidates+1)
		if err == nil && len(rids) <= searchCandidates {
			rids, err = r.rids(ctx, rids, terms, orgID, "f:"+q, searchCandidates+1-len(rids))
		}
	default:
		return nil, false, nil
	}
	if err != nil || len(rids) > searchCandidates {
		return nil, false, err
	}
	// Pending alerts are in no index yet.
	pw := &where{}
	pw.add("a.pending = 1")
	pw.add("a.org_id = ?", orgID)
	if q != "" {
		textCondition(pw, q)
	}
	if observable != "" {
		observableCondition(pw, observable)
	}
	pw.args = append(pw.args, searchCandidates+1-len(rids))
	if rids, err = r.rids(ctx, rids, "SELECT a.rid FROM alerts a INDEXED BY alerts_pending"+pw.sql()+" LIMIT ?", pw.args...); err != nil || len(rids) > searchCandidates {
		return nil, false, err
	}
	return rids, true, nil
}

// rids appends the integers a query returns to into.
func (r alertRepo) rids(ctx context.Context, into []int64, query string, args ...any) ([]int64, error) {
	rows, err := r.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var rid int64
		if err := rows.Scan(&rid); err != nil {
			return nil, mapErr(err)
		}
		into = append(into, rid)
	}
	return into, mapErr(rows.Err())
}

// ridList writes rids as a JSON array, for json_each.
func ridList(rids []int64) string {
	b := make([]byte, 0, 2+len(rids)*8)
	b = append(b, '[')
	for i, rid := range rids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, rid, 10)
	}
	return string(append(b, ']'))
}

// trigramQuery is the full-text query for the alerts whose indexed text holds every trigram
// of q: each distinct run of three characters, quoted, so that nothing in q is read as query
// syntax. Case is folded by the index's tokenizer.
func trigramQuery(q string) string {
	runes := []rune(q)
	seen := map[string]bool{}
	var b strings.Builder
	for i := 0; i+3 <= len(runes); i++ {
		t := string(runes[i : i+3])
		if seen[t] {
			continue
		}
		seen[t] = true
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(t, `"`, `""`))
		b.WriteByte('"')
	}
	return b.String()
}

// indexForSearch adds alerts about to leave the pending list to the search indexes.
func (r alertRepo) indexForSearch(ctx context.Context, in string, args []any) error {
	// In rowid order: the full-text index buffers a transaction's rows and writes them out
	// as a new segment whenever a rowid comes lower than the one before.
	if _, err := r.exec(ctx, `INSERT INTO alert_titles (rowid, title)
		SELECT rid, title FROM alerts WHERE org_id = ? AND id IN (`+in+`) AND pending = 1 ORDER BY rid`, args...); err != nil {
		return err
	}
	_, err := r.exec(ctx, `INSERT OR IGNORE INTO alert_terms (org_id, term, alert_rid)
		SELECT org_id, 'f:' || fingerprint, rid FROM alerts WHERE org_id = ? AND id IN (`+in+`) AND pending = 1
		UNION ALL
		SELECT a.org_id, 'o:' || json_extract(o.value, '$.value'), a.rid FROM alerts a, json_each(a.observables) o
		WHERE a.org_id = ? AND a.id IN (`+in+`) AND a.pending = 1 AND json_extract(o.value, '$.value') IS NOT NULL`,
		append(args, args...)...)
	return err
}

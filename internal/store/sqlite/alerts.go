package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/store"
)

type alertRepo struct{ *tx }

func (t *tx) Alerts() store.Alerts               { return alertRepo{t} }
func (t *tx) Silences() store.Silences           { return silenceRepo{t} }
func (t *tx) IntakeSources() store.IntakeSources { return intakeSourceRepo{t} }
func (t *tx) Idempotency() store.Idempotency     { return idempotencyRepo{t} }
func (t *tx) Correlation() store.Correlation     { return correlationRepo{t} }

// openStatuses is the SQL form of alert.Status.Open; it must match the partial unique index.
const openStatuses = "('new', 'triaged', 'promoted')"

const alertListCols = `a.id, a.org_id, a.source, a.source_ref, a.fingerprint, a.title, a.description, a.severity,
	a.priority, a.labels, a.observables, a.asset_ids, a.raw_truncated, a.occurred_at, a.first_seen, a.last_seen,
	a.count, a.status, a.verdict, a.silence_id, a.incident_id, a.version`

func scanAlert(s rowScanner, raw bool) (alert.Alert, error) {
	var a alert.Alert
	var incidentID nullString
	dest := []any{&a.ID, &a.OrgID, &a.Source, &a.SourceRef, &a.Fingerprint, &a.Title, &a.Description, &a.Severity,
		&a.Priority, jsonCol{&a.Labels}, jsonCol{&a.Observables}, jsonCol{&a.AssetIDs}, &a.RawTruncated,
		timeCol{&a.OccurredAt}, timeCol{&a.FirstSeen}, timeCol{&a.LastSeen}, &a.Count, &a.Status, &a.Verdict,
		&a.SilenceID, &incidentID, &a.Version}
	if raw {
		dest = append(dest, &a.Raw)
	}
	if err := s.Scan(dest...); err != nil {
		return a, err
	}
	a.IncidentID = incidentID.String
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	if a.Observables == nil {
		a.Observables = []alert.Observable{}
	}
	if a.AssetIDs == nil {
		a.AssetIDs = []string{}
	}
	return a, nil
}

func scanAlertRow(s rowScanner) (alert.Alert, error)     { return scanAlert(s, false) }
func scanAlertWithRaw(s rowScanner) (alert.Alert, error) { return scanAlert(s, true) }

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ingestColumns are the columns an ingested alert writes, in the order ingestArgs gives them;
// pending and version are constants.
const ingestColumns = `id, org_id, source, source_ref, fingerprint, title,
		description, severity, severity_rank, priority, labels, observables, asset_ids, raw, raw_truncated,
		occurred_at, first_seen, last_seen, count, status, verdict, silence_id, incident_id, pending, version`

// ingestRow is one VALUES row of ingestColumns.
const ingestRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)`

// ingestConflict folds an alert into the open alert of its fingerprint.
const ingestConflict = ` ON CONFLICT (org_id, source, fingerprint) WHERE status IN ` + openStatuses + ` DO UPDATE SET
			count = count + excluded.count,
			last_seen = max(last_seen, excluded.last_seen),
			severity = CASE WHEN excluded.severity_rank > severity_rank THEN excluded.severity ELSE severity END,
			severity_rank = max(severity_rank, excluded.severity_rank)`

// ingestAlert inserts an alert or folds it into the open alert of its fingerprint.
const ingestAlert = `INSERT INTO alerts (` + ingestColumns + `) VALUES ` + ingestRow + ingestConflict + ` RETURNING id`

// ingestArgs appends the arguments of one ingestRow.
func ingestArgs(args []any, a alert.Alert, n int) []any {
	// An alert is usually first and last seen when it occurred: format that time once.
	first := tm(a.FirstSeen)
	last, occurred := first, first
	if !a.LastSeen.Equal(a.FirstSeen) {
		last = tm(a.LastSeen)
	}
	if !a.OccurredAt.Equal(a.FirstSeen) {
		occurred = tm(a.OccurredAt)
	}
	return append(args,
		a.ID, a.OrgID, a.Source, a.SourceRef, a.Fingerprint, a.Title, a.Description, string(a.Severity),
		a.Severity.Rank(), string(a.Priority), labelsJSON(a.Labels), observablesJSON(a.Observables),
		stringsJSON(a.AssetIDs), a.Raw, boolInt(a.RawTruncated), occurred, first, last, max(n, 1),
		string(a.Status), string(a.Verdict), a.SilenceID, nullIfEmpty(a.IncidentID))
}

func (r alertRepo) Ingest(ctx context.Context, a alert.Alert, n int) (string, bool, error) {
	args := ingestArgs(make([]any, 0, 23), a, n)
	st, err := r.prepared(ctx, ingestAlert)
	if err != nil {
		return "", false, err
	}
	var id string
	if err := st.QueryRowContext(ctx, args...).Scan(&id); err != nil {
		return "", false, mapErr(err)
	}
	return id, id == a.ID, nil
}

// ingestChunk is how many alerts one INSERT of IngestMany writes. Every statement costs a
// bind, a step and a statement journal besides its rows, and an intake batch is hundreds of
// alerts: in statements of this many rows the driver spends its time on the rows.
const ingestChunk = 32

// ingestRowsQueries are the INSERT statements of ingestRows, by number of rows; made once, as
// a chunk of alerts needs one and the text is also the key of the statement caches.
var ingestRowsQueries = func() (qs [ingestChunk + 1]string) {
	for n := 1; n <= ingestChunk; n++ {
		qs[n] = `INSERT INTO alerts (` + ingestColumns + `) VALUES ` + ingestRow + strings.Repeat(", "+ingestRow, n-1) +
			ingestConflict + ` RETURNING id, fingerprint`
	}
	return qs
}()

func (r alertRepo) IngestMany(ctx context.Context, items []store.IngestItem) ([]store.IngestResult, error) {
	out := make([]store.IngestResult, len(items))
	args := make([]any, 0, ingestChunk*23)
	chunk := make(map[string]int, ingestChunk) // fingerprint → index in items
	for start := 0; start < len(items); {
		// A chunk holds alerts of one organisation and source, and ends before a fingerprint
		// it already holds: two rows of one INSERT that fold into each other would return
		// one id for both, and the first is not yet visible to the second's RETURNING.
		first := items[start].Alert
		end, args := start, args[:0]
		clear(chunk)
		for end < len(items) && end-start < ingestChunk {
			a := items[end].Alert
			if _, dup := chunk[a.Fingerprint]; dup || a.OrgID != first.OrgID || a.Source != first.Source {
				break
			}
			chunk[a.Fingerprint] = end
			args = ingestArgs(args, a, items[end].N)
			end++
		}
		if err := r.ingestRows(ctx, items, chunk, end-start, args, out); err != nil {
			return nil, err
		}
		for i := start; i < end; i++ {
			if out[i].ID == "" {
				return nil, fmt.Errorf("sqlite: ingest returned no row for alert %s", items[i].Alert.ID)
			}
		}
		start = end
	}
	return out, nil
}

// ingestRows writes n alerts of one organisation and source, whose ingestArgs are args, in
// one statement, and sets the result of each: chunk maps their fingerprints to their indexes
// in items and out.
func (r alertRepo) ingestRows(ctx context.Context, items []store.IngestItem, chunk map[string]int, n int, args []any, out []store.IngestResult) error {
	rows, err := r.query(ctx, ingestRowsQueries[n], args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var id, fingerprint sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&id, &fingerprint); err != nil {
			return mapErr(err)
		}
		i, ok := chunk[string(fingerprint)]
		if !ok {
			return fmt.Errorf("sqlite: ingest returned a row for fingerprint %q, which it did not write", fingerprint)
		}
		if a := items[i].Alert; string(id) == a.ID {
			out[i] = store.IngestResult{ID: a.ID, Created: true}
		} else {
			out[i] = store.IngestResult{ID: string(id)}
		}
	}
	if err := rows.Err(); err != nil {
		return mapErr(err)
	}
	return mapErr(rows.Close())
}

func (r alertRepo) FindBySourceRefs(ctx context.Context, orgID, source string, refs []string) (map[string]string, error) {
	out := map[string]string{}
	for len(refs) > 0 {
		chunk := refs[:min(len(refs), 500)]
		refs = refs[len(chunk):]
		args := []any{orgID, source}
		for _, ref := range chunk {
			args = append(args, ref)
		}
		rows, err := r.query(ctx, `SELECT source_ref, id FROM alerts WHERE org_id = ? AND source = ? AND source_ref IN (`+
			placeholders(len(chunk))+`) AND source_ref <> '' ORDER BY rid`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var ref, id string
			if err := rows.Scan(&ref, &id); err != nil {
				rows.Close()
				return nil, mapErr(err)
			}
			out[ref] = id // rows come oldest first: the newest wins
		}
		if err := rows.Close(); err != nil {
			return nil, mapErr(err)
		}
		if err := rows.Err(); err != nil {
			return nil, mapErr(err)
		}
	}
	return out, nil
}

func (r alertRepo) Bump(ctx context.Context, orgID, id string, n int, lastSeen time.Time, sev alert.Severity) (bool, error) {
	st, err := r.prepared(ctx, `UPDATE alerts SET count = count + ?, last_seen = max(last_seen, ?),
		severity = CASE WHEN ? > severity_rank THEN ? ELSE severity END, severity_rank = max(severity_rank, ?)
		WHERE org_id = ? AND id = ? AND status IN `+openStatuses)
	if err != nil {
		return false, err
	}
	res, err := st.ExecContext(ctx, n, tm(lastSeen), sev.Rank(), string(sev), sev.Rank(), orgID, id)
	if err != nil {
		return false, mapErr(err)
	}
	changed, err := res.RowsAffected()
	return changed == 1, mapErr(err)
}

func (r alertRepo) FindBySourceRef(ctx context.Context, orgID, source, ref string) (string, error) {
	st, err := r.prepared(ctx, `SELECT id FROM alerts WHERE org_id = ? AND source = ? AND source_ref = ?
		AND source_ref <> '' ORDER BY rid DESC LIMIT 1`)
	if err != nil {
		return "", err
	}
	var id string
	err = st.QueryRowContext(ctx, orgID, source, ref).Scan(&id)
	return id, mapErr(err)
}

func (r alertRepo) ResolveOpen(ctx context.Context, orgID, source, fingerprint string, at time.Time) (string, error) {
	var id string
	err := r.queryRow(ctx, `UPDATE alerts SET status = 'resolved', last_seen = max(last_seen, ?),
		version = version + 1 WHERE org_id = ? AND source = ? AND fingerprint = ? AND status IN `+openStatuses+`
		RETURNING id`, tm(at), orgID, source, fingerprint).Scan(&id)
	return id, mapErr(err)
}

func (r alertRepo) Get(ctx context.Context, orgID, id string) (alert.Alert, error) {
	return scanOne(ctx, r.tx, scanAlertWithRaw, "SELECT "+alertListCols+", a.raw FROM alerts a WHERE a.org_id = ? AND a.id = ?", orgID, id)
}

func (r alertRepo) Update(ctx context.Context, a alert.Alert, expectVersion int64) error {
	assets, err := jsonText(a.AssetIDs)
	if err != nil {
		return err
	}
	return r.updateVersioned(ctx, "alerts", "org_id = ? AND id = ?", []any{a.OrgID, a.ID}, `UPDATE alerts SET
		status = ?, verdict = ?, silence_id = ?, incident_id = ?, asset_ids = ?, priority = ?, version = ?
		WHERE org_id = ? AND id = ? AND version = ?`,
		string(a.Status), string(a.Verdict), a.SilenceID, nullIfEmpty(a.IncidentID), assets, string(a.Priority),
		expectVersion+1, a.OrgID, a.ID, expectVersion)
}

// alertWhere returns the FROM clause and the conditions of a filter.
func (r alertRepo) alertWhere(ctx context.Context, f store.AlertFilter) (string, *where, error) {
	w := &where{}
	w.add("a.org_id = ?", f.OrgID)
	in(w, "a.status", f.Status)
	in(w, "a.severity", f.Severity)
	if f.Source != "" {
		w.add("a.source = ?", f.Source)
	}
	if f.IncidentID != "" {
		w.add("a.incident_id = ?", f.IncidentID)
	}
	if f.Silenced != nil {
		if *f.Silenced {
			w.add("a.silence_id <> ''")
		} else {
			w.add("a.silence_id = ''")
		}
	}
	from, err := r.searchConditions(ctx, w, f)
	return from, w, err
}

func (r alertRepo) List(ctx context.Context, f store.AlertFilter) (store.Page[alert.Alert], error) {
	var page store.Page[alert.Alert]
	from, w, err := r.alertWhere(ctx, f)
	if err != nil {
		return page, err
	}
	if f.Cursor != "" {
		parts, err := store.DecodeCursor(f.Cursor, 1)
		if err != nil {
			return page, err
		}
		w.add("a.id < ?", parts[0])
	}
	limit := store.ClampLimit(f.Limit)
	items, err := scanList(ctx, r.tx, scanAlertRow, "SELECT "+alertListCols+" FROM "+from+w.sql()+
		" ORDER BY a.id DESC LIMIT "+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = store.EncodeCursor(items[limit-1].ID)
	}
	page.Items = items
	if page.Items == nil {
		page.Items = []alert.Alert{}
	}
	return page, nil
}

func (r alertRepo) Count(ctx context.Context, f store.AlertFilter) (int, error) {
	from, w, err := r.alertWhere(ctx, f)
	if err != nil {
		return 0, err
	}
	var n int
	err = r.sqlTx.QueryRowContext(ctx, "SELECT count(*) FROM "+from+w.sql(), w.args...).Scan(&n)
	return n, mapErr(err)
}

func (r alertRepo) Pending(ctx context.Context, limit int) ([]alert.Alert, error) {
	return scanList(ctx, r.tx, scanAlertRow, "SELECT "+alertListCols+" FROM alerts a WHERE a.pending = 1 ORDER BY a.rid LIMIT ?", limit)
}

func (r alertRepo) MarkCorrelated(ctx context.Context, orgID string, ids []string) error {
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := []any{orgID}
		for _, id := range chunk {
			args = append(args, id)
		}
		in := placeholders(len(chunk))
		if err := r.indexForSearch(ctx, in, args); err != nil {
			return err
		}
		if _, err := r.exec(ctx, "UPDATE alerts SET pending = 0 WHERE org_id = ? AND id IN ("+in+") AND pending = 1", args...); err != nil {
			return err
		}
	}
	return nil
}

type silenceRepo struct{ *tx }

const silenceCols = "id, org_id, matchers, starts_at, ends_at, created_by, reason, created_at, expired_at"

func scanSilence(s rowScanner) (alert.Silence, error) {
	var v alert.Silence
	err := s.Scan(&v.ID, &v.OrgID, jsonCol{&v.Matchers}, timeCol{&v.StartsAt}, timeCol{&v.EndsAt}, &v.CreatedBy,
		&v.Reason, timeCol{&v.CreatedAt}, timePtrCol{&v.ExpiredAt})
	return v, err
}

func (r silenceRepo) Create(ctx context.Context, s alert.Silence) error {
	m, err := jsonText(s.Matchers)
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, "INSERT INTO silences ("+silenceCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		s.ID, s.OrgID, m, tm(s.StartsAt), tm(s.EndsAt), s.CreatedBy, s.Reason, tm(s.CreatedAt), tmPtr(s.ExpiredAt))
	return err
}

func (r silenceRepo) Get(ctx context.Context, orgID, id string) (alert.Silence, error) {
	return scanOne(ctx, r.tx, scanSilence, "SELECT "+silenceCols+" FROM silences WHERE org_id = ? AND id = ?", orgID, id)
}

func (r silenceRepo) List(ctx context.Context, orgID string, activeAt time.Time) ([]alert.Silence, error) {
	if activeAt.IsZero() {
		return scanList(ctx, r.tx, scanSilence, "SELECT "+silenceCols+" FROM silences WHERE org_id = ? ORDER BY id DESC LIMIT 1000", orgID)
	}
	at := tm(activeAt)
	return scanList(ctx, r.tx, scanSilence, "SELECT "+silenceCols+` FROM silences WHERE org_id = ? AND starts_at <= ?
		AND ends_at > ? AND (expired_at IS NULL OR expired_at > ?) ORDER BY id DESC`, orgID, at, at, at)
}

func (r silenceRepo) ListActive(ctx context.Context, now time.Time) ([]alert.Silence, error) {
	at := tm(now)
	return scanList(ctx, r.tx, scanSilence, "SELECT "+silenceCols+` FROM silences WHERE ends_at > ? AND starts_at <= ?
		AND (expired_at IS NULL OR expired_at > ?) ORDER BY id`, at, at, at)
}

func (r silenceRepo) Expire(ctx context.Context, orgID, id string, at time.Time) error {
	return r.execOne(ctx, "UPDATE silences SET expired_at = ? WHERE org_id = ? AND id = ? AND expired_at IS NULL", tm(at), orgID, id)
}

type intakeSourceRepo struct{ *tx }

const intakeSourceCols = "id, org_id, name, format, mapping, prefix, hash, created_by, created_at, last_used_at, revoked_at"

func scanIntakeSource(s rowScanner) (alert.IntakeSource, error) {
	var v alert.IntakeSource
	err := s.Scan(&v.ID, &v.OrgID, &v.Name, &v.Format, &v.Mapping, &v.Prefix, &v.Hash, &v.CreatedBy,
		timeCol{&v.CreatedAt}, timePtrCol{&v.LastUsedAt}, timePtrCol{&v.RevokedAt})
	return v, err
}

func (r intakeSourceRepo) Create(ctx context.Context, s alert.IntakeSource) error {
	_, err := r.exec(ctx, "INSERT INTO intake_sources ("+intakeSourceCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		s.ID, s.OrgID, s.Name, s.Format, s.Mapping, s.Prefix, s.Hash, s.CreatedBy, tm(s.CreatedAt),
		tmPtr(s.LastUsedAt), tmPtr(s.RevokedAt))
	return err
}

func (r intakeSourceRepo) Get(ctx context.Context, orgID, id string) (alert.IntakeSource, error) {
	return scanOne(ctx, r.tx, scanIntakeSource, "SELECT "+intakeSourceCols+" FROM intake_sources WHERE org_id = ? AND id = ?", orgID, id)
}

func (r intakeSourceRepo) GetByHash(ctx context.Context, hash string) (alert.IntakeSource, error) {
	return scanOne(ctx, r.tx, scanIntakeSource, "SELECT "+intakeSourceCols+" FROM intake_sources WHERE hash = ?", hash)
}

func (r intakeSourceRepo) List(ctx context.Context, orgID string) ([]alert.IntakeSource, error) {
	return scanList(ctx, r.tx, scanIntakeSource, "SELECT "+intakeSourceCols+" FROM intake_sources WHERE org_id = ? ORDER BY name", orgID)
}

func (r intakeSourceRepo) Revoke(ctx context.Context, orgID, id string, at time.Time) error {
	return r.execOne(ctx, "UPDATE intake_sources SET revoked_at = coalesce(revoked_at, ?) WHERE org_id = ? AND id = ?", tm(at), orgID, id)
}

func (r intakeSourceRepo) Touch(ctx context.Context, id string, at time.Time) error {
	return r.execOne(ctx, "UPDATE intake_sources SET last_used_at = ? WHERE id = ?", tm(at), id)
}

type idempotencyRepo struct{ *tx }

func (r idempotencyRepo) Get(ctx context.Context, orgID, key string) ([]byte, error) {
	var b []byte
	err := r.queryRow(ctx, "SELECT answer FROM idempotency_keys WHERE org_id = ? AND key = ?", orgID, key).Scan(&b)
	return b, mapErr(err)
}

func (r idempotencyRepo) Put(ctx context.Context, orgID, key string, answer []byte, at time.Time) error {
	_, err := r.exec(ctx, `INSERT INTO idempotency_keys (org_id, key, answer, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (org_id, key) DO NOTHING`, orgID, key, answer, tm(at))
	return err
}

func (r idempotencyRepo) Prune(ctx context.Context, before time.Time) (int, error) {
	res, err := r.exec(ctx, "DELETE FROM idempotency_keys WHERE created_at < ?", tm(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), mapErr(err)
}

type correlationRepo struct{ *tx }

func (r correlationRepo) Remember(ctx context.Context, orgID, incidentID string, keys []string, at time.Time) error {
	for _, k := range keys {
		if _, err := r.exec(ctx, `INSERT INTO correlation_keys (org_id, key, incident_id, seen_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (org_id, key, incident_id) DO UPDATE SET seen_at = max(seen_at, excluded.seen_at)`,
			orgID, k, incidentID, tm(at)); err != nil {
			return err
		}
	}
	return nil
}

func (r correlationRepo) Find(ctx context.Context, orgID string, keys []string, since time.Time) (string, error) {
	if len(keys) == 0 {
		return "", store.ErrNotFound
	}
	args := []any{orgID}
	for _, k := range keys {
		args = append(args, k)
	}
	args = append(args, tm(since))
	st, err := r.prepared(ctx, `SELECT c.incident_id FROM correlation_keys c
		JOIN incidents i ON i.org_id = c.org_id AND i.id = c.incident_id
		WHERE c.org_id = ? AND c.key IN (`+placeholders(len(keys))+`) AND c.seen_at >= ? AND i.phase <> 'closed'
		ORDER BY c.seen_at DESC LIMIT 1`)
	if err != nil {
		return "", err
	}
	var id string
	err = st.QueryRowContext(ctx, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	return id, mapErr(err)
}

func (r correlationRepo) Latest(ctx context.Context, orgID string, keys []string, since time.Time) (map[string]store.KeyHit, error) {
	out := map[string]store.KeyHit{}
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), 500)]
		keys = keys[len(chunk):]
		args := []any{orgID}
		for _, k := range chunk {
			args = append(args, k)
		}
		args = append(args, tm(since))
		rows, err := r.query(ctx, `SELECT c.key, c.incident_id, c.seen_at FROM correlation_keys c
			JOIN incidents i ON i.org_id = c.org_id AND i.id = c.incident_id
			WHERE c.org_id = ? AND c.key IN (`+placeholders(len(chunk))+`) AND c.seen_at >= ? AND i.phase <> 'closed'`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var key string
			var hit store.KeyHit
			if err := rows.Scan(&key, &hit.IncidentID, timeCol{&hit.SeenAt}); err != nil {
				rows.Close()
				return nil, mapErr(err)
			}
			if prev, ok := out[key]; !ok || hit.SeenAt.After(prev.SeenAt) {
				out[key] = hit
			}
		}
		if err := rows.Close(); err != nil {
			return nil, mapErr(err)
		}
		if err := rows.Err(); err != nil {
			return nil, mapErr(err)
		}
	}
	return out, nil
}

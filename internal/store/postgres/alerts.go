package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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

var alertListCols = `a.id, a.org_id, a.source, a.source_ref, a.fingerprint, a.title, a.description, a.severity,
	a.priority, a.labels, a.observables, a.asset_ids, a.raw_truncated, ` + tc("a.occurred_at") + ", " +
	tc("a.first_seen") + ", " + tc("a.last_seen") + `, a.count, a.status, a.verdict, a.silence_id,
	coalesce(a.incident_id, ''), a.version`

func scanAlert(s rowScanner, raw bool) (alert.Alert, error) {
	var a alert.Alert
	d := dest(&a.ID, &a.OrgID, &a.Source, &a.SourceRef, &a.Fingerprint, &a.Title, &a.Description, &a.Severity,
		&a.Priority, &a.Labels, &a.Observables, &a.AssetIDs, &a.RawTruncated, tcol(&a.OccurredAt),
		tcol(&a.FirstSeen), tcol(&a.LastSeen), &a.Count, &a.Status, &a.Verdict, &a.SilenceID, &a.IncidentID, &a.Version)
	if raw {
		d = append(d, &a.Raw)
	}
	if err := s.Scan(d...); err != nil {
		return a, err
	}
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

// later sets a two-column time to the later of its value and the excluded row's (in an upsert)
// or a given pair.
func later(col, newAt, newNS string) string {
	cond := "(" + newAt + ", " + newNS + ") > (alerts." + col + ", alerts." + col + "_ns)"
	return col + " = CASE WHEN " + cond + " THEN " + newAt + " ELSE alerts." + col + " END, " +
		col + "_ns = CASE WHEN " + cond + " THEN " + newNS + " ELSE alerts." + col + "_ns END"
}

// ingestStatement is the upsert of Ingest for one alert standing for n copies.
func ingestStatement(a alert.Alert, n int) (string, []any, error) {
	if n < 1 {
		n = 1
	}
	labels := any("{}")
	if a.Labels != nil {
		var err error
		if labels, err = jsonArg(a.Labels, false); err != nil {
			return "", nil, err
		}
	}
	obs := any("[]")
	if a.Observables != nil {
		var err error
		if obs, err = jsonArg(a.Observables, false); err != nil {
			return "", nil, err
		}
	}
	assets := any("[]")
	if len(a.AssetIDs) > 0 {
		var err error
		if assets, err = jsonArg(a.AssetIDs, false); err != nil {
			return "", nil, err
		}
	}
	c := (&cols{}).set("id", a.ID).set("org_id", a.OrgID).set("source", a.Source).set("source_ref", a.SourceRef).
		set("fingerprint", a.Fingerprint).set("title", a.Title).set("description", a.Description).
		set("severity", string(a.Severity)).set("severity_rank", a.Severity.Rank()).set("priority", string(a.Priority)).
		set("labels", labels).set("observables", obs).set("asset_ids", assets).set("raw", a.Raw).
		set("raw_truncated", a.RawTruncated).setTime("occurred_at", a.OccurredAt).setTime("first_seen", a.FirstSeen).
		setTime("last_seen", a.LastSeen).set("count", n).set("status", string(a.Status)).
		set("verdict", string(a.Verdict)).set("silence_id", a.SilenceID).set("incident_id", nullIfEmpty(a.IncidentID)).
		set("pending", true).set("version", 1)
	return c.insert("alerts") + ` ON CONFLICT (org_id, source, fingerprint) WHERE status IN ` + openStatuses + `
		DO UPDATE SET count = alerts.count + excluded.count, ` + later("last_seen", "excluded.last_seen", "excluded.last_seen_ns") + `,
			severity = CASE WHEN excluded.severity_rank > alerts.severity_rank THEN excluded.severity ELSE alerts.severity END,
			severity_rank = greatest(alerts.severity_rank, excluded.severity_rank)
		RETURNING id`, c.args, nil
}

func (r alertRepo) Ingest(ctx context.Context, a alert.Alert, n int) (string, bool, error) {
	q, args, err := ingestStatement(a, n)
	if err != nil {
		return "", false, err
	}
	var id string
	if err := r.queryRow(ctx, q, args, &id); err != nil {
		return "", false, err
	}
	return id, id == a.ID, nil
}

// IngestMany sends every upsert in one batch: one round trip for the lot.
func (r alertRepo) IngestMany(ctx context.Context, items []store.IngestItem) ([]store.IngestResult, error) {
	if len(items) == 0 {
		return nil, nil
	}
	var b pgx.Batch
	for _, it := range items {
		q, args, err := ingestStatement(it.Alert, it.N)
		if err != nil {
			return nil, err
		}
		b.Queue(q, args...)
	}
	br := r.pgTx.SendBatch(ctx, &b)
	out := make([]store.IngestResult, len(items))
	for i, it := range items {
		var id string
		if err := br.QueryRow().Scan(&id); err != nil {
			_ = br.Close()
			return nil, r.mapErr(err)
		}
		out[i] = store.IngestResult{ID: id, Created: id == it.Alert.ID}
	}
	if err := br.Close(); err != nil {
		return nil, r.mapErr(err)
	}
	return out, nil
}

func (r alertRepo) FindBySourceRefs(ctx context.Context, orgID, source string, refs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(refs) == 0 {
		return out, nil
	}
	rows, err := r.pgTx.Query(ctx, `SELECT DISTINCT ON (source_ref) source_ref, id FROM alerts
		WHERE org_id = $1 AND source = $2 AND source_ref = ANY($3) AND source_ref <> ''
		ORDER BY source_ref, rid DESC`, orgID, source, refs)
	if err != nil {
		return nil, r.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ref, id string
		if err := rows.Scan(&ref, &id); err != nil {
			return nil, r.mapErr(err)
		}
		out[ref] = id
	}
	return out, r.mapErr(rows.Err())
}

func (r alertRepo) Bump(ctx context.Context, orgID, id string, n int, lastSeen time.Time, sev alert.Severity) (bool, error) {
	at, ns := splitTime(lastSeen)
	tag, err := r.exec(ctx, `UPDATE alerts SET count = count + $1, `+later("last_seen", "$2::timestamptz", "$3::smallint")+`,
		severity = CASE WHEN $4 > severity_rank THEN $5 ELSE severity END, severity_rank = greatest(severity_rank, $4)
		WHERE org_id = $6 AND id = $7 AND status IN `+openStatuses, n, at, ns, sev.Rank(), string(sev), orgID, id)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

func (r alertRepo) FindBySourceRef(ctx context.Context, orgID, source, ref string) (string, error) {
	var id string
	err := r.queryRow(ctx, `SELECT id FROM alerts WHERE org_id = $1 AND source = $2 AND source_ref = $3
		AND source_ref <> '' ORDER BY rid DESC LIMIT 1`, []any{orgID, source, ref}, &id)
	return id, err
}

func (r alertRepo) ResolveOpen(ctx context.Context, orgID, source, fingerprint string, at time.Time) (string, error) {
	t, ns := splitTime(at)
	var id string
	err := r.queryRow(ctx, `UPDATE alerts SET status = 'resolved', `+later("last_seen", "$1::timestamptz", "$2::smallint")+`,
		version = version + 1 WHERE org_id = $3 AND source = $4 AND fingerprint = $5 AND status IN `+openStatuses+`
		RETURNING id`, []any{t, ns, orgID, source, fingerprint}, &id)
	return id, err
}

func (r alertRepo) Get(ctx context.Context, orgID, id string) (alert.Alert, error) {
	return scanOne(ctx, r.tx, scanAlertWithRaw, "SELECT "+alertListCols+", a.raw FROM alerts a WHERE a.org_id = $1 AND a.id = $2", orgID, id)
}

func (r alertRepo) Update(ctx context.Context, a alert.Alert, expectVersion int64) error {
	assets := any("[]")
	if len(a.AssetIDs) > 0 {
		var err error
		if assets, err = jsonArg(a.AssetIDs, false); err != nil {
			return err
		}
	}
	return r.updateVersioned(ctx, "alerts", "org_id = $1 AND id = $2", []any{a.OrgID, a.ID}, `UPDATE alerts SET
		status = $1, verdict = $2, silence_id = $3, incident_id = $4, asset_ids = $5, priority = $6, version = $7
		WHERE org_id = $8 AND id = $9 AND version = $10`,
		string(a.Status), string(a.Verdict), a.SilenceID, nullIfEmpty(a.IncidentID), assets, string(a.Priority),
		expectVersion+1, a.OrgID, a.ID, expectVersion)
}

func alertWhere(f store.AlertFilter) *where {
	w := &where{}
	w.add("a.org_id = " + w.arg(f.OrgID))
	in(w, "a.status", f.Status)
	in(w, "a.severity", f.Severity)
	if f.Source != "" {
		w.add("a.source = " + w.arg(f.Source))
	}
	if f.IncidentID != "" {
		w.add("a.incident_id = " + w.arg(f.IncidentID))
	}
	if f.Silenced != nil {
		if *f.Silenced {
			w.add("a.silence_id <> ''")
		} else {
			w.add("a.silence_id = ''")
		}
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		pattern := "%" + likePrefix(strings.ToLower(q)) // a substring, wildcards taken literally
		w.add(`(lower(a.title) LIKE ` + w.arg(pattern) + ` ESCAPE '\' OR a.fingerprint = ` + w.arg(q) + `)`)
	}
	if f.Observable != "" {
		// Containment, which the alerts_observables index answers.
		w.add("a.observables @> jsonb_build_array(jsonb_build_object('value', " + w.arg(f.Observable) + "::text))")
	}
	return w
}

func (r alertRepo) List(ctx context.Context, f store.AlertFilter) (store.Page[alert.Alert], error) {
	var page store.Page[alert.Alert]
	w := alertWhere(f)
	if f.Cursor != "" {
		parts, err := store.DecodeCursor(f.Cursor, 1)
		if err != nil {
			return page, err
		}
		w.add("a.id < " + w.arg(parts[0]))
	}
	limit := store.ClampLimit(f.Limit)
	items, err := scanList(ctx, r.tx, scanAlertRow, "SELECT "+alertListCols+" FROM alerts a"+w.sql()+
		" ORDER BY a.id DESC LIMIT "+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = store.EncodeCursor(items[limit-1].ID)
	}
	page.Items = nonNil(items)
	return page, nil
}

func (r alertRepo) Count(ctx context.Context, f store.AlertFilter) (int, error) {
	w := alertWhere(f)
	var n int
	err := r.queryRow(ctx, "SELECT count(*) FROM alerts a"+w.sql(), w.args, &n)
	return n, err
}

func (r alertRepo) Pending(ctx context.Context, limit int) ([]alert.Alert, error) {
	lock := ""
	if r.write {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	return scanList(ctx, r.tx, scanAlertRow, "SELECT "+alertListCols+" FROM alerts a WHERE a.pending ORDER BY a.rid LIMIT $1"+lock, limit)
}

func (r alertRepo) MarkCorrelated(ctx context.Context, orgID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := r.exec(ctx, "UPDATE alerts SET pending = false WHERE org_id = $1 AND id = ANY($2)", orgID, ids)
	return err
}

type silenceRepo struct{ *tx }

var silenceCols = "id, org_id, matchers, " + tc("starts_at") + ", " + tc("ends_at") + ", created_by, reason, " +
	tc("created_at") + ", " + tc("expired_at")

func scanSilence(s rowScanner) (alert.Silence, error) {
	var v alert.Silence
	err := s.Scan(dest(&v.ID, &v.OrgID, &v.Matchers, tcol(&v.StartsAt), tcol(&v.EndsAt), &v.CreatedBy, &v.Reason,
		tcol(&v.CreatedAt), tcolPtr(&v.ExpiredAt))...)
	return v, err
}

func (r silenceRepo) Create(ctx context.Context, s alert.Silence) error {
	m, err := jsonArg(s.Matchers, false)
	if err != nil {
		return err
	}
	c := (&cols{}).set("id", s.ID).set("org_id", s.OrgID).set("matchers", m).setTime("starts_at", s.StartsAt).
		setTime("ends_at", s.EndsAt).set("created_by", s.CreatedBy).set("reason", s.Reason).
		setTime("created_at", s.CreatedAt).setTimePtr("expired_at", s.ExpiredAt)
	_, err = r.exec(ctx, c.insert("silences"), c.args...)
	return err
}

func (r silenceRepo) Get(ctx context.Context, orgID, id string) (alert.Silence, error) {
	return scanOne(ctx, r.tx, scanSilence, "SELECT "+silenceCols+" FROM silences WHERE org_id = $1 AND id = $2", orgID, id)
}

// activeAt is the condition "in force at $n" over the two-column times.
func activeAt(p string) string {
	return "starts_at <= " + p + " AND ends_at > " + p + " AND (expired_at IS NULL OR expired_at > " + p + ")"
}

func (r silenceRepo) List(ctx context.Context, orgID string, at time.Time) ([]alert.Silence, error) {
	if at.IsZero() {
		return scanList(ctx, r.tx, scanSilence, "SELECT "+silenceCols+" FROM silences WHERE org_id = $1 ORDER BY id DESC LIMIT 1000", orgID)
	}
	return scanList(ctx, r.tx, scanSilence, "SELECT "+silenceCols+" FROM silences WHERE org_id = $1 AND "+activeAt("$2")+" ORDER BY id DESC", orgID, at)
}

func (r silenceRepo) ListActive(ctx context.Context, now time.Time) ([]alert.Silence, error) {
	return scanList(ctx, r.tx, scanSilence, "SELECT "+silenceCols+" FROM silences WHERE "+activeAt("$1")+" ORDER BY id", now)
}

func (r silenceRepo) Expire(ctx context.Context, orgID, id string, at time.Time) error {
	t, ns := splitTime(at)
	return r.execOne(ctx, "UPDATE silences SET expired_at = $1, expired_at_ns = $2 WHERE org_id = $3 AND id = $4 AND expired_at IS NULL", t, ns, orgID, id)
}

type intakeSourceRepo struct{ *tx }

var intakeSourceCols = "id, org_id, name, format, mapping, prefix, hash, created_by, " + tc("created_at") + ", " +
	tc("last_used_at") + ", " + tc("revoked_at")

func scanIntakeSource(s rowScanner) (alert.IntakeSource, error) {
	var v alert.IntakeSource
	err := s.Scan(dest(&v.ID, &v.OrgID, &v.Name, &v.Format, &v.Mapping, &v.Prefix, &v.Hash, &v.CreatedBy,
		tcol(&v.CreatedAt), tcolPtr(&v.LastUsedAt), tcolPtr(&v.RevokedAt))...)
	return v, err
}

func (r intakeSourceRepo) Create(ctx context.Context, s alert.IntakeSource) error {
	c := (&cols{}).set("id", s.ID).set("org_id", s.OrgID).set("name", s.Name).set("format", s.Format).
		set("mapping", s.Mapping).set("prefix", s.Prefix).set("hash", s.Hash).set("created_by", s.CreatedBy).
		setTime("created_at", s.CreatedAt).setTimePtr("last_used_at", s.LastUsedAt).setTimePtr("revoked_at", s.RevokedAt)
	_, err := r.exec(ctx, c.insert("intake_sources"), c.args...)
	return err
}

func (r intakeSourceRepo) Get(ctx context.Context, orgID, id string) (alert.IntakeSource, error) {
	return scanOne(ctx, r.tx, scanIntakeSource, "SELECT "+intakeSourceCols+" FROM intake_sources WHERE org_id = $1 AND id = $2", orgID, id)
}

func (r intakeSourceRepo) GetByHash(ctx context.Context, hash string) (alert.IntakeSource, error) {
	return scanOne(ctx, r.tx, scanIntakeSource, "SELECT "+intakeSourceCols+" FROM intake_sources WHERE hash = $1", hash)
}

func (r intakeSourceRepo) List(ctx context.Context, orgID string) ([]alert.IntakeSource, error) {
	return scanList(ctx, r.tx, scanIntakeSource, "SELECT "+intakeSourceCols+" FROM intake_sources WHERE org_id = $1 ORDER BY name", orgID)
}

func (r intakeSourceRepo) Revoke(ctx context.Context, orgID, id string, at time.Time) error {
	t, ns := splitTime(at)
	return r.execOne(ctx, `UPDATE intake_sources SET revoked_at = coalesce(revoked_at, $1),
		revoked_at_ns = coalesce(revoked_at_ns, $2) WHERE org_id = $3 AND id = $4`, t, ns, orgID, id)
}

func (r intakeSourceRepo) Touch(ctx context.Context, id string, at time.Time) error {
	t, ns := splitTime(at)
	return r.execOne(ctx, "UPDATE intake_sources SET last_used_at = $1, last_used_at_ns = $2 WHERE id = $3", t, ns, id)
}

type idempotencyRepo struct{ *tx }

func (r idempotencyRepo) Get(ctx context.Context, orgID, key string) ([]byte, error) {
	var b []byte
	err := r.queryRow(ctx, "SELECT answer FROM idempotency_keys WHERE org_id = $1 AND key = $2", []any{orgID, key}, &b)
	return b, err
}

func (r idempotencyRepo) Put(ctx context.Context, orgID, key string, answer []byte, at time.Time) error {
	_, err := r.exec(ctx, `INSERT INTO idempotency_keys (org_id, key, answer, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (org_id, key) DO NOTHING`, orgID, key, answer, at)
	return err
}

func (r idempotencyRepo) Prune(ctx context.Context, before time.Time) (int, error) {
	tag, err := r.exec(ctx, "DELETE FROM idempotency_keys WHERE created_at < $1", before)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

type correlationRepo struct{ *tx }

func (r correlationRepo) Remember(ctx context.Context, orgID, incidentID string, keys []string, at time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	t, ns := splitTime(at)
	cond := "(excluded.seen_at, excluded.seen_at_ns) > (correlation_keys.seen_at, correlation_keys.seen_at_ns)"
	_, err := r.exec(ctx, `INSERT INTO correlation_keys (org_id, key, incident_id, seen_at, seen_at_ns)
		SELECT $1, k, $2, $3, $4 FROM unnest($5::text[]) AS k
		ON CONFLICT (org_id, key, incident_id) DO UPDATE SET
			seen_at = CASE WHEN `+cond+` THEN excluded.seen_at ELSE correlation_keys.seen_at END,
			seen_at_ns = CASE WHEN `+cond+` THEN excluded.seen_at_ns ELSE correlation_keys.seen_at_ns END`,
		orgID, incidentID, t, ns, keys)
	return err
}

func (r correlationRepo) Find(ctx context.Context, orgID string, keys []string, since time.Time) (string, error) {
	if len(keys) == 0 {
		return "", store.ErrNotFound
	}
	sinceAt, sinceNS := splitTime(since)
	var id string
	err := r.queryRow(ctx, `SELECT c.incident_id FROM correlation_keys c
		JOIN incidents i ON i.org_id = c.org_id AND i.id = c.incident_id
		WHERE c.org_id = $1 AND c.key = ANY($2) AND (c.seen_at, c.seen_at_ns) >= ($3, $4) AND i.phase <> 'closed'
		ORDER BY c.seen_at DESC, c.seen_at_ns DESC LIMIT 1`, []any{orgID, keys, sinceAt, sinceNS}, &id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", store.ErrNotFound
	}
	return id, err
}

func (r correlationRepo) Latest(ctx context.Context, orgID string, keys []string, since time.Time) (map[string]store.KeyHit, error) {
	out := map[string]store.KeyHit{}
	if len(keys) == 0 {
		return out, nil
	}
	sinceAt, sinceNS := splitTime(since)
	rows, err := r.pgTx.Query(ctx, `SELECT DISTINCT ON (c.key) c.key, c.incident_id, c.seen_at, c.seen_at_ns FROM correlation_keys c
		JOIN incidents i ON i.org_id = c.org_id AND i.id = c.incident_id
		WHERE c.org_id = $1 AND c.key = ANY($2) AND (c.seen_at, c.seen_at_ns) >= ($3, $4) AND i.phase <> 'closed'
		ORDER BY c.key, c.seen_at DESC, c.seen_at_ns DESC`, orgID, keys, sinceAt, sinceNS)
	if err != nil {
		return nil, r.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var hit store.KeyHit
		if err := rows.Scan(dest(&key, &hit.IncidentID, tcol(&hit.SeenAt))...); err != nil {
			return nil, r.mapErr(err)
		}
		out[key] = hit
	}
	return out, r.mapErr(rows.Err())
}

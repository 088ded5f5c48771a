package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/app"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/postgres"
	"github.com/quell-ir/quell/internal/store/postgres/pgtest"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

const seedPassword = "seed-admin-password-1"

// requestJSON sends a JSON request to a running server and decodes a successful answer into out.
func requestJSON(t *testing.T, method, url, token string, body, out any, headers ...string) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil && resp.StatusCode < 300 {
		require.NoError(t, json.Unmarshal(data, out), string(data))
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	return resp.StatusCode
}

// startApp starts a server with cfg and stops it when the test ends.
func startApp(t *testing.T, cfg config.Config) *app.App {
	t.Helper()
	a, err := app.New(cfg, slog.New(slog.DiscardHandler), app.WithStdout(io.Discard))
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))
	t.Cleanup(func() { _ = a.Stop(context.Background()) })
	return a
}

func stopApp(t *testing.T, a *app.App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, a.Stop(ctx))
}

// seeded is what seedInstallation made.
type seeded struct {
	admin  string // an admin API token
	reader string // a read-only token of another user
	intake string // an intake source's token
	// word is found only in the edited note of INC-1.
	word string
}

// seedInstallation fills a running server with a bit of everything, through its API: users and
// tokens, an incident with tags, custom fields, roles, a phase change, tasks, a note edited
// twice, timeline entries with details, assets linked to it, an intake source, alerts (one sent
// with an idempotency key, one attached to the incident), and a silence.
func seedInstallation(t *testing.T, base string) seeded {
	t.Helper()
	var s seeded
	s.word = "xylophone"
	var tok struct{ Secret string }
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", base+"/api/v1/auth/token", "",
		map[string]string{"username": "admin", "password": seedPassword, "name": "seed", "scope": "admin"}, &tok))
	s.admin = tok.Secret
	api := base + "/api/v1"
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/users", s.admin,
		map[string]string{"username": "rita", "password": "rita-password-long-1", "role": "responder", "display_name": "Rita Responder"}, nil))
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/auth/token", "",
		map[string]string{"username": "rita", "password": "rita-password-long-1", "name": "laptop", "scope": "read"}, &tok))
	s.reader = tok.Secret

	detected := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/incidents", s.admin, map[string]any{
		"title": "Ransomware on the file server", "summary": "Shares encrypted on fs01", "severity": "high",
		"tags": []string{"ransomware", "fs01"}, "custom_fields": map[string]string{"ticket": "CHG-42"},
		"detected_at": detected,
	}, nil))
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/incidents", s.admin, map[string]any{
		"title": "Phishing wave", "severity": "low"}, nil))
	require.Equal(t, http.StatusOK, requestJSON(t, "PUT", api+"/incidents/INC-1/roles/commander", s.admin, map[string]string{"user": "rita"}, nil))
	require.Equal(t, http.StatusOK, requestJSON(t, "POST", api+"/incidents/INC-1/phase", s.admin,
		map[string]any{"to": "containment", "reason": "spread confirmed", "override": true}, nil))

	due := time.Now().Add(time.Hour).UTC()
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/incidents/INC-1/tasks", s.admin, map[string]any{
		"phase": "containment", "title": "Isolate fs01", "description": "Pull the network cable", "due_at": due, "required": true}, nil))
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/incidents/INC-1/tasks", s.admin, map[string]any{
		"phase": "identification", "title": "Collect memory image", "assignee": "rita"}, nil))

	var note struct {
		ID      string
		Version int64
	}
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/incidents/INC-1/notes", s.admin,
		map[string]string{"body": "First look: ransom note found in \\\\fs01\\finance"}, &note))
	require.Equal(t, http.StatusOK, requestJSON(t, "PATCH", api+"/notes/"+note.ID, s.admin,
		map[string]any{"body": "Ransom note found; the " + s.word + " marker names the strain", "version": note.Version}, &note))
	require.Equal(t, http.StatusOK, requestJSON(t, "PATCH", api+"/notes/"+note.ID, s.admin,
		map[string]any{"body": "Ransom note found; the " + s.word + " marker names the strain (confirmed)", "version": note.Version}, nil))
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/incidents/INC-2/notes", s.admin,
		map[string]string{"body": "Users reported the mail"}, nil))

	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/incidents/INC-1/timeline", s.admin, map[string]any{
		"text": "Beacon to 203.0.113.7 observed", "event_at": "2025-03-04T06:00:00.5+02:00", "flagged": true,
		"details": json.RawMessage(`{"dst":"203.0.113.7","port":443,"proto":"tcp"}`)}, nil))

	var host struct{ ID string }
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/assets", s.admin, map[string]any{
		"kind": "host", "name": "fs01", "criticality": 4, "owner": "IT", "personal_data": true,
		"identifiers": []map[string]string{{"type": "hostname", "value": "fs01"}, {"type": "ip", "value": "10.0.0.5"}}}, &host))
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/assets", s.admin, map[string]any{
		"kind": "account", "name": "svc_backup", "criticality": 2}, nil))
	require.Equal(t, http.StatusOK, requestJSON(t, "PUT", api+"/incidents/INC-1/assets/"+host.ID, s.admin,
		map[string]string{"status": "compromised", "note": "encrypted"}, nil))

	var src struct{ Token string }
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/intake-sources", s.admin,
		map[string]string{"name": "ids", "format": "quell"}, &src))
	s.intake = src.Token
	var receipt struct{ Alerts []struct{ ID string } }
	require.Equal(t, http.StatusAccepted, requestJSON(t, "POST", api+"/alerts", s.intake, map[string]any{
		"source": "ids", "title": "Port scan from 198.51.100.9", "fingerprint": "scan-1", "severity": "medium",
		"labels": map[string]string{"host": "fs01"}}, &receipt, "Idempotency-Key", "seed-1"))
	require.Equal(t, http.StatusAccepted, requestJSON(t, "POST", api+"/alerts", s.intake, map[string]any{
		"source": "ids", "title": "SMB brute force", "fingerprint": "smb-1", "severity": "high"}, &receipt))
	require.Equal(t, http.StatusOK, requestJSON(t, "POST", api+"/alerts/triage", s.admin, map[string]any{
		"ids": []string{receipt.Alerts[0].ID}, "action": "attach", "incident": "INC-1"}, nil))
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", api+"/silences", s.admin, map[string]any{
		"matchers": []map[string]string{{"name": "host", "op": "=", "value": "lab01"}},
		"ends_at":  time.Now().Add(24 * time.Hour).UTC(), "reason": "lab rebuild"}, nil))
	return s
}

// contents is what one organisation holds, read through the storage port.
type contents struct {
	Incident     incident.Incident
	Phases       []incident.PhaseChange
	Roles        []incident.Assignment
	Tasks        []incident.Task
	Notes        []incident.Note
	Revisions    [][]incident.NoteRevision
	Timeline     []incident.Entry
	Links        []asset.Link
	Assets       []asset.Asset
	Alerts       []alert.Alert
	Silences     []alert.Silence
	Sources      []alert.IntakeSource
	Members      []access.Membership
	Tokens       []access.Token
	Audit        []audit.Record
	Idempotent   []byte
	IncidentTwo  incident.Incident
	ChainRecords int64
}

// readContents reads the default organisation's data as the application sees it.
func readContents(t *testing.T, st store.Store) contents {
	t.Helper()
	ctx := t.Context()
	var c contents
	require.NoError(t, st.Read(ctx, func(tx store.Tx) error {
		org, err := tx.Orgs().GetBySlug(ctx, "default")
		require.NoError(t, err)
		o := org.ID
		c.Incident, err = tx.Incidents().GetByNumber(ctx, o, 1)
		require.NoError(t, err)
		c.IncidentTwo, err = tx.Incidents().GetByNumber(ctx, o, 2)
		require.NoError(t, err)
		id := c.Incident.ID
		c.Phases, err = tx.Incidents().PhaseChanges(ctx, o, id)
		require.NoError(t, err)
		c.Roles, err = tx.Incidents().Assignments(ctx, o, id)
		require.NoError(t, err)
		c.Tasks, err = tx.Tasks().ListByIncident(ctx, o, id)
		require.NoError(t, err)
		c.Notes, err = tx.Notes().List(ctx, o, id)
		require.NoError(t, err)
		for _, n := range c.Notes {
			revs, err := tx.Notes().Revisions(ctx, o, n.ID)
			require.NoError(t, err)
			c.Revisions = append(c.Revisions, revs)
		}
		page, err := tx.Timeline().List(ctx, store.TimelineFilter{OrgID: o, IncidentID: id, Limit: store.MaxLimit})
		require.NoError(t, err)
		c.Timeline = page.Items
		for i := range c.Timeline {
			// jsonb keeps JSON by meaning, not byte for byte.
			if d := c.Timeline[i].Details; d != nil {
				var v any
				require.NoError(t, json.Unmarshal(d, &v))
				c.Timeline[i].Details, _ = json.Marshal(v)
			}
		}
		c.Links, err = tx.Assets().Links(ctx, o, id)
		require.NoError(t, err)
		assets, err := tx.Assets().List(ctx, store.AssetFilter{OrgID: o, Limit: store.MaxLimit})
		require.NoError(t, err)
		c.Assets = assets.Items
		alerts, err := tx.Alerts().List(ctx, store.AlertFilter{OrgID: o, Limit: store.MaxLimit})
		require.NoError(t, err)
		c.Alerts = alerts.Items
		c.Silences, err = tx.Silences().List(ctx, o, time.Time{})
		require.NoError(t, err)
		c.Sources, err = tx.IntakeSources().List(ctx, o)
		require.NoError(t, err)
		c.Members, err = tx.Users().Members(ctx, o)
		require.NoError(t, err)
		c.Tokens, err = tx.Tokens().List(ctx, o, "")
		require.NoError(t, err)
		c.Audit, err = tx.Audit().List(ctx, store.AuditFilter{Limit: store.MaxLimit})
		require.NoError(t, err)
		c.Idempotent, err = tx.Idempotency().Get(ctx, o, "seed-1")
		require.NoError(t, err)
		v := audit.NewVerifier()
		require.NoError(t, tx.Audit().Walk(ctx, v.Check))
		c.ChainRecords = v.Count
		return nil
	}))
	return c
}

// tablesWithRows are the tables the seeded installation fills, on both databases.
var tablesWithRows = []string{
	"orgs", "users", "memberships", "tokens", "incident_counters", "incidents", "phase_changes",
	"assignments", "tasks", "notes", "note_revisions", "timeline", "assets", "asset_identifiers",
	"incident_assets", "audit_log", "alerts", "silences", "intake_sources", "idempotency_keys",
}

// TestMigrateToPostgres moves a SQLite installation with real data to PostgreSQL and reads it
// back there: the same contents through the storage port, a token made before the move, search,
// a verified audit chain that goes on growing, and incident numbers that go on counting.
func TestMigrateToPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx := t.Context()
	cfg := testConfig(t)
	cfg.Admin.Password = seedPassword
	srv := startApp(t, cfg)
	s := seedInstallation(t, srv.URL())
	stopApp(t, srv)

	src, err := sqlite.Open(ctx, filepath.Join(cfg.Data, app.DatabaseFile), sqlite.Options{})
	require.NoError(t, err)
	before := readContents(t, src)
	require.NoError(t, src.Close())
	require.Len(t, before.Revisions[0], 2, "the note was edited twice")

	var out bytes.Buffer
	require.NoError(t, app.MigrateToPostgres(ctx, cfg.Data, dsn, &out, app.MigrateOptions{}), out.String())
	t.Log(out.String())
	require.Contains(t, out.String(), fmt.Sprintf("audit chain verified: %d records\n", before.ChainRecords))
	for _, table := range tablesWithRows {
		require.Regexp(t, `(?m)^  `+table+` +[1-9]\d*$`, out.String())
	}
	require.Regexp(t, `(?m)^  incident_tags +2  \(not copied`, out.String())

	// The same rows, table by table.
	sdb, err := sqlite.Open(ctx, filepath.Join(cfg.Data, app.DatabaseFile), sqlite.Options{ReaderConns: 1})
	require.NoError(t, err)
	pconn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer pconn.Close(context.Background())
	for _, table := range tablesWithRows {
		var a, b int64
		require.NoError(t, sdb.WriterDB().QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&a))
		require.NoError(t, pconn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&b))
		require.Equal(t, a, b, table)
	}
	require.NoError(t, sdb.Close())

	pg, err := postgres.Open(ctx, dsn, postgres.Options{})
	require.NoError(t, err)
	defer pg.Close()
	after := readContents(t, pg)
	require.Equal(t, before, after)

	// A token made before the move authenticates against the new database.
	p, err := auth.New(pg, auth.Options{}).AuthenticateToken(ctx, s.reader)
	require.NoError(t, err)
	require.Equal(t, "rita", p.Username)

	// Search works: the note's word, in the search index and in the incident list's filter.
	require.NoError(t, pg.Read(ctx, func(tx store.Tx) error {
		hits, err := tx.Search().Search(ctx, store.SearchQuery{OrgID: after.Incident.OrgID, Query: s.word, Limit: 10})
		require.NoError(t, err)
		var kinds []string
		for _, h := range hits {
			require.Equal(t, "INC-1", h.IncidentKey)
			kinds = append(kinds, h.Kind)
		}
		require.Contains(t, kinds, "note")
		page, err := tx.Incidents().List(ctx, store.IncidentFilter{OrgID: after.Incident.OrgID, Query: s.word})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		require.Equal(t, after.Incident.ID, page.Items[0].ID)
		return nil
	}))

	// A second move into the same database is refused, and changes nothing.
	out.Reset()
	err = app.MigrateToPostgres(ctx, cfg.Data, dsn, &out, app.MigrateOptions{})
	require.ErrorContains(t, err, "already holds Quell data")
	require.ErrorContains(t, err, "nothing was copied")

	// A server on PostgreSQL carries on: old tokens, the next incident number, the audit chain.
	pgCfg := testConfig(t)
	pgCfg.DB = dsn
	node := startApp(t, pgCfg)
	require.Equal(t, http.StatusOK, requestJSON(t, "GET", node.URL()+"/api/v1/me", s.admin, nil, nil))
	var inc struct{ Key string }
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", node.URL()+"/api/v1/incidents", s.admin,
		map[string]any{"title": "After the move", "severity": "low"}, &inc))
	require.Equal(t, "INC-3", inc.Key)
	var receipt struct{ Alerts []struct{ ID string } }
	require.Equal(t, http.StatusAccepted, requestJSON(t, "POST", node.URL()+"/api/v1/alerts", s.intake, map[string]any{
		"source": "ids", "title": "Port scan again", "fingerprint": "scan-2"}, &receipt))
	require.NotEmpty(t, receipt.Alerts)
	stopApp(t, node)
	require.NoError(t, pg.Read(ctx, func(tx store.Tx) error {
		v := audit.NewVerifier()
		require.NoError(t, tx.Audit().Walk(ctx, v.Check))
		require.Greater(t, v.Count, before.ChainRecords)
		return nil
	}))

	pgDumpRoundTrip(t, dsn, readContents(t, pg))
}

// The source must exist and no server may be using it; PostgreSQL is not even reached.
func TestMigrateRefusesASourceInUse(t *testing.T) {
	t.Parallel()
	nowhere := "postgres://quell@127.0.0.1:1/quell"
	err := app.MigrateToPostgres(t.Context(), t.TempDir(), nowhere, io.Discard, app.MigrateOptions{})
	require.ErrorContains(t, err, "no Quell database")
	cfg := testConfig(t)
	startApp(t, cfg)
	err = app.MigrateToPostgres(t.Context(), cfg.Data, nowhere, io.Discard, app.MigrateOptions{})
	require.ErrorContains(t, err, "in use by a running Quell server")
	require.ErrorContains(t, err, "stop the server")
}

// pgDumpRoundTrip dumps the migrated schema with pg_dump -Fc, restores it with pg_restore into
// a new database, and reads it back there: the documented backup of a PostgreSQL installation.
func pgDumpRoundTrip(t *testing.T, dsn string, want contents) {
	dump, err1 := exec.LookPath("pg_dump")
	restore, err2 := exec.LookPath("pg_restore")
	if err1 != nil || err2 != nil {
		t.Log("pg_dump or pg_restore not found: the PostgreSQL backup round trip is not tested")
		return
	}
	ctx := t.Context()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	schema := u.Query().Get("search_path")
	require.NotEmpty(t, schema)
	base := pgtest.BaseDSN(t)
	archive := filepath.Join(t.TempDir(), "quell.dump")
	cmd := exec.CommandContext(ctx, dump, "-Fc", "--no-owner", "-n", schema, "-f", archive, "-d", base)
	outb, err := cmd.CombinedOutput()
	require.NoError(t, err, string(outb))

	dbName := strings.ReplaceAll(schema, "quell_test_", "quell_restore_")
	pgtest.Exec(t, base, "CREATE DATABASE "+pgx.Identifier{dbName}.Sanitize())
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{dbName}.Sanitize()+" WITH (FORCE)")
			_ = conn.Close(context.Background())
		}
	})
	bu, err := url.Parse(base)
	require.NoError(t, err)
	bu.Path = "/" + dbName
	cmd = exec.CommandContext(ctx, restore, "--no-owner", "--exit-on-error", "-d", bu.String(), archive)
	outb, err = cmd.CombinedOutput()
	require.NoError(t, err, string(outb))

	restored, err := pgtest.WithSearchPath(bu.String(), schema)
	require.NoError(t, err)
	pg, err := postgres.Open(ctx, restored, postgres.Options{})
	require.NoError(t, err)
	defer pg.Close()
	got := readContents(t, pg)
	require.Equal(t, want, got)
	require.NoError(t, os.Remove(archive))
}

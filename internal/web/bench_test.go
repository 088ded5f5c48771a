package web_test

// Benchmarks of the time the server takes to render the incident list and an incident page
// with 100,000 incidents in the database (target: p95 ≤ 50 ms). Run them with
//
//	go test ./internal/web -run '^$' -bench Pages -benchtime 400x -timeout 30m
//
// The first run seeds a database through the storage port (a few minutes) and keeps it in the
// system's temporary directory, named after the schema and the seed's version; later runs copy
// it and start at once. Each request goes through the whole server handler (session, access
// checks, use cases, templates) without the network; the metrics p50-ms and p95-ms are the
// render times of the requests of the run.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/app"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

const (
	benchIncidents = 100_000
	// benchOpenEvery: one incident in benchOpenEvery is still open; the rest are closed.
	benchOpenEvery = 50
	// benchBusy incidents (the first ones) have a long timeline and many tasks.
	benchBusy         = 20
	benchBusyTimeline = 2_000
	benchBusyTasks    = 60
	benchBatch        = 2_000
	benchReopen       = 20_000
	// benchSeedVersion changes whenever the seeded data changes, so a stale cache is not used.
	benchSeedVersion = 1
	benchPassword    = "bench password, long enough"
)

var benchWords = strings.Fields(`phishing ransomware beacon mimikatz powershell lateral movement credential
	dump exfiltration vpn login anomaly malware dropper macro invoice payroll finance domain controller
	backup encryption ddos portal scan firewall proxy dns tunnel insider laptop usb cloud bucket token
	mailbox forwarding rule persistence scheduled task service account kerberoasting bruteforce`)

// schemaFingerprint names the database schema this binary makes: its version and a hash of
// its tables and indexes, so a cached database is not used after the schema changed, even
// within one version.
func schemaFingerprint(b *testing.B) string {
	b.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "empty.db"), sqlite.Options{AllowUnsafeSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var schema string
	if err := st.WriterDB().QueryRow("SELECT group_concat(coalesce(sql, ''), ';') FROM (SELECT sql FROM sqlite_master ORDER BY type, name)").Scan(&schema); err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256([]byte(schema))
	return fmt.Sprintf("%d-%s", sqlite.SchemaVersion(), hex.EncodeToString(sum[:6]))
}

// benchDataDir returns a data directory holding a copy of the seeded database.
func benchDataDir(b *testing.B) string {
	b.Helper()
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("quell-web-bench-schema%s-seed%d-%d.db", schemaFingerprint(b), benchSeedVersion, benchIncidents))
	if _, err := os.Stat(cache); err != nil {
		tmp := fmt.Sprintf("%s.%d.tmp", cache, os.Getpid())
		start := time.Now()
		if err := seedBench(tmp, benchIncidents); err != nil {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				_ = os.Remove(tmp + suffix)
			}
			b.Fatal(err)
		}
		b.Logf("seeded %s in %v", cache, time.Since(start).Round(time.Second))
		if err := os.Rename(tmp, cache); err != nil {
			b.Fatal(err)
		}
	}
	dir := filepath.Join(b.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	if err := copyFile(cache, filepath.Join(dir, app.DatabaseFile)); err != nil {
		b.Fatal(err)
	}
	return dir
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// seedBench writes the benchmark's data, n incidents, through the storage port, in large
// transactions.
func seedBench(path string, n int) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{AllowUnsafeSync: true})
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	authn := auth.New(st, auth.Options{})
	if _, err := authn.Bootstrap(ctx, "admin", benchPassword); err != nil {
		return err
	}
	var org access.Org
	if err := st.Read(ctx, func(tx store.Tx) error {
		org, err = tx.Orgs().GetBySlug(ctx, access.DefaultOrgSlug)
		return err
	}); err != nil {
		return err
	}
	var users []access.User
	for _, name := range []string{"cora", "lee", "sam", "ravi", "mia"} {
		u, err := authn.CreateUserDirect(ctx, access.DefaultOrgSlug, auth.NewUser{Username: name, Password: benchPassword, Role: access.RoleResponder})
		if err != nil {
			return err
		}
		users = append(users, u)
	}
	s := &seeder{r: rand.New(rand.NewPCG(1, 2)), org: org.ID, users: users, start: time.Now().UTC().Add(-3 * 365 * 24 * time.Hour)}
	if err := st.Write(ctx, s.inventory); err != nil {
		return err
	}
	for first := 1; first <= n; first += benchBatch {
		// The store computes the query planner's statistics when it opens; on a database that
		// was empty then, writes slow down as the tables grow. Opening it again after the
		// first batch, and now and then, keeps the seeding linear.
		if first-1 == benchBatch || (first > 1 && (first-1)%benchReopen == 0) {
			if err := st.Close(); err != nil {
				return err
			}
			if st, err = sqlite.Open(ctx, path, sqlite.Options{AllowUnsafeSync: true}); err != nil {
				return err
			}
		}
		if err := st.Write(ctx, func(tx store.Tx) error {
			for i := first; i < first+benchBatch && i <= n; i++ {
				if err := s.incident(ctx, tx, i); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("seed incidents from %d: %w", first, err)
		}
	}
	return nil
}

type seeder struct {
	r      *rand.Rand
	org    string
	users  []access.User
	assets []asset.Asset
	start  time.Time
}

func (s *seeder) words(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = benchWords[s.r.IntN(len(benchWords))]
	}
	return strings.Join(out, " ")
}

func (s *seeder) inventory(tx store.Tx) error {
	ctx := context.Background()
	for i := range 200 {
		a := asset.Asset{ID: casework.NewID(), OrgID: s.org, Kind: asset.Kinds[i%len(asset.Kinds)], Name: fmt.Sprintf("host-%03d", i),
			Criticality: 1 + i%4, Owner: "team " + s.words(1), DataClassification: asset.ClassInternal,
			Identifiers: []asset.Identifier{{Type: asset.IDIP, Value: fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)}},
			CreatedAt:   s.start, UpdatedAt: s.start, Version: 1}
		if err := tx.Assets().Create(ctx, a); err != nil {
			return err
		}
		s.assets = append(s.assets, a)
	}
	return nil
}

// incident writes incident number i with its tasks, timeline, note, links and audit record.
func (s *seeder) incident(ctx context.Context, tx store.Tx, i int) error {
	at := s.start.Add(time.Duration(i) * 15 * time.Minute)
	n, err := tx.Incidents().NextNumber(ctx, s.org)
	if err != nil {
		return err
	}
	inc := incident.Incident{ID: casework.NewID(), OrgID: s.org, Number: n, Key: incident.FormatKey(n),
		Title: s.words(5), Summary: s.words(30), Type: incident.Types[s.r.IntN(len(incident.Types))],
		Severity: incident.Severities[s.r.IntN(len(incident.Severities))], TLP: incident.TLPAmber,
		Tags: []string{benchWords[s.r.IntN(20)]}, CustomFields: map[string]string{}, Phase: incident.PhaseClosed,
		Resolution: incident.ResolutionTruePositiveNoImpact, CreatedBy: "admin", CreatedAt: at, UpdatedAt: at.Add(time.Hour), Version: 1}
	busy := i <= benchBusy
	if busy || i%benchOpenEvery == 0 {
		inc.Phase, inc.Resolution = workingPhases[s.r.IntN(len(workingPhases))], ""
	}
	inc.Restricted = i%97 == 0
	inc.DetectedAt, inc.ReportedAt = &at, &at
	if inc.Phase == incident.PhaseClosed {
		closed := at.Add(48 * time.Hour)
		inc.AcknowledgedAt, inc.ClosedAt = &at, &closed
	}
	inc.Reprioritize()
	if err := tx.Incidents().Create(ctx, inc); err != nil {
		return err
	}
	commander := s.users[s.r.IntN(len(s.users))]
	if err := tx.Incidents().SetAssignment(ctx, s.org, incident.Assignment{IncidentID: inc.ID, Role: incident.RoleCommander,
		UserID: commander.ID, Username: commander.Username, AssignedBy: "admin", AssignedAt: at}); err != nil {
		return err
	}
	if err := tx.Incidents().AddMember(ctx, s.org, inc.ID, commander.ID); err != nil {
		return err
	}
	tasks, entries := 2, 3
	if busy {
		tasks, entries = benchBusyTasks, benchBusyTimeline
	}
	for k := range tasks {
		t := incident.Task{ID: casework.NewID(), OrgID: s.org, IncidentID: inc.ID, Phase: workingPhases[k%len(workingPhases)],
			Title: s.words(4), Status: incident.TaskDone, Required: k%3 == 0, Origin: "manual",
			Assignee: s.users[s.r.IntN(len(s.users))].Username, CreatedBy: "admin", CreatedAt: at, UpdatedAt: at, Version: 1}
		if inc.Phase != incident.PhaseClosed {
			t.Status = incident.TaskTodo
		}
		if err := tx.Tasks().Create(ctx, t); err != nil {
			return err
		}
	}
	for k := range entries {
		e := incident.Entry{ID: casework.NewID(), OrgID: s.org, IncidentID: inc.ID, EventAt: at.Add(time.Duration(k) * time.Minute),
			EventZone: "Z", RecordedAt: at, Kind: manualKinds[k%len(manualKinds)], Actor: "admin", Text: s.words(12)}
		if err := tx.Timeline().Add(ctx, e); err != nil {
			return err
		}
	}
	if i%5 == 0 || busy {
		note := incident.Note{ID: casework.NewID(), OrgID: s.org, IncidentID: inc.ID, Body: "## Findings\n\n- " + s.words(20) + "\n- `" + s.words(2) + "`",
			Author: commander.Username, CreatedAt: at, UpdatedAt: at, Version: 1}
		if err := tx.Notes().Create(ctx, note); err != nil {
			return err
		}
	}
	a := s.assets[s.r.IntN(len(s.assets))]
	if err := tx.Assets().Link(ctx, s.org, asset.Link{IncidentID: inc.ID, AssetID: a.ID, Status: asset.LinkClean, UpdatedBy: "admin", UpdatedAt: at}); err != nil {
		return err
	}
	return tx.Audit().Append(ctx, &audit.Record{ID: casework.NewID(), OrgID: s.org, At: at, Actor: "admin", Action: "incident.create",
		ObjectType: "incident", ObjectID: inc.ID, IncidentID: inc.ID, Changes: audit.JSON(inc)})
}

// manualKinds are timeline kinds for seeded entries.
var manualKinds = []incident.EntryKind{incident.KindManual, incident.KindAction, incident.KindAlert, incident.KindCommunication}

// workingPhases are the phases of an open incident.
var workingPhases = []incident.Phase{incident.PhaseIdentification, incident.PhaseContainment, incident.PhaseInvestigation,
	incident.PhaseResponse, incident.PhaseRecovery, incident.PhaseReview}

// benchServer is the whole server on a copy of the seeded database, and a signed-in cookie.
func benchServer(b *testing.B) (http.Handler, string) {
	b.Helper()
	cfg := config.Default()
	cfg.Data = benchDataDir(b)
	cfg.Listen = "127.0.0.1:0"
	cfg.AllowUnsafeSync = true
	a, err := app.New(cfg, slog.New(slog.DiscardHandler), app.WithStdout(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Stop(context.Background()) })
	h := a.Handler()
	req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"username": {"cora"}, "password": {benchPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		b.Fatalf("sign in: %d %s", rec.Code, rec.Body)
	}
	cookie, _, _ := strings.Cut(rec.Header().Get("Set-Cookie"), ";")
	return h, cookie
}

// measure serves the page that next names b.N times and reports the median and 95th
// percentile of the render time.
func measure(b *testing.B, h http.Handler, cookie string, next func(i int) string) {
	b.Helper()
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest("GET", next(i), nil)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		times = append(times, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", req.URL, rec.Code)
		}
	}
	b.StopTimer()
	slices.Sort(times)
	pct := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(p*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}

func BenchmarkPages(b *testing.B) {
	h, cookie := benchServer(b)
	r := rand.New(rand.NewPCG(3, 4))
	// A page link from the list, to measure a page beyond the first.
	second := func(query string) string {
		req := httptest.NewRequest("GET", "/incidents?"+query, nil)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		i := strings.Index(rec.Body.String(), `rel="next"`)
		j := strings.LastIndex(rec.Body.String()[:max(i, 0)], `href="`)
		if i < 0 || j < 0 {
			b.Fatalf("no next page link for %s", query)
		}
		link := rec.Body.String()[j+len(`href="`):]
		return strings.ReplaceAll(link[:strings.IndexByte(link, '"')], "&amp;", "&")
	}

	b.Run("list-open", func(b *testing.B) {
		measure(b, h, cookie, func(int) string { return "/incidents" })
	})
	b.Run("list-all", func(b *testing.B) {
		measure(b, h, cookie, func(int) string { return "/incidents?status=all" })
	})
	b.Run("list-all-by-priority-page-2", func(b *testing.B) {
		link := second("status=all&sort=priority")
		measure(b, h, cookie, func(int) string { return link })
	})
	b.Run("list-filtered", func(b *testing.B) {
		measure(b, h, cookie, func(i int) string {
			return "/incidents?status=all&severity=critical&type=" + string(incident.Types[i%len(incident.Types)]) + "&tag=" + benchWords[i%20]
		})
	})
	b.Run("list-search", func(b *testing.B) {
		measure(b, h, cookie, func(i int) string { return "/incidents?status=all&q=" + benchWords[i%len(benchWords)] })
	})
	b.Run("incident", func(b *testing.B) {
		measure(b, h, cookie, func(i int) string {
			n := 1 + r.IntN(benchIncidents)
			if i%10 == 0 {
				n = 1 + r.IntN(benchBusy) // one in ten is a busy incident
			}
			for n%97 == 0 { // restricted ones are not cora's
				n++
			}
			return fmt.Sprintf("/incidents/INC-%d", n)
		})
	})
	b.Run("dashboard", func(b *testing.B) {
		measure(b, h, cookie, func(int) string { return "/" })
	})
}

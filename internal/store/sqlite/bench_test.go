package sqlite

// Benchmarks of the lists and searches that must stay interactive at scale (p95 ≤ 100 ms at
// 100,000 incidents and 1,000,000 timeline entries), and of what keeping the incidents' search
// documents adds to a write. Run them with
//
//	go test ./internal/store/sqlite -run '^$' -bench . -benchtime 200x
//
// The first run seeds a database (a minute or two) and keeps it in the system's temporary
// directory, named after the schema and seed versions; later runs copy it and start at once.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

const (
	benchIncidents = 100_000
	benchTimeline  = 1_000_000
	// benchBigIncidents have benchBigTimeline entries each; the rest of the timeline is spread
	// over the other incidents.
	benchBigIncidents = 10
	benchBigTimeline  = 20_000
	// benchSeedVersion changes whenever the seeded data changes, so a stale cache is not used.
	benchSeedVersion = 1
	benchOrg         = "01BENCHORG0000000000000000"
)

// Words of the benchmark's text, by frequency rank (Zipf): benchCommonWord is among the most
// frequent words, benchWord is of middling frequency, benchRareWord appears a few times.
const (
	benchCommonWord = "powershell"
	benchWord       = "mimikatz"
	benchRareWord   = "xylophone"
)

var (
	benchOnce  sync.Once
	benchStore *Store
	benchErr   error
)

// benchDB returns the seeded store, shared by the benchmarks of one run.
func benchDB(b *testing.B) *Store {
	b.Helper()
	benchOnce.Do(func() {
		var cached string
		cached, benchErr = cachedBenchDB()
		if benchErr != nil {
			return
		}
		dir, err := os.MkdirTemp("", "quell-bench-run-")
		if err != nil {
			benchErr = err
			return
		}
		path := filepath.Join(dir, "bench.db")
		if benchErr = copyFile(cached, path); benchErr != nil {
			return
		}
		benchStore, benchErr = Open(context.Background(), path, Options{AllowUnsafeSync: true})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

// TestMain removes the benchmark's working copy after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchStore != nil {
		benchStore.Close()
		os.RemoveAll(filepath.Dir(benchStore.Path()))
	}
	os.Exit(code)
}

// cachedBenchDB returns the path of the seeded database, seeding it on first use.
func cachedBenchDB() (string, error) {
	h := sha256.New()
	fsys := migrationFiles()
	ms, err := loadMigrations(fsys)
	if err != nil {
		return "", err
	}
	for _, m := range ms {
		io.WriteString(h, m.sql)
	}
	fmt.Fprint(h, benchSeedVersion, benchIncidents, benchTimeline)
	name := fmt.Sprintf("quell-bench-%d-%s.db", SchemaVersion(), hex.EncodeToString(h.Sum(nil))[:12])
	path := filepath.Join(os.TempDir(), name)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tmp := path + fmt.Sprintf(".%d.tmp", os.Getpid())
	start := time.Now()
	if err := seedBench(tmp); err != nil {
		os.Remove(tmp)
		os.Remove(tmp + "-wal")
		os.Remove(tmp + "-shm")
		return "", err
	}
	fmt.Fprintf(os.Stderr, "seeded %s in %v\n", path, time.Since(start).Round(time.Second))
	return path, os.Rename(tmp, path)
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

// benchText makes text from a Zipf-distributed vocabulary.
type benchText struct {
	r     *rand.Rand
	zipf  *rand.Zipf
	vocab []string
}

func newBenchText(r *rand.Rand) *benchText {
	cons := strings.Split("b c d f g h j k l m n p r s t v w x z q", " ")
	vows := strings.Split("a e i o u", " ")
	var vocab []string
	for _, c1 := range cons {
		for _, v1 := range vows {
			for _, c2 := range cons {
				for _, v2 := range vows {
					vocab = append(vocab, c1+v1+c2+v2+"n")
				}
			}
		}
	}
	r.Shuffle(len(vocab), func(i, j int) { vocab[i], vocab[j] = vocab[j], vocab[i] })
	vocab = vocab[:5000]
	vocab[2] = benchCommonWord
	vocab[300] = benchWord
	return &benchText{r: r, zipf: rand.NewZipf(r, 1.07, 2, uint64(len(vocab)-1)), vocab: vocab}
}

func (t *benchText) words(min, max int) string {
	n := min + t.r.IntN(max-min+1)
	ws := make([]string, n)
	for i := range ws {
		ws[i] = t.vocab[t.zipf.Uint64()]
	}
	return strings.Join(ws, " ")
}

// seedBench fills a new database at path with the benchmark's data, through plain SQL in large
// transactions. It writes the data in the first version of the schema, then opens the
// database as a store, which applies the later migrations as an upgrade would: the incidents'
// search documents (0002) are made from the data there is.
func seedBench(path string) error {
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(path, Options{AllowUnsafeSync: true, busyTimeout: defaultBusyTimeout}, false))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := migrate(ctx, db, migrationsUpTo(1), nil); err != nil {
		return err
	}
	if err := seedBenchV1(db); err != nil {
		return err
	}
	s, err := Open(ctx, path, Options{AllowUnsafeSync: true})
	if err != nil {
		return err
	}
	defer s.Close()
	for _, stmt := range []string{"ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"} {
		if _, err := s.writer.Exec(stmt); err != nil {
			return err
		}
	}
	return nil
}

// migrationsUpTo returns the embedded migrations up to version v.
func migrationsUpTo(v int) fs.FS {
	out := fstest.MapFS{}
	ms, err := loadMigrations(migrationFiles())
	if err != nil {
		panic(err)
	}
	for _, m := range ms {
		if m.version <= v {
			out[m.name] = &fstest.MapFile{Data: []byte(m.sql)}
		}
	}
	return out
}

// seedBenchV1 writes the benchmark's data into db, whose schema is at version 1.
func seedBenchV1(db *sql.DB) error {
	if _, err := db.Exec("PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000"); err != nil {
		return err
	}
	// Row by row, the full-text triggers make FTS5 flush at every statement; index once at
	// the end instead, then put the triggers back.
	triggers, err := ftsInsertTriggers(db)
	if err != nil {
		return err
	}
	for name := range triggers {
		if _, err := db.Exec("DROP TRIGGER " + name); err != nil {
			return err
		}
	}
	r := rand.New(rand.NewPCG(42, 7))
	text := newBenchText(r)
	entropy := rand.NewChaCha8([32]byte{1})
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	span := 2 * 365 * 24 * time.Hour

	err = benchTx(db, func(tx *sql.Tx) error {
		if _, err := tx.Exec("INSERT INTO orgs (id, slug, name, created_at) VALUES (?, 'bench', 'Bench', ?)", benchOrg, tm(start)); err != nil {
			return err
		}
		for i := range 50 {
			if _, err := tx.Exec(`INSERT INTO users (id, username, username_key, display_name, email, password_hash,
				disabled, created_at, updated_at, version) VALUES (?, ?, ?, '', '', '', 0, ?, ?, 1)`,
				benchUser(i), fmt.Sprintf("user%d", i), fmt.Sprintf("user%d", i), tm(start), tm(start)); err != nil {
				return err
			}
		}
		_, err := tx.Exec("INSERT INTO incident_counters (org_id, next) VALUES (?, ?)", benchOrg, benchIncidents+1)
		return err
	})
	if err != nil {
		return err
	}

	// Phases: most incidents are closed, as in a real installation.
	phaseWeights := []int{6, 5, 8, 4, 3, 4, 70}
	tags := make([]string, 30)
	for i := range tags {
		tags[i] = fmt.Sprintf("tag-%02d", i)
	}
	type inc struct {
		id      string
		created time.Time
	}
	incs := make([]inc, benchIncidents)
	const batch = 20_000
	for lo := 0; lo < benchIncidents; lo += batch {
		err := benchTx(db, func(tx *sql.Tx) error {
			insInc, err := tx.Prepare(`INSERT INTO incidents (id, org_id, number, title, summary, type, severity,
				severity_rank, priority, priority_rank, phase, resolution, tlp, restricted, tags, custom_fields,
				detected_at, closed_at, max_criticality, created_by, created_at, updated_at, version)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 'amber', ?, ?, '{}', ?, ?, ?, 'system', ?, ?, 1)`)
			if err != nil {
				return err
			}
			insTag, err := tx.Prepare("INSERT INTO incident_tags (incident_id, tag, org_id) VALUES (?, ?, ?)")
			if err != nil {
				return err
			}
			insAssign, err := tx.Prepare(`INSERT INTO assignments (incident_id, role, org_id, user_id, assigned_by,
				assigned_at) VALUES (?, 'commander', ?, ?, 'system', ?)`)
			if err != nil {
				return err
			}
			insMember, err := tx.Prepare("INSERT INTO incident_members (incident_id, user_id, org_id) VALUES (?, ?, ?)")
			if err != nil {
				return err
			}
			for i := lo; i < min(lo+batch, benchIncidents); i++ {
				created := start.Add(time.Duration(int64(span) / benchIncidents * int64(i)))
				id := ulid.MustNew(ulid.Timestamp(created), entropy).String()
				incs[i] = inc{id, created}
				updated := created.Add(time.Duration(r.IntN(30*24*60)) * time.Minute)
				sev := incident.Severities[r.IntN(len(incident.Severities))]
				crit := 1 + r.IntN(4)
				prio := incident.ComputePriority(sev, crit)
				phase := incident.Phases[weighted(r, phaseWeights)]
				var closed any
				if phase == incident.PhaseClosed {
					closed = tm(updated)
				}
				var itags []string
				for range r.IntN(4) {
					if t := tags[r.IntN(len(tags))]; !slices.Contains(itags, t) {
						itags = append(itags, t)
					}
				}
				tagJSON, _ := jsonText(itags)
				restricted := r.IntN(20) == 0
				if _, err := insInc.Exec(id, benchOrg, i+1, text.words(3, 8), text.words(10, 30),
					string(incident.Types[r.IntN(len(incident.Types))]), string(sev), sev.Rank(), string(prio),
					priorityRank(prio), string(phase), boolInt(restricted), tagJSON, tm(created), closed, crit,
					tm(created), tm(updated)); err != nil {
					return err
				}
				for _, t := range itags {
					if _, err := insTag.Exec(id, t, benchOrg); err != nil {
						return err
					}
				}
				if r.IntN(5) == 0 {
					if _, err := insAssign.Exec(id, benchOrg, benchUser(r.IntN(50)), tm(created)); err != nil {
						return err
					}
				}
				if restricted {
					if _, err := insMember.Exec(id, benchUser(r.IntN(50)), benchOrg); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}

	// The timeline: a few very long ones, the rest spread out; the rare word a handful of times.
	small := benchTimeline - benchBigIncidents*benchBigTimeline
	for lo := 0; lo < benchTimeline; lo += 50_000 {
		err := benchTx(db, func(tx *sql.Tx) error {
			ins, err := tx.Prepare(`INSERT INTO timeline (id, org_id, incident_id, event_at, event_zone, recorded_at,
				kind, actor, text, details, technique, flagged) VALUES (?, ?, ?, ?, 'Z', ?, ?, 'system', ?, NULL, '', ?)`)
			if err != nil {
				return err
			}
			for i := lo; i < min(lo+50_000, benchTimeline); i++ {
				var in inc
				if i < small {
					in = incs[benchBigIncidents+r.IntN(benchIncidents-benchBigIncidents)]
				} else {
					in = incs[(i-small)/benchBigTimeline]
				}
				event := in.created.Add(time.Duration(r.IntN(60*24*14)) * time.Minute)
				recorded := event.Add(time.Duration(r.IntN(600)) * time.Second)
				id := ulid.MustNew(ulid.Timestamp(recorded), entropy).String()
				body := text.words(6, 16)
				if i%200_000 == 7 {
					body += " " + benchRareWord
				}
				kind := incident.EntryKinds[r.IntN(len(incident.EntryKinds))]
				if _, err := ins.Exec(id, benchOrg, in.id, tm(event), tm(recorded), string(kind), body,
					boolInt(r.IntN(50) == 0)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}

	// Some tasks and notes, so that searches cover every table.
	err = benchTx(db, func(tx *sql.Tx) error {
		insTask, err := tx.Prepare(`INSERT INTO tasks (id, org_id, incident_id, phase, phase_rank, title, description,
			role, assignee, status, required, due_at, origin, created_by, created_at, updated_at, version)
			VALUES (?, ?, ?, 'containment', 1, ?, ?, '', ?, 'todo', 0, ?, 'manual', 'system', ?, ?, 1)`)
		if err != nil {
			return err
		}
		insNote, err := tx.Prepare(`INSERT INTO notes (id, org_id, incident_id, body, author, created_at, updated_at,
			version) VALUES (?, ?, ?, ?, 'system', ?, ?, 1)`)
		if err != nil {
			return err
		}
		for i := 0; i < benchIncidents; i += 4 {
			in := incs[i]
			at := in.created.Add(time.Hour)
			if _, err := insTask.Exec(ulid.MustNew(ulid.Timestamp(at), entropy).String(), benchOrg, in.id,
				text.words(3, 6), text.words(5, 20), benchUser(r.IntN(50)), tm(at.Add(24*time.Hour)), tm(at), tm(at)); err != nil {
				return err
			}
			if _, err := insNote.Exec(ulid.MustNew(ulid.Timestamp(at), entropy).String(), benchOrg, in.id,
				text.words(20, 60), tm(at), tm(at)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, table := range []string{"incidents_fts", "tasks_fts", "notes_fts", "timeline_fts"} {
		if _, err := db.Exec("INSERT INTO " + table + " (" + table + ") VALUES ('rebuild')"); err != nil {
			return err
		}
	}
	for _, stmt := range triggers {
		if _, err := db.Exec(stmt); err != nil {
			return err
		}
	}
	return nil
}

// ftsInsertTriggers returns the SQL of the triggers that index new rows, by name.
func ftsInsertTriggers(db *sql.DB) (map[string]string, error) {
	rows, err := db.Query("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%_fts_insert'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, stmt string
		if err := rows.Scan(&name, &stmt); err != nil {
			return nil, err
		}
		out[name] = stmt
	}
	if len(out) != 4 {
		return nil, fmt.Errorf("found %d full-text insert triggers, want 4", len(out))
	}
	return out, rows.Err()
}

func benchUser(i int) string { return fmt.Sprintf("01BENCHUSER%015d", i) }

func benchTx(db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// weighted picks an index with probability proportional to its weight.
func weighted(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

// measure runs op b.N times and reports the 95th percentile of its latency.
func measure(b *testing.B, s *Store, op func(tx store.Tx) error) {
	b.Helper()
	ctx := context.Background()
	var durations []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := s.Read(ctx, op); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(t0))
	}
	reportPercentiles(b, durations)
}

// reportPercentiles reports the 50th and 95th percentiles of durations.
func reportPercentiles(b *testing.B, durations []time.Duration) {
	slices.Sort(durations)
	p := func(q float64) float64 {
		i := int(float64(len(durations))*q+0.999999) - 1
		return float64(durations[max(i, 0)].Microseconds()) / 1000
	}
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.95), "p95-ms")
}

// listOp lists one page of incidents and checks that it is full.
func listOp(f store.IncidentFilter) func(tx store.Tx) error {
	return func(tx store.Tx) error {
		page, err := tx.Incidents().List(context.Background(), f)
		if err == nil && len(page.Items) < store.ClampLimit(f.Limit) {
			err = fmt.Errorf("short page: %d incidents", len(page.Items))
		}
		return err
	}
}

// cursorAt returns the cursor of page n (from 1) of f.
func cursorAt(b *testing.B, s *Store, f store.IncidentFilter, n int) string {
	b.Helper()
	for range n - 1 {
		err := s.Read(context.Background(), func(tx store.Tx) error {
			page, err := tx.Incidents().List(context.Background(), f)
			f.Cursor = page.Next
			return err
		})
		if err != nil || f.Cursor == "" {
			b.Fatalf("paging to %d: %v", n, err)
		}
	}
	return f.Cursor
}

func BenchmarkIncidentList(b *testing.B) {
	s := benchDB(b)
	org := store.IncidentFilter{OrgID: benchOrg}
	open := true
	filtered := store.IncidentFilter{OrgID: benchOrg, Phases: []incident.Phase{incident.PhaseInvestigation},
		Severities: []incident.Severity{incident.SeverityHigh}}
	wide := store.IncidentFilter{OrgID: benchOrg,
		Phases:     []incident.Phase{incident.PhaseIdentification, incident.PhaseContainment, incident.PhaseInvestigation},
		Severities: []incident.Severity{incident.SeverityCritical, incident.SeverityHigh}}
	cases := []struct {
		name string
		f    store.IncidentFilter
	}{
		{"first-page", org},
		{"phase+severity", filtered},
		{"open,by-severity", store.IncidentFilter{OrgID: benchOrg, Open: &open, Sort: store.SortSeverity}},
		{"by-updated", store.IncidentFilter{OrgID: benchOrg, Sort: store.SortUpdated}},
		{"by-priority", store.IncidentFilter{OrgID: benchOrg, Sort: store.SortPriority}},
		{"tag", store.IncidentFilter{OrgID: benchOrg, Tag: "tag-07"}},
		{"assignee", store.IncidentFilter{OrgID: benchOrg, Assignee: benchUser(3), Limit: 20}},
		{"visible-to", store.IncidentFilter{OrgID: benchOrg, VisibleTo: benchUser(3)}},
		{"page-50", store.IncidentFilter{OrgID: benchOrg, Cursor: cursorAt(b, s, org, 50)}},
		{"page-50,by-updated", store.IncidentFilter{OrgID: benchOrg, Sort: store.SortUpdated,
			Cursor: cursorAt(b, s, store.IncidentFilter{OrgID: benchOrg, Sort: store.SortUpdated}, 50)}},
		{"page-50,phases+severities", store.IncidentFilter{OrgID: benchOrg, Phases: wide.Phases,
			Severities: wide.Severities, Cursor: cursorAt(b, s, wide, 50)}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { measure(b, s, listOp(c.f)) })
	}
	b.Run("count-open", func(b *testing.B) {
		measure(b, s, func(tx store.Tx) error {
			_, err := tx.Incidents().Count(context.Background(), store.IncidentFilter{OrgID: benchOrg, Open: &open})
			return err
		})
	})
}

func BenchmarkIncidentSearch(b *testing.B) {
	s := benchDB(b)
	ctx := context.Background()
	for _, word := range []string{benchWord, benchRareWord, benchCommonWord, benchWord + " " + benchCommonWord} {
		b.Run("search/"+word, func(b *testing.B) {
			measure(b, s, func(tx store.Tx) error {
				hits, err := tx.Search().Search(ctx, store.SearchQuery{OrgID: benchOrg, Query: word, Limit: 20})
				if err == nil && len(hits) == 0 {
					err = fmt.Errorf("no hits for %q", word)
				}
				return err
			})
		})
		b.Run("list/"+word, func(b *testing.B) {
			measure(b, s, func(tx store.Tx) error {
				_, err := tx.Incidents().List(ctx, store.IncidentFilter{OrgID: benchOrg, Query: word})
				return err
			})
		})
	}
}

func BenchmarkTimelineList(b *testing.B) {
	s := benchDB(b)
	ctx := context.Background()
	var big, small string
	err := s.Read(ctx, func(tx store.Tx) error {
		r := sqlTxOf(tx)
		if err := r.QueryRow(`SELECT incident_id FROM timeline GROUP BY incident_id ORDER BY count(*) DESC LIMIT 1`).Scan(&big); err != nil {
			return err
		}
		return r.QueryRow(`SELECT id FROM incidents WHERE number = ?`, benchIncidents/2).Scan(&small)
	})
	if err != nil {
		b.Fatal(err)
	}
	page := func(f store.TimelineFilter) func(b *testing.B) {
		return func(b *testing.B) {
			measure(b, s, func(tx store.Tx) error {
				_, err := tx.Timeline().List(ctx, f)
				return err
			})
		}
	}
	deep := store.TimelineFilter{OrgID: benchOrg, IncidentID: big}
	for range 100 {
		err := s.Read(ctx, func(tx store.Tx) error {
			p, err := tx.Timeline().List(ctx, deep)
			deep.Cursor = p.Next
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("long,first-page", page(store.TimelineFilter{OrgID: benchOrg, IncidentID: big}))
	b.Run("long,page-100", page(deep))
	b.Run("long,flagged", page(store.TimelineFilter{OrgID: benchOrg, IncidentID: big, FlaggedOnly: true}))
	b.Run("short", page(store.TimelineFilter{OrgID: benchOrg, IncidentID: small}))
}

// BenchmarkTimelineAdd measures a Write that adds one timeline entry, the change every use
// case makes, to an incident with a short timeline and to one with a long timeline: keeping the
// incident's search document must not cost what the whole timeline costs.
func BenchmarkTimelineAdd(b *testing.B) {
	s := benchDB(b)
	ctx := context.Background()
	var big, small string
	err := s.Read(ctx, func(tx store.Tx) error {
		r := sqlTxOf(tx)
		if err := r.QueryRow(`SELECT incident_id FROM timeline GROUP BY incident_id ORDER BY count(*) DESC LIMIT 1`).Scan(&big); err != nil {
			return err
		}
		return r.QueryRow(`SELECT id FROM incidents WHERE number = ?`, benchIncidents/3).Scan(&small)
	})
	if err != nil {
		b.Fatal(err)
	}
	entropy := rand.NewChaCha8([32]byte{2})
	text := newBenchText(rand.New(rand.NewPCG(3, 4)))
	add := func(incidentID string) func(b *testing.B) {
		return func(b *testing.B) {
			var durations []time.Duration
			for b.Loop() {
				now := time.Now()
				e := incident.Entry{ID: ulid.MustNew(ulid.Timestamp(now), entropy).String(), OrgID: benchOrg,
					IncidentID: incidentID, EventAt: now, EventZone: "Z", RecordedAt: now, Kind: incident.KindManual,
					Actor: "system", Text: text.words(6, 16)}
				t0 := time.Now()
				if err := s.Write(ctx, func(tx store.Tx) error { return tx.Timeline().Add(ctx, e) }); err != nil {
					b.Fatal(err)
				}
				durations = append(durations, time.Since(t0))
			}
			reportPercentiles(b, durations)
		}
	}
	b.Run("short", add(small))
	b.Run("long", add(big))
}

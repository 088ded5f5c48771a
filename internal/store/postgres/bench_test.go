package postgres

// Benchmarks of the lists and searches that must stay interactive at scale (p95 ≤ 100 ms at
// 100,000 incidents and 1,000,000 timeline entries), the same as the SQLite driver's, on the
// same generated data. Run them with
//
//	QUELL_TEST_POSTGRES_DSN=postgres://… go test ./internal/store/postgres -run '^$' -bench . -benchtime 200x
//
// The first run seeds a schema of the test database (about two minutes, with COPY) named
// after the schema and seed versions, and keeps it: later runs find it and start at once.
// Drop the schemas named quell_bench_* to reclaim the space (about 800 MB).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/oklog/ulid/v2"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/postgres/pgtest"
)

const (
	benchIncidents = 100_000
	benchTimeline  = 1_000_000
	// benchBigIncidents have benchBigTimeline entries each; the rest of the timeline is spread
	// over the other incidents.
	benchBigIncidents = 10
	benchBigTimeline  = 20_000
	// benchSeedVersion changes whenever the seeded data changes, so a stale schema is not used.
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

// benchDB returns the store on the seeded schema, shared by the benchmarks of one run.
func benchDB(b *testing.B) *Store {
	b.Helper()
	base := pgtest.BaseDSN(b)
	benchOnce.Do(func() {
		var dsn string
		if dsn, benchErr = seededBenchSchema(base); benchErr == nil {
			benchStore, benchErr = Open(context.Background(), dsn, Options{MaxConns: 4})
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

// seededBenchSchema returns a connection string to the seeded schema, seeding it on first use.
func seededBenchSchema(base string) (string, error) {
	ctx := context.Background()
	h := sha256.New()
	ms, err := loadMigrations(migrationFiles())
	if err != nil {
		return "", err
	}
	for _, m := range ms {
		io.WriteString(h, m.sql)
	}
	fmt.Fprint(h, benchSeedVersion, benchIncidents, benchTimeline)
	schema := fmt.Sprintf("quell_bench_%d_%s", SchemaVersion(), hex.EncodeToString(h.Sum(nil))[:12])
	dsn, err := pgtest.WithSearchPath(base, schema)
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var seeded bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", schema+".bench_seeded").Scan(&seeded); err != nil {
		return "", err
	}
	if seeded {
		return dsn, nil
	}
	// A schema without the mark is what an interrupted run left: start again.
	id := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+id+" CASCADE; CREATE SCHEMA "+id); err != nil {
		return "", err
	}
	start := time.Now()
	if err := seedBench(ctx, dsn); err != nil {
		return "", fmt.Errorf("seed %s: %w", schema, err)
	}
	fmt.Fprintf(os.Stderr, "seeded schema %s in %v\n", schema, time.Since(start).Round(time.Second))
	return dsn, nil
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

func benchUser(i int) string { return fmt.Sprintf("01BENCHUSER%015d", i) }

// seedBench fills the schema dsn names with the benchmark's data: the SQLite driver's data,
// drawn from the same random sequence, loaded with COPY while the secondary indexes are down.
// The data is written in the first version of the schema; opening the store then applies the
// later migrations, as an upgrade would: the incidents' search documents (0002) are made from
// the data there is.
func seedBench(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := migrate(ctx, conn, migrationsUpTo(1), nil); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "SET synchronous_commit = off; SET maintenance_work_mem = '512MB'"); err != nil {
		return err
	}
	indexes, err := dropIndexes(ctx, conn)
	if err != nil {
		return err
	}
	if err := copyBenchData(ctx, conn); err != nil {
		return err
	}
	for _, def := range indexes {
		if _, err := conn.Exec(ctx, def); err != nil {
			return err
		}
	}
	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		return err
	}
	s.Close()
	// What autovacuum would have done by now: statistics and the visibility map.
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE)"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE TABLE bench_seeded ()")
	return err
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

// dropIndexes drops the indexes that back no constraint and returns their definitions.
func dropIndexes(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		WHERE c.relnamespace = current_schema()::regnamespace
		AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]string, error) {
		var v [2]string
		err := row.Scan(&v[0], &v[1])
		return v, err
	})
	if err != nil {
		return nil, err
	}
	var defs []string
	for _, n := range names {
		if _, err := conn.Exec(ctx, "DROP INDEX "+n[0]); err != nil {
			return nil, err
		}
		defs = append(defs, n[1])
	}
	return defs, nil
}

// copyRows copies the rows next makes into table; next returns nil after the last.
func copyRows(ctx context.Context, conn *pgx.Conn, table string, columns []string, next func() []any) error {
	_, err := conn.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromFunc(func() ([]any, error) {
		return next(), nil
	}))
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

func copyBenchData(ctx context.Context, conn *pgx.Conn) error {
	r := rand.New(rand.NewPCG(42, 7))
	text := newBenchText(r)
	entropy := rand.NewChaCha8([32]byte{1})
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	span := 2 * 365 * 24 * time.Hour

	if _, err := conn.Exec(ctx, "INSERT INTO orgs (id, slug, name, created_at, created_at_ns) VALUES ($1, 'bench', 'Bench', $2, 0)",
		benchOrg, start); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `INSERT INTO users (id, username, username_key, display_name, email, password_hash,
		disabled, created_at, created_at_ns, updated_at, updated_at_ns, version)
		SELECT '01BENCHUSER' || lpad(i::text, 15, '0'), 'user' || i, 'user' || i, '', '', '', false, $1, 0, $1, 0, 1
		FROM generate_series(0, 49) AS i`, start); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "INSERT INTO incident_counters (org_id, next) VALUES ($1, $2)", benchOrg, benchIncidents+1); err != nil {
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
	var assignments, members [][]any
	i := 0
	err := copyRows(ctx, conn, "incidents", []string{"id", "org_id", "number", "title", "summary", "type", "severity",
		"severity_rank", "priority", "priority_rank", "phase", "resolution", "tlp", "restricted", "tags", "custom_fields",
		"detected_at", "detected_at_ns", "closed_at", "closed_at_ns", "max_criticality", "created_by", "created_at",
		"created_at_ns", "updated_at", "updated_at_ns", "version"}, func() []any {
		if i == benchIncidents {
			return nil
		}
		defer func() { i++ }()
		created := start.Add(time.Duration(int64(span) / benchIncidents * int64(i)))
		id := ulid.MustNew(ulid.Timestamp(created), entropy).String()
		incs[i] = inc{id, created}
		updated := created.Add(time.Duration(r.IntN(30*24*60)) * time.Minute)
		sev := incident.Severities[r.IntN(len(incident.Severities))]
		crit := 1 + r.IntN(4)
		prio := incident.ComputePriority(sev, crit)
		phase := incident.Phases[weighted(r, phaseWeights)]
		var closed, closedNS any
		if phase == incident.PhaseClosed {
			closed, closedNS = updated, int16(0)
		}
		itags := []string{}
		for range r.IntN(4) {
			if t := tags[r.IntN(len(tags))]; !slices.Contains(itags, t) {
				itags = append(itags, t)
			}
		}
		restricted := r.IntN(20) == 0
		row := []any{id, benchOrg, int64(i + 1), text.words(3, 8), text.words(10, 30),
			string(incident.Types[r.IntN(len(incident.Types))]), string(sev), int16(sev.Rank()), string(prio),
			int16(priorityRank(prio)), string(phase), "", "amber", restricted, itags, "{}", created, int16(0),
			closed, closedNS, int16(crit), "system", created, int16(0), updated, int16(0), int64(1)}
		if r.IntN(5) == 0 {
			assignments = append(assignments, []any{id, "commander", benchOrg, benchUser(r.IntN(50)), "system", created, int16(0)})
		}
		if restricted {
			members = append(members, []any{id, benchUser(r.IntN(50)), benchOrg})
		}
		return row
	})
	if err != nil {
		return err
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"assignments"}, []string{"incident_id", "role", "org_id", "user_id",
		"assigned_by", "assigned_at", "assigned_at_ns"}, pgx.CopyFromRows(assignments)); err != nil {
		return err
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"incident_members"}, []string{"incident_id", "user_id", "org_id"},
		pgx.CopyFromRows(members)); err != nil {
		return err
	}

	// The timeline: a few very long ones, the rest spread out; the rare word a handful of times.
	small := benchTimeline - benchBigIncidents*benchBigTimeline
	i = 0
	err = copyRows(ctx, conn, "timeline", []string{"id", "org_id", "incident_id", "event_at", "event_at_ns", "event_zone",
		"recorded_at", "recorded_at_ns", "kind", "actor", "text", "details", "technique", "flagged"}, func() []any {
		if i == benchTimeline {
			return nil
		}
		defer func() { i++ }()
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
		return []any{id, benchOrg, in.id, event, int16(0), "Z", recorded, int16(0), string(kind), "system", body, nil, "",
			r.IntN(50) == 0}
	})
	if err != nil {
		return err
	}

	// Some tasks and notes, so that searches cover every table.
	var notes [][]any
	i = 0
	err = copyRows(ctx, conn, "tasks", []string{"id", "org_id", "incident_id", "phase", "phase_rank", "title", "description",
		"role", "assignee", "status", "required", "due_at", "due_at_ns", "origin", "created_by", "created_at", "created_at_ns",
		"updated_at", "updated_at_ns", "version"}, func() []any {
		if i >= benchIncidents {
			return nil
		}
		defer func() { i += 4 }()
		in := incs[i]
		at := in.created.Add(time.Hour)
		row := []any{ulid.MustNew(ulid.Timestamp(at), entropy).String(), benchOrg, in.id, "containment", int16(1),
			text.words(3, 6), text.words(5, 20), "", benchUser(r.IntN(50)), "todo", false, at.Add(24 * time.Hour), int16(0),
			"manual", "system", at, int16(0), at, int16(0), int64(1)}
		notes = append(notes, []any{ulid.MustNew(ulid.Timestamp(at), entropy).String(), benchOrg, in.id,
			text.words(20, 60), "system", at, int16(0), at, int16(0), int64(1)})
		return row
	})
	if err != nil {
		return err
	}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"notes"}, []string{"id", "org_id", "incident_id", "body", "author",
		"created_at", "created_at_ns", "updated_at", "updated_at_ns", "version"}, pgx.CopyFromRows(notes))
	return err
}

// measure runs op b.N times and reports the 50th and 95th percentiles of its latency.
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
	err := s.Pool().QueryRow(ctx, `SELECT incident_id FROM timeline GROUP BY incident_id ORDER BY count(*) DESC LIMIT 1`).Scan(&big)
	if err == nil {
		err = s.Pool().QueryRow(ctx, `SELECT id FROM incidents WHERE number = $1`, benchIncidents/2).Scan(&small)
	}
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

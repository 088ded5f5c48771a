package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/store/postgres"
)

// Moving an installation from SQLite to PostgreSQL.
//
// The copy is driven by the two schemas as the databases describe them, not by a list kept
// here: every table of the PostgreSQL schema that SQLite has too is copied column by column,
// converting each value to the PostgreSQL column's type (UTC text times become a timestamptz
// and its nanoseconds column, 0/1 become booleans, JSON text becomes jsonb or a text array).
// What SQLite derives from other tables (full-text indexes, tables its triggers fill) is not
// copied: PostgreSQL derives its own (generated tsvector columns, its triggers) as the rows
// arrive. A column or a table with rows that has no place in PostgreSQL stops the move rather
// than being dropped silently.

// MigrateOptions tune MigrateToPostgres.
type MigrateOptions struct {
	Logger *slog.Logger
	// AllowUnsafeFsync lets the target run with fsync or synchronous_commit off (tests only).
	AllowUnsafeFsync bool
}

// sqliteOnlyTables are the SQLite tables that repeat what another table holds, kept for
// SQLite's queries, which the PostgreSQL schema does without. Their rows are not copied.
var sqliteOnlyTables = map[string]string{
	"incident_tags": "PostgreSQL indexes incidents.tags itself",
	"alert_terms":   "PostgreSQL indexes alerts.observables itself",
}

// isBookkeeping reports whether a table belongs to the migrations or the job queue rather than
// to Quell's data: such tables are neither copied nor checked for emptiness.
func isBookkeeping(table string) bool {
	return table == "schema_migrations" || strings.HasPrefix(table, "river_") || strings.HasPrefix(table, "sqlite_")
}

// MigrateToPostgres copies the installation in the SQLite data directory fromDir into the empty
// PostgreSQL database dsn names, in one transaction, then verifies the audit chain there.
// PostgreSQL's own migrations run first (postgres.Open). The source must not be in use by a
// server, and its audit chain must verify. Pending jobs are not copied: see docs/operations.md.
func MigrateToPostgres(ctx context.Context, fromDir, dsn string, out io.Writer, opts MigrateOptions) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path := filepath.Join(fromDir, DatabaseFile)
	where := config.Config{DB: dsn}.RedactedDB()

	// The source: not in use, its schema current (brought up to date as quell serve would), its
	// audit chain sound.
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no Quell database in %s", fromDir)
		}
		return err
	}
	if err := checkNotInUse(ctx, path); err != nil {
		return fmt.Errorf("%w; stop the server before moving its data (what it writes after the copy would be lost)", err)
	}
	src, err := openExisting(ctx, fromDir, log)
	if err != nil {
		return err
	}
	_, brk, err := verifyChain(ctx, src)
	if cerr := src.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if brk != nil {
		return fmt.Errorf("%w in %s at record %d (%s): %s; nothing was copied (run quell audit verify --data %s)",
			ErrAuditBroken, path, brk.Seq, brk.ID, brk.Reason, fromDir)
	}

	pg, err := postgres.Open(ctx, dsn, postgres.Options{Logger: log, AllowUnsafeFsync: opts.AllowUnsafeFsync, MaxConns: 4})
	if err != nil {
		return fmt.Errorf("open PostgreSQL at %s: %w", where, err)
	}
	defer pg.Close()

	// One read transaction on SQLite: every table is read from the same snapshot.
	db, err := sql.Open("sqlite", sqliteURI(path, "_pragma=busy_timeout(10000)", "_pragma=query_only(1)"))
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	stx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer func() { _ = stx.Rollback() }()
	source, err := readSQLiteSchema(ctx, stx)
	if err != nil {
		return fmt.Errorf("read the schema of %s: %w", path, err)
	}

	ptx, err := pg.Pool().Begin(ctx)
	if err != nil {
		return fmt.Errorf("PostgreSQL at %s: %w", where, err)
	}
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
	// Reading a large SQLite table between two COPYs may leave the session idle for a while.
	if _, err := ptx.Exec(ctx, "SET LOCAL idle_in_transaction_session_timeout = 0"); err != nil {
		return fmt.Errorf("PostgreSQL at %s: %w", where, err)
	}
	target, err := readPostgresSchema(ctx, ptx)
	if err != nil {
		return fmt.Errorf("read the schema of PostgreSQL at %s: %w", where, err)
	}
	plan, err := planTransfer(source, target)
	if err != nil {
		return err
	}
	if err := lockAndCheckEmpty(ctx, ptx, target, where); err != nil {
		return err
	}
	for i := range plan.copies {
		c := &plan.copies[i]
		if err := copyTable(ctx, stx, ptx, target.schema, c); err != nil {
			return fmt.Errorf("copy %s: %w; nothing was copied", c.table, err)
		}
	}
	if err := plan.finish(ctx, ptx, stx, target); err != nil {
		return fmt.Errorf("%w; nothing was copied", err)
	}
	pending := pendingJobs(ctx, stx)
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("commit the copy to PostgreSQL at %s: %w", where, err)
	}
	_ = stx.Rollback()
	// Fresh statistics, so that the planner does not take the new tables for empty ones.
	if _, err := pg.Pool().Exec(ctx, "ANALYZE "+plan.tableList(target.schema)); err != nil {
		log.Warn("ANALYZE after the copy failed", "err", err)
	}

	fmt.Fprintf(out, "Copied %s into PostgreSQL at %s:\n", path, where)
	plan.report(out)
	if pending > 0 {
		fmt.Fprintf(out, "Jobs: %d pending jobs were not copied; task due reminders are caught by the overdue sweep, "+
			"which runs when quell serve starts and every minute.\n", pending)
	}

	n, brk, err := verifyChain(ctx, pg)
	if err != nil {
		return err
	}
	if brk != nil {
		return fmt.Errorf("%w in PostgreSQL at %s after the copy at record %d (%s): %s", ErrAuditBroken, where, brk.Seq, brk.ID, brk.Reason)
	}
	if copied := plan.rowsOf("audit_log"); n != copied {
		return fmt.Errorf("%w in PostgreSQL at %s after the copy: %d records verify of the %d copied", ErrAuditBroken, where, n, copied)
	}
	fmt.Fprintf(out, "audit chain verified: %d records\n", n)
	return nil
}

// colKind says how a source value becomes a target value.
type colKind int

const (
	kindText colKind = iota
	kindInt
	kindFloat
	kindBool
	kindBytes
	kindJSON
	kindTextArray
	kindTime   // a timestamptz without a nanoseconds column
	kindTimeNs // a timestamptz and the nanoseconds column after it
)

// mapping is one source column and what it becomes.
type mapping struct {
	source   string
	kind     colKind
	nullable bool
}

// tableCopy is one table to copy.
type tableCopy struct {
	table        string
	orderBy      string
	targetCols   []string
	maps         []mapping
	source, rows int64
}

// tableNote is a table that is not copied, and why.
type tableNote struct {
	table, why string
	rows       int64
	target     bool // the count is the target's (rows PostgreSQL made itself)
}

type transferPlan struct {
	copies  []tableCopy
	notes   []tableNote
	derived []string // tables SQLite derives that PostgreSQL has too, to be filled by it
}

// planTransfer matches the source's tables and columns with the target's.
func planTransfer(src sqliteSchema, dst pgSchema) (transferPlan, error) {
	var p transferPlan
	var problems []string
	byName := map[string]tableCopy{}
	for name, t := range dst.tables {
		if isBookkeeping(name) {
			continue
		}
		s := src.tables[name]
		switch {
		case name == "audit_head":
			p.notes = append(p.notes, tableNote{table: name, why: "the audit chain's head, set from audit_log", target: true})
			continue
		case s == nil && src.virtual[name]:
			p.notes = append(p.notes, tableNote{table: name, why: "rebuilt by PostgreSQL", target: true})
			continue
		case s == nil:
			p.notes = append(p.notes, tableNote{table: name, why: "made by PostgreSQL", target: true})
			continue
		}
		if s.derived {
			p.derived = append(p.derived, name)
			p.notes = append(p.notes, tableNote{table: name, why: "rebuilt by PostgreSQL", target: true})
			continue
		}
		c, err := planTable(s, t)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		byName[name] = c
	}
	for name, s := range src.tables {
		if isBookkeeping(name) || dst.tables[name] != nil {
			continue
		}
		why := sqliteOnlyTables[name]
		switch {
		case s.derived:
			continue // full-text indexes and the like: PostgreSQL has its own
		case why != "":
			p.notes = append(p.notes, tableNote{table: name, why: "not copied: " + why})
		default:
			// Refused by finish if it holds rows.
			p.notes = append(p.notes, tableNote{table: name, why: "no such table in PostgreSQL"})
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return p, fmt.Errorf("the SQLite and PostgreSQL schemas do not match, nothing was copied:\n  %s", strings.Join(problems, "\n  "))
	}
	order, err := dependencyOrder(dst, byName)
	if err != nil {
		return p, err
	}
	for _, name := range order {
		p.copies = append(p.copies, byName[name])
	}
	slices.SortFunc(p.notes, func(a, b tableNote) int { return strings.Compare(a.table, b.table) })
	return p, nil
}

// planTable maps the columns of one table.
func planTable(s *sqliteTable, t *pgTable) (tableCopy, error) {
	c := tableCopy{table: t.name}
	has := map[string]bool{}
	for _, name := range s.columns {
		has[name] = true
	}
	used := map[string]bool{}
	for _, col := range t.columns {
		if col.generated {
			continue
		}
		if has[col.name] {
			k, err := kindOf(col.typ)
			if err != nil {
				return c, fmt.Errorf("%s.%s: %w", t.name, col.name, err)
			}
			if k == kindTime {
				if ns := t.column(col.name + "_ns"); ns != nil && !has[ns.name] {
					k = kindTimeNs
				}
			}
			c.targetCols = append(c.targetCols, col.name)
			if k == kindTimeNs {
				c.targetCols = append(c.targetCols, col.name+"_ns")
			}
			c.maps = append(c.maps, mapping{source: col.name, kind: k, nullable: !col.notNull})
			used[col.name] = true
			continue
		}
		if base, ok := strings.CutSuffix(col.name, "_ns"); ok && has[base] && t.column(base) != nil {
			continue // filled with its time column
		}
		if col.notNull && !col.identity && !col.hasDefault {
			return c, fmt.Errorf("%s.%s: PostgreSQL needs a value that SQLite does not have", t.name, col.name)
		}
	}
	for _, name := range s.columns {
		if !used[name] && name != s.rowidAlias {
			return c, fmt.Errorf("%s.%s: no such column in PostgreSQL, its values would be lost", t.name, name)
		}
	}
	switch {
	case s.withoutRowid:
		c.orderBy = "" // primary key order is the table's own
	default:
		c.orderBy = " ORDER BY rowid"
	}
	return c, nil
}

// lockAndCheckEmpty keeps other writers out of the target's tables until the copy commits and
// refuses a target that already holds data.
func lockAndCheckEmpty(ctx context.Context, tx pgx.Tx, dst pgSchema, where string) error {
	var names []string
	for name := range dst.tables {
		if !isBookkeeping(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	ids := make([]string, len(names))
	for i, n := range names {
		ids[i] = pgx.Identifier{dst.schema, n}.Sanitize()
	}
	if len(ids) > 0 {
		if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(ids, ", ")+" IN EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("lock the tables of PostgreSQL at %s: %w", where, err)
		}
	}
	var full []string
	for i, n := range names {
		q := "SELECT EXISTS (SELECT 1 FROM " + ids[i] + ")"
		if n == "audit_head" {
			q = "SELECT EXISTS (SELECT 1 FROM " + ids[i] + " WHERE seq <> 0)"
		}
		var rows bool
		if err := tx.QueryRow(ctx, q).Scan(&rows); err != nil {
			return fmt.Errorf("PostgreSQL at %s: %w", where, err)
		}
		if rows {
			full = append(full, n)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("PostgreSQL at %s already holds Quell data (in %s): move into an empty database, "+
			"or an empty schema named by search_path in the URL; nothing was copied", where, strings.Join(full, ", "))
	}
	return nil
}

// copyTable streams one table from SQLite into PostgreSQL with COPY.
func copyTable(ctx context.Context, stx *sql.Tx, ptx pgx.Tx, schema string, c *tableCopy) error {
	if err := stx.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteSQLite(c.table)).Scan(&c.source); err != nil {
		return err
	}
	cols := make([]string, len(c.maps))
	for i, m := range c.maps {
		cols[i] = quoteSQLite(m.source)
	}
	rows, err := stx.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+quoteSQLite(c.table)+c.orderBy)
	if err != nil {
		return err
	}
	defer rows.Close()
	src := &rowSource{rows: rows, maps: c.maps, raw: make([]any, len(c.maps)), out: make([]any, len(c.targetCols))}
	src.ptrs = make([]any, len(src.raw))
	for i := range src.raw {
		src.ptrs[i] = &src.raw[i]
	}
	n, err := ptx.CopyFrom(ctx, pgx.Identifier{schema, c.table}, c.targetCols, src)
	if err != nil {
		return err
	}
	if n != c.source {
		return fmt.Errorf("copied %d rows of %d", n, c.source)
	}
	c.rows = n
	return nil
}

// rowSource feeds COPY from SQLite rows, converting each value.
type rowSource struct {
	rows *sql.Rows
	maps []mapping
	raw  []any
	ptrs []any
	out  []any
	err  error
}

func (r *rowSource) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	clear(r.raw)
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	j := 0
	for i, m := range r.maps {
		v, ns, err := convert(m, r.raw[i])
		if err != nil {
			r.err = fmt.Errorf("column %s: %w", m.source, err)
			return false
		}
		r.out[j] = v
		j++
		if m.kind == kindTimeNs {
			r.out[j] = ns
			j++
		}
	}
	return true
}

func (r *rowSource) Values() ([]any, error) { return r.out, r.err }

func (r *rowSource) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// convert turns a SQLite value into the value of a PostgreSQL column and, for a time with a
// nanoseconds column, the value of that column.
func convert(m mapping, v any) (any, any, error) {
	if v == nil {
		return nil, nil, nil
	}
	switch m.kind {
	case kindText:
		switch x := v.(type) {
		case string:
			return x, nil, nil
		case []byte:
			return string(x), nil, nil
		case int64:
			return strconv.FormatInt(x, 10), nil, nil
		}
	case kindInt:
		if x, ok := v.(int64); ok {
			return x, nil, nil
		}
	case kindFloat:
		switch x := v.(type) {
		case float64:
			return x, nil, nil
		case int64:
			return float64(x), nil, nil
		}
	case kindBool:
		if x, ok := v.(int64); ok && (x == 0 || x == 1) {
			return x == 1, nil, nil
		}
	case kindBytes:
		switch x := v.(type) {
		case []byte:
			return x, nil, nil
		case string:
			return []byte(x), nil, nil
		}
	case kindJSON, kindTextArray:
		var text string
		switch x := v.(type) {
		case string:
			text = x
		case []byte:
			text = string(x)
		default:
			return nil, nil, fmt.Errorf("expected JSON text, got %T", v)
		}
		if !json.Valid([]byte(text)) {
			return nil, nil, fmt.Errorf("not JSON: %.40q", text)
		}
		// PostgreSQL keeps an absent list or map as NULL where SQLite writes JSON null.
		if strings.TrimSpace(text) == "null" && m.nullable {
			return nil, nil, nil
		}
		if m.kind == kindJSON {
			return text, nil, nil
		}
		var list []string
		if err := json.Unmarshal([]byte(text), &list); err != nil {
			return nil, nil, fmt.Errorf("not a JSON list of strings: %.40q", text)
		}
		if list == nil {
			list = []string{}
		}
		return list, nil, nil
	case kindTime, kindTimeNs:
		s, ok := v.(string)
		if b, isBytes := v.([]byte); isBytes {
			s, ok = string(b), true
		}
		if !ok {
			break
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, nil, fmt.Errorf("not a time: %q", s)
		}
		t = t.UTC()
		ns := t.Nanosecond() % 1000
		at := t.Add(-time.Duration(ns))
		if m.kind == kindTime {
			return at, nil, nil
		}
		return at, int16(ns), nil
	}
	return nil, nil, fmt.Errorf("unexpected SQLite value of type %T", v)
}

// finish makes the target continue where the source stopped: the audit chain's head, the
// sequences behind identity columns. It also checks what was left out: a SQLite-only table
// with rows stops the move, and what PostgreSQL derives must be there.
func (p *transferPlan) finish(ctx context.Context, ptx pgx.Tx, stx *sql.Tx, dst pgSchema) error {
	for i := range p.notes {
		n := &p.notes[i]
		var err error
		if n.target {
			err = ptx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{dst.schema, n.table}.Sanitize()).Scan(&n.rows)
		} else {
			err = stx.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteSQLite(n.table)).Scan(&n.rows)
		}
		if err != nil {
			return fmt.Errorf("count the rows of %s: %w", n.table, err)
		}
		if !n.target && n.rows > 0 && sqliteOnlyTables[n.table] == "" {
			return fmt.Errorf("table %s holds %d rows but PostgreSQL has no such table", n.table, n.rows)
		}
	}
	for _, name := range p.derived {
		var srcRows, dstRows int64
		if err := stx.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteSQLite(name)).Scan(&srcRows); err != nil {
			return fmt.Errorf("count the rows of %s: %w", name, err)
		}
		if err := ptx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{dst.schema, name}.Sanitize()).Scan(&dstRows); err != nil {
			return fmt.Errorf("count the rows of %s: %w", name, err)
		}
		if srcRows > 0 && dstRows == 0 {
			return fmt.Errorf("table %s, which Quell derives from other tables, was not rebuilt in PostgreSQL", name)
		}
	}
	if dst.tables["audit_head"] != nil && dst.tables["audit_log"] != nil {
		_, err := ptx.Exec(ctx, `UPDATE audit_head SET seq = l.seq, hash = l.hash
			FROM (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) l`)
		if err != nil {
			return fmt.Errorf("set the head of the audit chain: %w", err)
		}
	}
	rows, err := ptx.Query(ctx, `SELECT t.relname, a.attname, s.oid::regclass::text FROM pg_class s
		JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
		JOIN pg_class t ON t.oid = d.refobjid
		JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
		WHERE s.relkind = 'S' AND t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)`, dst.schema)
	if err != nil {
		return fmt.Errorf("list sequences: %w", err)
	}
	type seq struct{ table, column, name string }
	var seqs []seq
	for rows.Next() {
		var s seq
		if err := rows.Scan(&s.table, &s.column, &s.name); err != nil {
			rows.Close()
			return err
		}
		seqs = append(seqs, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, s := range seqs {
		if isBookkeeping(s.table) {
			continue
		}
		q := "SELECT setval($1::regclass, m) FROM (SELECT max(" + pgx.Identifier{s.column}.Sanitize() + ") AS m FROM " +
			pgx.Identifier{dst.schema, s.table}.Sanitize() + ") x WHERE m IS NOT NULL"
		if _, err := ptx.Exec(ctx, q, s.name); err != nil {
			return fmt.Errorf("set the sequence of %s.%s: %w", s.table, s.column, err)
		}
	}
	return nil
}

// report prints the rows of every table.
func (p *transferPlan) report(out io.Writer) {
	width := len("table")
	for _, c := range p.copies {
		width = max(width, len(c.table))
	}
	for _, n := range p.notes {
		width = max(width, len(n.table))
	}
	names := make([]string, 0, len(p.copies)+len(p.notes))
	byName := map[string]string{}
	for _, c := range p.copies {
		names = append(names, c.table)
		byName[c.table] = fmt.Sprintf("%8d", c.rows)
	}
	for _, n := range p.notes {
		names = append(names, n.table)
		byName[n.table] = fmt.Sprintf("%8d  (%s)", n.rows, n.why)
	}
	slices.Sort(names)
	fmt.Fprintf(out, "  %-*s %8s\n", width, "table", "rows")
	for _, name := range names {
		fmt.Fprintf(out, "  %-*s %s\n", width, name, byName[name])
	}
}

// rowsOf returns the rows copied into a table.
func (p *transferPlan) rowsOf(table string) int64 {
	for _, c := range p.copies {
		if c.table == table {
			return c.rows
		}
	}
	return 0
}

// tableList names the copied tables for a statement: "s"."a", "s"."b".
func (p *transferPlan) tableList(schema string) string {
	names := make([]string, len(p.copies))
	for i, c := range p.copies {
		names[i] = pgx.Identifier{schema, c.table}.Sanitize()
	}
	return strings.Join(names, ", ")
}

// pendingJobs counts the jobs of the source's queue that have yet to run (0 when it has none).
func pendingJobs(ctx context.Context, tx *sql.Tx) int64 {
	var n int64
	err := tx.QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'pending')").Scan(&n)
	if err != nil {
		return 0
	}
	return n
}

// quoteSQLite quotes an identifier for SQLite.
func quoteSQLite(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

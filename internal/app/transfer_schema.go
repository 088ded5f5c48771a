package app

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The two schemas of a move from SQLite to PostgreSQL, as the databases describe them.

// sqliteTable is a table of the source database.
type sqliteTable struct {
	name    string
	columns []string
	// rowidAlias is the INTEGER PRIMARY KEY column, an alias of the rowid, if any.
	rowidAlias   string
	withoutRowid bool
	// derived: a full-text index, one of its shadow tables, or a table triggers fill.
	derived bool
}

type sqliteSchema struct {
	tables map[string]*sqliteTable
	// virtual are the virtual tables (full-text indexes).
	virtual map[string]bool
}

var triggerInsert = regexp.MustCompile(`(?i)\binsert\s+(?:or\s+\w+\s+)?into\s+["\x60\[]?(\w+)`)

// readSQLiteSchema lists the source's tables and columns and tells which are derived.
func readSQLiteSchema(ctx context.Context, tx *sql.Tx) (sqliteSchema, error) {
	s := sqliteSchema{tables: map[string]*sqliteTable{}, virtual: map[string]bool{}}
	rows, err := tx.QueryContext(ctx, "SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main'")
	if err != nil {
		return s, err
	}
	var virtual []string
	for rows.Next() {
		var name, typ string
		var wr bool
		if err := rows.Scan(&name, &typ, &wr); err != nil {
			rows.Close()
			return s, err
		}
		switch typ {
		case "table":
			s.tables[name] = &sqliteTable{name: name, withoutRowid: wr}
		case "virtual":
			virtual = append(virtual, name)
			s.virtual[name] = true
		case "shadow":
			s.tables[name] = &sqliteTable{name: name, derived: true}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}
	for _, t := range s.tables {
		for _, v := range virtual {
			if strings.HasPrefix(t.name, v+"_") {
				t.derived = true
			}
		}
	}
	// Tables that triggers write to hold what the triggers derive from other tables (Quell's
	// triggers keep search documents; one that wrote data of its own would need a rule here).
	trows, err := tx.QueryContext(ctx, "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL")
	if err != nil {
		return s, err
	}
	for trows.Next() {
		var text string
		if err := trows.Scan(&text); err != nil {
			trows.Close()
			return s, err
		}
		for _, m := range triggerInsert.FindAllStringSubmatch(text, -1) {
			if t := s.tables[m[1]]; t != nil {
				t.derived = true
			}
		}
	}
	trows.Close()
	if err := trows.Err(); err != nil {
		return s, err
	}
	for _, t := range s.tables {
		crows, err := tx.QueryContext(ctx, "SELECT name, type, pk FROM pragma_table_info(?)", t.name)
		if err != nil {
			return s, err
		}
		pks := 0
		var pkCol, pkType string
		for crows.Next() {
			var name, typ string
			var pk int
			if err := crows.Scan(&name, &typ, &pk); err != nil {
				crows.Close()
				return s, err
			}
			t.columns = append(t.columns, name)
			if pk > 0 {
				pks++
				pkCol, pkType = name, typ
			}
		}
		crows.Close()
		if err := crows.Err(); err != nil {
			return s, err
		}
		if pks == 1 && strings.EqualFold(pkType, "INTEGER") && !t.withoutRowid {
			t.rowidAlias = pkCol
		}
	}
	return s, nil
}

// pgColumn is a column of the target database.
type pgColumn struct {
	name, typ string
	notNull   bool
	// generated columns are computed by PostgreSQL; identity and default columns may be left out.
	generated, identity, hasDefault bool
}

type pgTable struct {
	name    string
	columns []pgColumn
	// refs are the tables this one's foreign keys point to.
	refs []string
}

func (t *pgTable) column(name string) *pgColumn {
	for i := range t.columns {
		if t.columns[i].name == name {
			return &t.columns[i]
		}
	}
	return nil
}

type pgSchema struct {
	schema string
	tables map[string]*pgTable
}

// readPostgresSchema lists the tables, columns and foreign keys of the schema Quell's tables
// live in (the first of the search path).
func readPostgresSchema(ctx context.Context, tx pgx.Tx) (pgSchema, error) {
	s := pgSchema{tables: map[string]*pgTable{}}
	if err := tx.QueryRow(ctx, "SELECT current_schema()").Scan(&s.schema); err != nil {
		return s, err
	}
	rows, err := tx.Query(ctx, `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
			a.attgenerated <> '', a.attidentity <> '', a.atthasdef
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
		WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
			AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY c.relname, a.attnum`, s.schema)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var table string
		var c pgColumn
		if err := rows.Scan(&table, &c.name, &c.typ, &c.notNull, &c.generated, &c.identity, &c.hasDefault); err != nil {
			rows.Close()
			return s, err
		}
		t := s.tables[table]
		if t == nil {
			t = &pgTable{name: table}
			s.tables[table] = t
		}
		t.columns = append(t.columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}
	rows, err = tx.Query(ctx, `SELECT c.relname, r.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
		WHERE k.contype = 'f' AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)`, s.schema)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			return s, err
		}
		if t := s.tables[from]; t != nil && from != to {
			t.refs = append(t.refs, to)
		}
	}
	return s, rows.Err()
}

// kindOf tells how values reach a PostgreSQL type, as format_type names it.
func kindOf(typ string) (colKind, error) {
	switch {
	case typ == "text" || strings.HasPrefix(typ, "character varying") || typ == "name":
		return kindText, nil
	case typ == "smallint" || typ == "integer" || typ == "bigint":
		return kindInt, nil
	case typ == "double precision" || typ == "real":
		return kindFloat, nil
	case typ == "boolean":
		return kindBool, nil
	case typ == "bytea":
		return kindBytes, nil
	case typ == "jsonb" || typ == "json":
		return kindJSON, nil
	case typ == "text[]":
		return kindTextArray, nil
	case typ == "timestamp with time zone":
		return kindTime, nil
	}
	return 0, fmt.Errorf("no conversion to PostgreSQL type %s", typ)
}

// dependencyOrder orders the tables so that every table comes after those its foreign keys
// point to.
func dependencyOrder(dst pgSchema, tables map[string]tableCopy) ([]string, error) {
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	slices.Sort(names)
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("the foreign keys of table %s form a cycle; cannot order the copy", n)
		case 2:
			return nil
		}
		state[n] = 1
		refs := slices.Clone(dst.tables[n].refs)
		slices.Sort(refs)
		for _, r := range refs {
			if _, ok := tables[r]; ok {
				if err := visit(r); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

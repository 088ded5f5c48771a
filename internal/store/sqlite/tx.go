package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/quell-ir/quell/internal/store"
)

// tx is one transaction; each aggregate's repository is a view of it.
type tx struct {
	sqlTx *sql.Tx
	store *Store
	write bool
	// stmts holds the statements prepared in this transaction: a statement run many times in
	// one transaction (an intake batch, a correlation run) is parsed once. They close with it.
	stmts map[string]*sql.Stmt
}

// prepared returns query prepared once per transaction.
func (t *tx) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if base := t.cachedStmt(query); base != nil {
		st = t.sqlTx.StmtContext(ctx, base)
	} else {
		var err error
		if st, err = t.sqlTx.PrepareContext(ctx, query); err != nil {
			return nil, mapErr(err)
		}
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = st
	return st, nil
}

// cachedStmt returns the writer's cached statement for query, if any.
func (t *tx) cachedStmt(query string) *sql.Stmt {
	if !t.write || t.store.writerStmts == nil {
		return nil
	}
	return t.store.writerStmts.get(query)
}

var _ store.Tx = (*tx)(nil)

func (t *tx) Orgs() store.Orgs           { return orgRepo{t} }
func (t *tx) Users() store.Users         { return userRepo{t} }
func (t *tx) Sessions() store.Sessions   { return sessionRepo{t} }
func (t *tx) Tokens() store.Tokens       { return tokenRepo{t} }
func (t *tx) Incidents() store.Incidents { return incidentRepo{t} }
func (t *tx) Tasks() store.Tasks         { return taskRepo{t} }
func (t *tx) Notes() store.Notes         { return noteRepo{t} }
func (t *tx) Timeline() store.Timeline   { return timelineRepo{t} }
func (t *tx) Assets() store.Assets       { return assetRepo{t} }
func (t *tx) Audit() store.AuditLog      { return auditRepo{t} }
func (t *tx) Search() store.Search       { return searchRepo{t} }
func (t *tx) Jobs() store.Jobs           { return jobRepo{t} }

// exec runs a statement and maps its error.
func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return res, nil
}

// execOne runs a statement that must change one row; none is ErrNotFound.
func (t *tx) execOne(ctx context.Context, query string, args ...any) error {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// query runs a query and maps its error.
func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return rows, nil
}

// row is the result of queryRow: the row, or why it could not be asked for.
type row struct {
	row *sql.Row
	err error
}

// Scan copies the row's columns into dest; its errors are unmapped, as sql.Row's are.
func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.row.Scan(dest...)
}

// queryRow runs a query of at most one row through the transaction's prepared statements, so
// that a query of fixed text run once per alert or incident is parsed once.
func (t *tx) queryRow(ctx context.Context, query string, args ...any) row {
	st, err := t.prepared(ctx, query)
	if err != nil {
		return row{err: err}
	}
	return row{row: st.QueryRowContext(ctx, args...)}
}

// updateVersioned runs an UPDATE guarded by "version = expectVersion"; when it changes no
// row, it tells a missing row (ErrNotFound) from a stale version (ErrConflict) by looking the
// row up with the key condition where (e.g. "org_id = ? AND id = ?") and its args.
func (t *tx) updateVersioned(ctx context.Context, table, where string, keyArgs []any, query string, args ...any) error {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(err)
	}
	if n == 1 {
		return nil
	}
	var v int64
	err = t.sqlTx.QueryRowContext(ctx, "SELECT version FROM "+table+" WHERE "+where, keyArgs...).Scan(&v)
	if err != nil {
		return mapErr(err)
	}
	return fmt.Errorf("%s version is %d: %w", table, v, store.ErrConflict)
}

// scanList runs a query and scans every row with scan.
func scanList[T any](ctx context.Context, t *tx, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}

// scanOne runs a query expected to return one row; no row is ErrNotFound.
func scanOne[T any](ctx context.Context, t *tx, scan func(rowScanner) (T, error), query string, args ...any) (T, error) {
	st, err := t.prepared(ctx, query)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := scan(st.QueryRowContext(ctx, args...))
	if err != nil {
		var zero T
		return zero, mapErr(err)
	}
	return v, nil
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// errReadOnly is returned by methods that only make sense in a Write.
var errReadOnly = errors.New("sqlite: this operation needs a Write transaction")

type jobRepo struct{ *tx }

// Enqueue hands the job to the inserter set with SetJobInserter, in this transaction.
func (r jobRepo) Enqueue(ctx context.Context, args store.JobArgs, opts store.JobOptions) error {
	if !r.write {
		return errReadOnly
	}
	ins := r.store.jobs.Load()
	if ins == nil {
		return fmt.Errorf("sqlite: cannot enqueue job %q: no job inserter is set (Store.SetJobInserter)", args.Kind())
	}
	return (*ins)(ctx, r.sqlTx, args, opts)
}

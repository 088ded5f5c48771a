package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/quell-ir/quell/internal/store"
)

// tx is one transaction; each aggregate's repository is a view of it.
type tx struct {
	pgTx  pgx.Tx
	store *Store
	write bool
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

// mapErr maps an error of this transaction: a statement that writes in a Read is errReadOnly,
// not a read-only server.
func (t *tx) mapErr(err error) error {
	var pe *pgconn.PgError
	if !t.write && errors.As(err, &pe) && pe.Code == "25006" {
		return fmt.Errorf("%w: %w", errReadOnly, err)
	}
	return mapErr(err)
}

// exec runs a statement and maps its error.
func (t *tx) exec(ctx context.Context, query string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.pgTx.Exec(ctx, query, args...)
	if err != nil {
		return tag, t.mapErr(err)
	}
	return tag, nil
}

// execOne runs a statement that must change one row; none is ErrNotFound.
func (t *tx) execOne(ctx context.Context, query string, args ...any) error {
	tag, err := t.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// queryRow runs a query expected to return one row and scans it into dest; no row is
// ErrNotFound.
func (t *tx) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	return t.mapErr(t.pgTx.QueryRow(ctx, query, args...).Scan(dest...))
}

// updateVersioned runs an UPDATE guarded by "version = expectVersion"; when it changes no
// row, it tells a missing row (ErrNotFound) from a stale version (ErrConflict) by looking the
// row up with the key condition where (e.g. "org_id = $1 AND id = $2") and its args. Under
// READ COMMITTED both statements see the newest committed row.
func (t *tx) updateVersioned(ctx context.Context, table, where string, keyArgs []any, query string, args ...any) error {
	tag, err := t.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var v int64
	if err := t.queryRow(ctx, "SELECT version FROM "+table+" WHERE "+where, keyArgs, &v); err != nil {
		return err
	}
	return fmt.Errorf("%s version is %d: %w", table, v, store.ErrConflict)
}

// rowScanner is pgx.Row or pgx.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// scanList runs a query and scans every row with scan.
func scanList[T any](ctx context.Context, t *tx, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.pgTx.Query(ctx, query, args...)
	if err != nil {
		return nil, t.mapErr(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.mapErr(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, t.mapErr(err)
	}
	return out, nil
}

// scanOne runs a query expected to return one row; no row is ErrNotFound.
func scanOne[T any](ctx context.Context, t *tx, scan func(rowScanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(t.pgTx.QueryRow(ctx, query, args...))
	if err != nil {
		var zero T
		return zero, t.mapErr(err)
	}
	return v, nil
}

// nonNil returns items, or an empty slice for none, so that pages encode as [].
func nonNil[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}

type jobRepo struct{ *tx }

// Enqueue hands the job to the inserter set with SetJobInserter, in this transaction.
func (r jobRepo) Enqueue(ctx context.Context, args store.JobArgs, opts store.JobOptions) error {
	if !r.write {
		return errReadOnly
	}
	ins := r.store.jobs.Load()
	if ins == nil {
		return fmt.Errorf("postgres: cannot enqueue job %q: no job inserter is set (Store.SetJobInserter)", args.Kind())
	}
	return (*ins)(ctx, r.pgTx, args, opts)
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// errReadOnly is returned by methods that only make sense in a Write, and when a statement
// that writes runs in a Read.
var errReadOnly = errors.New("postgres: this operation needs a Write transaction")

// mapErr turns driver errors into the port's errors, keeping the original in the chain:
//
//   - no row is store.ErrNotFound, and so is a foreign key violation (a row that refers to an
//     object that does not exist in its organisation);
//   - a unique violation is store.ErrDuplicate;
//   - anything that says "not now" is store.ErrUnavailable: the server cannot be reached or
//     went away, is shutting down or starting up, is out of disk, memory or connections, is a
//     read-only standby, timed out on a lock or a statement, or aborted the transaction as a
//     deadlock or serialization victim. Callers answer 503 and the client retries;
//   - text PostgreSQL cannot store (a NUL character) is a validation error.
//
// A context that was cancelled or timed out is reported as the context's error.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	for _, known := range []error{store.ErrNotFound, store.ErrConflict, store.ErrDuplicate, store.ErrUnavailable, errReadOnly} {
		if errors.Is(err, known) {
			return err
		}
	}
	if _, ok := validation.As(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return mapPgError(pe, err)
	}
	if connectionLost(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

func mapPgError(pe *pgconn.PgError, err error) error {
	switch pe.Code {
	case "23505": // unique_violation
		return fmt.Errorf("%w: %w", store.ErrDuplicate, err)
	case "23503": // foreign_key_violation
		return fmt.Errorf("%w: a referenced object does not exist: %w", store.ErrNotFound, err)
	case "25006": // read_only_sql_transaction: a Read that writes, or a standby; see tx.mapErr
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	case "40001", // serialization_failure
		"40P01", // deadlock_detected
		"55P03", // lock_not_available (lock_timeout)
		"57014", // query_canceled (statement_timeout; a cancelled context is caught earlier)
		"57P01", // admin_shutdown
		"57P02", // crash_shutdown
		"57P03", // cannot_connect_now (starting up, or in recovery)
		"57P04", // database_dropped
		"58000", // system_error
		"58030", // io_error
		"53000", // insufficient_resources
		"53100", // disk_full
		"53200", // out_of_memory
		"53300", // too_many_connections
		"53400": // configuration_limit_exceeded
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	case "22021", // character_not_in_repertoire: a NUL byte or invalid UTF-8 in text
		"22P05": // untranslatable_character: \u0000 in JSON
		return fmt.Errorf("%w (%s)", validation.Errorf("", "the text contains a character that cannot be stored (such as NUL)"), pe.Message)
	}
	if len(pe.Code) == 5 && pe.Code[:2] == "08" { // connection_exception
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// connectionLost reports whether err says the server could not be reached or the connection
// broke: the statement did not run, or its outcome is unknown.
func connectionLost(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, puddle.ErrClosedPool),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return pgconn.SafeToRetry(err)
}

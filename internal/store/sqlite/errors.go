package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/quell-ir/quell/internal/store"
)

// mapErr turns driver errors into the port's errors, keeping the original in the chain:
// no row is store.ErrNotFound; a lock, a full disk or an I/O error is store.ErrUnavailable;
// a unique or primary key violation is store.ErrDuplicate; a foreign key violation (a row
// that refers to an object that does not exist in its organisation) is store.ErrNotFound.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	for _, known := range []error{store.ErrNotFound, store.ErrConflict, store.ErrDuplicate, store.ErrUnavailable} {
		if errors.Is(err, known) {
			return err
		}
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch code := se.Code(); code & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	case sqlite3.SQLITE_CONSTRAINT:
		switch code {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", store.ErrDuplicate, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: a referenced object does not exist: %w", store.ErrNotFound, err)
		}
	}
	return err
}

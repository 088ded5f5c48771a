package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"slices"
	"strconv"
	"time"
)

//go:embed migrations/*.sql
var embeddedMigrations embed.FS

func migrationFiles() fs.FS {
	sub, err := fs.Sub(embeddedMigrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^([0-9]+)_[a-z0-9_]+\.sql$`)

// loadMigrations reads the *.sql files at the root of fsys, ordered by version.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("sqlite: list migrations: %w", err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, name := range names {
		m := migrationName.FindStringSubmatch(path.Base(name))
		if m == nil {
			return nil, fmt.Errorf("sqlite: migration file %q is not named NNNN_name.sql", name)
		}
		v, err := strconv.Atoi(m[1])
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlite: migration file %q has no positive version", name)
		}
		if other, ok := seen[v]; ok {
			return nil, fmt.Errorf("sqlite: migrations %q and %q share version %d", other, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("sqlite: read migration %q: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	return ms, nil
}

// SchemaVersion is the newest schema version this binary knows.
func SchemaVersion() int {
	ms, err := loadMigrations(migrationFiles())
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// Migrate brings the schema of db up to date with the embedded migrations and returns the
// versions it applied. Each migration runs in its own transaction together with its row in
// schema_migrations, so a failing one leaves neither a half schema nor its version behind.
// A database whose schema is newer than this binary knows is refused.
func Migrate(ctx context.Context, db *sql.DB) (applied []int, err error) {
	return migrate(ctx, db, migrationFiles(), nil)
}

func migrate(ctx context.Context, db *sql.DB, fsys fs.FS, log *slog.Logger) ([]int, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ms, err := loadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return nil, fmt.Errorf("sqlite: create schema_migrations: %w", mapErr(err))
	}
	var newest sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&newest); err != nil {
		return nil, fmt.Errorf("sqlite: read schema version: %w", mapErr(err))
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	if newest.Valid && int(newest.Int64) > known {
		return nil, fmt.Errorf("sqlite: the database schema is at version %d but this binary knows only up to %d: "+
			"run a newer quell on this database", newest.Int64, known)
	}
	var applied []int
	for _, m := range ms {
		done, err := applyMigration(ctx, db, m)
		if err != nil {
			return applied, err
		}
		if done {
			log.Info("applied migration", "version", m.version, "file", m.name)
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

// applyMigration runs m and records it in one transaction, unless it is already recorded. On a
// writer DSN the transaction is BEGIN IMMEDIATE, so two processes cannot apply it both.
func applyMigration(ctx context.Context, db *sql.DB, m migration) (applied bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: migration %d: begin: %w", m.version, mapErr(err))
	}
	defer func() {
		if err != nil || !applied {
			_ = tx.Rollback()
		}
	}()
	var one int
	switch err := tx.QueryRowContext(ctx, "SELECT 1 FROM schema_migrations WHERE version = ?", m.version).Scan(&one); {
	case err == nil:
		return false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("sqlite: migration %d: %w", m.version, mapErr(err))
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("sqlite: migration %d (%s): %w", m.version, m.name, mapErr(err))
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
		m.version, tm(time.Now())); err != nil {
		return false, fmt.Errorf("sqlite: migration %d: record version: %w", m.version, mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: migration %d: commit: %w", m.version, mapErr(err))
	}
	return true, nil
}

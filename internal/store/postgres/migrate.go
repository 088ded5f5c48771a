package postgres

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
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
		return nil, fmt.Errorf("postgres: list migrations: %w", err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, name := range names {
		m := migrationName.FindStringSubmatch(path.Base(name))
		if m == nil {
			return nil, fmt.Errorf("postgres: migration file %q is not named NNNN_name.sql", name)
		}
		v, err := strconv.Atoi(m[1])
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration file %q has no positive version", name)
		}
		if other, ok := seen[v]; ok {
			return nil, fmt.Errorf("postgres: migrations %q and %q share version %d", other, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("postgres: read migration %q: %w", name, err)
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

// beginner starts transactions: a *pgxpool.Pool or a *pgx.Conn.
type beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Migrate brings the schema of the database db connects to up to date with the embedded
// migrations and returns the versions it applied. Each migration runs in its own transaction
// together with its row in schema_migrations, so a failing one leaves neither a half schema
// nor its version behind. A database whose schema is newer than this binary knows is refused.
func Migrate(ctx context.Context, db beginner) (applied []int, err error) {
	return migrate(ctx, db, migrationFiles(), nil)
}

// migrateLockClass is the first key of the advisory lock that migrations take; the second is
// a hash of the schema they apply to, so installations in different schemas do not wait for
// each other.
const migrateLockClass = 0x5175656c // "Quel"

func migrate(ctx context.Context, db beginner, fsys fs.FS, log *slog.Logger) ([]int, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ms, err := loadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	var newest int
	done := map[int]bool{}
	err = inMigrationTx(ctx, db, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return err
			}
			done[v] = true
			newest = max(newest, v)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: read schema version: %w", err)
	}
	if newest > known {
		return nil, fmt.Errorf("postgres: the database schema is at version %d but this binary knows only up to %d: "+
			"run a newer quell on this database", newest, known)
	}
	var applied []int
	for _, m := range ms {
		// Every missing version is applied, not only those above the newest: a migration
		// numbered below one that shipped first still runs.
		if done[m.version] {
			continue
		}
		ran := false
		err := inMigrationTx(ctx, db, func(tx pgx.Tx) error {
			// Another node may have applied it while this one waited for the lock.
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM schema_migrations WHERE version = $1", m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("(%s): %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", m.version); err != nil {
				return fmt.Errorf("record version: %w", err)
			}
			ran = true
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("postgres: migration %d %w", m.version, err)
		}
		if ran {
			log.Info("applied migration", "version", m.version, "file", m.name)
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

// inMigrationTx runs fn in a transaction holding the migration lock of the current schema,
// after making sure schema_migrations exists.
func inMigrationTx(ctx context.Context, db beginner, fn func(pgx.Tx) error) (err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return mapErr(err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			err = mapErr(err)
		}
	}()
	var schema *string
	if err := tx.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return err
	}
	if schema == nil {
		var searchPath string
		if err := tx.QueryRow(ctx, "SHOW search_path").Scan(&searchPath); err != nil {
			return err
		}
		return fmt.Errorf("no schema to create tables in: search_path %q names no schema that exists", searchPath)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", migrateLockClass, *schema); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	return nil
}

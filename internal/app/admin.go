package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/jobs"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/postgres"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

// The admin verbs below work on a data directory directly, without a running server. They
// are safe to run beside a running server: SQLite serialises the writers of both processes.

// ErrAuditBroken is returned by VerifyAudit when the chain does not verify.
var ErrAuditBroken = errors.New("the audit chain does not verify")

// openExisting opens the database of a data directory that must already hold one.
func openExisting(ctx context.Context, dataDir string, log *slog.Logger) (*sqlite.Store, error) {
	path := filepath.Join(dataDir, DatabaseFile)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no Quell database in %s: start `quell serve` or run `quell migrate` with this --data first", dataDir)
		}
		return nil, err
	}
	return sqlite.Open(ctx, path, sqlite.Options{Logger: log, ReaderConns: 1})
}

// Migrate creates the data directory if needed and brings the database schema and the job
// queue's schema up to date, printing what it applied.
func Migrate(ctx context.Context, dataDir string, out io.Writer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := ensureDataDir(dataDir, log); err != nil {
		return err
	}
	path := filepath.Join(dataDir, DatabaseFile)

	// Apply Quell's own migrations on a plain connection to learn which ran; Open then finds
	// nothing left to do.
	db, err := sql.Open("sqlite", migrationDSN(path))
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	applied, err := sqlite.Migrate(ctx, db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Quell schema: %s; at version %d\n", describeApplied(applied), sqlite.SchemaVersion())

	st, err := sqlite.Open(ctx, path, sqlite.Options{Logger: log, ReaderConns: 1})
	if err != nil {
		return err
	}
	defer st.Close()
	qApplied, err := jobs.Migrate(ctx, st.WriterDB(), log)
	if err != nil {
		return err
	}
	version, err := jobs.SchemaVersion(ctx, st.WriterDB())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Job queue schema: %s; at version %d\n", describeApplied(qApplied), version)
	return nil
}

// migrationDSN is a connection string for applying migrations from a separate process: it
// waits for locks instead of failing, keeps the database in WAL mode, and takes the write
// lock at the start of each transaction.
func migrationDSN(path string) string {
	u := url.URL{Path: path}
	p := strings.ReplaceAll(u.EscapedPath(), "?", "%3F")
	return "file:" + p + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
}

func describeApplied(vs []int) string {
	if len(vs) == 0 {
		return "up to date"
	}
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return "applied " + strings.Join(s, ", ")
}

// CreateUser adds a user to an organisation (by slug; the default one when empty) of the
// data directory's database.
func CreateUser(ctx context.Context, dataDir, orgSlug string, req auth.NewUser, log *slog.Logger) (access.User, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := ensureDataDir(dataDir, log); err != nil {
		return access.User{}, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dataDir, DatabaseFile), sqlite.Options{Logger: log, ReaderConns: 1})
	if err != nil {
		return access.User{}, err
	}
	defer st.Close()
	return auth.New(st, auth.Options{Logger: log}).CreateUserDirect(ctx, orgSlug, req)
}

// VerifyAudit walks the audit chain of the data directory's database from the first record
// and prints the verdict: "audit chain OK: N records", or the first record that does not
// verify, in which case it returns ErrAuditBroken.
func VerifyAudit(ctx context.Context, dataDir string, out io.Writer, log *slog.Logger) error {
	return VerifyAuditIn(ctx, config.Config{Data: dataDir}, out, log)
}

// VerifyAuditIn is VerifyAudit for the database a configuration names: the data directory's
// SQLite file, or PostgreSQL when cfg.DB is set.
func VerifyAuditIn(ctx context.Context, cfg config.Config, out io.Writer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var st store.Store
	var err error
	if cfg.Postgres() {
		st, err = postgres.Open(ctx, cfg.DB, postgres.Options{Logger: log})
	} else {
		st, err = openExisting(ctx, cfg.Data, log)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	n, brk, err := verifyChain(ctx, st)
	if err != nil {
		return err
	}
	if brk != nil {
		fmt.Fprintf(out, "audit chain BROKEN at record %d (%s): %s\n", brk.Seq, brk.ID, brk.Reason)
		fmt.Fprintf(out, "%d records before it verify.\n", n)
		return fmt.Errorf("%w: record %d (%s)", ErrAuditBroken, brk.Seq, brk.ID)
	}
	fmt.Fprintf(out, "audit chain OK: %d records\n", n)
	return nil
}

// verifyChain checks every record in sequence order. It returns the number of records that
// verified and, when the chain is broken, where.
func verifyChain(ctx context.Context, st store.Store) (int64, *audit.Break, error) {
	v := audit.NewVerifier()
	var brk *audit.Break
	err := st.Read(ctx, func(tx store.Tx) error {
		return tx.Audit().Walk(ctx, v.Check)
	})
	if errors.As(err, &brk) {
		return v.Count, brk, nil
	}
	if err != nil {
		return v.Count, nil, fmt.Errorf("read the audit chain: %w", err)
	}
	return v.Count, nil, nil
}

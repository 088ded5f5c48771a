package app

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/jobs"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

// Backups of a SQLite installation.
//
// A backup is a gzip-compressed tar archive. Its first entry is manifest.json (Manifest); the
// files of the data directory follow under data/, by their path inside the data directory.
// Today that is the database alone, a consistent snapshot taken with VACUUM INTO while the
// server may be running; files added to the data directory later (file stores, keys) join
// the list in backupFiles and need no change of format. Restore checks every file against the
// manifest's size and SHA-256 before anything lands in the data directory, then verifies the
// audit chain of the restored database.

// BackupFormat names the archive format in its manifest; BackupFormatVersion is the newest
// version this binary writes and reads.
const (
	BackupFormat        = "quell-backup"
	BackupFormatVersion = 1
	manifestName        = "manifest.json"
	dataPrefix          = "data/"
	maxManifestBytes    = 1 << 20
)

// Manifest describes a backup archive.
type Manifest struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// CreatedAt is when the snapshot was taken.
	CreatedAt    time.Time `json:"created_at"`
	QuellVersion string    `json:"quell_version,omitempty"`
	// Database is the kind of database the archive holds: "sqlite".
	Database string `json:"database"`
	// SchemaVersion and JobQueueSchemaVersion are the migrations the database had.
	SchemaVersion         int `json:"schema_version"`
	JobQueueSchemaVersion int `json:"job_queue_schema_version"`
	// AuditRecords is the length of the audit chain, which verified when the backup was made.
	AuditRecords int64          `json:"audit_records"`
	Files        []ManifestFile `json:"files"`
}

// ManifestFile is one file of the data directory in the archive.
type ManifestFile struct {
	// Path is relative to the data directory, with forward slashes.
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// BackupOptions tune Backup.
type BackupOptions struct {
	Logger *slog.Logger
	// QuellVersion is recorded in the manifest.
	QuellVersion string
}

// Backup writes a consistent snapshot of the data directory to the archive file, which must
// not exist yet. The server may be running: the database is copied with VACUUM INTO, which
// reads one snapshot and does not stop writers. The snapshot's audit chain is verified before
// the archive is written.
func Backup(ctx context.Context, dataDir, archive string, out io.Writer, opts BackupOptions) (Manifest, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := Manifest{Format: BackupFormat, Version: BackupFormatVersion, QuellVersion: opts.QuellVersion, Database: "sqlite"}
	dbPath := filepath.Join(dataDir, DatabaseFile)
	if _, err := os.Stat(dbPath); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return m, fmt.Errorf("no Quell database in %s: nothing to back up", dataDir)
		}
		return m, err
	}
	if _, err := os.Lstat(archive); err == nil {
		return m, fmt.Errorf("%s exists already: name a new file", archive)
	}
	staging, err := os.MkdirTemp(filepath.Dir(archive), ".quell-backup-")
	if err != nil {
		return m, fmt.Errorf("make room for the snapshot next to %s: %w", archive, err)
	}
	defer os.RemoveAll(staging)

	// The snapshot: one read transaction of the live database, written out as a new file.
	snap := filepath.Join(staging, DatabaseFile)
	db, err := sql.Open("sqlite", sqliteURI(dbPath, "mode=rw", "_pragma=busy_timeout(10000)"))
	if err != nil {
		return m, fmt.Errorf("open %s: %w", dbPath, err)
	}
	m.CreatedAt = time.Now().UTC()
	_, err = db.ExecContext(ctx, "VACUUM INTO ?", snap)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return m, fmt.Errorf("snapshot %s: %w", dbPath, err)
	}

	// Check the snapshot as the server would open it: its schema, its job queue, its chain.
	if err := describeSnapshot(ctx, snap, &m, log); err != nil {
		return m, err
	}
	files, err := backupFiles(staging)
	if err != nil {
		return m, err
	}
	m.Files = files

	if err := writeArchiveFile(archive, staging, m); err != nil {
		return m, err
	}
	var size int64
	if fi, err := os.Stat(archive); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(out, "backup written to %s (%d bytes)\n", archive, size)
	for _, f := range m.Files {
		fmt.Fprintf(out, "  %s  %d bytes  sha256 %s\n", f.Path, f.Size, f.SHA256)
	}
	fmt.Fprintf(out, "schema version %d, job queue schema version %d\n", m.SchemaVersion, m.JobQueueSchemaVersion)
	fmt.Fprintf(out, "audit chain verified: %d records\n", m.AuditRecords)
	return m, nil
}

// describeSnapshot fills the manifest's versions and audit count from the snapshot database,
// refusing one whose audit chain does not verify.
func describeSnapshot(ctx context.Context, snap string, m *Manifest, log *slog.Logger) error {
	db, err := sql.Open("sqlite", sqliteURI(snap))
	if err != nil {
		return err
	}
	err = db.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&m.SchemaVersion)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("read the schema version of the snapshot: %w", err)
	}
	if m.SchemaVersion != sqlite.SchemaVersion() {
		return fmt.Errorf("the database is at schema version %d but this quell knows version %d: "+
			"back it up with the quell binary that serves it", m.SchemaVersion, sqlite.SchemaVersion())
	}
	st, err := sqlite.Open(ctx, snap, sqlite.Options{Logger: log, ReaderConns: 1})
	if err != nil {
		return fmt.Errorf("open the snapshot: %w", err)
	}
	m.JobQueueSchemaVersion, err = jobs.SchemaVersion(ctx, st.WriterDB())
	var n int64
	var brk *audit.Break
	if err == nil {
		n, brk, err = verifyChain(ctx, st)
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("check the snapshot: %w", err)
	}
	if brk != nil {
		return fmt.Errorf("%w in the snapshot at record %d (%s): %s; no backup was written (run quell audit verify)",
			ErrAuditBroken, brk.Seq, brk.ID, brk.Reason)
	}
	m.AuditRecords = n
	// The snapshot must be one file: its log folded in when the last connection closed.
	if fi, err := os.Stat(snap + "-wal"); err == nil && fi.Size() > 0 {
		return errors.New("the snapshot's write-ahead log was not folded into it; no backup was written")
	}
	return nil
}

// backupFiles lists, with their sizes and checksums, the files of the staged data directory
// that the archive carries: the database snapshot today. Files that later versions keep in the
// data directory are added here.
func backupFiles(staging string) ([]ManifestFile, error) {
	var files []ManifestFile
	for _, rel := range []string{DatabaseFile} {
		f, err := hashFile(filepath.Join(staging, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		f.Path = rel
		files = append(files, f)
	}
	return files, nil
}

func hashFile(p string) (ManifestFile, error) {
	f, err := os.Open(p)
	if err != nil {
		return ManifestFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return ManifestFile{}, fmt.Errorf("read %s: %w", p, err)
	}
	return ManifestFile{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeArchiveFile writes the archive beside its final name, syncs it and then renames it, so
// that a backup that did not finish never looks like one that did.
func writeArchiveFile(archive, staging string, m Manifest) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(archive), ".quell-backup-*.partial")
	if err != nil {
		return fmt.Errorf("create %s: %w", archive, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if err := writeArchive(tmp, staging, m); err != nil {
		return fmt.Errorf("write %s: %w", archive, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", archive, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", archive, err)
	}
	if _, err := os.Lstat(archive); err == nil {
		return fmt.Errorf("%s exists already: name a new file", archive)
	}
	if err := os.Rename(tmp.Name(), archive); err != nil {
		return err
	}
	syncDir(filepath.Dir(archive))
	return nil
}

// writeArchive writes the manifest, then every file it lists from root.
func writeArchive(w io.Writer, root string, m Manifest) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	body = append(body, '\n')
	hdr := &tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(body)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(body); err != nil {
		return err
	}
	for _, f := range m.Files {
		if err := addFile(tw, filepath.Join(root, filepath.FromSlash(f.Path)), dataPrefix+f.Path, f.Size, m.CreatedAt); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func addFile(tw *tar.Writer, src, name string, size int64, at time.Time) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: at, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// RestoreOptions tune Restore.
type RestoreOptions struct {
	Logger *slog.Logger
	// Force lets Restore replace the database of a data directory that is not empty; it
	// never replaces one that a server has open.
	Force bool
}

// Restore brings a backup archive back into a new or empty data directory (or, with Force, a
// non-empty one whose database no server has open). Every file is checked against the
// manifest and the restored database's audit chain is verified before anything in the data
// directory is replaced.
func Restore(ctx context.Context, archive, dataDir string, out io.Writer, opts RestoreOptions) (_ Manifest, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dbPath := filepath.Join(dataDir, DatabaseFile)
	entries, err := os.ReadDir(dataDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := ensureDataDir(dataDir, log); err != nil {
			return Manifest{}, err
		}
		// Leave nothing behind when the restore fails.
		defer func() {
			if err != nil {
				os.RemoveAll(dataDir)
			}
		}()
	case err != nil:
		return Manifest{}, fmt.Errorf("data directory: %w", err)
	case len(entries) > 0:
		if _, serr := os.Stat(dbPath); serr == nil {
			// A database that cannot be opened at all (damaged) is checked again below.
			if err := checkNotInUse(ctx, dbPath); errors.Is(err, errInUse) {
				return Manifest{}, fmt.Errorf("%w; stop it before restoring", err)
			}
		}
		if !opts.Force {
			return Manifest{}, fmt.Errorf("data directory %s is not empty (%s): restore into a new or empty directory, "+
				"or pass --force to replace what the backup holds", dataDir, listNames(entries))
		}
	}

	f, err := os.Open(archive)
	if err != nil {
		return Manifest{}, err
	}
	defer f.Close()
	staging, err := os.MkdirTemp(dataDir, ".quell-restore-")
	if err != nil {
		return Manifest{}, err
	}
	defer os.RemoveAll(staging)
	m, err := extractArchive(f, archive, staging)
	if err != nil {
		return m, err
	}

	// The database as the server will open it (bringing an older schema up to date), and its
	// audit chain, before anything in the data directory changes.
	st, err := sqlite.Open(ctx, filepath.Join(staging, DatabaseFile), sqlite.Options{Logger: log, ReaderConns: 1})
	if err != nil {
		return m, fmt.Errorf("open the restored database: %w", err)
	}
	n, brk, err := verifyChain(ctx, st)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return m, err
	}
	if brk != nil {
		return m, fmt.Errorf("%w in the backup at record %d (%s): %s; nothing was restored", ErrAuditBroken, brk.Seq, brk.ID, brk.Reason)
	}
	if n != m.AuditRecords {
		return m, fmt.Errorf("%w: the backup's audit chain has %d records but its manifest says %d; nothing was restored",
			ErrAuditBroken, n, m.AuditRecords)
	}

	// Replace: hold the old database's lock (no server may open it meanwhile), move the new
	// files in, release.
	stale := []string{"-wal", "-shm"}
	if _, serr := os.Stat(dbPath); serr == nil {
		lock, err := lockDatabase(ctx, dbPath)
		switch {
		case errors.Is(err, errInUse):
			return m, fmt.Errorf("%w; stop it before restoring", err)
		case err != nil:
			// Damaged beyond opening: a server in WAL mode would have its shared memory file.
			if _, serr := os.Stat(dbPath + "-shm"); serr == nil {
				return m, fmt.Errorf("%w; cannot tell whether a server uses it: stop any, remove %s-shm and try again; "+
					"nothing was restored", err, dbPath)
			}
			log.Warn("replacing a database that cannot be opened", "path", dbPath, "err", err)
			stale = append(stale, "-journal")
		default:
			// Closing it (after the swap) removes its journal.
			defer lock.Close()
		}
	}
	// The old database's log must not be applied to the new one.
	for _, suffix := range stale {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return m, err
		}
	}
	for _, mf := range m.Files {
		dst := filepath.Join(dataDir, filepath.FromSlash(mf.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return m, err
		}
		if err := os.Rename(filepath.Join(staging, filepath.FromSlash(mf.Path)), dst); err != nil {
			return m, fmt.Errorf("put %s in place: %w", mf.Path, err)
		}
	}
	syncDir(dataDir)

	fmt.Fprintf(out, "restored %s (taken %s", archive, m.CreatedAt.Format(time.RFC3339))
	if m.QuellVersion != "" {
		fmt.Fprintf(out, " by quell %s", m.QuellVersion)
	}
	fmt.Fprintf(out, ") into %s\n", dataDir)
	for _, mf := range m.Files {
		fmt.Fprintf(out, "  %s  %d bytes  checksum OK\n", mf.Path, mf.Size)
	}
	fmt.Fprintf(out, "audit chain verified: %d records\n", n)
	return m, nil
}

// extractArchive reads the manifest and writes every file it lists into dir, checking each
// against the manifest. An entry that the manifest does not list, a file missing, or one whose
// size or checksum differ make it fail, naming the file.
func extractArchive(r io.Reader, archive, dir string) (Manifest, error) {
	var m Manifest
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s is not a usable Quell backup: %s; nothing was restored", archive, fmt.Sprintf(format, a...))
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return m, bad("not a gzip file (%v)", err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		return m, bad("no manifest (%v)", err)
	}
	if hdr.Name != manifestName || hdr.Size > maxManifestBytes {
		return m, bad("its first entry is %q, not %s", hdr.Name, manifestName)
	}
	body, err := io.ReadAll(tr)
	if err != nil {
		return m, bad("read the manifest: %v", err)
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return m, bad("manifest: %v", err)
	}
	switch {
	case m.Format != BackupFormat:
		return m, bad("manifest format is %q", m.Format)
	case m.Version < 1 || m.Version > BackupFormatVersion:
		return m, bad("format version %d; this quell reads up to version %d (restore with a newer quell)", m.Version, BackupFormatVersion)
	case m.Database != "sqlite":
		return m, bad("it holds a %q database; this restores SQLite backups", m.Database)
	case m.SchemaVersion > sqlite.SchemaVersion():
		return m, bad("its database is at schema version %d, newer than this quell knows (%d): restore with a newer quell",
			m.SchemaVersion, sqlite.SchemaVersion())
	}
	want := map[string]ManifestFile{}
	for _, f := range m.Files {
		if !safeRelPath(f.Path) {
			return m, bad("the manifest names an unsafe path %q", f.Path)
		}
		if _, dup := want[f.Path]; dup {
			return m, bad("the manifest names %s twice", f.Path)
		}
		want[f.Path] = f
	}
	if _, ok := want[DatabaseFile]; !ok {
		return m, bad("the manifest lists no %s", DatabaseFile)
	}
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, bad("%v", err)
		}
		rel, ok := strings.CutPrefix(hdr.Name, dataPrefix)
		mf, listed := want[rel]
		if !ok || !listed {
			return m, bad("%s is not listed in its manifest", hdr.Name)
		}
		if seen[rel] {
			return m, bad("%s appears twice", rel)
		}
		seen[rel] = true
		if hdr.Typeflag != tar.TypeReg {
			return m, bad("%s is not a regular file", rel)
		}
		if err := extractFile(tr, filepath.Join(dir, filepath.FromSlash(rel)), mf); err != nil {
			return m, bad("%s: %v", rel, err)
		}
	}
	// Reading to the end checks the gzip stream's own checksum.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return m, bad("%v", err)
	}
	var missing []string
	for p := range want {
		if !seen[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return m, bad("%s listed in its manifest but missing", strings.Join(missing, ", "))
	}
	return m, nil
}

func extractFile(r io.Reader, dst string, mf ManifestFile) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, mf.Size+1))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != mf.Size {
		return fmt.Errorf("%d bytes where the manifest says %d (the archive was altered or is damaged)", n, mf.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != mf.SHA256 {
		return fmt.Errorf("checksum %s does not match the manifest's %s (the archive was altered or is damaged)", got, mf.SHA256)
	}
	return nil
}

// safeRelPath accepts a clean relative path that stays inside the directory.
func safeRelPath(p string) bool {
	return p != "" && path.Clean(p) == p && !strings.Contains(p, `\`) && filepath.IsLocal(filepath.FromSlash(p))
}

func listNames(entries []fs.DirEntry) string {
	var names []string
	for i, e := range entries {
		if i == 3 {
			names = append(names, "…")
			break
		}
		names = append(names, e.Name())
	}
	return strings.Join(names, ", ")
}

// sqliteURI is a connection string for the database file at p with the given parameters.
func sqliteURI(p string, params ...string) string {
	u := url.URL{Path: p}
	s := "file:" + strings.ReplaceAll(u.EscapedPath(), "?", "%3F")
	if len(params) > 0 {
		s += "?" + strings.Join(params, "&")
	}
	return s
}

// errInUse says that a database is open elsewhere.
var errInUse = errors.New("is in use by a running Quell server or another program")

// checkNotInUse fails with errInUse when another connection has the database at p open: a
// server keeps its connections open for as long as it runs. It changes nothing.
func checkNotInUse(ctx context.Context, p string) error {
	db, err := exclusiveConn(p)
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n)
	return inUseErr(p, err)
}

// lockDatabase takes the database at p for itself until the returned handle is closed: no
// other connection can open it meanwhile. It fails with errInUse when another has it open. The
// database leaves WAL mode (its log is folded into it first); the server turns it on again.
func lockDatabase(ctx context.Context, p string) (*sql.DB, error) {
	db, err := exclusiveConn(p)
	if err != nil {
		return nil, err
	}
	var mode string
	err = db.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode)
	if err = inUseErr(p, err); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// exclusiveConn opens one connection in exclusive locking mode: in WAL mode it then needs
// every other connection to be closed, and keeps them out until it is.
func exclusiveConn(p string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", sqliteURI(p, "mode=rw", "_pragma=busy_timeout(2000)", "_pragma=locking_mode(EXCLUSIVE)"))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

func inUseErr(p string, err error) error {
	if err == nil {
		return nil
	}
	var se *msqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED) {
		return fmt.Errorf("%s %w", p, errInUse)
	}
	return fmt.Errorf("open %s: %w", p, err)
}

// syncDir makes a directory's entries (a rename) durable; failures are not fatal.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

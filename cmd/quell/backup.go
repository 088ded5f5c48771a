package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/app"
	"github.com/quell-ir/quell/internal/config"
)

// errPostgresBackup tells where backups of a PostgreSQL installation come from.
var errPostgresBackup = errors.New("the data lives in PostgreSQL (db is set): back it up with pg_dump -Fc and restore " +
	"it with pg_restore, as docs/operations.md describes; quell backup and quell restore handle SQLite data directories")

func backupCmd(e env) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Back up a data directory to one archive, while the server runs",
		Long: `Take a consistent snapshot of the data directory's database (SQLite's VACUUM INTO,
which works beside a running server and does not stop its writes), verify the
snapshot's audit chain, and write it with a manifest of checksums to a new
.tar.gz archive (mode 0600). Restore it with quell restore.

For an installation on PostgreSQL, use pg_dump instead (docs/operations.md).`,
		Example: `  quell backup --data /var/lib/quell --to /var/backups/quell-$(date +%F).tar.gz`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			if cfg.DB != "" {
				return errPostgresBackup
			}
			_, err = app.Backup(cmd.Context(), cfg.Data, to, e.stdout,
				app.BackupOptions{Logger: adminLogger(cfg, e), QuellVersion: version})
			return err
		},
	}
	config.RegisterFlags(cmd.Flags(), "data")
	cmd.Flags().StringVar(&to, "to", "", "archive file to write (.tar.gz); it must not exist")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func restoreCmd(e env) *cobra.Command {
	var (
		from  string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Restore a backup archive into a data directory",
		Long: `Check every file of a backup archive made by quell backup against its manifest's
checksums, verify the restored database's audit chain, and only then put the files
into the data directory: a new or empty one, or with --force one whose database is
replaced. A data directory that a running server uses is never touched: stop the
server first.`,
		Example: `  quell restore --from /var/backups/quell-2025-01-31.tar.gz --data /var/lib/quell`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			if cfg.DB != "" {
				return errPostgresBackup
			}
			_, err = app.Restore(cmd.Context(), from, cfg.Data, e.stdout,
				app.RestoreOptions{Logger: adminLogger(cfg, e), Force: force})
			return err
		},
	}
	config.RegisterFlags(cmd.Flags(), "data")
	cmd.Flags().StringVar(&from, "from", "", "backup archive to restore")
	cmd.Flags().BoolVar(&force, "force", false, "replace the database of a data directory that is not empty")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// migrateToPostgres runs quell migrate --from DIR --to URL.
func migrateToPostgres(cmd *cobra.Command, e env, cfg config.Config, from, to string) error {
	switch {
	case from == "":
		return errors.New("--to needs --from, the SQLite data directory to copy")
	case to == "":
		return errors.New("--from needs --to, the PostgreSQL database to copy into (postgres://user@host:5432/database)")
	case !strings.HasPrefix(to, "postgres://") && !strings.HasPrefix(to, "postgresql://"):
		return fmt.Errorf("--to %q is not a PostgreSQL URL (postgres://user@host:5432/database)", config.Config{DB: to}.RedactedDB())
	}
	return app.MigrateToPostgres(cmd.Context(), from, to, e.stdout,
		app.MigrateOptions{Logger: adminLogger(cfg, e), AllowUnsafeFsync: cfg.AllowUnsafeSync})
}

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/app"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/cli"
	"github.com/quell-ir/quell/internal/config"
)

// addServerCommands adds the verbs that run the server or work on its data directory.
func addServerCommands(root *cobra.Command, e env) {
	root.AddCommand(serveCmd(e), migrateCmd(e), benchCmd(e))
	root.AddCommand(backupCmd(e), restoreCmd(e))
	users := cli.UserCommand(root)
	if users == nil {
		users = group(root, "user", "Manage users")
	}
	users.AddCommand(userCreateCmd(e))
	group(root, "audit", "Read and verify the tamper-evident audit trail").AddCommand(auditVerifyCmd(e))
}

// group returns root's subcommand called name, adding an empty one if there is none.
func group(root *cobra.Command, name, short string) *cobra.Command {
	for _, c := range root.Commands() {
		if c.Name() == name {
			return c
		}
	}
	c := &cobra.Command{Use: name, Short: short}
	root.AddCommand(c)
	return c
}

// loadConfig reads the configuration of a server-side verb: file, environment, flags.
func loadConfig(cmd *cobra.Command, e env) (config.Config, error) {
	return config.Load(config.Sources{Getenv: e.getenv, Flags: cmd.Flags()})
}

// adminLogger logs warnings and errors of the admin verbs to stderr.
func adminLogger(cfg config.Config, e env) *slog.Logger {
	l := cfg.Log
	if l.Level == config.DefaultLogLevel {
		l.Level = "warn"
	}
	return app.NewLogger(l, e.stderr)
}

func serveCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Quell server",
		Long: `Run the Quell server: the JSON API, health and readiness checks, metrics and the job
workers, on the SQLite database in the data directory (created if missing).

Settings come from a YAML file (--config), then QUELL_* environment variables, then
flags; each overrides the one before. On the first start an admin account is created
with the password from --admin-password or QUELL_ADMIN_PASSWORD, or a generated one
that is printed once. SIGINT or SIGTERM stops the server gracefully: requests and
jobs in flight get --shutdown-timeout to finish.`,
		Example: `  quell serve
  quell serve --data /var/lib/quell --listen 0.0.0.0:8080 --log-format json
  QUELL_ADMIN_PASSWORD=… quell serve --config /etc/quell/quell.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("configuration:\n%w", err)
			}
			logger := app.NewLogger(cfg.Log, e.stderr)
			a, err := app.New(cfg, logger, app.WithStdout(e.stdout), app.WithVersion(version))
			if err != nil {
				return err
			}
			return a.Run(cmd.Context())
		},
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}

func migrateCmd(e env) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database in a data directory, or move it to PostgreSQL",
		Long: `Apply the database migrations the data directory's database lacks, Quell's own and
the job queue's, and print what was applied. quell serve does the same on start;
run this to upgrade ahead of a start or to prepare a data directory.

With --from and --to, copy the SQLite installation in the data directory --from into
the empty PostgreSQL database --to instead, in one transaction, and verify the audit
chain there. Stop the server first. See docs/operations.md.`,
		Example: `  quell migrate --data /var/lib/quell
  quell migrate --from /var/lib/quell --to 'postgres://quell@db.internal:5432/quell'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			if from != "" || to != "" {
				return migrateToPostgres(cmd, e, cfg, from, to)
			}
			return app.Migrate(cmd.Context(), cfg.Data, e.stdout, adminLogger(cfg, e))
		},
	}
	config.RegisterFlags(cmd.Flags(), "data")
	cmd.Flags().StringVar(&from, "from", "", "SQLite data directory to copy into PostgreSQL (with --to)")
	cmd.Flags().StringVar(&to, "to", "", "empty PostgreSQL database to copy into: postgres://user@host:5432/database (with --from)")
	return cmd
}

func userCreateCmd(e env) *cobra.Command {
	var (
		req           auth.NewUser
		role          string
		org           string
		password      string
		passwordStdin bool
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a user directly in a data directory (no server needed)",
		Long: `Create a user in the database of a data directory, without a running server: for
the first accounts, or to regain access. Use "quell user add" to create users
through a running server instead.`,
		Example: `  quell user create --data /var/lib/quell --username alice --role lead --password-stdin < pw.txt`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			switch {
			case passwordStdin && password != "":
				return errors.New("give --password or --password-stdin, not both")
			case passwordStdin:
				if req.Password, err = readLine(cmd.InOrStdin()); err != nil {
					return fmt.Errorf("read the password from stdin: %w", err)
				}
			case password != "":
				req.Password = password
			default:
				return errors.New("a password is needed: pass --password-stdin and write it to stdin (or --password)")
			}
			req.Role = access.Role(role)
			u, err := app.CreateUser(cmd.Context(), cfg.Data, org, req, adminLogger(cfg, e))
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "created user %s (%s) with role %s\n", u.Username, u.ID, req.Role)
			return nil
		},
	}
	f := cmd.Flags()
	config.RegisterFlags(f, "data")
	f.StringVar(&req.Username, "username", "", "user name (letters, digits and . _ @ -)")
	f.StringVar(&role, "role", string(access.RoleResponder), "role: admin, lead, responder or viewer")
	f.StringVar(&req.DisplayName, "display-name", "", "full name shown to others")
	f.StringVar(&req.Email, "email", "", "email address")
	f.StringVar(&org, "org", "", "organisation slug (default: the default organisation)")
	f.StringVar(&password, "password", "", "password (prefer --password-stdin: flags show in process lists)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	_ = cmd.MarkFlagRequired("username")
	return cmd
}

// readLine reads one line, without its line ending.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func auditVerifyCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify the audit chain of a data directory",
		Long: `Walk the audit chain of the data directory's database (or of the PostgreSQL database
--db names) from the first record and check
every record's hash and link. Prints "audit chain OK: N records", or the first record
that does not verify, and then exits with status 1.`,
		Example: "  quell audit verify --data /var/lib/quell",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			return app.VerifyAuditIn(cmd.Context(), cfg, e.stdout, adminLogger(cfg, e))
		},
	}
	config.RegisterFlags(cmd.Flags(), "data", "db")
	return cmd
}

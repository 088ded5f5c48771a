// Package cli holds the client verbs of the quell command line: login, incident, task, note,
// timeline, asset, user, token, audit and search. Every verb talks to a Quell server through
// its HTTP API (package apiclient); none touches the database.
//
// cmd/quell builds the command tree with NewRoot and runs it with Execute, which prints errors
// (the server's problem details, field by field) to stderr and returns the exit code:
//
//	root := cli.NewRoot(version, os.Stdout, os.Stderr)
//	root.AddCommand(serveCmd, migrateCmd)              // server-side verbs
//	cli.UserCommand(root).AddCommand(userCreateCmd)    // quell user create --data DIR
//	cli.AuditCommand(root).AddCommand(auditVerifyCmd)  // quell audit verify
//	os.Exit(cli.Execute(ctx, root))
//
// The `user` and `audit` groups are shared: their client verbs (user list, show, add, update,
// disable; audit list) live here, and UserCommand and AuditCommand return the groups so that
// server-side verbs (user create, audit verify) can join them. Verbs added from outside are free
// to use their own flags; the persistent flags --server, --token and --output are defined on
// the root and visible to them too.
//
// Where the server and token come from, first match wins: the --server and --token flags, the
// QUELL_SERVER and QUELL_TOKEN environment variables, then the file `quell login` writes
// (quell/config.json under the user's configuration directory, or the file QUELL_CONFIG names).
// The stored token is only sent to the server it was issued by.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/apiclient"
)

// deps are the process-wide things the commands use, replaced in tests.
type deps struct {
	getenv    func(string) string
	configDir func() (string, error)
	hostname  func() (string, error)
	now       func() time.Time
	console   console
}

// cli is the state shared by the commands of one root.
type cli struct {
	deps
	version        string
	stdout, stderr io.Writer

	// Global flags.
	server string
	token  string
	output outputFormat

	warnedEcho bool // the warning that a password will be visible was given
}

// NewRoot returns the root `quell` command with the client verbs. Output goes to stdout,
// messages and errors to stderr; input (passwords, note bodies) is read from the command's
// stdin (cmd.SetIn, os.Stdin by default).
func NewRoot(version string, stdout, stderr io.Writer) *cobra.Command {
	return newRoot(version, stdout, stderr, deps{
		getenv:    os.Getenv,
		configDir: os.UserConfigDir,
		hostname:  os.Hostname,
		now:       time.Now,
		console:   systemConsole{},
	})
}

func newRoot(version string, stdout, stderr io.Writer, d deps) *cobra.Command {
	c := &cli{deps: d, version: version, stdout: stdout, stderr: stderr, output: outputTable}
	root := &cobra.Command{
		Use:   "quell",
		Short: "Quell incident response: run the server and work incidents from the command line",
		Long: `quell runs the Quell server ("quell serve") and its admin verbs on a data
directory ("quell migrate", "quell user create", "quell audit verify").

As a client it talks to a Quell server: sign in once with "quell login --server URL",
then work incidents, tasks, notes, the timeline and assets from the shell.

Server and token come from --server/--token, else QUELL_SERVER/QUELL_TOKEN,
else the file written by "quell login".`,
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd.CommandPath(), err: err}
	})

	pf := root.PersistentFlags()
	pf.StringVar(&c.server, "server", "", "Quell server URL, such as https://quell.example.com (env QUELL_SERVER)")
	pf.StringVar(&c.token, "token", "", "API token (env QUELL_TOKEN); prefer the environment or quell login, as flags show in process lists")
	pf.VarP(&c.output, "output", "o", "output format: table or json")
	_ = root.RegisterFlagCompletionFunc("output", fixedCompletion([]string{"table", "json"}))

	root.AddCommand(
		c.loginCmd(), c.logoutCmd(),
		c.incidentCmd(), c.taskCmd(), c.noteCmd(), c.timelineCmd(), c.assetCmd(),
		c.userCmd(), c.tokenCmd(), c.auditCmd(), c.searchCmd(),
	)
	root.AddCommand(c.playbookCmd())
	return root
}

// UserCommand returns the `user` group of a root made by NewRoot, so that server-side user
// verbs (such as `user create --data DIR`) can be added next to the client ones. It returns
// nil if root has no such group.
func UserCommand(root *cobra.Command) *cobra.Command { return subcommand(root, "user") }

// AuditCommand returns the `audit` group of a root made by NewRoot, so that `audit verify`
// can be added next to `audit list`. It returns nil if root has no such group.
func AuditCommand(root *cobra.Command) *cobra.Command { return subcommand(root, "audit") }

func subcommand(root *cobra.Command, name string) *cobra.Command {
	for _, cmd := range root.Commands() {
		if cmd.Name() == name {
			return cmd
		}
	}
	return nil
}

// group returns a command that only holds subcommands: alone it prints its help, and an
// unknown subcommand is a usage error (cobra only checks that on the root).
func group(use, short string, aliases ...string) *cobra.Command {
	return &cobra.Command{
		Use:                        use,
		Aliases:                    aliases,
		Short:                      short,
		SuggestionsMinimumDistance: 2,
		Args: func(cmd *cobra.Command, a []string) error {
			if len(a) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", a[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(a[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return &usageError{cmd: cmd.CommandPath(), err: errors.New(msg)}
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
}

// Execute runs root with the process arguments (or those set with SetArgs), prints any error
// to root's stderr and returns the exit code: 0 on success, 2 for a command line that could
// not be understood, 1 for any other failure.
func Execute(ctx context.Context, root *cobra.Command) int {
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	if cmd == nil {
		cmd = root
	}
	w := root.ErrOrStderr()
	if isUsage(err) {
		fmt.Fprintf(w, "quell: %s\n", apiclient.Clean(err.Error()))
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return 2
	}
	fmt.Fprint(w, describeError(err))
	return 1
}

// usageError is a command line cobra could not parse.
type usageError struct {
	cmd string
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// isUsage reports whether err says the command line was wrong. Argument counts are checked by
// the args helpers below; unknown commands and missing required flags are reported by cobra.
func isUsage(err error) bool {
	var ue *usageError
	if errors.As(err, &ue) {
		return true
	}
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command ") || strings.HasPrefix(msg, "required flag(s) ")
}

// args wraps a cobra argument check so that its failure is reported as a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return &usageError{cmd: cmd.CommandPath(), err: err}
		}
		return nil
	}
}

// client returns an API client for the effective server and token.
func (c *cli) client() (*apiclient.Client, error) {
	server, token, err := c.credentials()
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, &setupError{msg: fmt.Sprintf("not logged in to %s", server),
			hint: "Run `quell login`, or set QUELL_TOKEN."}
	}
	return c.newClient(server, token)
}

func (c *cli) newClient(server, token string) (*apiclient.Client, error) {
	cl, err := apiclient.New(server, token, apiclient.WithVersion(c.version))
	if err != nil {
		return nil, &setupError{msg: err.Error(),
			hint: "Set the server with --server URL, QUELL_SERVER, or `quell login --server URL`."}
	}
	return cl, nil
}

// credentials resolves the server and token: flags, then environment, then the stored login.
// The stored token is used only for the server it was stored with.
func (c *cli) credentials() (server, token string, err error) {
	server = firstNonEmpty(c.server, c.getenv("QUELL_SERVER"))
	token = strings.TrimSpace(firstNonEmpty(c.token, c.getenv("QUELL_TOKEN")))
	if server != "" && token != "" {
		return normalizeServer(server), token, nil
	}
	stored, _, err := c.loadConfig()
	if err != nil {
		return "", "", err
	}
	if server == "" {
		server = stored.Server
	}
	if server == "" {
		return "", "", &setupError{msg: "no Quell server is configured",
			hint: "Run `quell login --server URL`, or set QUELL_SERVER (and QUELL_TOKEN)."}
	}
	server = normalizeServer(server)
	if token == "" && stored.Token != "" && sameServer(server, stored.Server) {
		token = stored.Token
	}
	return server, token, nil
}

func normalizeServer(s string) string { return strings.TrimRight(strings.TrimSpace(s), "/") }

func sameServer(a, b string) bool {
	return strings.EqualFold(normalizeServer(a), normalizeServer(b))
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// setupError is a problem with the local set-up (no server, no token), with a hint to fix it.
type setupError struct {
	msg, hint string
}

func (e *setupError) Error() string { return e.msg }

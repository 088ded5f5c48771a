package cli

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
)

func (c *cli) loginCmd() *cobra.Command {
	var (
		username      string
		org           string
		scope         string
		passwordStdin bool
		insecureStore bool
	)
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in to a Quell server and store the API token",
		Long: `Sign in to a Quell server and keep the server URL and an API token in
quell/config.json under your configuration directory (mode 0600).

Without --token, quell asks for your user name and password (the password is not
echoed) and exchanges them for a new API token. With --token, that token is
checked and stored as it is.`,
		Example: `  quell login --server https://quell.example.com
  quell login --server https://quell.example.com --username alice --password-stdin < pw.txt
  quell login --server https://quell.example.com --token "$QUELL_TOKEN"`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			server, err := c.loginServer()
			if err != nil {
				return err
			}
			if s := access.Scope(scope); s != "" && !s.Valid() {
				return &usageError{err: fmt.Errorf("--scope must be one of %v", access.Scopes)}
			}
			c.warnPlainHTTP(server)
			in := bufio.NewReader(cmd.InOrStdin())

			stored := storedLogin{Server: server, Token: strings.TrimSpace(c.token)}
			if stored.Token == "" {
				if username == "" {
					if username, err = c.prompt(in, "Username: "); err != nil {
						return fmt.Errorf("reading the user name: %w (or pass --username)", err)
					}
				}
				password, err := c.readPassword(cmd.InOrStdin(), in, passwordStdin)
				if err != nil {
					return err
				}
				anon, err := c.newClient(server, "")
				if err != nil {
					return err
				}
				host, _ := c.hostname()
				created, err := anon.CreateLoginToken(cmd.Context(), auth.TokenLoginRequest{
					LoginRequest: auth.LoginRequest{Username: username, Password: password, Org: org},
					Name:         strings.TrimSpace("quell-cli " + host),
					Scope:        access.Scope(scope),
				})
				if err != nil {
					return err
				}
				stored.Token, stored.TokenID, stored.Username = created.Secret, created.ID, username
			}

			cl, err := c.newClient(server, stored.Token)
			if err != nil {
				return err
			}
			me, err := cl.Me(cmd.Context())
			if err != nil {
				return err
			}
			if stored.Username == "" {
				stored.Username = me.User.Username
			}
			path, err := c.saveConfig(stored, insecureStore)
			if err != nil {
				return err
			}
			who := oneLine(me.User.Username)
			if me.MultiOrg && me.OrgSlug != "" {
				who += " in " + oneLine(me.OrgSlug)
			}
			fmt.Fprintf(c.stdout, "Logged in to %s as %s (%s).\n", server, who, oneLine(string(me.Role)))
			fmt.Fprintf(c.stderr, "Token stored in %s.\n", path)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&username, "username", "", "user name (asked for when not given)")
	f.StringVar(&org, "org", "", "organisation slug, for users in several")
	f.StringVar(&scope, "scope", "", "scope of the new token: read, write or admin (default: the server's)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	f.BoolVar(&insecureStore, "insecure-store", false, "keep the token even if the file cannot be restricted to mode 0600")
	_ = cmd.RegisterFlagCompletionFunc("scope", enumCompletion(access.Scopes))
	return cmd
}

func (c *cli) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke the token login created and forget it",
		Long: `Remove the stored login. When the token was created by "quell login", it is
revoked on the server first; if that fails, the token is still forgotten locally
and a warning says so.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			stored, _, err := c.loadConfig()
			if err != nil {
				return err
			}
			if stored.Token != "" && stored.TokenID != "" {
				cl, err := c.newClient(stored.Server, stored.Token)
				if err == nil {
					err = cl.RevokeToken(cmd.Context(), stored.TokenID)
				}
				if err != nil {
					fmt.Fprintf(c.stderr, "warning: could not revoke token %s on %s; it stays valid until revoked (quell token revoke %s):\n%s",
						stored.TokenID, stored.Server, stored.TokenID, describeError(err))
				}
			}
			removed, err := c.removeConfig()
			if err != nil {
				return err
			}
			if !removed {
				fmt.Fprintln(c.stdout, "Not logged in.")
				return nil
			}
			fmt.Fprintf(c.stdout, "Logged out of %s.\n", stored.Server)
			return nil
		},
	}
}

// loginServer is the server to log in to: --server, QUELL_SERVER, or the stored one.
func (c *cli) loginServer() (string, error) {
	server := firstNonEmpty(c.server, c.getenv("QUELL_SERVER"))
	if server == "" {
		stored, _, err := c.loadConfig()
		if err != nil {
			return "", err
		}
		server = stored.Server
	}
	if server == "" {
		return "", &setupError{msg: "which server? pass --server URL, such as --server https://quell.example.com"}
	}
	return normalizeServer(server), nil
}

// warnPlainHTTP warns before credentials go over plain HTTP to another machine.
func (c *cli) warnPlainHTTP(server string) {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "http" {
		return
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return
	}
	fmt.Fprintf(c.stderr, "warning: %s is plain http: the password and the token cross the network unencrypted\n", server)
}

// prompt asks for one line on stderr and reads it.
func (c *cli) prompt(in *bufio.Reader, question string) (string, error) {
	fmt.Fprint(c.stderr, question)
	line, err := readLineFrom(in)
	return strings.TrimSpace(line), err
}

// readPassword reads a password: the first line of stdin with --password-stdin, without echo
// from a terminal, else (where echo cannot be turned off) a visible line after a warning.
func (c *cli) readPassword(stdin io.Reader, in *bufio.Reader, fromStdin bool) (string, error) {
	var (
		pw  string
		err error
	)
	switch {
	case fromStdin:
		pw, err = readLineFrom(in)
	case c.console.IsTerminal(stdin):
		fmt.Fprint(c.stderr, "Password: ")
		pw, err = c.console.ReadPassword(stdin)
		fmt.Fprintln(c.stderr)
	default:
		if !c.warnedEcho {
			fmt.Fprintln(c.stderr, "warning: cannot hide the password as it is typed here; use --password-stdin to pipe it in")
			c.warnedEcho = true
		}
		fmt.Fprint(c.stderr, "Password: ")
		if pw, err = readLineFrom(in); err != nil {
			fmt.Fprintln(c.stderr)
		}
	}
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	if pw == "" {
		return "", &usageError{err: fmt.Errorf("the password is empty")}
	}
	return pw, nil
}

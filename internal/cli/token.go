package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
)

func (c *cli) tokenCmd() *cobra.Command {
	cmd := group("token", "Manage your API tokens (for scripts and integrations)", "tokens")
	cmd.AddCommand(c.tokenListCmd(), c.tokenCreateCmd(), c.tokenRevokeCmd())
	return cmd
}

func (c *cli) tokenListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List your API tokens",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			tokens, err := cl.ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			return c.show(nonNil(tokens), func(w io.Writer) {
				t := newTable(w, "ID", "NAME", "SCOPE", "PREFIX", "CREATED", "EXPIRES", "LAST USED", "STATE")
				now := c.now()
				for _, tok := range tokens {
					state := "active"
					switch {
					case tok.RevokedAt != nil:
						state = "revoked"
					case !tok.Active(now):
						state = "expired"
					}
					t.row(tok.ID, tok.Name, string(tok.Scope), tok.Prefix, fmtTime(tok.CreatedAt),
						fmtTimePtr(tok.ExpiresAt), fmtTimePtr(tok.LastUsedAt), state)
				}
				t.flush()
			})
		},
	}
}

func (c *cli) tokenCreateCmd() *cobra.Command {
	var (
		req   auth.NewToken
		scope string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an API token; its secret is shown once",
		Example: `  quell token create --name "siem integration" --scope write --expires-days 90
  export QUELL_TOKEN=$(quell token create --name ci --scope read -o json | jq -r .secret)`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if req.Scope, err = checkEnum("scope", scope, access.Scopes); err != nil {
				return err
			}
			if req.ExpiresInDays < 0 {
				return &usageError{err: fmt.Errorf("--expires-days must not be negative")}
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			tok, err := cl.CreateToken(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.stderr, "This is the only time the token's secret is shown: store it now (a password manager, a secret store).")
			return c.show(tok, func(w io.Writer) {
				fmt.Fprintf(w, "Created token %s (%s, scope %s", tok.ID, oneLine(tok.Name), tok.Scope)
				if tok.ExpiresAt != nil {
					fmt.Fprintf(w, ", expires %s", fmtTime(*tok.ExpiresAt))
				}
				fmt.Fprintf(w, "):\n%s\n", tok.Secret)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Name, "name", "", "what the token is for (required)")
	f.StringVar(&scope, "scope", "", "read, write or admin (required); the token never exceeds your role")
	f.IntVar(&req.ExpiresInDays, "expires-days", 0, "days until it expires (default: the server's)")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("scope")
	enumFlag(cmd, "scope", access.Scopes)
	return cmd
}

func (c *cli) tokenRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "revoke ID",
		Short:   "Revoke an API token at once",
		Example: "  quell token revoke 01JQ4S7Y3K",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			if err := cl.RevokeToken(cmd.Context(), a[0]); err != nil {
				return fmt.Errorf("token %s: %w", a[0], err)
			}
			if c.output == outputJSON {
				return writeJSON(c.stdout, map[string]string{"id": a[0], "status": "revoked"})
			}
			fmt.Fprintf(c.stdout, "Revoked token %s.\n", a[0])
			return nil
		},
	}
}

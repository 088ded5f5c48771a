package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
)

func (c *cli) userCmd() *cobra.Command {
	cmd := group("user", "Manage the users of your organisation", "users")
	cmd.AddCommand(c.userListCmd(), c.userShowCmd(), c.userAddCmd(), c.userUpdateCmd(), c.userDisableCmd())
	return cmd
}

func (c *cli) userListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the members of your organisation and their roles",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			members, err := cl.ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			return c.show(nonNil(members), func(w io.Writer) {
				t := newTable(w, "USERNAME", "ROLE", "ID")
				for _, m := range members {
					t.row(m.Username, string(m.Role), m.UserID)
				}
				t.flush()
			})
		},
	}
}

func (c *cli) userShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "show USER",
		Short:   "Show a user, by user name or id",
		Example: "  quell user show alice",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			u, err := cl.GetUser(cmd.Context(), a[0])
			if err != nil {
				return fmt.Errorf("user %s: %w", a[0], err)
			}
			return c.show(u, func(w io.Writer) {
				field(w, "Username", u.Username)
				field(w, "Role", string(u.Role))
				field(w, "Name", u.DisplayName)
				field(w, "Email", u.Email)
				field(w, "Disabled", yesNo(u.Disabled))
				field(w, "Last login", fmtTimePtr(u.LastLoginAt))
				field(w, "Created", fmtTime(u.CreatedAt))
				field(w, "ID", u.ID)
			})
		},
	}
}

func (c *cli) userAddCmd() *cobra.Command {
	var (
		req           auth.NewUser
		role          string
		passwordStdin bool
	)
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Create a user in your organisation",
		Long: `Create a user with a role in your organisation. The password is asked for twice
(not echoed), or read from the first line of stdin with --password-stdin.`,
		Example: `  quell user add --username bob --role responder --display-name "Bob Martin" --email bob@example.com`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if req.Role, err = checkEnum("role", role, access.Roles); err != nil {
				return err
			}
			if req.Password, err = c.newPassword(cmd, passwordStdin); err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			u, err := cl.CreateUser(cmd.Context(), req)
			if err != nil {
				return err
			}
			return c.show(u, func(w io.Writer) {
				fmt.Fprintf(w, "Created user %s (%s) as %s.\n", oneLine(u.Username), u.ID, req.Role)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Username, "username", "", "user name (required)")
	f.StringVar(&role, "role", "", "role in the organisation: "+strings.Join(strs(access.Roles), ", ")+" (required)")
	f.StringVar(&req.DisplayName, "display-name", "", "full name")
	f.StringVar(&req.Email, "email", "", "e-mail address")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	_ = cmd.MarkFlagRequired("username")
	_ = cmd.MarkFlagRequired("role")
	enumFlag(cmd, "role", access.Roles)
	return cmd
}

// newPassword reads a new password: from stdin with fromStdin, else typed twice.
func (c *cli) newPassword(cmd *cobra.Command, fromStdin bool) (string, error) {
	in := bufio.NewReader(cmd.InOrStdin())
	pw, err := c.readPassword(cmd.InOrStdin(), in, fromStdin)
	if err != nil || fromStdin {
		return pw, err
	}
	fmt.Fprint(c.stderr, "Again, to confirm. ")
	again, err := c.readPassword(cmd.InOrStdin(), in, false)
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", &usageError{err: fmt.Errorf("the two passwords differ")}
	}
	return pw, nil
}

func (c *cli) userUpdateCmd() *cobra.Command {
	var (
		p                  auth.UserPatch
		name, email, role  string
		disabled, password bool
	)
	cmd := &cobra.Command{
		Use:   "update USER",
		Short: "Change a user's name, e-mail, role, password or state",
		Example: `  quell user update bob --role lead
  quell user update bob --password --password-stdin < new.txt`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			fl := cmd.Flags()
			if !anyChanged(fl, "display-name", "email", "role", "disabled", "password") {
				return &usageError{err: fmt.Errorf("nothing to change: pass at least one of --display-name, --email, --role, --disabled, --password")}
			}
			if fl.Changed("display-name") {
				p.DisplayName = &name
			}
			if fl.Changed("email") {
				p.Email = &email
			}
			if fl.Changed("disabled") {
				p.Disabled = &disabled
			}
			if fl.Changed("role") {
				r, err := checkEnum("role", role, access.Roles)
				if err != nil {
					return err
				}
				p.Role = &r
			}
			if password {
				fromStdin, _ := fl.GetBool("password-stdin")
				pw, err := c.newPassword(cmd, fromStdin)
				if err != nil {
					return err
				}
				p.Password = &pw
			}
			return c.updateUser(cmd, a[0], p)
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "display-name", "", "full name")
	f.StringVar(&email, "email", "", "e-mail address")
	f.StringVar(&role, "role", "", "role in your organisation")
	f.BoolVar(&disabled, "disabled", false, "disable (--disabled=false to enable) the user")
	f.BoolVar(&password, "password", false, "set a new password (asked for, or --password-stdin)")
	f.Bool("password-stdin", false, "with --password, read it from the first line of stdin")
	enumFlag(cmd, "role", access.Roles)
	return cmd
}

func (c *cli) userDisableCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "disable USER",
		Short: "Disable a user: they can no longer sign in or use their tokens",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			yes := true
			return c.updateUser(cmd, a[0], auth.UserPatch{Disabled: &yes})
		},
	}
}

// updateUser reads the user, then changes it if nobody else did in between.
func (c *cli) updateUser(cmd *cobra.Command, name string, p auth.UserPatch) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	cur, err := cl.GetUser(cmd.Context(), name)
	if err != nil {
		return fmt.Errorf("user %s: %w", name, err)
	}
	u, err := cl.UpdateUser(cmd.Context(), cur.ID, p, cur.Version)
	if err != nil {
		return fmt.Errorf("user %s: %w", name, err)
	}
	return c.show(u, func(w io.Writer) {
		state := ""
		if u.Disabled {
			state = " (disabled)"
		}
		fmt.Fprintf(w, "Updated user %s%s.\n", oneLine(u.Username), state)
	})
}

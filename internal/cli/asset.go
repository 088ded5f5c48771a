package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/apiclient"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/store"
)

func (c *cli) assetCmd() *cobra.Command {
	cmd := group("asset", "Keep the asset inventory and link assets to incidents", "assets")
	cmd.AddCommand(c.assetListCmd(), c.assetAddCmd(), c.assetShowCmd(), c.assetUpdateCmd(),
		c.assetLinkCmd(), c.assetUnlinkCmd())
	return cmd
}

func (c *cli) assetListCmd() *cobra.Command {
	var (
		q    apiclient.AssetQuery
		kind string
		all  bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the inventory",
		Example: "  quell asset list --kind host --query fs",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if q.Kind, err = checkEnum("kind", kind, asset.Kinds); err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			page, err := listPages(cmd.Context(), all, q.Cursor, func(ctx context.Context, cursor string) (store.Page[asset.Asset], error) {
				q.Cursor = cursor
				return cl.ListAssets(ctx, q)
			})
			if err != nil {
				return err
			}
			return printPage(c, page, func(w io.Writer) {
				t := newTable(w, "ID", "KIND", "NAME", "CRIT", "OWNER", "IDENTIFIERS")
				for _, a := range page.Items {
					t.row(a.ID, string(a.Kind), a.Name, fmt.Sprint(a.Criticality), a.Owner, truncate(identifiers(a.Identifiers), 60))
				}
				t.flush()
			})
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "only this kind")
	cmd.Flags().StringVarP(&q.Query, "query", "q", "", "match name, owner or identifier (prefix)")
	addPageFlags(cmd, &q.ListOptions, &all)
	enumFlag(cmd, "kind", asset.Kinds)
	return cmd
}

func identifiers(ids []asset.Identifier) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = string(id.Type) + "=" + id.Value
	}
	return strings.Join(parts, ", ")
}

// parseIdentifiers reads --id type=value flags.
func parseIdentifiers(flags []string) ([]asset.Identifier, error) {
	var out []asset.Identifier
	for _, f := range flags {
		typ, value, ok := strings.Cut(f, "=")
		if !ok || value == "" {
			return nil, &usageError{err: fmt.Errorf("--id %q: use type=value, such as ip=10.0.0.5", f)}
		}
		t, err := checkEnum("id", typ, asset.IdentifierTypes)
		if err != nil {
			return nil, err
		}
		out = append(out, asset.Identifier{Type: t, Value: value})
	}
	return out, nil
}

// assetFlags are the fields shared by add and update.
type assetFlags struct {
	kind, name, description, owner, class string
	criticality                           int
	personal                              bool
	ids                                   []string
}

func (af *assetFlags) register(cmd *cobra.Command, update bool) {
	f := cmd.Flags()
	f.StringVar(&af.kind, "kind", "", "kind: "+strings.Join(strs(asset.Kinds), ", "))
	f.StringVar(&af.name, "name", "", "name, such as a host name")
	f.StringVar(&af.description, "description", "", "description")
	f.StringVar(&af.owner, "owner", "", "owner (team or person)")
	f.StringVar(&af.class, "classification", "", "data classification: "+strings.Join(strs(asset.Classifications), ", "))
	f.IntVar(&af.criticality, "criticality", 2, "1 (lab box) to 4 (crown jewel)")
	f.BoolVar(&af.personal, "personal-data", false, "it holds personal data")
	idHelp := "identifier as type=value, such as ip=10.0.0.5 (repeat for several)"
	if update {
		idHelp = "replace the identifiers with these type=value pairs (repeat for several)"
	}
	f.StringArrayVar(&af.ids, "id", nil, idHelp)
	enumFlag(cmd, "kind", asset.Kinds)
	enumFlag(cmd, "classification", asset.Classifications)
	_ = cmd.RegisterFlagCompletionFunc("id", fixedCompletion(suffixed(strs(asset.IdentifierTypes), "=")))
}

func suffixed(vs []string, suffix string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v + suffix
	}
	return out
}

func (c *cli) assetAddCmd() *cobra.Command {
	var af assetFlags
	cmd := &cobra.Command{
		Use:     "add",
		Short:   "Add an asset to the inventory",
		Example: "  quell asset add --kind host --name fs01 --criticality 4 --owner infra --id ip=10.0.0.5 --id fqdn=fs01.corp.example",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := casework.NewAsset{Name: af.name, Description: af.description, Owner: af.owner,
				Criticality: af.criticality, PersonalData: af.personal}
			var err error
			if req.Kind, err = checkEnum("kind", af.kind, asset.Kinds); err != nil {
				return err
			}
			if req.DataClassification, err = checkEnum("classification", af.class, asset.Classifications); err != nil {
				return err
			}
			if req.Identifiers, err = parseIdentifiers(af.ids); err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			a, err := cl.CreateAsset(cmd.Context(), req)
			if err != nil {
				return err
			}
			return c.show(a, func(w io.Writer) { fmt.Fprintf(w, "Added asset %s: %s (%s).\n", a.ID, oneLine(a.Name), a.Kind) })
		},
	}
	af.register(cmd, false)
	_ = cmd.MarkFlagRequired("kind")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (c *cli) assetShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Short:   "Show an asset and the incidents it was part of",
		Example: "  quell asset show 01JQ4S7Y3K",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			as, err := cl.GetAsset(cmd.Context(), a[0])
			if err != nil {
				return fmt.Errorf("asset %s: %w", a[0], err)
			}
			links, err := cl.ListAssetIncidents(cmd.Context(), as.ID)
			if err != nil {
				return fmt.Errorf("asset %s: %w", a[0], err)
			}
			out := struct {
				asset.Asset
				Incidents []asset.Link `json:"incidents"`
			}{as, nonNil(links)}
			return c.show(out, func(w io.Writer) {
				fmt.Fprintf(w, "%s  %s\n\n", as.ID, oneLine(as.Name))
				field(w, "Kind", string(as.Kind))
				field(w, "Criticality", fmt.Sprint(as.Criticality))
				field(w, "Owner", as.Owner)
				field(w, "Classification", string(as.DataClassification))
				field(w, "Personal data", yesNo(as.PersonalData))
				field(w, "Identifiers", identifiers(as.Identifiers))
				field(w, "Description", as.Description)
				field(w, "Updated", fmtTime(as.UpdatedAt))
				field(w, "Version", fmt.Sprint(as.Version))
				if len(links) == 0 {
					fmt.Fprintln(w, "\nNot part of any incident.")
					return
				}
				fmt.Fprintln(w, "\nIncidents:")
				t := newSubTable(w, "INCIDENT", "STATUS", "UPDATED", "NOTE")
				for _, l := range links {
					t.row(firstNonEmpty(l.IncidentKey, l.IncidentID), string(l.Status), fmtTime(l.UpdatedAt), l.Note)
				}
				t.flush()
			})
		},
	}
}

func (c *cli) assetUpdateCmd() *cobra.Command {
	var af assetFlags
	cmd := &cobra.Command{
		Use:     "update ID",
		Short:   "Change an asset",
		Example: "  quell asset update 01JQ4S7Y3K --criticality 3 --owner platform",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			fl := cmd.Flags()
			if !anyChanged(fl, "kind", "name", "description", "owner", "classification", "criticality", "personal-data", "id") {
				return &usageError{err: fmt.Errorf("nothing to change: pass at least one of --kind, --name, --description, --owner, --classification, --criticality, --personal-data, --id")}
			}
			var p casework.AssetPatch
			if fl.Changed("kind") {
				k, err := checkEnum("kind", af.kind, asset.Kinds)
				if err != nil {
					return err
				}
				p.Kind = &k
			}
			if fl.Changed("classification") {
				cl, err := checkEnum("classification", af.class, asset.Classifications)
				if err != nil {
					return err
				}
				p.DataClassification = &cl
			}
			if fl.Changed("id") {
				ids, err := parseIdentifiers(af.ids)
				if err != nil {
					return err
				}
				p.Identifiers = &ids
			}
			if fl.Changed("name") {
				p.Name = &af.name
			}
			if fl.Changed("description") {
				p.Description = &af.description
			}
			if fl.Changed("owner") {
				p.Owner = &af.owner
			}
			if fl.Changed("criticality") {
				p.Criticality = &af.criticality
			}
			if fl.Changed("personal-data") {
				p.PersonalData = &af.personal
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			cur, err := cl.GetAsset(cmd.Context(), a[0])
			if err != nil {
				return fmt.Errorf("asset %s: %w", a[0], err)
			}
			as, err := cl.UpdateAsset(cmd.Context(), cur.ID, p, cur.Version)
			if err != nil {
				return fmt.Errorf("asset %s: %w", a[0], err)
			}
			return c.show(as, func(w io.Writer) { fmt.Fprintf(w, "Updated asset %s (version %d).\n", as.ID, as.Version) })
		},
	}
	af.register(cmd, true)
	return cmd
}

func (c *cli) assetLinkCmd() *cobra.Command {
	var req casework.LinkRequest
	var status string
	cmd := &cobra.Command{
		Use:   "link KEY ASSET",
		Short: "Link an asset to an incident, or change its status there",
		Long: `Link an asset to an incident with a status, or change the status of a linked
asset. Statuses: ` + strings.Join(strs(asset.LinkStatuses), ", ") + ".",
		Example: `  quell asset link INC-42 01JQ4S7Y3K --status compromised
  quell asset link INC-42 01JQ4S7Y3K --status contained --note "isolated by EDR"`,
		Args: args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var err error
			if req.Status, err = checkEnum("status", status, asset.LinkStatuses); err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			l, err := cl.LinkAsset(cmd.Context(), a[0], a[1], req)
			if err != nil {
				return fmt.Errorf("%s: %w", a[0], err)
			}
			return c.show(l, func(w io.Writer) {
				fmt.Fprintf(w, "%s: asset %s is %s.\n", a[0], oneLine(firstNonEmpty(l.AssetName, l.AssetID)), l.Status)
			})
		},
	}
	cmd.Flags().StringVar(&status, "status", string(asset.LinkSuspected), "status of the asset in the incident")
	cmd.Flags().StringVar(&req.Note, "note", "", "why")
	enumFlag(cmd, "status", asset.LinkStatuses)
	return cmd
}

func (c *cli) assetUnlinkCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "unlink KEY ASSET",
		Short:   "Remove an asset from an incident",
		Example: "  quell asset unlink INC-42 01JQ4S7Y3K",
		Args:    args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			if err := cl.UnlinkAsset(cmd.Context(), a[0], a[1]); err != nil {
				return fmt.Errorf("%s: %w", a[0], err)
			}
			if c.output == outputJSON {
				return writeJSON(c.stdout, map[string]string{"incident": a[0], "asset": a[1], "status": "unlinked"})
			}
			fmt.Fprintf(c.stdout, "%s: asset %s unlinked.\n", a[0], a[1])
			return nil
		},
	}
}

package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/apiclient"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/store"
)

func (c *cli) auditCmd() *cobra.Command {
	cmd := group("audit", "Read the tamper-evident audit trail")
	var (
		q   apiclient.AuditQuery
		all bool
	)
	list := &cobra.Command{
		Use:     "list",
		Short:   "List audit records, oldest first",
		Example: "  quell audit list --incident INC-42 --all",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			start := ""
			if q.After > 0 {
				start = fmt.Sprint(q.After)
			}
			page, err := listPages(cmd.Context(), all, start, func(ctx context.Context, cursor string) (store.Page[audit.Record], error) {
				after, err := apiclient.NextAfter(cursor)
				if err != nil {
					return store.Page[audit.Record]{}, err
				}
				q.After = after
				return cl.ListAudit(ctx, q)
			})
			if err != nil {
				return err
			}
			return printPageFrom(c, page, "--after", func(w io.Writer) {
				t := newTable(w, "SEQ", "AT", "ACTOR", "ACTION", "OBJECT", "INCIDENT")
				for _, r := range page.Items {
					t.row(fmt.Sprint(r.Seq), fmtTime(r.At), r.Actor, r.Action, r.ObjectType+":"+r.ObjectID, r.IncidentID)
				}
				t.flush()
			})
		},
	}
	f := list.Flags()
	f.StringVar(&q.Incident, "incident", "", "only the records of this incident")
	f.Int64Var(&q.After, "after", 0, "only records after this sequence number (the \"next\" of an earlier page)")
	f.IntVar(&q.Limit, "limit", 0, "page size (default: the server's)")
	f.BoolVar(&all, "all", false, "follow the pages to the end")
	cmd.AddCommand(list)
	return cmd
}

func (c *cli) searchCmd() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "search QUERY...",
		Short: "Search incidents, tasks, notes and timelines",
		Example: `  quell search mimikatz
  quell search "203.0.113.7" --limit 50`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			hits, err := cl.Search(cmd.Context(), strings.Join(a, " "), limit)
			if err != nil {
				return err
			}
			return c.show(nonNil(hits), func(w io.Writer) {
				if len(hits) == 0 {
					fmt.Fprintln(w, "No matches.")
					return
				}
				t := newTable(w, "INCIDENT", "KIND", "TITLE", "SNIPPET")
				for _, h := range hits {
					t.row(h.IncidentKey, h.Kind, truncate(oneLine(h.Title), 50), truncate(oneLine(h.Snippet), 80))
				}
				t.flush()
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "most hits to show (default: the server's)")
	return cmd
}

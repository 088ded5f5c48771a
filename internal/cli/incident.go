package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/apiclient"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

func (c *cli) incidentCmd() *cobra.Command {
	cmd := group("incident", "Open, list, show and move incidents through their phases", "incidents", "inc")
	cmd.AddCommand(c.incidentCreateCmd(), c.incidentListCmd(), c.incidentShowCmd(), c.incidentUpdateCmd(),
		c.incidentPhaseCmd(), c.incidentAssignCmd(), c.incidentCloseCmd())
	return cmd
}

func (c *cli) incidentCreateCmd() *cobra.Command {
	var (
		req           casework.NewIncident
		sev, typ, tlp string
		fields        []string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Open an incident",
		Example: `  quell incident create --title "Ransomware on FS01" --severity critical --type ransomware \
    --tag fileserver --tlp amber --field ticket=CHG-1234`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if req.Severity, err = checkEnum("severity", sev, incident.Severities); err != nil {
				return err
			}
			if req.Type, err = checkEnum("type", typ, incident.Types); err != nil {
				return err
			}
			if req.TLP, err = checkEnum("tlp", tlp, incident.TLPs); err != nil {
				return err
			}
			if req.CustomFields, err = parseFields(fields, nil); err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			d, err := cl.CreateIncident(cmd.Context(), req)
			if err != nil {
				return err
			}
			return c.show(d, func(w io.Writer) {
				fmt.Fprintf(w, "Created %s: %s (%s, %s, phase %s)\n", d.Key, oneLine(d.Title), d.Severity, d.Priority, d.Phase)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Title, "title", "", "what happened, in a line (required)")
	f.StringVar(&sev, "severity", "", "severity: "+strings.Join(strs(incident.Severities), ", ")+" (required)")
	f.StringVar(&typ, "type", "", "incident type: "+strings.Join(strs(incident.Types), ", "))
	f.StringVar(&req.Summary, "summary", "", "longer description (Markdown)")
	f.StringVar(&tlp, "tlp", "", "TLP label: "+strings.Join(strs(incident.TLPs), ", "))
	f.StringArrayVar(&req.Tags, "tag", nil, "tag (repeat for several)")
	f.BoolVar(&req.Restricted, "restricted", false, "need-to-know: only members and admins see it")
	f.StringArrayVar(&fields, "field", nil, "custom field as name=value (repeat for several)")
	_ = cmd.MarkFlagRequired("title")
	_ = cmd.MarkFlagRequired("severity")
	enumFlag(cmd, "severity", incident.Severities)
	enumFlag(cmd, "type", incident.Types)
	enumFlag(cmd, "tlp", incident.TLPs)
	return cmd
}

func (c *cli) incidentListCmd() *cobra.Command {
	var (
		q                   apiclient.IncidentQuery
		phases, sevs, types []string
		status              string
		all                 bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incidents, open ones by default",
		Example: `  quell incident list
  quell incident list --severity critical,high --phase containment --assignee me
  quell incident list --status all --query mimikatz --all -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if q.Phases, err = checkEnums("phase", phases, incident.Phases); err != nil {
				return err
			}
			if q.Severities, err = checkEnums("severity", sevs, incident.Severities); err != nil {
				return err
			}
			if q.Types, err = checkEnums("type", types, incident.Types); err != nil {
				return err
			}
			switch status {
			case "open", "closed":
				q.Status = status
			case "all", "":
				q.Status = ""
			default:
				return &usageError{err: fmt.Errorf("--status %q: must be open, closed or all", status)}
			}
			if _, err := checkEnum("sort", q.Sort, sortOrders); err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			page, err := listPages(cmd.Context(), all, q.Cursor, func(ctx context.Context, cursor string) (store.Page[incident.Incident], error) {
				q.Cursor = cursor
				return cl.ListIncidents(ctx, q)
			})
			if err != nil {
				return err
			}
			return printPage(c, page, func(w io.Writer) {
				t := newTable(w, "KEY", "SEV", "PRI", "PHASE", "TYPE", "TITLE", "AGE")
				for _, inc := range page.Items {
					t.row(inc.Key, string(inc.Severity), string(inc.Priority), string(inc.Phase), string(inc.Type),
						truncate(oneLine(inc.Title), 60), age(c.now(), inc.CreatedAt))
				}
				t.flush()
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&phases, "phase", nil, "only these phases (comma-separated or repeated)")
	f.StringSliceVar(&sevs, "severity", nil, "only these severities")
	f.StringSliceVar(&types, "type", nil, "only these types")
	f.StringVar(&q.Assignee, "assignee", "", `only incidents where this user (or "me") holds a role or a task`)
	f.StringVar(&q.Tag, "tag", "", "only incidents with this tag")
	f.StringVar(&status, "status", "open", "open, closed or all")
	f.StringVarP(&q.Query, "query", "q", "", "full-text search")
	f.StringVar(&q.Sort, "sort", "", "order: created, updated, severity or priority")
	addPageFlags(cmd, &q.ListOptions, &all)
	_ = cmd.RegisterFlagCompletionFunc("phase", listCompletion(incident.Phases))
	_ = cmd.RegisterFlagCompletionFunc("severity", listCompletion(incident.Severities))
	_ = cmd.RegisterFlagCompletionFunc("type", listCompletion(incident.Types))
	_ = cmd.RegisterFlagCompletionFunc("status", fixedCompletion([]string{"open", "closed", "all"}))
	enumFlag(cmd, "sort", sortOrders)
	return cmd
}

var sortOrders = []store.IncidentSort{store.SortCreated, store.SortUpdated, store.SortSeverity, store.SortPriority}

func (c *cli) incidentShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "show KEY",
		Short:   "Show an incident with its roles and milestones",
		Example: "  quell incident show INC-42",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			d, err := cl.GetIncident(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			return c.show(d, func(w io.Writer) { c.printIncident(w, d) })
		},
	}
}

func (c *cli) printIncident(w io.Writer, d casework.IncidentDetail) {
	fmt.Fprintf(w, "%s  %s\n\n", d.Key, oneLine(d.Title))
	field(w, "Severity", fmt.Sprintf("%s (priority %s)", d.Severity, d.Priority))
	field(w, "Phase", string(d.Phase))
	field(w, "Resolution", string(d.Resolution))
	field(w, "Type", string(d.Type))
	field(w, "TLP", string(d.TLP))
	field(w, "Restricted", yesNo(d.Restricted))
	field(w, "Tags", strings.Join(d.Tags, ", "))
	field(w, "Created", fmt.Sprintf("%s (%s ago) by %s", fmtTime(d.CreatedAt), age(c.now(), d.CreatedAt), d.CreatedBy))
	field(w, "Updated", fmtTime(d.UpdatedAt))
	field(w, "Version", fmt.Sprint(d.Version))
	field(w, "ID", d.ID)
	if d.Summary != "" {
		fmt.Fprintf(w, "\nSummary:\n%s\n", indent(apiclient.Clean(d.Summary)))
	}

	fmt.Fprintln(w, "\nRoles:")
	held := map[incident.Role]incident.Assignment{}
	for _, a := range d.Assignments {
		held[a.Role] = a
	}
	t := newSubTable(w, "ROLE", "USER", "SINCE")
	for _, r := range incident.Roles {
		a, ok := held[r]
		if !ok {
			t.row(string(r), "-", "")
			continue
		}
		t.row(string(r), firstNonEmpty(a.Username, a.UserID), fmtTime(a.AssignedAt))
	}
	t.flush()

	fmt.Fprintln(w, "\nMilestones:")
	t = newSubTable(w, "MILESTONE", "AT")
	for _, m := range incident.AllMilestones {
		at := fmtTimePtr(d.Get(m))
		if at == "" {
			at = "-"
		}
		t.row(strings.TrimSuffix(string(m), "_at"), at)
	}
	t.flush()

	if len(d.CustomFields) > 0 {
		fmt.Fprintln(w, "\nCustom fields:")
		t = newSubTable(w, "NAME", "VALUE")
		for _, k := range slices.Sorted(maps.Keys(d.CustomFields)) {
			t.row(k, d.CustomFields[k])
		}
		t.flush()
	}
}

func (c *cli) incidentUpdateCmd() *cobra.Command {
	var (
		title, summary, sev, typ, tlp string
		restricted                    bool
		tags, addTags, rmTags, fields []string
	)
	cmd := &cobra.Command{
		Use:   "update KEY",
		Short: "Change an incident's title, severity, tags and other fields",
		Long: `Change the fields given as flags and leave the others as they are. The incident
is read first and the change is refused if someone else changed it in between.`,
		Example: `  quell incident update INC-42 --severity high --add-tag vpn
  quell incident update INC-42 --field ticket=CHG-1234 --field obsolete=`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			fl := cmd.Flags()
			var p casework.IncidentPatch
			if fl.Changed("title") {
				p.Title = &title
			}
			if fl.Changed("summary") {
				p.Summary = &summary
			}
			if fl.Changed("restricted") {
				p.Restricted = &restricted
			}
			if fl.Changed("severity") {
				s, err := checkEnum("severity", sev, incident.Severities)
				if err != nil {
					return err
				}
				p.Severity = &s
			}
			if fl.Changed("type") {
				t, err := checkEnum("type", typ, incident.Types)
				if err != nil {
					return err
				}
				p.Type = &t
			}
			if fl.Changed("tlp") {
				t, err := checkEnum("tlp", tlp, incident.TLPs)
				if err != nil {
					return err
				}
				p.TLP = &t
			}
			touchesTags := anyChanged(fl, "tag", "add-tag", "remove-tag")
			if !anyChanged(fl, "title", "summary", "restricted", "severity", "type", "tlp", "tag", "add-tag", "remove-tag", "field") {
				return &usageError{err: fmt.Errorf("nothing to change: pass at least one of --title, --summary, --severity, --type, --tlp, --restricted, --tag, --add-tag, --remove-tag, --field")}
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			cur, err := cl.GetIncident(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			if touchesTags {
				next := cur.Tags
				if fl.Changed("tag") {
					next = tags
				}
				next = editTags(next, addTags, rmTags)
				p.Tags = &next
			}
			if len(fields) > 0 {
				next, err := parseFields(fields, cur.CustomFields)
				if err != nil {
					return err
				}
				if next == nil {
					next = map[string]string{}
				}
				p.CustomFields = &next
			}
			d, err := cl.UpdateIncident(cmd.Context(), cur.Key, p, cur.Version)
			if err != nil {
				return fmt.Errorf("%s: %w", cur.Key, err)
			}
			return c.show(d, func(w io.Writer) { fmt.Fprintf(w, "Updated %s (version %d).\n", d.Key, d.Version) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "new title")
	f.StringVar(&summary, "summary", "", "new summary (Markdown)")
	f.StringVar(&sev, "severity", "", "new severity")
	f.StringVar(&typ, "type", "", "new type")
	f.StringVar(&tlp, "tlp", "", "new TLP label")
	f.BoolVar(&restricted, "restricted", false, "need-to-know (--restricted=false to open it to the organisation)")
	f.StringArrayVar(&tags, "tag", nil, "replace all tags (repeat for several)")
	f.StringArrayVar(&addTags, "add-tag", nil, "add a tag")
	f.StringArrayVar(&rmTags, "remove-tag", nil, "remove a tag")
	f.StringArrayVar(&fields, "field", nil, "set a custom field as name=value; name= removes it")
	enumFlag(cmd, "severity", incident.Severities)
	enumFlag(cmd, "type", incident.Types)
	enumFlag(cmd, "tlp", incident.TLPs)
	return cmd
}

func editTags(tags, add, remove []string) []string {
	out := []string{}
	for _, t := range tags {
		if !slices.ContainsFunc(remove, func(r string) bool { return strings.EqualFold(r, t) }) {
			out = append(out, t)
		}
	}
	for _, t := range add {
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, t) }) {
			out = append(out, t)
		}
	}
	return out
}

// parseFields applies name=value flags to a copy of base; "name=" removes the field.
func parseFields(flags []string, base map[string]string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, &usageError{err: fmt.Errorf("--field %q: use name=value", f)}
		}
		if v == "" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out, nil
}

func (c *cli) incidentPhaseCmd() *cobra.Command {
	var req casework.PhaseRequest
	var resolution string
	cmd := &cobra.Command{
		Use:   "phase KEY PHASE",
		Short: "Move an incident to another phase",
		Long: `Move an incident to another phase. Moving forward needs the required tasks of
the phases left behind to be done or skipped; the incident commander or an admin
may move on anyway with --override. Moving to closed needs a --resolution.

Phases: ` + strings.Join(strs(incident.Phases), ", ") + ".",
		Example: `  quell incident phase INC-42 investigation --reason "host isolated, scope next"
  quell incident phase INC-42 recovery --reason "patched" --override`,
		Args:              args(cobra.ExactArgs(2)),
		ValidArgsFunction: positionalCompletion(1, incident.Phases),
		RunE: func(cmd *cobra.Command, a []string) error {
			var err error
			if req.To, err = checkArg("phase", a[1], incident.Phases); err != nil {
				return err
			}
			if req.Resolution, err = checkEnum("resolution", resolution, incident.Resolutions); err != nil {
				return err
			}
			return c.changePhase(cmd.Context(), a[0], req)
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Reason, "reason", "", "why (required; kept in the phase history)")
	f.BoolVar(&req.Override, "override", false, "move on although required tasks are open (commander or admin)")
	f.StringVar(&resolution, "resolution", "", "how it ended, when moving to closed: "+strings.Join(strs(incident.Resolutions), ", "))
	_ = cmd.MarkFlagRequired("reason")
	enumFlag(cmd, "resolution", incident.Resolutions)
	return cmd
}

func (c *cli) incidentCloseCmd() *cobra.Command {
	var req casework.PhaseRequest
	var resolution string
	cmd := &cobra.Command{
		Use:     "close KEY",
		Short:   "Close an incident with a resolution",
		Example: `  quell incident close INC-42 --resolution false_positive --reason "scanner of the red team"`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var err error
			req.To = incident.PhaseClosed
			if req.Resolution, err = checkEnum("resolution", resolution, incident.Resolutions); err != nil {
				return err
			}
			return c.changePhase(cmd.Context(), a[0], req)
		},
	}
	f := cmd.Flags()
	f.StringVar(&resolution, "resolution", "", "how it ended: "+strings.Join(strs(incident.Resolutions), ", ")+" (required)")
	f.StringVar(&req.Reason, "reason", "", "why (required)")
	f.BoolVar(&req.Override, "override", false, "close although required tasks are open (commander or admin)")
	_ = cmd.MarkFlagRequired("resolution")
	_ = cmd.MarkFlagRequired("reason")
	enumFlag(cmd, "resolution", incident.Resolutions)
	return cmd
}

func (c *cli) changePhase(ctx context.Context, key string, req casework.PhaseRequest) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	d, err := cl.ChangePhase(ctx, key, req)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return c.show(d, func(w io.Writer) {
		msg := fmt.Sprintf("%s is now in phase %s", d.Key, d.Phase)
		if d.Resolution != "" && d.Phase == incident.PhaseClosed {
			msg += " (" + string(d.Resolution) + ")"
		}
		if req.Override {
			msg += "; the override was recorded"
		}
		fmt.Fprintln(w, msg+".")
	})
}

func (c *cli) incidentAssignCmd() *cobra.Command {
	var remove bool
	cmd := &cobra.Command{
		Use:   "assign KEY ROLE [USER]",
		Short: "Give an incident role to a user, or take it away with --remove",
		Long: `Give an incident role to a user (by user name), replacing whoever held it, or
leave it vacant with --remove.

Roles: ` + strings.Join(strs(incident.Roles), ", ") + ".",
		Example: `  quell incident assign INC-42 commander alice
  quell incident assign INC-42 scribe --remove`,
		Args:              args(cobra.RangeArgs(2, 3)),
		ValidArgsFunction: positionalCompletion(1, incident.Roles),
		RunE: func(cmd *cobra.Command, a []string) error {
			role, err := checkArg("role", a[1], incident.Roles)
			if err != nil {
				return err
			}
			if remove == (len(a) == 3) {
				return &usageError{err: fmt.Errorf("give a USER to assign, or --remove without one")}
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			var d casework.IncidentDetail
			if remove {
				d, err = cl.UnassignRole(cmd.Context(), a[0], role)
			} else {
				d, err = cl.AssignRole(cmd.Context(), a[0], role, casework.RoleRequest{User: a[2]})
			}
			if err != nil {
				return fmt.Errorf("%s: %w", a[0], err)
			}
			return c.show(d, func(w io.Writer) {
				if remove {
					fmt.Fprintf(w, "%s: %s is vacant.\n", d.Key, role)
					return
				}
				fmt.Fprintf(w, "%s: %s is %s.\n", d.Key, role, oneLine(a[2]))
			})
		},
	}
	cmd.Flags().BoolVar(&remove, "remove", false, "leave the role vacant")
	return cmd
}

// indent prefixes every line of s with two spaces.
func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/apiclient"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

func (c *cli) noteCmd() *cobra.Command {
	cmd := group("note", "Add and read the Markdown notes of an incident", "notes")
	cmd.AddCommand(c.noteAddCmd(), c.noteListCmd())
	return cmd
}

func (c *cli) noteAddCmd() *cobra.Command {
	var body, file string
	cmd := &cobra.Command{
		Use:   "add KEY [-]",
		Short: "Add a note, from --body, --file or stdin (-)",
		Example: `  quell note add INC-42 --body "Called the ISP: block in place since 14:05"
  quell note add INC-42 --file findings.md
  journalctl -u sshd --since today | quell note add INC-42 -`,
		Args: args(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			stdin := len(a) == 2
			if stdin && a[1] != "-" {
				return &usageError{err: fmt.Errorf("unexpected argument %q: use - to read the note from stdin", a[1])}
			}
			sources := 0
			for _, given := range []bool{cmd.Flags().Changed("body"), file != "", stdin} {
				if given {
					sources++
				}
			}
			if sources != 1 {
				return &usageError{err: fmt.Errorf("give the note with exactly one of --body TEXT, --file FILE or - (stdin)")}
			}
			var err error
			switch {
			case file == "-" || stdin:
				body, err = readAllLimited(cmd.InOrStdin(), "stdin")
			case file != "":
				body, err = readFileLimited(file)
			}
			if err != nil {
				return err
			}
			if strings.TrimSpace(body) == "" {
				return &usageError{err: fmt.Errorf("the note is empty")}
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			n, err := cl.CreateNote(cmd.Context(), a[0], casework.NewNote{Body: body})
			if err != nil {
				return fmt.Errorf("%s: %w", a[0], err)
			}
			return c.show(n, func(w io.Writer) { fmt.Fprintf(w, "Added note %s to %s.\n", n.ID, a[0]) })
		},
	}
	cmd.Flags().StringVar(&body, "body", "", "the note (Markdown)")
	cmd.Flags().StringVar(&file, "file", "", "read the note from this file (- for stdin)")
	return cmd
}

// readFileLimited reads a note from a file, refusing what the server would refuse anyway.
func readFileLimited(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return readAllLimited(f, path)
}

func readAllLimited(r io.Reader, name string) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, incident.MaxNoteBody+1))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) > incident.MaxNoteBody {
		return "", fmt.Errorf("%s: a note is at most %d bytes", name, incident.MaxNoteBody)
	}
	return string(b), nil
}

func (c *cli) noteListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list KEY",
		Short:   "Print the notes of an incident",
		Example: "  quell note list INC-42",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			notes, err := cl.ListNotes(cmd.Context(), a[0])
			if err != nil {
				return fmt.Errorf("%s: %w", a[0], err)
			}
			return c.show(nonNil(notes), func(w io.Writer) {
				if len(notes) == 0 {
					fmt.Fprintf(w, "%s has no notes.\n", a[0])
				}
				for i, n := range notes {
					if i > 0 {
						fmt.Fprintln(w)
					}
					edited := ""
					if n.Version > 1 {
						edited = fmt.Sprintf(", edited %s (version %d)", fmtTime(n.UpdatedAt), n.Version)
					}
					fmt.Fprintf(w, "── %s by %s at %s%s\n", n.ID, oneLine(n.Author), fmtTime(n.CreatedAt), edited)
					fmt.Fprintln(w, strings.TrimRight(apiclient.Clean(n.Body), "\n"))
				}
			})
		},
	}
}

func (c *cli) timelineCmd() *cobra.Command {
	cmd := group("timeline", "Add to and read the timeline of an incident")
	cmd.AddCommand(c.timelineAddCmd(), c.timelineListCmd(), c.timelineFlagCmd())
	return cmd
}

func (c *cli) timelineAddCmd() *cobra.Command {
	var (
		req            casework.NewEntry
		at, kind, zone string
	)
	cmd := &cobra.Command{
		Use:   "add KEY",
		Short: "Add an entry to the timeline, backdated with --at",
		Long: `Add an entry to an incident's timeline. --at backdates it to when it happened:
an RFC 3339 time, or a local time such as "2025-03-01 14:05" read in the --zone
given (an IANA name such as Europe/Paris). The zone is kept, so the entry can be
shown in the time of the place it happened.`,
		Example: `  quell timeline add INC-42 --text "First beacon to 203.0.113.7" --at 2025-03-01T13:58:00Z --technique T1071 --flag
  quell timeline add INC-42 --text "User reported the e-mail" --at "2025-03-01 09:12" --zone Europe/Paris`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var err error
			if req.Kind, err = checkEnum("kind", kind, incident.EntryKinds); err != nil {
				return err
			}
			req.EventZone = zone
			if at != "" {
				t, err := parseEventTime(at, zone)
				if err != nil {
					return err
				}
				req.EventAt = &t
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			e, err := cl.AddTimelineEntry(cmd.Context(), a[0], req)
			if err != nil {
				return fmt.Errorf("%s: %w", a[0], err)
			}
			return c.show(e, func(w io.Writer) {
				fmt.Fprintf(w, "Added timeline entry %s to %s at %s.\n", e.ID, a[0], entryTime(e))
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Text, "text", "", "what happened (required)")
	f.StringVar(&at, "at", "", "when it happened (default: now)")
	f.StringVar(&zone, "zone", "", "IANA time zone the time was reported in, such as Europe/Paris")
	f.StringVar(&kind, "kind", "", "entry kind (default manual): "+strings.Join(strs(incident.EntryKinds), ", "))
	f.StringVar(&req.Technique, "technique", "", "MITRE ATT&CK technique, such as T1059.001")
	f.BoolVar(&req.Flagged, "flag", false, "flag it as a key event")
	_ = cmd.MarkFlagRequired("text")
	enumFlag(cmd, "kind", incident.EntryKinds)
	return cmd
}

// parseEventTime reads an RFC 3339 time, or a local date and time in zone.
func parseEventTime(s, zone string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	bad := &usageError{err: fmt.Errorf("--at %q: use an RFC 3339 time such as 2025-03-01T14:05:00+01:00, or a local time such as \"2025-03-01 14:05\" with --zone", s)}
	if zone == "" {
		return time.Time{}, bad
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.Time{}, &usageError{err: fmt.Errorf("--zone %q: not a time zone this machine knows: %v", zone, err)}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, bad
}

// entryTime shows when an entry happened in UTC, and in the zone it was reported in.
func entryTime(e incident.Entry) string {
	s := fmtTime(e.EventAt)
	if e.EventZone == "" || e.EventZone == "Z" || e.EventZone == "UTC" {
		return s
	}
	if loc, err := time.LoadLocation(e.EventZone); err == nil {
		return s + " (" + e.EventAt.In(loc).Format("15:04") + " " + e.EventZone + ")"
	}
	return s
}

func (c *cli) timelineListCmd() *cobra.Command {
	var (
		q     apiclient.TimelineQuery
		kinds []string
		all   bool
	)
	cmd := &cobra.Command{
		Use:     "list KEY",
		Short:   "Print the timeline of an incident, oldest first",
		Example: "  quell timeline list INC-42 --flagged --all",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var err error
			if q.Kinds, err = checkEnums("kind", kinds, incident.EntryKinds); err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			page, err := listPages(cmd.Context(), all, q.Cursor, func(ctx context.Context, cursor string) (store.Page[incident.Entry], error) {
				q.Cursor = cursor
				return cl.ListTimeline(ctx, a[0], q)
			})
			if err != nil {
				return fmt.Errorf("%s: %w", a[0], err)
			}
			return printPage(c, page, func(w io.Writer) {
				t := newTable(w, "WHEN", "KIND", "ACTOR", "TEXT", "ID")
				for _, e := range page.Items {
					text := oneLine(e.Text)
					if e.Technique != "" {
						text = "[" + e.Technique + "] " + text
					}
					if e.Flagged {
						text = "* " + text
					}
					t.row(entryTime(e), string(e.Kind), e.Actor, truncate(text, 80), e.ID)
				}
				t.flush()
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&kinds, "kind", nil, "only these kinds (comma-separated or repeated)")
	f.BoolVar(&q.FlaggedOnly, "flagged", false, "only flagged entries")
	addPageFlags(cmd, &q.ListOptions, &all)
	_ = cmd.RegisterFlagCompletionFunc("kind", listCompletion(incident.EntryKinds))
	return cmd
}

func (c *cli) timelineFlagCmd() *cobra.Command {
	var unflag bool
	cmd := &cobra.Command{
		Use:     "flag ID",
		Short:   "Flag a timeline entry as a key event (--unflag to undo)",
		Example: "  quell timeline flag 01JQ4S7Y3K",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			flagged := !unflag
			e, err := cl.UpdateTimelineEntry(cmd.Context(), a[0], casework.EntryPatch{Flagged: &flagged})
			if err != nil {
				return fmt.Errorf("timeline entry %s: %w", a[0], err)
			}
			return c.show(e, func(w io.Writer) {
				state := "flagged"
				if !e.Flagged {
					state = "not flagged"
				}
				fmt.Fprintf(w, "Timeline entry %s is %s.\n", e.ID, state)
			})
		},
	}
	cmd.Flags().BoolVar(&unflag, "unflag", false, "remove the flag")
	return cmd
}

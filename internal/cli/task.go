package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/apiclient"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

func (c *cli) taskCmd() *cobra.Command {
	cmd := group("task", "List, add and finish the tasks of incidents", "tasks")
	cmd.AddCommand(c.taskListCmd(), c.taskAddCmd(), c.taskUpdateCmd(), c.taskDoneCmd(), c.taskMineCmd())
	return cmd
}

func (c *cli) taskListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list KEY",
		Short:   "List the tasks of an incident",
		Example: "  quell task list INC-42",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			tasks, err := cl.ListIncidentTasks(cmd.Context(), a[0])
			if err != nil {
				return fmt.Errorf("%s: %w", a[0], err)
			}
			return c.show(nonNil(tasks), func(w io.Writer) { c.taskTable(w, tasks, false) })
		},
	}
}

func (c *cli) taskTable(w io.Writer, tasks []incident.Task, withIncident bool) {
	headers := []string{"ID", "PHASE", "STATUS", "REQ", "ASSIGNEE", "DUE", "TITLE"}
	if withIncident {
		headers = append([]string{"INCIDENT"}, headers...)
	}
	t := newTable(w, headers...)
	now := c.now()
	for _, task := range tasks {
		due := fmtTimePtr(task.DueAt)
		if task.Overdue(now) {
			due += " (overdue)"
		}
		req := ""
		if task.Required {
			req = "yes"
		}
		row := []string{task.ID, string(task.Phase), string(task.Status), req, task.Assignee, due, truncate(oneLine(task.Title), 60)}
		if withIncident {
			row = append([]string{firstNonEmpty(task.IncidentKey, task.IncidentID)}, row...)
		}
		t.row(row...)
	}
	t.flush()
}

func (c *cli) taskAddCmd() *cobra.Command {
	var (
		req              casework.NewTask
		phase, role, due string
	)
	cmd := &cobra.Command{
		Use:   "add KEY",
		Short: "Add a task to an incident",
		Example: `  quell task add INC-42 --phase containment --title "Isolate FS01" --required --assignee bob --due 2h
  quell task add INC-42 --phase review --title "Write the post-incident report" --due 2025-03-10T17:00:00+01:00`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var err error
			if req.Phase, err = checkEnum("phase", phase, incident.Phases); err != nil {
				return err
			}
			if req.Role, err = checkEnum("role", role, incident.Roles); err != nil {
				return err
			}
			if due != "" {
				at, err := parseDue(due, c.now())
				if err != nil {
					return err
				}
				req.DueAt = &at
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			task, err := cl.CreateTask(cmd.Context(), a[0], req)
			if err != nil {
				return fmt.Errorf("%s: %w", a[0], err)
			}
			return c.show(task, func(w io.Writer) {
				fmt.Fprintf(w, "Added task %s to %s: %s\n", task.ID, a[0], oneLine(task.Title))
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&phase, "phase", "", "phase the task belongs to (required)")
	f.StringVar(&req.Title, "title", "", "what to do (required)")
	f.StringVar(&req.Description, "description", "", "details (Markdown)")
	f.StringVar(&role, "role", "", "incident role expected to do it")
	f.StringVar(&req.Assignee, "assignee", "", "user name to assign it to")
	f.BoolVar(&req.Required, "required", false, "the phase cannot be left until it is done or skipped")
	f.StringVar(&due, "due", "", "due time: a delay such as 30m, 2h, 3d, or an RFC 3339 time")
	_ = cmd.MarkFlagRequired("phase")
	_ = cmd.MarkFlagRequired("title")
	enumFlag(cmd, "phase", incident.Phases[:len(incident.Phases)-1])
	enumFlag(cmd, "role", incident.Roles)
	return cmd
}

func (c *cli) taskUpdateCmd() *cobra.Command {
	var (
		title, description, phase, role, assignee, status, due string
		required, clearDue                                     bool
	)
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Change a task",
		Long: `Change the fields given as flags. The task is read first and the change is
refused if someone else changed it in between. --assignee "" unassigns.`,
		Example: `  quell task update 01JQ4S7Y3K --status in_progress --assignee bob
  quell task update 01JQ4S7Y3K --due 1h`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			fl := cmd.Flags()
			if !anyChanged(fl, "title", "description", "phase", "role", "assignee", "status", "required", "due", "clear-due") {
				return &usageError{err: fmt.Errorf("nothing to change: pass at least one of --title, --description, --phase, --role, --assignee, --status, --required, --due, --clear-due")}
			}
			var p casework.TaskPatch
			if fl.Changed("title") {
				p.Title = &title
			}
			if fl.Changed("description") {
				p.Description = &description
			}
			if fl.Changed("assignee") {
				p.Assignee = &assignee
			}
			if fl.Changed("required") {
				p.Required = &required
			}
			if fl.Changed("phase") {
				v, err := checkEnum("phase", phase, incident.Phases)
				if err != nil {
					return err
				}
				p.Phase = &v
			}
			if fl.Changed("role") {
				v, err := checkEnum("role", role, incident.Roles)
				if err != nil {
					return err
				}
				p.Role = &v
			}
			if fl.Changed("status") {
				v, err := checkEnum("status", status, incident.TaskStatuses)
				if err != nil {
					return err
				}
				p.Status = &v
			}
			if due != "" {
				at, err := parseDue(due, c.now())
				if err != nil {
					return err
				}
				p.DueAt = &at
			}
			p.ClearDue = clearDue
			cl, err := c.client()
			if err != nil {
				return err
			}
			cur, err := cl.GetTask(cmd.Context(), a[0])
			if err != nil {
				return fmt.Errorf("task %s: %w", a[0], err)
			}
			task, err := cl.UpdateTask(cmd.Context(), cur.ID, p, cur.Version)
			if err != nil {
				return fmt.Errorf("task %s: %w", a[0], err)
			}
			return c.show(task, func(w io.Writer) {
				fmt.Fprintf(w, "Updated task %s: %s (%s).\n", task.ID, oneLine(task.Title), task.Status)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "new title")
	f.StringVar(&description, "description", "", "new description (Markdown)")
	f.StringVar(&phase, "phase", "", "move it to another phase")
	f.StringVar(&role, "role", "", "incident role expected to do it")
	f.StringVar(&assignee, "assignee", "", `user name ("" unassigns)`)
	f.StringVar(&status, "status", "", "status: "+strings.Join(strs(incident.TaskStatuses), ", "))
	f.BoolVar(&required, "required", false, "whether the phase waits for it (--required=false to relax)")
	f.StringVar(&due, "due", "", "new due time: a delay such as 2h or 3d, or an RFC 3339 time")
	f.BoolVar(&clearDue, "clear-due", false, "remove the due time")
	cmd.MarkFlagsMutuallyExclusive("due", "clear-due")
	enumFlag(cmd, "phase", incident.Phases[:len(incident.Phases)-1])
	enumFlag(cmd, "role", incident.Roles)
	enumFlag(cmd, "status", incident.TaskStatuses)
	return cmd
}

func (c *cli) taskDoneCmd() *cobra.Command {
	var skip bool
	cmd := &cobra.Command{
		Use:     "done ID...",
		Short:   "Mark tasks done (or skipped with --skip)",
		Example: "  quell task done 01JQ4S7Y3K 01JQ4S8ZQ1",
		Args:    args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			status := incident.TaskDone
			if skip {
				status = incident.TaskSkipped
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			var done []incident.Task
			for _, id := range a {
				task, err := cl.UpdateTask(cmd.Context(), id, casework.TaskPatch{Status: &status}, 0)
				if err != nil {
					return fmt.Errorf("task %s: %w", id, err)
				}
				done = append(done, task)
				if c.output != outputJSON {
					fmt.Fprintf(c.stdout, "Task %s is %s: %s\n", task.ID, task.Status, oneLine(task.Title))
				}
			}
			if c.output == outputJSON {
				return writeJSON(c.stdout, done)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&skip, "skip", false, "mark them skipped: not needed for this incident")
	return cmd
}

func (c *cli) taskMineCmd() *cobra.Command {
	var (
		q           apiclient.TaskQuery
		includeDone bool
		all         bool
	)
	cmd := &cobra.Command{
		Use:     "mine",
		Short:   "List the open tasks assigned to you, across incidents",
		Example: "  quell task mine --overdue",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q.Assignee = "me"
			if !includeDone {
				q.Statuses = openTaskStatuses
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			page, err := listPages(cmd.Context(), all, q.Cursor, func(ctx context.Context, cursor string) (store.Page[incident.Task], error) {
				q.Cursor = cursor
				return cl.ListTasks(ctx, q)
			})
			if err != nil {
				return err
			}
			if !includeDone {
				page.Items = slices.DeleteFunc(page.Items, func(t incident.Task) bool { return t.Status.Finished() })
			}
			return printPage(c, page, func(w io.Writer) { c.taskTable(w, page.Items, true) })
		},
	}
	f := cmd.Flags()
	f.BoolVar(&q.Overdue, "overdue", false, "only tasks past their due time")
	f.StringVar(&q.Incident, "incident", "", "only the tasks of this incident")
	f.BoolVar(&includeDone, "include-done", false, "list done and skipped tasks too")
	addPageFlags(cmd, &q.ListOptions, &all)
	return cmd
}

var openTaskStatuses = []incident.TaskStatus{incident.TaskTodo, incident.TaskInProgress, incident.TaskBlocked}

// parseDue reads a due time: a delay from now (90m, 2h, 3d) or an RFC 3339 time.
func parseDue(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return now.Add(time.Duration(n) * 24 * time.Hour).UTC().Truncate(time.Second), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d).UTC().Truncate(time.Second), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, &usageError{err: fmt.Errorf("--due %q: use a delay such as 30m, 2h or 3d, or an RFC 3339 time such as 2025-03-01T17:00:00Z", s)}
}

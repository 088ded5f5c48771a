package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/obligation"
	"github.com/quell-ir/quell/internal/store"
)

// workingPhases are the phases of an open incident.
var workingPhases = slices.DeleteFunc(slices.Clone(incident.Phases), func(p incident.Phase) bool { return p == incident.PhaseClosed })

// commanderCheckLimit bounds how many open incidents the dashboard checks for a commander:
// the most urgent ones.
const commanderCheckLimit = 100

// dashboardPage is the first page after signing in: where the team's attention is needed.
type dashboardPage struct {
	// Matrix counts open incidents by severity (rows) and phase (columns).
	Matrix      []severityRow
	PhaseTotals []countCell
	OpenTotal   int
	// NoCommander lists open incidents without a commander, most urgent first.
	NoCommander []incident.Incident
	// Checked is how many open incidents were checked for a commander.
	Checked    int
	MyTasks    []incident.Task
	Overdue    []incident.Task
	Recent     []incident.Incident
	Severities []incident.Severity
	Phases     []incident.Phase
	// Review says when the response plan in force is due for review; overdue shows a banner.
	Review casework.PlanReview
	// Breaches lists the open incidents (of those checked) whose SLA targets have passed.
	Breaches []slaBreach
}

// slaBreach is an open incident with the SLAs it has breached ("acknowledge", "contain"…).
type slaBreach struct {
	Incident incident.Incident
	SLAs     []string
}

// LiveKey asks for a refresh when any incident changes.
func (dashboardPage) LiveKey() string { return "*" }

type severityRow struct {
	Severity incident.Severity
	Cells    []countCell
	Total    countCell
}

// countCell is a count and the link to the list of what it counts.
type countCell struct {
	N    int
	Link string
}

// listLink is the address of the incident list filtered by the given query.
func listLink(q url.Values) string { return "/incidents?" + q.Encode() }

func (srv *Server) dashboard(w http.ResponseWriter, r *http.Request, rq *request) error {
	d := dashboardPage{Severities: incident.Severities, Phases: workingPhases}
	open := []incident.TaskStatus{incident.TaskTodo, incident.TaskInProgress, incident.TaskBlocked}
	now := srv.now()
	// The panels read independently, each in its own read transaction: side by side.
	g, ctx := errgroup.WithContext(r.Context())
	g.Go(func() error { return srv.countOpen(ctx, rq, &d) })
	g.Go(func() (err error) {
		d.NoCommander, d.Breaches, d.Checked, err = srv.withoutCommander(ctx, rq.p, now)
		return err
	})
	g.Go(func() error {
		mine, err := srv.cases.FindTasks(ctx, rq.p, store.TaskFilter{Assignee: rq.p.Username, Statuses: open, Limit: 10}, "")
		d.MyTasks = mine.Items
		return err
	})
	g.Go(func() error {
		overdue, err := srv.cases.FindTasks(ctx, rq.p, store.TaskFilter{DueBefore: &now, Statuses: open, Limit: 10}, "")
		d.Overdue = overdue.Items
		return err
	})
	g.Go(func() error {
		recent, err := srv.cases.ListIncidents(ctx, rq.p, store.IncidentFilter{Sort: store.SortUpdated, Limit: 8})
		d.Recent = recent.Items
		return err
	})
	g.Go(func() (err error) {
		d.Review, err = srv.cases.PlanReview(ctx, rq.p)
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusOK, "dashboard", "Dashboard", d)
	return nil
}

// countOpen fills the severity-by-phase matrix. Each cell is one count on the phase index, so
// its cost follows the number of open incidents, not of all incidents.
func (srv *Server) countOpen(ctx context.Context, rq *request, d *dashboardPage) error {
	d.PhaseTotals = make([]countCell, len(workingPhases))
	for i, ph := range workingPhases {
		d.PhaseTotals[i].Link = listLink(url.Values{"phase": {string(ph)}})
	}
	for _, sev := range incident.Severities {
		row := severityRow{Severity: sev, Total: countCell{Link: listLink(url.Values{"severity": {string(sev)}})}}
		for i, ph := range workingPhases {
			n, err := srv.cases.CountIncidents(ctx, rq.p, store.IncidentFilter{
				Phases: []incident.Phase{ph}, Severities: []incident.Severity{sev}})
			if err != nil {
				return err
			}
			row.Cells = append(row.Cells, countCell{N: n, Link: listLink(url.Values{"phase": {string(ph)}, "severity": {string(sev)}})})
			row.Total.N += n
			d.PhaseTotals[i].N += n
			d.OpenTotal += n
		}
		d.Matrix = append(d.Matrix, row)
	}
	return nil
}

// withoutCommander returns the open incidents, among the most urgent, that nobody commands.
// It also reads the same incidents' SLAs against the policy in force, for the breaches panel.
func (srv *Server) withoutCommander(ctx context.Context, p access.Principal, now time.Time) ([]incident.Incident, []slaBreach, int, error) {
	// Open rather than the working phases: the same incidents, and the stores keep an index of
	// open incidents by priority, so the closed ones (most of them) are not read.
	open := true
	page, err := srv.cases.ListIncidents(ctx, p, store.IncidentFilter{Open: &open, Sort: store.SortPriority, Limit: commanderCheckLimit})
	if err != nil {
		return nil, nil, 0, err
	}
	var out []incident.Incident
	var breaches []slaBreach
	policy := srv.cases.SLAPolicy()
	for _, inc := range page.Items {
		d, err := srv.cases.GetIncident(ctx, p, inc.ID)
		if err != nil {
			return nil, nil, 0, err
		}
		if !slices.ContainsFunc(d.Assignments, func(a incident.Assignment) bool { return a.Role == incident.RoleCommander }) {
			out = append(out, inc)
		}
		var missed []string
		for _, st := range policy.Evaluate(inc.Severity, inc.Milestones, now) {
			if st.State == obligation.SLABreached {
				missed = append(missed, string(st.SLA))
			}
		}
		if len(missed) > 0 {
			breaches = append(breaches, slaBreach{Incident: inc, SLAs: missed})
		}
	}
	return out, breaches, len(page.Items), nil
}

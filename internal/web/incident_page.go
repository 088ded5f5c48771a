package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// Page sizes of the incident page's long lists.
const (
	timelinePageSize = 100
	auditPageSize    = 50
)

// manualKinds are the kinds of timeline entry a person adds by hand; the others are written
// by Quell as things happen.
var manualKinds = []incident.EntryKind{incident.KindManual, incident.KindAction, incident.KindCommunication,
	incident.KindEvidence, incident.KindIndicator, incident.KindAlert}

// incidentPage is everything about one incident, in the regions the page shows. Each region
// has an id; live updates and inline forms replace one region at a time.
type incidentPage struct {
	Incident casework.IncidentDetail
	// Commander is the user name of the incident commander, or "".
	Commander string
	// CanOverride reports whether the person may move past unmet exit criteria: the incident
	// commander or an admin.
	CanOverride bool
	Steps       []phaseStep
	Next        incident.Phase
	Later       []incident.Phase
	Earlier     []incident.Phase
	// CanManageMembers reports whether the person may change need-to-know membership: the
	// incident commander, leads and admins.
	CanManageMembers bool
	// Members are the user names with need-to-know access (restricted incidents only).
	Members []string
	// History lists the phase changes, oldest first.
	History []incident.PhaseChange
	// Corrections lists the hand corrections of milestones, oldest first.
	Corrections []incident.MilestoneCorrection
	// Unmet lists the required tasks still open in the current phase: its exit criteria.
	Unmet      []incident.Task
	Roles      []roleRow
	Groups     []taskGroup
	TasksOpen  int
	Milestones []milestoneRow
	Timeline   []incident.Entry
	// TimelineMore is the link to the next page of the timeline, or "".
	TimelineMore string
	Kinds        *form
	Notes        []noteView
	Links        []asset.Link
	Assets       []asset.Asset
	Audit        []audit.Record
	AuditMore    string
	Users        []access.Membership
	Options      enumOptions
	ManualKinds  []incident.EntryKind
	LinkStatuses []asset.LinkStatus

	// The forms of the page, shown again with their messages after a failed submit.
	PhaseForm, RoleForm, TaskForm, NoteForm, EntryForm, LinkForm, MemberForm, MilestoneForm *form
	// Preview is the rendered Markdown of the note being written.
	Preview template.HTML
	// TaskNotice says why an inline change to a task was not saved.
	TaskNotice string
	// Clocks are the SLA and regulatory clocks (clocks.go).
	Clocks *clocksView
	// Playbooks are the applied playbooks and the form to apply one (playbooks.go).
	Playbooks *playbooksView
}

// LiveKey asks for a refresh when this incident changes.
func (p *incidentPage) LiveKey() string { return p.Incident.Key }

type phaseStep struct {
	Phase incident.Phase
	// State is "done", "current" or "todo".
	State string
}

type roleRow struct {
	Role     incident.Role
	Username string
	// OnCall names who the rosters say can fill a vacant role now: users, then contacts.
	OnCall []string
}

type taskGroup struct {
	Phase   incident.Phase
	Current bool
	Tasks   []incident.Task
}

type milestoneRow struct {
	Milestone incident.Milestone
	At        *time.Time
}

type noteView struct {
	incident.Note
	HTML template.HTML
}

func (srv *Server) incidentPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ip, err := srv.loadIncident(r.Context(), rq, r.PathValue("key"), r.URL.Query())
	if err != nil {
		return err
	}
	srv.renderIncident(w, r, rq, http.StatusOK, ip)
	return nil
}

func (srv *Server) renderIncident(w http.ResponseWriter, r *http.Request, rq *request, status int, ip *incidentPage) {
	srv.render(w, r, rq, status, "incident", ip.Incident.Key+" "+ip.Incident.Title, ip)
}

// loadIncident reads an incident and everything its page shows. q holds the page's own
// filters: the timeline's kinds and pages, and the audit trail's page.
func (srv *Server) loadIncident(ctx context.Context, rq *request, key string, q url.Values) (*incidentPage, error) {
	d, err := srv.cases.GetIncident(ctx, rq.p, key)
	if err != nil {
		return nil, err
	}
	ip := &incidentPage{Incident: d, Options: options, ManualKinds: manualKinds, LinkStatuses: asset.LinkStatuses,
		Kinds: newForm(url.Values{"kind": q["kind"]})}
	key = d.Key
	for _, a := range d.Assignments {
		if a.Role == incident.RoleCommander {
			ip.Commander = a.Username
			ip.CanOverride = a.UserID == rq.p.UserID && rq.canWrite()
		}
	}
	ip.CanManageMembers = ip.CanOverride || rq.p.Can(access.RoleLead)
	if rq.p.Effective() == access.RoleAdmin {
		ip.CanOverride = true
	}
	ip.phases()
	ip.roles()
	if rq.canWrite() && ip.Incident.Phase != incident.PhaseClosed {
		for i := range ip.Roles {
			if ip.Roles[i].Username != "" {
				continue
			}
			sug, err := srv.cases.SuggestAssignees(ctx, rq.p, ip.Roles[i].Role, time.Time{})
			if err != nil {
				return nil, err
			}
			ip.Roles[i].OnCall = append(ip.Roles[i].OnCall, sug.Users...)
			for _, c := range sug.Contacts {
				ip.Roles[i].OnCall = append(ip.Roles[i].OnCall, c.Name)
			}
		}
	}
	for _, m := range incident.AllMilestones {
		ip.Milestones = append(ip.Milestones, milestoneRow{Milestone: m, At: d.Milestones.Get(m)})
	}

	if ip.History, err = srv.cases.PhaseHistory(ctx, rq.p, key); err != nil {
		return nil, err
	}
	if ip.Corrections, err = srv.cases.MilestoneHistory(ctx, rq.p, key); err != nil {
		return nil, err
	}
	tasks, err := srv.cases.ListTasks(ctx, rq.p, key)
	if err != nil {
		return nil, err
	}
	ip.group(tasks)
	if ip.Clocks, err = srv.loadClocks(ctx, rq, key); err != nil {
		return nil, err
	}
	if ip.Playbooks, err = srv.loadPlaybooks(ctx, rq, key); err != nil {
		return nil, err
	}

	kinds, _ := pick(q["kind"], incident.EntryKinds)
	tl, err := srv.cases.ListTimeline(ctx, rq.p, key, store.TimelineFilter{Kinds: kinds, Cursor: q.Get("after"), Limit: timelinePageSize})
	if err != nil {
		return nil, err
	}
	ip.Timeline = tl.Items
	if tl.Next != "" {
		next := url.Values{"kind": q["kind"], "after": {tl.Next}}
		ip.TimelineMore = "/incidents/" + key + "?" + next.Encode() + "#timeline"
	}

	notes, err := srv.cases.ListNotes(ctx, rq.p, key)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		ip.Notes = append(ip.Notes, noteView{Note: n.Note, HTML: markdown(n.Body)})
	}
	if ip.Links, err = srv.cases.IncidentAssets(ctx, rq.p, key); err != nil {
		return nil, err
	}
	auditAfter, _ := strconv.ParseInt(q.Get("audit_after"), 10, 64)
	trail, err := srv.cases.ListAudit(ctx, rq.p, key, auditAfter, auditPageSize)
	if err != nil {
		return nil, err
	}
	ip.Audit = trail.Items
	if trail.Next != "" {
		ip.AuditMore = "/incidents/" + key + "?" + url.Values{"audit_after": {trail.Next}}.Encode() + "#audit"
	}
	if rq.canWrite() || d.Restricted {
		if ip.Users, err = srv.auth.ListUsers(ctx, rq.p); err != nil {
			return nil, err
		}
	}
	if d.Restricted {
		if err := srv.loadMembers(ctx, rq, ip); err != nil {
			return nil, err
		}
	}
	if rq.canWrite() {
		assets, err := srv.cases.ListAssets(ctx, rq.p, store.AssetFilter{Limit: 200})
		if err != nil {
			return nil, err
		}
		ip.Assets = assets.Items
	}
	ip.PhaseForm = newForm(nil).set("to", string(ip.Next))
	ip.RoleForm = newForm(nil)
	ip.TaskForm = newForm(nil).set("phase", string(ip.currentWorkingPhase()))
	ip.NoteForm = newForm(nil)
	ip.EntryForm = newForm(nil).set("kind", string(incident.KindManual)).set("zone", rq.clock.Zone())
	ip.LinkForm = newForm(nil).set("status", string(asset.LinkSuspected))
	ip.MemberForm = newForm(nil)
	ip.MilestoneForm = newForm(nil).set("milestone", string(incident.MilestoneContained))
	return ip, nil
}

// loadMembers names the need-to-know members of a restricted incident.
func (srv *Server) loadMembers(ctx context.Context, rq *request, ip *incidentPage) error {
	ids, err := srv.cases.Members(ctx, rq.p, ip.Incident.Key)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, u := range ip.Users {
		names[u.UserID] = u.Username
	}
	for _, id := range ids {
		if name, ok := names[id]; ok {
			ip.Members = append(ip.Members, name)
		}
	}
	slices.Sort(ip.Members)
	return nil
}

// IsMember reports whether a user name has need-to-know access.
func (ip *incidentPage) IsMember(username string) bool { return slices.Contains(ip.Members, username) }

// phases fills the stepper and the phases one may move to.
func (ip *incidentPage) phases() {
	cur := ip.Incident.Phase.Index()
	for i, ph := range incident.Phases {
		st := phaseStep{Phase: ph, State: "todo"}
		switch {
		case i < cur:
			st.State = "done"
		case i == cur:
			st.State = "current"
		}
		ip.Steps = append(ip.Steps, st)
		if i < cur {
			ip.Earlier = append(ip.Earlier, ph)
		} else if i > cur {
			ip.Later = append(ip.Later, ph)
		}
	}
	if len(ip.Later) > 0 {
		ip.Next = ip.Later[0]
	}
}

func (ip *incidentPage) roles() {
	for _, role := range incident.Roles {
		row := roleRow{Role: role}
		for _, a := range ip.Incident.Assignments {
			if a.Role == role {
				row.Username = a.Username
			}
		}
		ip.Roles = append(ip.Roles, row)
	}
}

// currentWorkingPhase is the phase new tasks go to: the current one, or review once closed.
func (ip *incidentPage) currentWorkingPhase() incident.Phase {
	if ip.Incident.Phase == incident.PhaseClosed {
		return incident.PhaseReview
	}
	return ip.Incident.Phase
}

// group sorts the tasks into their phases and finds the current phase's exit criteria.
func (ip *incidentPage) group(tasks []incident.Task) {
	for _, ph := range workingPhases {
		g := taskGroup{Phase: ph, Current: ph == ip.Incident.Phase}
		for _, t := range tasks {
			if t.Phase == ph {
				g.Tasks = append(g.Tasks, t)
			}
		}
		if len(g.Tasks) > 0 || g.Current {
			ip.Groups = append(ip.Groups, g)
		}
	}
	for _, t := range tasks {
		if !t.Status.Finished() {
			ip.TasksOpen++
		}
	}
	ip.Unmet = incident.UnmetExitCriteria(tasks, []incident.Phase{ip.Incident.Phase})
}

// IsKind reports whether the timeline shows entries of a kind (all kinds when none is picked).
func (ip *incidentPage) IsKind(k incident.EntryKind) bool {
	return ip.Kinds.Has("kind", k)
}

// HasCommander reports whether someone commands the incident.
func (ip *incidentPage) HasCommander() bool { return ip.Commander != "" }

// Closed reports whether the incident is closed.
func (ip *incidentPage) Closed() bool { return ip.Incident.Phase == incident.PhaseClosed }

// ClosedAfter is how long a closed incident was open.
func (ip *incidentPage) ClosedAfter() string {
	if ip.Incident.ClosedAt == nil {
		return "—"
	}
	return span(ip.Incident.ClosedAt.Sub(ip.Incident.CreatedAt))
}

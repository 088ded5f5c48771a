package httpapi

import (
	"net/http"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/intake"
	"github.com/quell-ir/quell/internal/store"
)

// Public marks a route that needs no authentication.
const Public access.Role = ""

// Route is one endpoint: its method and path pattern (net/http ServeMux syntax), the least
// role a caller needs, and what it takes and gives, for the OpenAPI document.
type Route struct {
	Method  string
	Pattern string
	// Min is the least role the caller must act with; Public for none.
	Min     access.Role
	Summary string
	Tag     string
	// Query names the query parameters the route reads.
	Query []string
	// Body is a zero value of the request body type; nil when the route takes no body.
	Body any
	// Response is a zero value of the response body type; nil for no body.
	Response any
	// Status is the status of a successful answer.
	Status int
	handle handlerFunc
}

// ID is the route's method and pattern, as the router knows it.
func (r Route) ID() string { return r.Method + " " + r.Pattern }

type handlerFunc func(s *Server, w http.ResponseWriter, r *http.Request, p access.Principal) error

// Routes lists every route of the API.
func Routes() []Route {
	const (
		v     = access.RoleViewer
		resp  = access.RoleResponder
		lead  = access.RoleLead
		admin = access.RoleAdmin
	)
	ok, created, none, accepted := http.StatusOK, http.StatusCreated, http.StatusNoContent, http.StatusAccepted
	return []Route{
		{"GET", "/healthz", Public, "Liveness: the process answers", "meta", nil, nil, nil, ok, (*Server).healthz},
		{"GET", "/readyz", Public, "Readiness: the database answers", "meta", nil, nil, nil, ok, (*Server).readyz},
		{"GET", "/metrics", Public, "Prometheus metrics", "meta", nil, nil, nil, ok, (*Server).metricsHandler},
		{"GET", "/api/v1/openapi.json", Public, "This API's OpenAPI 3.1 document", "meta", nil, nil, nil, ok, (*Server).openapi},

		{"POST", "/api/v1/auth/login", Public, "Sign in and open a browser session", "auth", nil, auth.LoginRequest{}, auth.Me{}, ok, (*Server).login},
		{"POST", "/api/v1/auth/token", Public, "Exchange a user name and password for an API token", "auth", nil, auth.TokenLoginRequest{}, auth.CreatedToken{}, created, (*Server).tokenLogin},
		{"POST", "/api/v1/auth/logout", v, "End the browser session", "auth", nil, nil, nil, none, (*Server).logout},
		{"GET", "/api/v1/me", v, "Who the caller is", "auth", nil, nil, auth.Me{}, ok, (*Server).me},
		{"POST", "/api/v1/me/password", v, "Change the caller's password", "auth", nil, auth.PasswordChange{}, nil, none, (*Server).changePassword},
		{"POST", "/api/v1/me/org", v, "Switch the session to another organisation", "auth", nil, auth.OrgSwitch{}, auth.Me{}, ok, (*Server).switchOrg},

		{"GET", "/api/v1/orgs", v, "Organisations the caller belongs to", "admin", nil, nil, []access.Org{}, ok, (*Server).listOrgs},
		{"POST", "/api/v1/orgs", admin, "Create an organisation", "admin", nil, auth.NewOrg{}, access.Org{}, created, (*Server).createOrg},
		{"GET", "/api/v1/users", v, "Members of the organisation", "admin", nil, nil, []access.Membership{}, ok, (*Server).listUsers},
		{"POST", "/api/v1/users", admin, "Create a user", "admin", nil, auth.NewUser{}, access.User{}, created, (*Server).createUser},
		{"GET", "/api/v1/users/{user}", v, "A user", "admin", nil, nil, auth.UserDetail{}, ok, (*Server).getUser},
		{"PATCH", "/api/v1/users/{user}", admin, "Change a user", "admin", nil, auth.UserPatch{}, auth.UserDetail{}, ok, (*Server).updateUser},
		{"GET", "/api/v1/tokens", v, "API tokens (own; admins: all)", "admin", nil, nil, []access.Token{}, ok, (*Server).listTokens},
		{"POST", "/api/v1/tokens", v, "Create an API token (its secret is shown once)", "admin", nil, auth.NewToken{}, auth.CreatedToken{}, created, (*Server).createToken},
		{"DELETE", "/api/v1/tokens/{token}", v, "Revoke an API token", "admin", nil, nil, nil, none, (*Server).revokeToken},

		{"GET", "/api/v1/incidents", v, "List incidents", "incidents",
			[]string{"phase", "severity", "type", "assignee", "tag", "status", "q", "sort", "cursor", "limit"}, nil, store.Page[incident.Incident]{}, ok, (*Server).listIncidents},
		{"POST", "/api/v1/incidents", resp, "Open an incident", "incidents", nil, casework.NewIncident{}, casework.IncidentDetail{}, created, (*Server).createIncident},
		{"GET", "/api/v1/incidents/{key}", v, "An incident", "incidents", nil, nil, casework.IncidentDetail{}, ok, (*Server).getIncident},
		{"PATCH", "/api/v1/incidents/{key}", resp, "Change an incident", "incidents", nil, casework.IncidentPatch{}, casework.IncidentDetail{}, ok, (*Server).updateIncident},
		{"POST", "/api/v1/incidents/{key}/phase", resp, "Move an incident to another phase", "incidents", nil, casework.PhaseRequest{}, casework.IncidentDetail{}, ok, (*Server).changePhase},
		{"GET", "/api/v1/incidents/{key}/phases", v, "Phase history", "incidents", nil, nil, []incident.PhaseChange{}, ok, (*Server).phaseHistory},
		{"PUT", "/api/v1/incidents/{key}/milestones/{milestone}", resp, "Set or correct a milestone", "incidents", nil, casework.MilestoneRequest{}, casework.IncidentDetail{}, ok, (*Server).correctMilestone},
		{"GET", "/api/v1/incidents/{key}/milestones", v, "Milestone corrections", "incidents", nil, nil, []incident.MilestoneCorrection{}, ok, (*Server).milestoneHistory},
		{"PUT", "/api/v1/incidents/{key}/roles/{role}", resp, "Assign an incident role", "incidents", nil, casework.RoleRequest{}, casework.IncidentDetail{}, ok, (*Server).assignRole},
		{"DELETE", "/api/v1/incidents/{key}/roles/{role}", resp, "Leave an incident role vacant", "incidents", nil, nil, casework.IncidentDetail{}, ok, (*Server).unassignRole},
		{"GET", "/api/v1/incidents/{key}/members", v, "Need-to-know members", "incidents", nil, nil, []string{}, ok, (*Server).members},
		{"PUT", "/api/v1/incidents/{key}/members/{user}", resp, "Give need-to-know access", "incidents", nil, nil, nil, none, (*Server).addMember},
		{"DELETE", "/api/v1/incidents/{key}/members/{user}", resp, "Remove need-to-know access", "incidents", nil, nil, nil, none, (*Server).removeMember},

		{"GET", "/api/v1/incidents/{key}/tasks", v, "An incident's tasks", "tasks", nil, nil, []incident.Task{}, ok, (*Server).listIncidentTasks},
		{"POST", "/api/v1/incidents/{key}/tasks", resp, "Add a task", "tasks", nil, casework.NewTask{}, incident.Task{}, created, (*Server).addTask},
		{"GET", "/api/v1/incidents/{key}/obligations", v, "An incident's SLA and regulatory clocks, triggers and submissions", "obligations", nil, nil, IncidentClocks{}, ok, (*Server).getIncidentClocks},
		{"POST", "/api/v1/incidents/{key}/triggers", resp, "Record a trigger that starts regulatory clocks", "obligations", nil, casework.NewTrigger{}, store.ObligationTrigger{}, created, (*Server).recordTrigger},
		{"POST", "/api/v1/incidents/{key}/submissions", resp, "Log a submission for an obligation", "obligations", nil, casework.NewSubmission{}, store.ObligationSubmission{}, created, (*Server).logSubmission},
		{"GET", "/api/v1/schemas/playbook.json", Public, "The JSON Schema of the playbook format, for editors", "playbooks", nil, nil, nil, ok, (*Server).playbookSchema},
		{"GET", "/api/v1/playbooks", v, "The playbook library: the newest version of each playbook", "playbooks", nil, nil, []casework.PlaybookInfo{}, ok, (*Server).listPlaybooks},
		{"GET", "/api/v1/playbooks/{id}", v, "A playbook with its source (newest version, or ?version=N)", "playbooks", []string{"version"}, nil, casework.PlaybookInfo{}, ok, (*Server).getPlaybook},
		{"GET", "/api/v1/playbooks/{id}/versions", v, "Every version of a playbook", "playbooks", nil, nil, []casework.PlaybookInfo{}, ok, (*Server).playbookVersions},
		{"PUT", "/api/v1/playbooks/{id}", lead, "Save a new version of a playbook (YAML, or JSON with the source); 400 with lint messages", "playbooks", nil, PlaybookSource{}, casework.PlaybookSaved{}, ok, (*Server).savePlaybook},
		{"POST", "/api/v1/playbooks/lint", v, "Lint a playbook source (?id= checks it as a new version of that playbook)", "playbooks", []string{"id"}, PlaybookSource{}, LintResult{}, ok, (*Server).lintPlaybook},
		{"GET", "/api/v1/incidents/{key}/playbooks", v, "The playbooks applied to an incident", "playbooks", nil, nil, []store.AppliedPlaybook{}, ok, (*Server).appliedPlaybooks},
		{"POST", "/api/v1/incidents/{key}/playbooks", resp, "Apply a playbook to an incident by hand", "playbooks", nil, casework.ApplyPlaybookRequest{}, casework.ApplyResult{}, ok, (*Server).applyPlaybook},
		{"GET", "/api/v1/obligations/rules", v, "The obligation rules in force (aids, not legal advice)", "obligations", nil, nil, ObligationRules{}, ok, (*Server).obligationRules},
		{"GET", "/api/v1/tasks", v, "Tasks across incidents", "tasks", []string{"assignee", "status", "overdue", "incident", "cursor", "limit"}, nil, store.Page[incident.Task]{}, ok, (*Server).findTasks},
		{"GET", "/api/v1/tasks/{id}", v, "A task", "tasks", nil, nil, incident.Task{}, ok, (*Server).getTask},
		{"PATCH", "/api/v1/tasks/{id}", resp, "Change a task", "tasks", nil, casework.TaskPatch{}, incident.Task{}, ok, (*Server).updateTask},

		{"GET", "/api/v1/incidents/{key}/notes", v, "An incident's notes", "notes", nil, nil, []casework.NoteDetail{}, ok, (*Server).listNotes},
		{"POST", "/api/v1/incidents/{key}/notes", resp, "Add a note", "notes", nil, casework.NewNote{}, casework.NoteDetail{}, created, (*Server).addNote},
		{"GET", "/api/v1/notes/{id}", v, "A note", "notes", nil, nil, casework.NoteDetail{}, ok, (*Server).getNote},
		{"PATCH", "/api/v1/notes/{id}", resp, "Edit a note", "notes", nil, casework.NotePatch{}, casework.NoteDetail{}, ok, (*Server).updateNote},
		{"GET", "/api/v1/notes/{id}/revisions", v, "A note's earlier revisions", "notes", nil, nil, []incident.NoteRevision{}, ok, (*Server).noteRevisions},

		{"GET", "/api/v1/incidents/{key}/timeline", v, "An incident's timeline", "timeline", []string{"kind", "flagged", "cursor", "limit"}, nil, store.Page[incident.Entry]{}, ok, (*Server).listTimeline},
		{"POST", "/api/v1/incidents/{key}/timeline", resp, "Add a timeline entry (may be backdated)", "timeline", nil, casework.NewEntry{}, incident.Entry{}, created, (*Server).addEntry},
		{"PATCH", "/api/v1/timeline/{id}", resp, "Flag or unflag a timeline entry", "timeline", nil, casework.EntryPatch{}, incident.Entry{}, ok, (*Server).flagEntry},

		{"GET", "/api/v1/assets", v, "The asset inventory", "assets", []string{"kind", "q", "cursor", "limit"}, nil, store.Page[asset.Asset]{}, ok, (*Server).listAssets},
		{"POST", "/api/v1/assets", resp, "Add an asset", "assets", nil, casework.NewAsset{}, asset.Asset{}, created, (*Server).createAsset},
		{"GET", "/api/v1/assets/{id}", v, "An asset", "assets", nil, nil, asset.Asset{}, ok, (*Server).getAsset},
		{"PATCH", "/api/v1/assets/{id}", resp, "Change an asset", "assets", nil, casework.AssetPatch{}, asset.Asset{}, ok, (*Server).updateAsset},
		{"GET", "/api/v1/assets/{id}/incidents", v, "Incidents an asset was part of", "assets", nil, nil, []asset.Link{}, ok, (*Server).assetIncidents},
		{"GET", "/api/v1/incidents/{key}/assets", v, "An incident's assets", "assets", nil, nil, []asset.Link{}, ok, (*Server).incidentAssets},
		{"PUT", "/api/v1/incidents/{key}/assets/{id}", resp, "Link an asset or change its status", "assets", nil, casework.LinkRequest{}, asset.Link{}, ok, (*Server).linkAsset},
		{"DELETE", "/api/v1/incidents/{key}/assets/{id}", resp, "Unlink an asset", "assets", nil, nil, nil, none, (*Server).unlinkAsset},

		{"POST", "/api/v1/alerts", IntakeToken, "Send alerts in Quell's schema (one or an array); 202 once committed", "intake", nil, alert.Input{}, intake.Receipt{}, accepted, (*Server).postAlerts},
		{"POST", "/api/v1/intake/{format}", IntakeToken, "Send a tool's native alert payload; 202 once committed", "intake", []string{"token"}, nil, intake.Receipt{}, accepted, (*Server).postIntake},
		{"GET", "/api/v1/alerts", v, "The alert queue", "alerts", []string{"status", "severity", "source", "silenced", "q", "observable", "incident", "cursor", "limit"}, nil, store.Page[alert.Alert]{}, ok, (*Server).listAlerts},
		{"GET", "/api/v1/alerts/{id}", v, "An alert with its raw payload", "alerts", nil, nil, AlertDetail{}, ok, (*Server).getAlert},
		{"POST", "/api/v1/alerts/triage", resp, "Promote, attach or dismiss alerts, in bulk", "alerts", nil, casework.TriageRequest{}, casework.TriageResult{}, ok, (*Server).triageAlerts},
		{"GET", "/api/v1/silences", v, "Silences", "alerts", []string{"active"}, nil, []alert.Silence{}, ok, (*Server).listSilences},
		{"POST", "/api/v1/silences", resp, "Mute matching alerts for a while (they are kept and marked)", "alerts", nil, casework.NewSilence{}, alert.Silence{}, created, (*Server).createSilence},
		{"GET", "/api/v1/silences/{id}", v, "A silence", "alerts", nil, nil, alert.Silence{}, ok, (*Server).getSilence},
		{"DELETE", "/api/v1/silences/{id}", resp, "End a silence now", "alerts", nil, nil, nil, none, (*Server).expireSilence},
		{"GET", "/api/v1/intake-sources", admin, "Intake sources", "intake", nil, nil, []alert.IntakeSource{}, ok, (*Server).listIntakeSources},
		{"POST", "/api/v1/intake-sources", admin, "Add an intake source (its token is shown once)", "intake", nil, casework.NewIntakeSource{}, casework.CreatedIntakeSource{}, created, (*Server).createIntakeSource},
		{"GET", "/api/v1/intake-sources/{id}", admin, "An intake source", "intake", nil, nil, alert.IntakeSource{}, ok, (*Server).getIntakeSource},
		{"DELETE", "/api/v1/intake-sources/{id}", admin, "Revoke an intake source's token", "intake", nil, nil, nil, none, (*Server).revokeIntakeSource},

		{"GET", "/api/v1/plan", v, "The newest version of the incident response plan", "plan", nil, nil, casework.PlanDetail{}, ok, (*Server).getPlan},
		{"PUT", "/api/v1/plan", lead, "Save the plan as a new draft version", "plan", nil, casework.PlanRequest{}, casework.PlanDetail{}, ok, (*Server).savePlan},
		{"GET", "/api/v1/plan/versions", v, "Every version of the plan, newest first", "plan", nil, nil, []casework.PlanDetail{}, ok, (*Server).planVersions},
		{"POST", "/api/v1/plan/approve", lead, "Approve the newest version of the plan", "plan", nil, casework.ApproveRequest{}, casework.PlanDetail{}, ok, (*Server).approvePlan},
		{"GET", "/api/v1/plan/export", v, "Download the plan as Markdown or HTML", "plan", []string{"format", "version"}, nil, nil, ok, (*Server).exportPlan},
		{"GET", "/api/v1/contacts", v, "Contacts", "people", []string{"archived"}, nil, []store.Contact{}, ok, (*Server).listContacts},
		{"POST", "/api/v1/contacts", resp, "Add a contact", "people", nil, casework.ContactRequest{}, store.Contact{}, created, (*Server).createContact},
		{"GET", "/api/v1/contacts/{id}", v, "A contact", "people", nil, nil, store.Contact{}, ok, (*Server).getContact},
		{"PUT", "/api/v1/contacts/{id}", resp, "Change a contact", "people", nil, casework.ContactRequest{}, store.Contact{}, ok, (*Server).updateContact},
		{"DELETE", "/api/v1/contacts/{id}", resp, "Archive a contact", "people", nil, nil, nil, none, (*Server).archiveContact},
		{"GET", "/api/v1/teams", v, "Teams", "people", []string{"archived"}, nil, []store.Team{}, ok, (*Server).listTeams},
		{"POST", "/api/v1/teams", resp, "Add a team", "people", nil, casework.TeamRequest{}, store.Team{}, created, (*Server).createTeam},
		{"GET", "/api/v1/teams/{id}", v, "A team", "people", nil, nil, store.Team{}, ok, (*Server).getTeam},
		{"PUT", "/api/v1/teams/{id}", resp, "Change a team", "people", nil, casework.TeamRequest{}, store.Team{}, ok, (*Server).updateTeam},
		{"DELETE", "/api/v1/teams/{id}", resp, "Archive a team", "people", nil, nil, nil, none, (*Server).archiveTeam},
		{"GET", "/api/v1/rosters", v, "Rosters: who can fill an incident role when", "people", []string{"role", "at", "archived"}, nil, []store.Roster{}, ok, (*Server).listRosters},
		{"POST", "/api/v1/rosters", resp, "Add a roster", "people", nil, casework.RosterRequest{}, store.Roster{}, created, (*Server).createRoster},
		{"GET", "/api/v1/rosters/suggest", v, "Who the rosters suggest for an incident role at a time", "people", []string{"role", "at"}, nil, casework.Suggestions{}, ok, (*Server).suggestAssignees},
		{"GET", "/api/v1/rosters/{id}", v, "A roster", "people", nil, nil, store.Roster{}, ok, (*Server).getRoster},
		{"PUT", "/api/v1/rosters/{id}", resp, "Change a roster", "people", nil, casework.RosterRequest{}, store.Roster{}, ok, (*Server).updateRoster},
		{"DELETE", "/api/v1/rosters/{id}", resp, "Archive a roster", "people", nil, nil, nil, none, (*Server).archiveRoster},

		{"GET", "/api/v1/audit", v, "Audit records (admins: all; others: of one incident)", "audit", []string{"incident", "after", "limit"}, nil, store.Page[audit.Record]{}, ok, (*Server).listAudit},
		{"GET", "/api/v1/search", v, "Full-text search", "search", []string{"q", "limit"}, nil, []store.SearchHit{}, ok, (*Server).search},
	}
}

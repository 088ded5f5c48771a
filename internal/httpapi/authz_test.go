package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/httpapi"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/intake"
	"github.com/quell-ir/quell/internal/plan"
	"github.com/quell-ir/quell/internal/store"
)

// reach says what a route's path names, which decides who gets 404 for it.
type reach int

const (
	// noObject: the route names no object (collections, the caller itself).
	noObject reach = iota
	// incidentObject: the path names an incident or something that belongs to one.
	incidentObject
	// orgObject: the path names an object of the organisation outside incidents.
	orgObject
)

type policy struct {
	min   access.Role
	reach reach
	body  string
	// objMin, when set, is the least role needed once the object is found (the incident
	// commander may also act; none of the principals here is one).
	objMin access.Role
}

// authzPolicy is the authorization policy of every route, written down independently of the
// route table: a route added without an entry here fails TestAuthorizationMatrix.
var authzPolicy = map[string]policy{
	"GET /healthz":             {httpapi.Public, noObject, "", ""},
	"GET /readyz":              {httpapi.Public, noObject, "", ""},
	"GET /metrics":             {httpapi.Public, noObject, "", ""},
	"GET /api/v1/openapi.json": {httpapi.Public, noObject, "", ""},

	"POST /api/v1/auth/login":  {httpapi.Public, noObject, `{"username":"admin","password":"` + adminPassword + `"}`, ""},
	"POST /api/v1/auth/token":  {httpapi.Public, noObject, `{"username":"admin","password":"` + adminPassword + `","name":"m","scope":"read"}`, ""},
	"POST /api/v1/auth/logout": {access.RoleViewer, noObject, "", ""},
	"GET /api/v1/me":           {access.RoleViewer, noObject, "", ""},
	"POST /api/v1/me/password": {access.RoleViewer, noObject, `{"current":"not-the-password","new":"a-new-password-1"}`, ""},
	"POST /api/v1/me/org":      {access.RoleViewer, noObject, `{"org":"default"}`, ""},

	"GET /api/v1/orgs":              {access.RoleViewer, noObject, "", ""},
	"POST /api/v1/orgs":             {access.RoleAdmin, noObject, `{"slug":"matrix","name":"Matrix"}`, ""},
	"GET /api/v1/users":             {access.RoleViewer, noObject, "", ""},
	"POST /api/v1/users":            {access.RoleAdmin, noObject, `{"username":"matrix-user","password":"matrix-password-1","role":"viewer"}`, ""},
	"GET /api/v1/users/{user}":      {access.RoleViewer, orgObject, "", ""},
	"PATCH /api/v1/users/{user}":    {access.RoleAdmin, orgObject, `{"display_name":"Vera V."}`, ""},
	"GET /api/v1/tokens":            {access.RoleViewer, noObject, "", ""},
	"POST /api/v1/tokens":           {access.RoleViewer, noObject, `{"name":"m","scope":"read"}`, ""},
	"DELETE /api/v1/tokens/{token}": {access.RoleViewer, orgObject, "", ""},

	"GET /api/v1/incidents":                              {access.RoleViewer, noObject, "", ""},
	"POST /api/v1/incidents":                             {access.RoleResponder, noObject, `{"title":"matrix","severity":"low"}`, ""},
	"GET /api/v1/incidents/{key}":                        {access.RoleViewer, incidentObject, "", ""},
	"PATCH /api/v1/incidents/{key}":                      {access.RoleResponder, incidentObject, `{"summary":"matrix"}`, ""},
	"POST /api/v1/incidents/{key}/phase":                 {access.RoleResponder, incidentObject, `{"to":"containment","reason":"matrix"}`, ""},
	"GET /api/v1/incidents/{key}/phases":                 {access.RoleViewer, incidentObject, "", ""},
	"PUT /api/v1/incidents/{key}/milestones/{milestone}": {access.RoleResponder, incidentObject, `{"at":null,"reason":"matrix"}`, ""},
	"GET /api/v1/incidents/{key}/milestones":             {access.RoleViewer, incidentObject, "", ""},
	"PUT /api/v1/incidents/{key}/roles/{role}":           {access.RoleResponder, incidentObject, `{"user":"vera"}`, ""},
	"DELETE /api/v1/incidents/{key}/roles/{role}":        {access.RoleResponder, incidentObject, "", ""},
	"GET /api/v1/incidents/{key}/members":                {access.RoleViewer, incidentObject, "", ""},
	"PUT /api/v1/incidents/{key}/members/{user}":         {access.RoleResponder, incidentObject, "", access.RoleLead},
	"DELETE /api/v1/incidents/{key}/members/{user}":      {access.RoleResponder, incidentObject, "", access.RoleLead},
	"GET /api/v1/incidents/{key}/tasks":                  {access.RoleViewer, incidentObject, "", ""},
	"POST /api/v1/incidents/{key}/tasks":                 {access.RoleResponder, incidentObject, `{"title":"matrix","phase":"identification"}`, ""},
	"GET /api/v1/incidents/{key}/obligations":            {access.RoleViewer, incidentObject, "", ""},
	"POST /api/v1/incidents/{key}/triggers":              {access.RoleResponder, incidentObject, `{"name":"classified_major","note":"matrix"}`, ""},
	"POST /api/v1/incidents/{key}/submissions":           {access.RoleResponder, incidentObject, `{"obligation":"gdpr-art33","reference":"matrix"}`, ""},
	"GET /api/v1/obligations/rules":                      {access.RoleViewer, noObject, "", ""},
	"GET /api/v1/schemas/playbook.json":                  {httpapi.Public, noObject, "", ""},
	"GET /api/v1/playbooks":                              {access.RoleViewer, noObject, "", ""},
	"GET /api/v1/playbooks/{id}":                         {access.RoleViewer, noObject, "", ""},
	"GET /api/v1/playbooks/{id}/versions":                {access.RoleViewer, noObject, "", ""},
	"PUT /api/v1/playbooks/{id}":                         {access.RoleLead, noObject, `{"source":"id: phishing\nname: Matrix\nversion: 2\nroles: [commander]\nphases:\n  identification:\n    steps:\n      - id: a\n        title: A\n        role: commander\n"}`, ""},
	"POST /api/v1/playbooks/lint":                        {access.RoleViewer, noObject, `{"source":"id: matrix\n"}`, ""},
	"GET /api/v1/incidents/{key}/playbooks":              {access.RoleViewer, incidentObject, "", ""},
	"POST /api/v1/incidents/{key}/playbooks":             {access.RoleResponder, incidentObject, `{"playbook":"phishing"}`, ""},
	"GET /api/v1/tasks":                                  {access.RoleViewer, noObject, "", ""},
	"GET /api/v1/tasks/{id}":                             {access.RoleViewer, incidentObject, "", ""},
	"PATCH /api/v1/tasks/{id}":                           {access.RoleResponder, incidentObject, `{"status":"in_progress"}`, ""},
	"GET /api/v1/incidents/{key}/notes":                  {access.RoleViewer, incidentObject, "", ""},
	"POST /api/v1/incidents/{key}/notes":                 {access.RoleResponder, incidentObject, `{"body":"matrix"}`, ""},
	"GET /api/v1/notes/{id}":                             {access.RoleViewer, incidentObject, "", ""},
	"PATCH /api/v1/notes/{id}":                           {access.RoleResponder, incidentObject, `{"body":"matrix edit"}`, ""},
	"GET /api/v1/notes/{id}/revisions":                   {access.RoleViewer, incidentObject, "", ""},
	"GET /api/v1/incidents/{key}/timeline":               {access.RoleViewer, incidentObject, "", ""},
	"POST /api/v1/incidents/{key}/timeline":              {access.RoleResponder, incidentObject, `{"text":"matrix"}`, ""},
	"PATCH /api/v1/timeline/{id}":                        {access.RoleResponder, incidentObject, `{"flagged":true}`, ""},
	"GET /api/v1/assets":                                 {access.RoleViewer, noObject, "", ""},
	"POST /api/v1/assets":                                {access.RoleResponder, noObject, `{"kind":"host","name":"matrix","criticality":2}`, ""},
	"GET /api/v1/assets/{id}":                            {access.RoleViewer, orgObject, "", ""},
	"PATCH /api/v1/assets/{id}":                          {access.RoleResponder, orgObject, `{"owner":"matrix"}`, ""},
	"GET /api/v1/assets/{id}/incidents":                  {access.RoleViewer, orgObject, "", ""},
	"GET /api/v1/incidents/{key}/assets":                 {access.RoleViewer, incidentObject, "", ""},
	"PUT /api/v1/incidents/{key}/assets/{id}":            {access.RoleResponder, incidentObject, `{"status":"suspected"}`, ""},
	"DELETE /api/v1/incidents/{key}/assets/{id}":         {access.RoleResponder, incidentObject, "", ""},
	"POST /api/v1/alerts":                                {httpapi.IntakeToken, noObject, `{"source":"matrix","title":"matrix alert"}`, ""},
	"POST /api/v1/intake/{format}":                       {httpapi.IntakeToken, noObject, `{"source":"matrix","title":"matrix alert"}`, ""},
	"GET /api/v1/alerts":                                 {access.RoleViewer, noObject, "", ""},
	"GET /api/v1/alerts/{id}":                            {access.RoleViewer, incidentObject, "", ""},
	"POST /api/v1/alerts/triage":                         {access.RoleResponder, noObject, `{"ids":["01ARZ3NDEKTSV4RRFFQ69G5FAV"],"action":"dismiss","verdict":"benign"}`, ""},
	"GET /api/v1/silences":                               {access.RoleViewer, noObject, "", ""},
	"POST /api/v1/silences":                              {access.RoleResponder, noObject, `{"matchers":[{"name":"source","op":"=","value":"matrix"}],"ends_at":"2099-01-01T00:00:00Z","reason":"matrix"}`, ""},
	"GET /api/v1/silences/{id}":                          {access.RoleViewer, orgObject, "", ""},
	"DELETE /api/v1/silences/{id}":                       {access.RoleResponder, orgObject, "", ""},
	"GET /api/v1/intake-sources":                         {access.RoleAdmin, noObject, "", ""},
	"POST /api/v1/intake-sources":                        {access.RoleAdmin, noObject, `{"name":"matrix-SOURCE","format":"quell"}`, ""},
	"GET /api/v1/intake-sources/{id}":                    {access.RoleAdmin, orgObject, "", ""},
	"DELETE /api/v1/intake-sources/{id}":                 {access.RoleAdmin, orgObject, "", ""},
	"GET /api/v1/audit":                                  {access.RoleViewer, noObject, "", ""},
	"GET /api/v1/search":                                 {access.RoleViewer, noObject, "", ""},

	"GET /api/v1/plan":             {access.RoleViewer, noObject, "", ""},
	"PUT /api/v1/plan":             {access.RoleLead, noObject, `{"content":{"title":"Matrix plan","review_months":6}}`, ""},
	"GET /api/v1/plan/versions":    {access.RoleViewer, noObject, "", ""},
	"POST /api/v1/plan/approve":    {access.RoleLead, noObject, `{}`, ""},
	"GET /api/v1/plan/export":      {access.RoleViewer, noObject, "", ""},
	"GET /api/v1/contacts":         {access.RoleViewer, noObject, "", ""},
	"POST /api/v1/contacts":        {access.RoleResponder, noObject, `{"name":"Matrix"}`, ""},
	"GET /api/v1/contacts/{id}":    {access.RoleViewer, orgObject, "", ""},
	"PUT /api/v1/contacts/{id}":    {access.RoleResponder, orgObject, `{"name":"Matrix edit"}`, ""},
	"DELETE /api/v1/contacts/{id}": {access.RoleResponder, orgObject, "", ""},
	"GET /api/v1/teams":            {access.RoleViewer, noObject, "", ""},
	"POST /api/v1/teams":           {access.RoleResponder, noObject, `{"name":"Matrix"}`, ""},
	"GET /api/v1/teams/{id}":       {access.RoleViewer, orgObject, "", ""},
	"PUT /api/v1/teams/{id}":       {access.RoleResponder, orgObject, `{"name":"Matrix edit"}`, ""},
	"DELETE /api/v1/teams/{id}":    {access.RoleResponder, orgObject, "", ""},
	"GET /api/v1/rosters":          {access.RoleViewer, noObject, "", ""},
	"POST /api/v1/rosters":         {access.RoleResponder, noObject, `{"role":"scribe","week":"2030-W10","users":["vera"]}`, ""},
	"GET /api/v1/rosters/suggest":  {access.RoleViewer, noObject, "", ""},
	"GET /api/v1/rosters/{id}":     {access.RoleViewer, orgObject, "", ""},
	"PUT /api/v1/rosters/{id}":     {access.RoleResponder, orgObject, `{"role":"scribe","week":"2030-W11","users":["vera"]}`, ""},
	"DELETE /api/v1/rosters/{id}":  {access.RoleResponder, orgObject, "", ""},
}

// objects are the ids a path is filled with: one set on an ordinary incident, one on a
// restricted incident.
type objects struct {
	key, id, task, note, entry string
	// alert belongs to the incident (or to none, for the open one); silence and source are
	// the organisation's.
	alert, silence, source string
	// contact, team and roster are the organisation's people records.
	contact, team, roster string
}

type principal struct {
	name  string
	role  access.Role // "" for anonymous
	token string
	// restricted: use the restricted incident's objects; this principal is not its member.
	restricted bool
	// otherOrg: the principal belongs to another organisation only.
	otherOrg bool
	// ownToken is a token of this principal's own, for the revoke route.
	ownToken string
	// intake marks an intake source's token, good for the intake routes only.
	intake bool
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, viewer := e.addUser("vera", access.RoleViewer)
	_, responder := e.addUser("rick", access.RoleResponder)
	_, lead := e.addUser("lena", access.RoleLead)
	_, outsider := e.addUser("nora", access.RoleResponder)
	e.call("POST", "/api/v1/orgs", e.admin, auth.NewOrg{Slug: "other", Name: "Other customer"}, http.StatusCreated, nil)
	// Otto belongs to the other organisation only, as its admin.
	otherAdmin, err := e.auth.CreateUserDirect(e.ctx, "other", auth.NewUser{Username: "otto", Password: "otto-password-123", Role: access.RoleAdmin})
	require.NoError(t, err)
	require.NotEmpty(t, otherAdmin.ID)
	other := e.tokenFor("otto", "otto-password-123", access.ScopeAdmin)

	// An ordinary incident and a restricted one, each with a task, a note and an entry.
	mk := func(restricted bool) objects {
		var inc casework.IncidentDetail
		e.call("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "matrix", Severity: incident.SeverityLow, Restricted: restricted}, http.StatusCreated, &inc)
		var o objects
		o.key, o.id = inc.Key, inc.ID
		var task incident.Task
		e.call("POST", "/api/v1/incidents/"+inc.Key+"/tasks", e.admin, casework.NewTask{Title: "t", Phase: incident.PhaseIdentification}, http.StatusCreated, &task)
		var note casework.NoteDetail
		e.call("POST", "/api/v1/incidents/"+inc.Key+"/notes", e.admin, casework.NewNote{Body: "n"}, http.StatusCreated, &note)
		var entry incident.Entry
		e.call("POST", "/api/v1/incidents/"+inc.Key+"/timeline", e.admin, casework.NewEntry{Text: "e"}, http.StatusCreated, &entry)
		o.task, o.note, o.entry = task.ID, note.ID, entry.ID
		return o
	}
	open, closed := mk(false), mk(true)
	var src casework.CreatedIntakeSource
	e.call("POST", "/api/v1/intake-sources", e.admin, casework.NewIntakeSource{Name: "matrix", Format: "quell"}, http.StatusCreated, &src)
	var receipt intake.Receipt
	e.call("POST", "/api/v1/alerts", src.Token, []map[string]string{{"source": "ids", "title": "one"}, {"source": "ids", "title": "two"}},
		http.StatusAccepted, &receipt)
	e.call("POST", "/api/v1/alerts/triage", e.admin, casework.TriageRequest{IDs: []string{receipt.Alerts[1].ID},
		Action: casework.TriageAttach, Incident: closed.key}, http.StatusOK, nil)
	var sil alert.Silence
	e.call("POST", "/api/v1/silences", e.admin, casework.NewSilence{Matchers: []alert.Matcher{{Name: "source", Op: alert.OpEqual, Value: "nothing"}},
		EndsAt: time.Now().Add(time.Hour), Reason: "matrix"}, http.StatusCreated, &sil)
	open.alert, closed.alert = receipt.Alerts[0].ID, receipt.Alerts[1].ID
	for _, o := range []*objects{&open, &closed} {
		o.silence, o.source = sil.ID, src.ID
	}
	// A plan in each organisation (the other one's is its own), and one contact, team and roster.
	e.call("PUT", "/api/v1/plan", e.admin, casework.PlanRequest{Content: plan.Content{Title: "Matrix"}}, http.StatusOK, nil)
	e.call("PUT", "/api/v1/plan", other, casework.PlanRequest{Content: plan.Content{Title: "Other"}}, http.StatusOK, nil)
	var contact store.Contact
	e.call("POST", "/api/v1/contacts", e.admin, casework.ContactRequest{Name: "Matrix"}, http.StatusCreated, &contact)
	var team store.Team
	e.call("POST", "/api/v1/teams", e.admin, casework.TeamRequest{Name: "Matrix", Members: []string{contact.ID}}, http.StatusCreated, &team)
	var roster store.Roster
	e.call("POST", "/api/v1/rosters", e.admin, casework.RosterRequest{Role: incident.RoleScribe, Week: "2030-W10", Contacts: []string{contact.ID}},
		http.StatusCreated, &roster)
	for _, o := range []*objects{&open, &closed} {
		o.contact, o.team, o.roster = contact.ID, team.ID, roster.ID
	}
	var host asset.Asset
	e.call("POST", "/api/v1/assets", e.admin, casework.NewAsset{Kind: asset.KindHost, Name: "h", Criticality: 2}, http.StatusCreated, &host)

	throwaway := func(token string) string {
		var ct auth.CreatedToken
		e.call("POST", "/api/v1/tokens", token, auth.NewToken{Name: "throwaway", Scope: access.ScopeRead}, http.StatusCreated, &ct)
		return ct.ID
	}
	principals := []principal{
		{name: "anonymous"},
		{name: "viewer", role: access.RoleViewer, token: viewer},
		{name: "responder", role: access.RoleResponder, token: responder},
		{name: "lead", role: access.RoleLead, token: lead},
		{name: "non-member", role: access.RoleResponder, token: outsider, restricted: true},
		{name: "other-org", role: access.RoleAdmin, token: other, otherOrg: true},
		{name: "admin", role: access.RoleAdmin, token: e.admin},
		{name: "intake-source", token: src.Token, intake: true},
	}
	for i := range principals {
		if principals[i].token != "" && !principals[i].intake {
			principals[i].ownToken = throwaway(principals[i].token)
		}
	}
	adminToken := throwaway(e.admin)

	routes := httpapi.Routes()
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt.ID()] = true
		pol, ok := authzPolicy[rt.ID()]
		require.True(t, ok, "route %s has no entry in the authorization policy: add one", rt.ID())
		require.Equal(t, pol.min, rt.Min, "route %s: the route table and the policy disagree on the least role", rt.ID())
	}
	for id := range authzPolicy {
		require.True(t, seen[id], "policy entry %s names no route", id)
	}

	for _, rt := range routes {
		pol := authzPolicy[rt.ID()]
		for _, pr := range principals {
			objs := open
			if pr.restricted {
				objs = closed
			}
			if pr.otherOrg {
				// Keys are numbered per organisation (the other one has an INC-1 of its
				// own); the sortable id names this organisation's incident unambiguously.
				objs.key = objs.id
			}
			tokenID := pr.ownToken
			if pr.otherOrg || pr.token == "" || pr.intake {
				tokenID = adminToken
			}
			path := fillPath(rt.Pattern, objs, host.ID, tokenID)
			var body any
			if pol.body != "" {
				body = pol.body
			}
			resp, data := e.request(rt.Method, path, pr.token, body)
			what := pr.name + " " + rt.Method + " " + path + ": " + string(data)

			require.Less(t, resp.StatusCode, 500, what)
			require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'", what)
			require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), what)
			require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"), what)

			switch want := expected(pol, pr); want {
			case allowed:
				require.NotContains(t, []int{401, 403, 404}, resp.StatusCode, what)
			default:
				require.Equal(t, int(want), resp.StatusCode, what)
			}
		}
	}
}

type outcome int

const allowed outcome = 0

func expected(pol policy, pr principal) outcome {
	switch {
	case pol.min == httpapi.IntakeToken && pr.intake:
		return allowed
	case pol.min == httpapi.IntakeToken, pr.intake:
		// An intake token is good for intake only; nothing else takes it, and intake takes
		// nothing else.
		return http.StatusUnauthorized
	}
	if pol.min == httpapi.Public {
		return allowed
	}
	if pr.token == "" {
		return http.StatusUnauthorized
	}
	if !pr.role.AtLeast(pol.min) {
		return http.StatusForbidden
	}
	switch {
	case pr.otherOrg && pol.reach != noObject:
		return http.StatusNotFound
	case pr.restricted && pol.reach == incidentObject:
		return http.StatusNotFound
	case pol.objMin != "" && !pr.role.AtLeast(pol.objMin):
		return http.StatusForbidden
	}
	return allowed
}

func fillPath(pattern string, o objects, assetID, tokenID string) string {
	idFor := o.task
	switch {
	case strings.HasPrefix(pattern, "/api/v1/notes/"):
		idFor = o.note
	case strings.HasPrefix(pattern, "/api/v1/timeline/"):
		idFor = o.entry
	case strings.Contains(pattern, "assets/{id}"):
		idFor = assetID
	case strings.HasPrefix(pattern, "/api/v1/alerts/"):
		idFor = o.alert
	case strings.HasPrefix(pattern, "/api/v1/silences/"):
		idFor = o.silence
	case strings.HasPrefix(pattern, "/api/v1/intake-sources/"):
		idFor = o.source
	case strings.HasPrefix(pattern, "/api/v1/contacts/"):
		idFor = o.contact
	case strings.HasPrefix(pattern, "/api/v1/teams/"):
		idFor = o.team
	case strings.HasPrefix(pattern, "/api/v1/rosters/"):
		idFor = o.roster
	case strings.HasPrefix(pattern, "/api/v1/playbooks/"):
		idFor = "phishing" // built in: every organisation has it
	}
	return strings.NewReplacer("{key}", o.key, "{id}", idFor, "{user}", "vera", "{token}", tokenID,
		"{role}", "scribe", "{milestone}", "occurred_at", "{format}", "quell").Replace(pattern)
}

package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/httpapi"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

func ptr[T any](v T) *T { return &v }

// TestIncidentLifecycle walks one ransomware incident from identification to closed through
// the API, as a team would work it, and checks the milestones, the timeline and the audit chain.
func TestIncidentLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, lena := e.addUser("lena", access.RoleLead)
	_, rick := e.addUser("rick", access.RoleResponder)
	_, vera := e.addUser("vera", access.RoleViewer)

	occurred := time.Now().UTC().Add(-30 * time.Hour).Truncate(time.Second)
	var inc casework.IncidentDetail
	// Type other: no playbook applies, so the tasks added below are the incident's only ones
	// (playbooks_test.go covers the tasks playbooks add).
	e.call("POST", "/api/v1/incidents", rick, casework.NewIncident{
		Title: "Ransom note on file server fs01", Severity: incident.SeverityHigh, Type: incident.TypeOther,
		Tags: []string{"Ransomware", "fs01"}, OccurredAt: &occurred, CustomFields: map[string]string{"ticket": "CHG-1"},
	}, http.StatusCreated, &inc)
	require.Equal(t, "INC-1", inc.Key)
	require.Equal(t, incident.PhaseIdentification, inc.Phase)
	require.Equal(t, incident.P2, inc.Priority, "high severity with no asset is P2")
	require.Equal(t, []string{"ransomware", "fs01"}, inc.Tags)
	require.NotNil(t, inc.DetectedAt)
	require.NotNil(t, inc.ReportedAt)
	require.True(t, inc.OccurredAt.Equal(occurred))

	// The crown-jewel file server is compromised: priority rises to P1.
	var fs01 asset.Asset
	e.call("POST", "/api/v1/assets", rick, casework.NewAsset{Kind: asset.KindHost, Name: "fs01", Criticality: 4,
		Owner: "IT operations", PersonalData: true,
		Identifiers: []asset.Identifier{{Type: asset.IDHostname, Value: "FS01.corp.example"}, {Type: asset.IDIP, Value: "10.0.4.17"}}},
		http.StatusCreated, &fs01)
	require.Equal(t, "fs01.corp.example", fs01.Identifiers[0].Value)
	e.call("PUT", "/api/v1/incidents/INC-1/assets/"+fs01.ID, rick, casework.LinkRequest{Status: asset.LinkCompromised, Note: "ransom note found"}, http.StatusOK, nil)
	e.call("GET", "/api/v1/incidents/INC-1", vera, nil, http.StatusOK, &inc)
	require.Equal(t, incident.P1, inc.Priority)
	require.Equal(t, 4, inc.MaxCriticality)

	// Roles.
	require.Nil(t, inc.AcknowledgedAt)
	e.call("PUT", "/api/v1/incidents/INC-1/roles/commander", rick, casework.RoleRequest{User: "lena"}, http.StatusOK, &inc)
	require.NotNil(t, inc.AcknowledgedAt, "taking command acknowledges the incident")
	acknowledged := *inc.AcknowledgedAt
	e.call("PUT", "/api/v1/incidents/INC-1/roles/scribe", rick, casework.RoleRequest{User: "rick"}, http.StatusOK, &inc)
	require.Len(t, inc.Assignments, 2)

	// Tasks: one required per phase gate.
	var scope, isolate incident.Task
	e.call("POST", "/api/v1/incidents/INC-1/tasks", rick, casework.NewTask{Phase: incident.PhaseIdentification,
		Title: "Confirm scope of encryption", Required: true, Assignee: "rick", Role: incident.RoleTechnicalLead,
		DueAt: ptr(time.Now().Add(2 * time.Hour))}, http.StatusCreated, &scope)
	e.call("POST", "/api/v1/incidents/INC-1/tasks", rick, casework.NewTask{Phase: incident.PhaseContainment,
		Title: "Isolate fs01 from the network", Required: true}, http.StatusCreated, &isolate)

	// Leaving identification is blocked by the open required task.
	resp, data := e.request("POST", "/api/v1/incidents/INC-1/phase", rick, casework.PhaseRequest{To: incident.PhaseContainment, Reason: "scope known"})
	require.Equal(t, http.StatusConflict, resp.StatusCode, "%s", data)
	p := problem(t, data)
	require.Equal(t, httpapi.ProblemExitCriteria, p.Type)
	require.Len(t, p.Unmet, 1)
	require.Equal(t, scope.ID, p.Unmet[0].ID)

	var done incident.Task
	e.call("PATCH", "/api/v1/tasks/"+scope.ID, rick, casework.TaskPatch{Status: ptr(incident.TaskDone), Version: scope.Version}, http.StatusOK, &done)
	require.NotNil(t, done.CompletedAt)
	// A stale version is refused.
	resp, _ = e.request("PATCH", "/api/v1/tasks/"+scope.ID, rick, casework.TaskPatch{Status: ptr(incident.TaskTodo), Version: scope.Version})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	resp, _ = e.request("PATCH", "/api/v1/tasks/"+scope.ID, rick, casework.TaskPatch{Status: ptr(incident.TaskTodo)}, "If-Match", `"1"`)
	require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode)

	e.call("POST", "/api/v1/incidents/INC-1/phase", rick, casework.PhaseRequest{To: incident.PhaseContainment, Reason: "encryption confined to fs01"}, http.StatusOK, &inc)
	require.Equal(t, incident.PhaseContainment, inc.Phase)
	require.True(t, inc.AcknowledgedAt.Equal(acknowledged), "leaving identification keeps the earlier acknowledgement")

	// Leaving containment: blocked; a responder cannot override; the commander can.
	resp, _ = e.request("POST", "/api/v1/incidents/INC-1/phase", rick, casework.PhaseRequest{To: incident.PhaseInvestigation, Reason: "x"})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	resp, _ = e.request("POST", "/api/v1/incidents/INC-1/phase", rick, casework.PhaseRequest{To: incident.PhaseInvestigation, Reason: "x", Override: true})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	e.call("POST", "/api/v1/incidents/INC-1/phase", lena, casework.PhaseRequest{To: incident.PhaseInvestigation,
		Reason: "fs01 unplugged by hand; the isolation task tracks the switch port change", Override: true}, http.StatusOK, &inc)
	require.NotNil(t, inc.ContainedAt)
	firstContained := *inc.ContainedAt

	// Notes with revisions.
	var note casework.NoteDetail
	e.call("POST", "/api/v1/incidents/INC-1/notes", rick, casework.NewNote{Body: "Initial vector: **phishing** mail to finance"}, http.StatusCreated, &note)
	require.Contains(t, note.BodyHTML, "<strong>phishing</strong>")
	e.call("PATCH", "/api/v1/notes/"+note.ID, rick, casework.NotePatch{Body: "Initial vector: **phishing** mail to finance (confirmed)", Version: note.Version}, http.StatusOK, &note)
	var revs []incident.NoteRevision
	e.call("GET", "/api/v1/notes/"+note.ID+"/revisions", vera, nil, http.StatusOK, &revs)
	require.Len(t, revs, 1)
	require.Equal(t, "Initial vector: **phishing** mail to finance", revs[0].Body)

	// A backdated timeline entry keeps the zone it was written in.
	var entry incident.Entry
	e.call("POST", "/api/v1/incidents/INC-1/timeline", rick, map[string]any{
		"event_at": occurred.Add(15 * time.Minute).In(time.FixedZone("", 3600)).Format(time.RFC3339),
		"text":     "First encrypted file written (from file server audit log)", "technique": "t1486", "flagged": true,
	}, http.StatusCreated, &entry)
	require.Equal(t, "+01:00", entry.EventZone)
	require.True(t, entry.EventAt.Equal(occurred.Add(15*time.Minute)))
	require.Equal(t, "T1486", entry.Technique)

	// Forward to recovery, then back to containment after re-infection, then on to closed.
	for _, ph := range []incident.Phase{incident.PhaseResponse, incident.PhaseRecovery} {
		e.call("POST", "/api/v1/incidents/INC-1/phase", lena, casework.PhaseRequest{To: ph, Reason: "next step"}, http.StatusOK, &inc)
	}
	require.NotNil(t, inc.EradicatedAt)
	e.call("POST", "/api/v1/incidents/INC-1/phase", lena, casework.PhaseRequest{To: incident.PhaseContainment, Reason: "re-infection seen on fs01"}, http.StatusOK, &inc)
	require.Equal(t, incident.PhaseContainment, inc.Phase)
	e.call("PATCH", "/api/v1/tasks/"+isolate.ID, rick, casework.TaskPatch{Status: ptr(incident.TaskDone)}, http.StatusOK, nil)
	for _, ph := range []incident.Phase{incident.PhaseInvestigation, incident.PhaseResponse, incident.PhaseRecovery, incident.PhaseReview} {
		e.call("POST", "/api/v1/incidents/INC-1/phase", lena, casework.PhaseRequest{To: ph, Reason: "next step"}, http.StatusOK, &inc)
	}
	require.True(t, inc.ContainedAt.Equal(firstContained), "time to contain counts to the first containment: %v vs %v", inc.ContainedAt, firstContained)
	resp, data = e.request("POST", "/api/v1/incidents/INC-1/phase", lena, casework.PhaseRequest{To: incident.PhaseClosed, Reason: "review held"})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, "/resolution", problem(t, data).Errors[0].Pointer)
	e.call("POST", "/api/v1/incidents/INC-1/phase", lena, casework.PhaseRequest{To: incident.PhaseClosed, Reason: "review held",
		Resolution: incident.ResolutionTruePositiveImpact}, http.StatusOK, &inc)

	// A milestone correction keeps its reason and the old value.
	detected := *inc.DetectedAt
	corrected := occurred.Add(20 * time.Minute)
	e.call("PUT", "/api/v1/incidents/INC-1/milestones/detected_at", lena, casework.MilestoneRequest{At: &corrected,
		Reason: "EDR alert at 02:35 was the first detection"}, http.StatusOK, &inc)
	var corrections []incident.MilestoneCorrection
	e.call("GET", "/api/v1/incidents/INC-1/milestones", vera, nil, http.StatusOK, &corrections)
	require.Len(t, corrections, 1)
	require.True(t, corrections[0].Old.Equal(detected))
	require.Equal(t, "lena", corrections[0].Actor)

	// Every milestone is set, in order.
	require.Equal(t, incident.PhaseClosed, inc.Phase)
	require.Equal(t, incident.ResolutionTruePositiveImpact, inc.Resolution)
	ms := []*time.Time{inc.OccurredAt, inc.DetectedAt, inc.AcknowledgedAt, inc.ContainedAt, inc.EradicatedAt, inc.RecoveredAt, inc.ClosedAt}
	for i, m := range ms {
		require.NotNil(t, m, "milestone %d", i)
		if i > 0 {
			require.False(t, m.Before(*ms[i-1]), "milestone %d before %d", i, i-1)
		}
	}
	require.NotNil(t, inc.ReportedAt)

	// Phase history: 10 changes, one override with the open task, one move back.
	var changes []incident.PhaseChange
	e.call("GET", "/api/v1/incidents/INC-1/phases", vera, nil, http.StatusOK, &changes)
	require.Len(t, changes, 10)
	require.True(t, changes[1].Override)
	require.Equal(t, []string{isolate.ID}, changes[1].Unmet)
	require.Equal(t, "lena", changes[1].Actor)
	require.Equal(t, incident.Back, changes[4].Direction)
	require.Equal(t, "re-infection seen on fs01", changes[4].Reason)

	// The timeline shows everything people did, in event order, backdated entry first.
	var all []incident.Entry
	cursor := ""
	for {
		var page store.Page[incident.Entry]
		e.call("GET", "/api/v1/incidents/INC-1/timeline?limit=7&cursor="+cursor, vera, nil, http.StatusOK, &page)
		all = append(all, page.Items...)
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	require.Equal(t, entry.ID, all[0].ID)
	kinds := map[incident.EntryKind]int{}
	for i, en := range all {
		kinds[en.Kind]++
		if i > 0 {
			require.False(t, en.EventAt.Before(all[i-1].EventAt))
		}
	}
	for _, k := range []incident.EntryKind{incident.KindIncident, incident.KindAsset, incident.KindRole, incident.KindTask,
		incident.KindPhase, incident.KindNote, incident.KindManual, incident.KindMilestone} {
		require.Positive(t, kinds[k], "timeline has no %s entry", k)
	}
	require.Equal(t, 10, kinds[incident.KindPhase])

	// The incident's audit trail covers every change and the chain verifies.
	var recs store.Page[audit.Record]
	e.call("GET", "/api/v1/audit?incident=INC-1&limit=500", vera, nil, http.StatusOK, &recs)
	actions := map[string]int{}
	for _, r := range recs.Items {
		actions[r.Action]++
	}
	for _, a := range []string{"incident.create", "incident.phase", "incident.role.assign", "task.create", "task.update",
		"note.create", "note.update", "timeline.create", "incident.milestone", "incident.asset.link"} {
		require.Positive(t, actions[a], "no audit record %s in %v", a, actions)
	}
	require.Equal(t, 10, actions["incident.phase"])
	require.Positive(t, e.verifyChain())

	// A viewer reads but never writes; the whole-trail listing is for admins.
	resp, _ = e.request("PATCH", "/api/v1/incidents/INC-1", vera, casework.IncidentPatch{Title: ptr("x")})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = e.request("GET", "/api/v1/audit", vera, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	e.call("GET", "/api/v1/audit", e.admin, nil, http.StatusOK, nil)

	// Search finds the incident by a word of its note.
	var hits []store.SearchHit
	e.call("GET", "/api/v1/search?q=phishing", vera, nil, http.StatusOK, &hits)
	require.True(t, slices.ContainsFunc(hits, func(h store.SearchHit) bool { return h.IncidentKey == "INC-1" && h.Kind == "note" }), "%v", hits)
	var list store.Page[incident.Incident]
	e.call("GET", "/api/v1/incidents?q=phishing&status=closed", vera, nil, http.StatusOK, &list)
	require.Len(t, list.Items, 1)
	e.call("GET", fmt.Sprintf("/api/v1/incidents?status=open&assignee=%s", "lena"), vera, nil, http.StatusOK, &list)
	require.Empty(t, list.Items)
}

// TestAssigneeFilter finds incidents by the people working them: through a role or a task.
func TestAssigneeFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, rick := e.addUser("rick", access.RoleResponder)
	e.addUser("sam", access.RoleResponder)
	for _, title := range []string{"by role", "by task", "nobody's"} {
		e.call("POST", "/api/v1/incidents", rick, casework.NewIncident{Title: title, Severity: incident.SeverityLow}, http.StatusCreated, nil)
	}
	e.call("PUT", "/api/v1/incidents/INC-1/roles/technical_lead", rick, casework.RoleRequest{User: "sam"}, http.StatusOK, nil)
	e.call("POST", "/api/v1/incidents/INC-2/tasks", rick, casework.NewTask{Title: "Pull proxy logs", Assignee: "sam"}, http.StatusCreated, nil)
	var page store.Page[incident.Incident]
	e.call("GET", "/api/v1/incidents?assignee=sam&sort=created", rick, nil, http.StatusOK, &page)
	var keys []string
	for _, inc := range page.Items {
		keys = append(keys, inc.Key)
	}
	require.Equal(t, []string{"INC-2", "INC-1"}, keys)
	var tasks store.Page[incident.Task]
	e.call("GET", "/api/v1/tasks?assignee=sam", rick, nil, http.StatusOK, &tasks)
	require.Len(t, tasks.Items, 1)
	require.Equal(t, "INC-2", tasks.Items[0].IncidentKey)
	resp, _ := e.request("GET", "/api/v1/incidents?assignee=nobody", rick, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

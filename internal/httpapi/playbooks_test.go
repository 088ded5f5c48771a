package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/httpapi"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/playbook"
	"github.com/quell-ir/quell/internal/store"
)

const apiPlaybook = `id: vendor-breach
name: Breach at a vendor
version: 1
roles: [commander, legal]
phases:
  identification:
    steps:
      - id: ask-vendor
        title: Ask the vendor what data of ours was exposed
        role: legal
        required: true
        due: 4h
  containment:
    steps:
      - id: rotate-secrets
        title: Rotate the secrets the vendor held
        role: commander
        due: 1d
`

func TestPlaybookAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, lead := e.addUser("lena", access.RoleLead)
	_, rick := e.addUser("rick", access.RoleResponder)
	_, vera := e.addUser("vera", access.RoleViewer)

	// The schema is public.
	resp, data := e.request("GET", "/api/v1/schemas/playbook.json", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/schema+json", resp.Header.Get("Content-Type"))
	require.JSONEq(t, string(playbook.Schema()), string(data))

	// A source with an error is refused with its messages, at their lines.
	broken := strings.Replace(apiPlaybook, "role: commander\n        due: 1d", "role: scribe\n        due: 1d", 1)
	resp, data = e.request("PUT", "/api/v1/playbooks/vendor-breach", lead, broken, "Content-Type", "application/yaml")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s", data)
	var p httpapi.Problem
	require.NoError(t, json.Unmarshal(data, &p))
	require.NotEmpty(t, p.Messages)
	found := false
	for _, m := range p.Messages {
		if m.Code == playbook.CodeRoleNotDeclared {
			found = true
			require.Equal(t, 17, m.Line)
		}
	}
	require.True(t, found, "%s", data)

	// Lint answers the same messages without saving.
	var lint httpapi.LintResult
	e.call("POST", "/api/v1/playbooks/lint", vera, httpapi.PlaybookSource{Source: broken}, http.StatusOK, &lint)
	require.False(t, lint.OK)
	require.Equal(t, 1, lint.Errors)

	// A responder may not save; a lead may, as YAML or JSON.
	resp, _ = e.request("PUT", "/api/v1/playbooks/vendor-breach", rick, apiPlaybook, "Content-Type", "application/yaml")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	var saved casework.PlaybookSaved
	e.call("PUT", "/api/v1/playbooks/vendor-breach", lead, httpapi.PlaybookSource{Source: apiPlaybook}, http.StatusOK, &saved)
	require.True(t, saved.Created)
	require.Equal(t, 1, saved.Version)

	var list []casework.PlaybookInfo
	e.call("GET", "/api/v1/playbooks", vera, nil, http.StatusOK, &list)
	require.Len(t, list, len(playbook.Builtin())+1)
	var got casework.PlaybookInfo
	e.call("GET", "/api/v1/playbooks/vendor-breach", vera, nil, http.StatusOK, &got)
	require.Equal(t, apiPlaybook, got.Source)
	require.NotNil(t, got.Playbook)
	require.Len(t, got.Playbook.Phases, 2)
	var versions []casework.PlaybookInfo
	e.call("GET", "/api/v1/playbooks/vendor-breach/versions", vera, nil, http.StatusOK, &versions)
	require.Len(t, versions, 1)
	e.call("GET", "/api/v1/playbooks/no-such", vera, nil, http.StatusNotFound, nil)

	// Applied by hand, once.
	var inc casework.IncidentDetail
	e.call("POST", "/api/v1/incidents", rick, casework.NewIncident{Title: "Vendor says it was breached", Severity: incident.SeverityMedium}, http.StatusCreated, &inc)
	var res casework.ApplyResult
	e.call("POST", "/api/v1/incidents/"+inc.Key+"/playbooks", vera, casework.ApplyPlaybookRequest{Playbook: "vendor-breach"}, http.StatusForbidden, nil)
	e.call("POST", "/api/v1/incidents/"+inc.Key+"/playbooks", rick, casework.ApplyPlaybookRequest{Playbook: "vendor-breach"}, http.StatusOK, &res)
	require.True(t, res.Created)
	require.Len(t, res.Tasks, 2)
	e.call("POST", "/api/v1/incidents/"+inc.Key+"/playbooks", rick, casework.ApplyPlaybookRequest{Playbook: "vendor-breach"}, http.StatusOK, &res)
	require.False(t, res.Created)
	var applied []store.AppliedPlaybook
	e.call("GET", "/api/v1/incidents/"+inc.Key+"/playbooks", vera, nil, http.StatusOK, &applied)
	require.Len(t, applied, 1)
	require.Equal(t, "vendor-breach", applied[0].PlaybookID)
	var tasks []incident.Task
	e.call("GET", "/api/v1/incidents/"+inc.Key+"/tasks", vera, nil, http.StatusOK, &tasks)
	require.Len(t, tasks, 2)
	e.call("POST", "/api/v1/incidents/"+inc.Key+"/playbooks", rick, casework.ApplyPlaybookRequest{Playbook: "no-such"}, http.StatusBadRequest, nil)
}

package app_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/httpapi"
	"github.com/quell-ir/quell/internal/web"
)

// screens names, for every route of the JSON API that a person uses, the web UI route that
// gives it a screen. A new API capability without a screen fails TestEveryCapabilityHasAScreen.
var screens = map[string]string{
	"POST /api/v1/auth/login":  "POST /login",
	"POST /api/v1/auth/logout": "POST /logout",
	"GET /api/v1/me":           "GET /account",
	"POST /api/v1/me/password": "POST /account/password",
	"POST /api/v1/me/org":      "POST /account/org",

	"GET /api/v1/orgs":              "GET /admin/orgs",
	"POST /api/v1/orgs":             "POST /admin/orgs",
	"GET /api/v1/users":             "GET /admin/users",
	"POST /api/v1/users":            "POST /admin/users",
	"GET /api/v1/users/{user}":      "GET /admin/users/{user}",
	"PATCH /api/v1/users/{user}":    "POST /admin/users/{user}",
	"GET /api/v1/tokens":            "GET /account",
	"POST /api/v1/tokens":           "POST /account/tokens",
	"DELETE /api/v1/tokens/{token}": "POST /account/tokens/{id}/revoke",

	"GET /api/v1/incidents":                              "GET /incidents",
	"POST /api/v1/incidents":                             "POST /incidents",
	"GET /api/v1/incidents/{key}":                        "GET /incidents/{key}",
	"PATCH /api/v1/incidents/{key}":                      "POST /incidents/{key}/edit",
	"POST /api/v1/incidents/{key}/phase":                 "POST /incidents/{key}/phase",
	"GET /api/v1/incidents/{key}/phases":                 "GET /incidents/{key}",
	"PUT /api/v1/incidents/{key}/milestones/{milestone}": "POST /incidents/{key}/milestones",
	"GET /api/v1/incidents/{key}/milestones":             "GET /incidents/{key}",
	"PUT /api/v1/incidents/{key}/roles/{role}":           "POST /incidents/{key}/roles",
	"DELETE /api/v1/incidents/{key}/roles/{role}":        "POST /incidents/{key}/roles",
	"GET /api/v1/incidents/{key}/members":                "GET /incidents/{key}",
	"PUT /api/v1/incidents/{key}/members/{user}":         "POST /incidents/{key}/members",
	"DELETE /api/v1/incidents/{key}/members/{user}":      "POST /incidents/{key}/members",
	"GET /api/v1/incidents/{key}/tasks":                  "GET /incidents/{key}",
	"POST /api/v1/incidents/{key}/tasks":                 "POST /incidents/{key}/tasks",
	"GET /api/v1/incidents/{key}/obligations":            "GET /incidents/{key}",
	"POST /api/v1/incidents/{key}/triggers":              "POST /incidents/{key}/triggers",
	"POST /api/v1/incidents/{key}/submissions":           "POST /incidents/{key}/submissions",
	"GET /api/v1/obligations/rules":                      "GET /incidents/{key}",
	"GET /api/v1/playbooks":                              "GET /playbooks",
	"GET /api/v1/playbooks/{id}":                         "GET /playbooks/{id}",
	"GET /api/v1/playbooks/{id}/versions":                "GET /playbooks/{id}",
	"PUT /api/v1/playbooks/{id}":                         "POST /playbooks/{id}",
	"POST /api/v1/playbooks/lint":                        "POST /playbooks/{id}",
	"GET /api/v1/incidents/{key}/playbooks":              "GET /incidents/{key}",
	"POST /api/v1/incidents/{key}/playbooks":             "POST /incidents/{key}/playbooks",
	"GET /api/v1/tasks":                                  "GET /{$}",
	"GET /api/v1/tasks/{id}":                             "GET /tasks/{id}",
	"PATCH /api/v1/tasks/{id}":                           "POST /tasks/{id}",
	"GET /api/v1/incidents/{key}/notes":                  "GET /incidents/{key}",
	"POST /api/v1/incidents/{key}/notes":                 "POST /incidents/{key}/notes",
	"GET /api/v1/notes/{id}":                             "GET /notes/{id}",
	"PATCH /api/v1/notes/{id}":                           "POST /notes/{id}",
	"GET /api/v1/notes/{id}/revisions":                   "GET /notes/{id}",
	"GET /api/v1/incidents/{key}/timeline":               "GET /incidents/{key}",
	"POST /api/v1/incidents/{key}/timeline":              "POST /incidents/{key}/timeline",
	"PATCH /api/v1/timeline/{id}":                        "POST /timeline/{id}/flag",
	"GET /api/v1/assets":                                 "GET /assets",
	"POST /api/v1/assets":                                "POST /assets",
	"GET /api/v1/assets/{id}":                            "GET /assets/{id}",
	"PATCH /api/v1/assets/{id}":                          "POST /assets/{id}",
	"GET /api/v1/assets/{id}/incidents":                  "GET /assets/{id}",
	"GET /api/v1/incidents/{key}/assets":                 "GET /incidents/{key}",
	"PUT /api/v1/incidents/{key}/assets/{id}":            "POST /incidents/{key}/assets/{id}",
	"DELETE /api/v1/incidents/{key}/assets/{id}":         "POST /incidents/{key}/assets/{id}/unlink",
	"GET /api/v1/audit":                                  "GET /admin/audit",
	"GET /api/v1/search":                                 "GET /search",

	"GET /api/v1/plan":             "GET /plan",
	"PUT /api/v1/plan":             "POST /plan",
	"GET /api/v1/plan/versions":    "GET /plan",
	"POST /api/v1/plan/approve":    "POST /plan/approve",
	"GET /api/v1/plan/export":      "GET /plan/export",
	"GET /api/v1/contacts":         "GET /contacts",
	"POST /api/v1/contacts":        "POST /contacts",
	"GET /api/v1/contacts/{id}":    "GET /contacts",
	"PUT /api/v1/contacts/{id}":    "POST /contacts/{id}",
	"DELETE /api/v1/contacts/{id}": "POST /contacts/{id}/archive",
	"GET /api/v1/teams":            "GET /teams",
	"POST /api/v1/teams":           "POST /teams",
	"GET /api/v1/teams/{id}":       "GET /teams",
	"PUT /api/v1/teams/{id}":       "POST /teams/{id}",
	"DELETE /api/v1/teams/{id}":    "POST /teams/{id}/archive",
	"GET /api/v1/rosters":          "GET /rosters",
	"POST /api/v1/rosters":         "POST /rosters",
	"GET /api/v1/rosters/suggest":  "GET /rosters",
	"GET /api/v1/rosters/{id}":     "GET /rosters",
	"PUT /api/v1/rosters/{id}":     "POST /rosters/{id}",
	"DELETE /api/v1/rosters/{id}":  "POST /rosters/{id}/archive",

	"GET /api/v1/alerts":                 "GET /alerts",
	"GET /api/v1/alerts/{id}":            "GET /alerts/{id}",
	"POST /api/v1/alerts/triage":         "POST /alerts",
	"GET /api/v1/silences":               "GET /silences",
	"POST /api/v1/silences":              "POST /silences",
	"GET /api/v1/silences/{id}":          "GET /silences",
	"DELETE /api/v1/silences/{id}":       "POST /silences/{id}/expire",
	"GET /api/v1/intake-sources":         "GET /admin/intake",
	"POST /api/v1/intake-sources":        "POST /admin/intake",
	"GET /api/v1/intake-sources/{id}":    "GET /admin/intake",
	"DELETE /api/v1/intake-sources/{id}": "POST /admin/intake/{id}/revoke",
}

// machinesOnly are the API routes no person uses from a screen, and why.
var machinesOnly = map[string]string{
	"GET /healthz":                      "for load balancers and service managers",
	"GET /readyz":                       "for load balancers and service managers",
	"GET /metrics":                      "for Prometheus",
	"GET /api/v1/openapi.json":          "for API clients",
	"GET /api/v1/schemas/playbook.json": "for editors that check playbooks as they are typed",
	"POST /api/v1/auth/token":           "the command line client's login; a browser signs in with a session",
	"POST /api/v1/alerts":               "for the tools that send alerts, with an intake token",
	"POST /api/v1/intake/{format}":      "for the tools that send alerts, with an intake token",
}

func TestEveryCapabilityHasAScreen(t *testing.T) {
	t.Parallel()
	ui := web.Routes()
	for _, rt := range httpapi.Routes() {
		id := rt.ID()
		if _, ok := machinesOnly[id]; ok {
			continue
		}
		screen, ok := screens[id]
		require.True(t, ok, "the API route %s has no screen in the web UI: add one (and name it here)", id)
		require.True(t, slices.Contains(ui, screen), "the screen %s named for %s is not a route of the web UI", screen, id)
	}
	for id := range screens {
		require.True(t, slices.ContainsFunc(httpapi.Routes(), func(r httpapi.Route) bool { return r.ID() == id }),
			"%s is not an API route any more: remove it here", id)
	}
}

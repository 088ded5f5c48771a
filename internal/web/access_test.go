package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
)

// TestViewerCannotChangeAnything posts every form of the UI as a viewer: each is refused with
// the 403 page and nothing changes.
func TestViewerCannotChangeAnything(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.seed()
	e.addUser("vera", access.RoleViewer)
	vera := e.signIn("vera", "vera has a long password")

	body := vera.page("/incidents/" + s.key)
	require.NotContains(t, body, `method="post" action="/incidents/`, "a viewer's incident page has no forms that change it")
	require.NotContains(t, body, `/edit"`)

	var before []incident.Task
	e.api("GET", "/api/v1/incidents/"+s.key+"/tasks", e.admin, nil, http.StatusOK, &before)
	forms := map[string]url.Values{
		"/incidents":                                               {"title": {"x"}, "severity": {"low"}},
		"/incidents/" + s.key + "/edit":                            {"title": {"x"}},
		"/incidents/" + s.key + "/phase":                           {"to": {"containment"}, "reason": {"x"}, "override": {"on"}},
		"/incidents/" + s.key + "/roles":                           {"role": {"scribe"}, "user": {"vera"}},
		"/incidents/" + s.key + "/tasks":                           {"title": {"forced"}},
		"/incidents/" + s.key + "/notes":                           {"body": {"forced"}},
		"/incidents/" + s.key + "/timeline":                        {"text": {"forced"}},
		"/incidents/" + s.key + "/assets":                          {"asset": {"mail-gw-01"}},
		"/incidents/" + s.key + "/assets/" + s.assetID:             {"status": {"clean"}},
		"/incidents/" + s.key + "/assets/" + s.assetID + "/unlink": {},
		"/tasks/" + s.taskID:                                       {"status": {"done"}},
		"/notes/" + s.noteID:                                       {"body": {"forced"}},
		"/timeline/" + s.entryID + "/flag":                         {"flagged": {"0"}},
		"/assets":                                                  {"name": {"x"}, "kind": {"host"}, "criticality": {"2"}},
		"/assets/" + s.assetID:                                     {"name": {"x"}, "kind": {"host"}, "criticality": {"2"}},
		"/admin/users":                                             {"username": {"mallory"}, "password": {"a long enough password"}, "role": {"admin"}},
		"/admin/users/vera":                                        {"role": {"admin"}},
	}
	for path, form := range forms {
		resp, page := vera.post(path, form)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "POST %s: %s", path, page)
		require.Contains(t, page, `data-page="error"`, path)
		require.Contains(t, page, "Not allowed", path)
	}
	for _, path := range []string{"/incidents/new", "/incidents/" + s.key + "/edit", "/assets/new", "/admin/users", "/admin/settings",
		"/admin/orgs", "/admin/audit"} {
		resp, _ := vera.get(path)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "GET %s", path)
	}

	var after []incident.Task
	e.api("GET", "/api/v1/incidents/"+s.key+"/tasks", e.admin, nil, http.StatusOK, &after)
	require.Equal(t, before, after, "nothing changed")
	var d casework.IncidentDetail
	e.api("GET", "/api/v1/incidents/"+s.key, e.admin, nil, http.StatusOK, &d)
	require.Equal(t, incident.PhaseIdentification, d.Phase)

	// A viewer still manages their own account.
	resp, page := vera.post("/account/tokens", url.Values{"name": {"dashboards"}, "scope": {"read"}, "expires": {"30"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode, page)
	resp, _ = vera.post("/account/tokens", url.Values{"name": {"too much"}, "scope": {"write"}, "expires": {"30"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "but cannot mint a token above their role")
}

// TestRestrictedIncidentsAreHidden checks that a need-to-know incident does not exist for a
// responder who is not a member: not on its page, not in the list or the search, not to a form.
func TestRestrictedIncidentsAreHidden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var d casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Insider case kept quiet", Severity: incident.SeverityHigh,
		Restricted: true}, http.StatusCreated, &d)
	e.api("POST", "/api/v1/incidents/"+d.Key+"/notes", e.admin, casework.NewNote{Body: "quietword in a note"}, http.StatusCreated, nil)
	e.addUser("rick", access.RoleResponder)
	rick := e.signIn("rick", "rick has a long password")

	resp, body := rick.get("/incidents/" + d.Key)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.NotContains(t, body, "Insider case")
	resp, _ = rick.get("/incidents/" + d.ID)
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "by id too")
	require.NotContains(t, rick.page("/incidents?status=all"), "Insider case")
	require.NotContains(t, rick.page("/search?q=quietword"), d.Key)
	require.NotContains(t, rick.page("/"), "Insider case")
	resp, _ = rick.post("/incidents/"+d.Key+"/notes", url.Values{"body": {"let me in"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = rick.get("/search?q=" + d.Key)
	require.Equal(t, http.StatusOK, resp.StatusCode, "a key one may not see is searched for, not opened")

	admin := e.signIn("admin", adminPassword)
	require.Contains(t, admin.page("/incidents/"+d.Key), "Insider case kept quiet", "admins see every incident")

	// Given need-to-know access on the incident page, rick sees it; taken away, he does not.
	resp, _ = admin.post("/incidents/"+d.Key+"/members", url.Values{"user": {"rick"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, rick.page("/incidents/"+d.Key), "Insider case kept quiet")
	resp, _ = admin.post("/incidents/"+d.Key+"/members", url.Values{"user": {"rick"}, "remove": {"1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = rick.get("/incidents/" + d.Key)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestCrossOriginChangesAreRefused checks the UI's protection against cross-site requests.
func TestCrossOriginChangesAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin", adminPassword)
	form := url.Values{"title": {"from another site"}, "severity": {"high"}}
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Site", "same-site"}, {"Sec-Fetch-Site", "", "Origin", "https://evil.example"}} {
		resp, page := admin.post("/incidents", form, h...)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "%v", h)
		require.Contains(t, page, "came from another site")
	}
	resp, _ := admin.post("/logout", nil, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "not even a sign-out")
	resp, _ = admin.post("/incidents", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the same form from Quell's own page works")
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/incidents/INC-"))
}

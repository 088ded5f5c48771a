package web_test

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/app"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

func TestPlanPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin", adminPassword)

	body := admin.page("/plan")
	require.Contains(t, body, "has no response plan yet")
	require.Contains(t, admin.page("/plan/edit"), `action="/plan"`)

	// A bad cadence comes back next to its field; a good plan saves as a draft.
	form := url.Values{"title": {`Plan <script>alert(1)</script>`}, "scope": {"<img src=x onerror=alert(1)> all systems"},
		"review_months": {"99"}, "people_commander": {"Ana <b>Lead</b>"}, "sev_critical": {"Business stopped"},
		"rule": {"gdpr-art33"}, "playbooks": {"ransomware"}}
	resp, page := admin.post("/plan", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, `id="plan-review-error"`)
	form.Set("review_months", "6")
	resp, page = admin.post("/plan", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)

	body = admin.page("/plan")
	require.Contains(t, body, "Plan &lt;script&gt;alert(1)&lt;/script&gt;")
	require.NotContains(t, body, "<script>alert(1)")
	require.NotContains(t, body, "onerror")
	require.Contains(t, body, "Ana &lt;b&gt;Lead&lt;/b&gt;")
	require.Contains(t, body, "Approve version 1")
	require.Contains(t, body, "Business stopped")

	resp, page = admin.post("/plan/approve", url.Values{"version": {"1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	body = admin.page("/plan")
	require.Contains(t, body, "approved</span>")
	require.Contains(t, body, "Next review")

	resp, page = admin.get("/plan/export?format=md")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
	require.Contains(t, page, "## Severity matrix")
	resp, page = admin.get("/plan/export?format=html")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"))
	require.NotContains(t, page, "<script>")

	// A viewer reads the plan but sees no forms and may not post them; a responder may not
	// edit or approve the plan either.
	e.addUser("vic", access.RoleViewer)
	vic := e.signIn("vic", "vic has a long password")
	body = vic.page("/plan")
	require.Contains(t, body, "Severity matrix")
	require.NotContains(t, body, `action="/plan/approve"`)
	require.NotContains(t, body, `href="/plan/edit"`)
	e.addUser("rick", access.RoleResponder)
	rick := e.signIn("rick", "rick has a long password")
	for _, b := range []*browserless{vic, rick} {
		resp, _ = b.post("/plan", form)
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		resp, _ = b.post("/plan/approve", url.Values{})
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	}
}

func TestPeoplePages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addUser("rick", access.RoleResponder)
	rick := e.signIn("rick", "rick has a long password")

	resp, page := rick.post("/contacts", url.Values{"name": {`Dana <i>DPO</i>`}, "external": {"on"},
		"channels": {"email: dpo@example.org\nphone: +49 30 1234; 24/7"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	resp, page = rick.post("/contacts", url.Values{"name": {"Bad"}, "channels": {"fax: 123"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, `id="contact-channels-error"`)
	body := rick.page("/contacts")
	require.Contains(t, body, "Dana &lt;i&gt;DPO&lt;/i&gt;")
	require.Contains(t, body, "mailto:dpo@example.org")

	var contacts []store.Contact
	e.api("GET", "/api/v1/contacts", e.admin, nil, http.StatusOK, &contacts)
	require.Len(t, contacts, 1)
	id := contacts[0].ID

	resp, page = rick.post("/teams", url.Values{"name": {"Privacy"}, "member": {id}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	require.Contains(t, rick.page("/teams"), "Dana &lt;i&gt;DPO&lt;/i&gt;")

	resp, page = rick.post("/rosters", url.Values{"role": {"legal"}, "week": {"2030-W10"}, "contact": {id}, "users": {"rick"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	body = rick.page("/rosters?role=legal&at=2030-03-05T10:00")
	require.Contains(t, body, "<strong>rick</strong>")
	resp, page = rick.post("/rosters", url.Values{"role": {"legal"}, "week": {"soon"}, "users": {"rick"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, `id="p-week-error"`)

	// A viewer sees the lists without forms and may not post.
	e.addUser("vic", access.RoleViewer)
	vic := e.signIn("vic", "vic has a long password")
	for _, path := range []string{"/contacts", "/teams", "/rosters"} {
		body := vic.page(path)
		require.NotContains(t, body, `method="post" action="`+path, path)
		resp, _ := vic.post(path, url.Values{"name": {"x"}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, path)
	}
	resp, _ = vic.post("/contacts/"+id+"/archive", nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	resp, page = rick.post("/contacts/"+id+"/archive", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	require.NotContains(t, rick.page("/contacts"), "Dana")
}

func TestDashboardShowsAnOverduePlanReview(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin", adminPassword)
	require.NotContains(t, admin.page("/"), "due for review", "no plan, no banner")
	form := url.Values{"title": {"Plan"}, "scope": {"All systems"}, "review_months": {"6"}, "sev_critical": {"Business stopped"}}
	resp, page := admin.post("/plan", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	resp, page = admin.post("/plan/approve", url.Values{"version": {"1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	require.NotContains(t, admin.page("/"), "due for review", "a plan just approved is not due")

	// Half a year later, as far as the plan knows.
	st, err := sqlite.Open(t.Context(), filepath.Join(e.data, app.DatabaseFile), sqlite.Options{AllowUnsafeSync: true})
	require.NoError(t, err)
	_, err = st.WriterDB().ExecContext(t.Context(), "UPDATE plan_versions SET next_review = '2020-01-01T00:00:00.000000000Z' WHERE next_review IS NOT NULL")
	require.NoError(t, err)
	require.NoError(t, st.Close())
	body := admin.page("/")
	require.Contains(t, body, "was due for review on")
	require.Contains(t, body, "1 January 2020")
	require.Contains(t, body, `href="/plan"`)
}

func TestDashboardListsSLABreaches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin", adminPassword)
	detected := time.Now().Add(-2 * time.Hour)
	var late, fresh casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Domain admin <b>compromised</b>",
		Severity: incident.SeverityCritical, DetectedAt: &detected, OccurredAt: &detected}, http.StatusCreated, &late)
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Laptop lost", Severity: incident.SeverityLow},
		http.StatusCreated, &fresh)
	body := admin.page("/")
	i := strings.Index(body, `id="sla-h"`)
	require.Positive(t, i)
	panel := body[i : strings.Index(body[i:], "</section>")+i]
	require.Contains(t, panel, late.Key, "critical and unacknowledged two hours after detection: past its 15-minute target")
	require.Contains(t, panel, "acknowledge")
	require.NotContains(t, panel, "contain", "its 4-hour containment target has not passed yet")
	require.NotContains(t, panel, fresh.Key)
	require.Contains(t, panel, "Domain admin &lt;b&gt;compromised&lt;/b&gt;")
}

func TestIncidentPageSuggestsWhoIsOnCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addUser("rick", access.RoleResponder)
	admin := e.signIn("admin", adminPassword)
	now := time.Now()
	starts, ends := now.Add(-time.Hour), now.Add(7*24*time.Hour)
	e.api("POST", "/api/v1/rosters", e.admin, casework.RosterRequest{Role: incident.RoleCommander, Starts: &starts, Ends: &ends,
		Users: []string{"rick"}}, http.StatusCreated, nil)
	var inc casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Roster test", Severity: incident.SeverityLow}, http.StatusCreated, &inc)
	body := admin.page("/incidents/" + inc.Key)
	require.Contains(t, body, "On call this week: rick", "the vacant commander role names who is on the roster")
	e.api("PUT", "/api/v1/incidents/"+inc.Key+"/roles/commander", e.admin, casework.RoleRequest{User: "rick"}, http.StatusOK, nil)
	require.NotContains(t, admin.page("/incidents/"+inc.Key), "On call this week: rick", "a filled role needs no suggestion")
}

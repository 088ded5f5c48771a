package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// fieldError finds the message shown next to a field: the field must point at it with
// aria-describedby and be marked invalid.
func fieldError(t *testing.T, page, fieldID string) string {
	t.Helper()
	field := regexp.MustCompile(`<(?:input|select|textarea)[^>]*id="` + fieldID + `"[^>]*>`).FindString(page)
	require.NotEmpty(t, field, "no field %s", fieldID)
	require.Contains(t, field, `aria-invalid="true"`, "field %s is not marked invalid", fieldID)
	require.Contains(t, field, `aria-describedby="`+fieldID+`-error"`, "field %s does not point at its message", fieldID)
	m := regexp.MustCompile(`<p class="field-error" id="` + fieldID + `-error">([^<]*)</p>`).FindStringSubmatch(page)
	require.NotNil(t, m, "no message for %s", fieldID)
	return m[1]
}

// TestValidationMessagesNextToFields sends forms with mistakes: each comes back with what was
// typed and the message next to the field the use case named.
func TestValidationMessagesNextToFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.seed()
	admin := e.signIn("admin", adminPassword)

	resp, page := admin.post("/incidents", url.Values{"title": {"  "}, "summary": {"kept as typed"}, "severity": {"high"}, "type": {"phishing"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Equal(t, "Is required.", fieldError(t, page, "inc-title"))
	require.Contains(t, page, ">kept as typed</textarea>")

	_, page = admin.post("/incidents", url.Values{"title": {"x"}, "severity": {"urgent"}})
	require.Contains(t, fieldError(t, page, "inc-severity"), "Must be one of")

	_, page = admin.post("/incidents", url.Values{"title": {"x"}, "severity": {"low"}, "detected_at": {"yesterday"}})
	require.Contains(t, fieldError(t, page, "inc-detected"), "Is not a date and time")

	_, page = admin.post("/incidents/"+s.key+"/tasks", url.Values{"title": {""}, "phase": {"containment"}})
	require.Equal(t, "Is required.", fieldError(t, page, "task-title"))
	require.Contains(t, page, `<details class="add-form" id="add-task" open>`, "the form is open to fix it")

	_, page = admin.post("/incidents/"+s.key+"/tasks", url.Values{"title": {"Call the bank"}, "assignee": {"nobody-here"}})
	require.Contains(t, fieldError(t, page, "task-assignee"), "No user")

	_, page = admin.post("/incidents/"+s.key+"/timeline", url.Values{"text": {"it happened"}, "at": {"2026-03-02T08:15"}, "zone": {"Mars/Olympus"}})
	require.Contains(t, fieldError(t, page, "entry-zone"), "Not a time zone")
	_, page = admin.post("/incidents/"+s.key+"/timeline", url.Values{"text": {"it happened"}, "technique": {"T59"}})
	require.Contains(t, fieldError(t, page, "entry-technique"), "ATT&amp;CK")

	resp, page = admin.post("/incidents/"+s.key+"/phase", url.Values{"form": {"advance"}, "to": {"containment"}, "reason": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, fieldError(t, page, "advance-reason"), "A reason is required")

	resp, page = admin.post("/incidents/"+s.key+"/phase", url.Values{"form": {"advance"}, "to": {"containment"}, "reason": {"moving on"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode, "the required task blocks the way")
	require.Contains(t, page, "these required tasks are still open")
	require.Contains(t, page, "<li>Collect the message headers</li>")
	require.Contains(t, page, `id="advance-override"`, "the commander (here an admin) is offered the override")

	_, page = admin.post("/incidents/"+s.key+"/phase", url.Values{"form": {"advance"}, "to": {"closed"}, "reason": {"done"}, "override": {"on"}})
	require.Contains(t, fieldError(t, page, "advance-resolution"), "Closing needs a resolution")

	_, page = admin.post("/assets", url.Values{"name": {"db01"}, "kind": {"host"}, "criticality": {"2"}, "identifiers": {"hostname: db01\nip: 10.0.0.999"}})
	require.Contains(t, fieldError(t, page, "as-ids"), "Line 2:")
	_, page = admin.post("/assets", url.Values{"name": {"db01"}, "kind": {"host"}, "criticality": {"2"}, "identifiers": {"just a value"}})
	require.Contains(t, fieldError(t, page, "as-ids"), "Line 1: write the type")
	_, page = admin.post("/assets", url.Values{"name": {""}, "kind": {"host"}, "criticality": {"9"}})
	require.Contains(t, fieldError(t, page, "as-name"), "Is required")

	_, page = admin.post("/incidents/"+s.key+"/assets", url.Values{"asset": {"no-such-asset"}, "status": {"suspected"}})
	require.Contains(t, fieldError(t, page, "link-asset-name"), "No asset in the inventory has this name")

	_, page = admin.post("/admin/users", url.Values{"username": {"x"}, "password": {"short but fine?"}, "role": {"viewer"}})
	require.Contains(t, fieldError(t, page, "u-username"), "A user name is 2 to 64 characters")

	_, page = admin.post("/account/password", url.Values{"current": {"wrong"}, "new": {"a new long password"}})
	require.Contains(t, fieldError(t, page, "pw-current"), "The current password is wrong")

	_, page = admin.post("/incidents/"+s.key+"/milestones", url.Values{"milestone": {"contained_at"}, "at": {"2026-01-02T03:04"}, "reason": {""}})
	require.Contains(t, fieldError(t, page, "ms-reason"), "A reason is required")
	_, page = admin.post("/incidents/"+s.key+"/milestones", url.Values{"milestone": {"contained_at"}, "at": {"soon"}, "reason": {"x"}})
	require.Contains(t, fieldError(t, page, "ms-at"), "Is not a date and time")

	_, page = admin.post("/admin/orgs", url.Values{"slug": {"Not A Slug"}, "name": {"Acme"}})
	require.Contains(t, fieldError(t, page, "o-slug"), "A slug is")

	// A stale edit is reported as a conflict, with the other person's version to start from.
	resp, page = admin.post("/incidents/"+s.key+"/edit", url.Values{"title": {"Renamed"}, "severity": {"high"}, "type": {"phishing"},
		"tlp": {"amber"}, "version": {"1"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "Someone changed this incident while you were editing it.")
}

// TestErrorPagesNeverEchoInput sends hostile input where pages do not expect it: the answer
// is a friendly page that does not repeat it, escaped or not.
func TestErrorPagesNeverEchoInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin", adminPassword)
	const probe = `zz<script>probe</script>zz`
	for _, path := range []string{
		"/incidents/" + url.PathEscape(probe),
		"/tasks/" + url.PathEscape(probe),
		"/assets/" + url.PathEscape(probe),
		"/admin/users/" + url.PathEscape(probe),
		"/" + url.PathEscape(probe),
		"/static/" + url.PathEscape(probe),
		"/incidents?phase=" + url.QueryEscape(probe) + "&sort=" + url.QueryEscape(probe) + "&cursor=" + url.QueryEscape(probe),
		"/assets?kind=" + url.QueryEscape(probe) + "&cursor=" + url.QueryEscape(probe),
	} {
		_, page := admin.get(path)
		require.NotContains(t, page, "probe", "GET %s repeats the input", path)
	}
	_, page := admin.get("/incidents?phase=" + url.QueryEscape(probe))
	require.Contains(t, page, "were not understood and were left out: phase.")
	resp, page := admin.post("/incidents/"+url.PathEscape(probe)+"/notes", url.Values{"body": {probe}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.NotContains(t, page, "probe")
	_, page = admin.post("/incidents", url.Values{"title": {"x"}, "severity": {probe}})
	require.NotContains(t, page, "probe", "an unknown choice is not put back")
}

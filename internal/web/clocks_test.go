package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/store"
)

func TestIncidentClocksSection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.seed()
	admin := e.signIn("admin", adminPassword)

	body := admin.page("/incidents/" + s.key)
	require.Contains(t, body, `id="clocks"`)
	require.Contains(t, body, "Response SLAs")
	require.Contains(t, body, "Acknowledge")
	require.Contains(t, body, "Aids, not legal advice.")
	require.Contains(t, body, "GDPR personal data breach notification to the supervisory authority")
	require.Contains(t, body, "Not started")
	require.Contains(t, body, `action="/incidents/`+s.key+`/triggers"`)
	require.Contains(t, body, `action="/incidents/`+s.key+`/submissions"`)
	require.Contains(t, body, `<option value="personal_data_breach_confirmed"`)

	// Recording a trigger through the form starts the clock; hostile text comes back escaped.
	resp, page := admin.post("/incidents/"+s.key+"/triggers", url.Values{"name": {"personal_data_breach_confirmed"},
		"note": {`<script>alert("x")</script>`}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	require.Equal(t, "/incidents/"+s.key+"#clocks", resp.Header.Get("Location"))
	body = admin.page("/incidents/" + s.key)
	require.Contains(t, body, "Due</span>")
	require.Contains(t, body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	require.NotContains(t, body, `<script>alert("x")</script>`)

	// A bad trigger is shown again with its problem, not a 5xx.
	resp, page = admin.post("/incidents/"+s.key+"/triggers", url.Values{"name": {"moon_phase"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "Must be a trigger of the rules in force")

	resp, page = admin.post("/incidents/"+s.key+"/submissions", url.Values{"obligation": {"gdpr-art33"},
		"recipient": {"CNIL"}, "reference": {"<b>N-1</b>"}, "summary": {"Initial notification"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	body = admin.page("/incidents/" + s.key)
	require.Contains(t, body, "Met</span>")
	require.Contains(t, body, "reference &lt;b&gt;N-1&lt;/b&gt;")

	var clocks struct {
		Submissions []store.ObligationSubmission `json:"submissions"`
	}
	e.api("GET", "/api/v1/incidents/"+s.key+"/obligations", e.admin, nil, http.StatusOK, &clocks)
	require.Len(t, clocks.Submissions, 1)

	// A viewer sees the clocks and no form to change them, and may not post them.
	e.addUser("vic", access.RoleViewer)
	vic := e.signIn("vic", "vic has a long password")
	body = vic.page("/incidents/" + s.key)
	require.Contains(t, body, `id="clocks"`)
	require.NotContains(t, body, `/triggers"`)
	require.NotContains(t, body, `/submissions"`)
	for _, path := range []string{"/triggers", "/submissions"} {
		resp, _ := vic.post("/incidents/"+s.key+path, url.Values{"name": {"classified_major"}, "obligation": {"gdpr-art33"}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, path)
	}
}

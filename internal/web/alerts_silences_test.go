package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
)

// TestSilencesPage makes a silence from an alert of the queue, lists it, expires it, and sends
// the form with mistakes.
func TestSilencesPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addUser("cora", access.RoleResponder)
	cora := e.signIn("cora", "cora has a long password")
	as := e.ingest(nil, alertSet()...)
	beacon := as[2]

	page := cora.page("/silences")
	requireSafeMarkup(t, "/silences", page)
	require.Contains(t, page, "No silence is in force.")
	require.Contains(t, page, `id="m-name-2"`, "the form has empty matcher rows to fill")

	// From the queue's row: source and fingerprint.
	page = cora.page("/silences?alert=" + beacon.ID)
	require.Contains(t, page, "Filled in from the alert “ET MALWARE Cobalt Strike Beacon Observed”.")
	require.Contains(t, page, `id="m-name-0" name="matcher_name" type="text" list="matcher-names" maxlength="128" spellcheck="false" value="source"`)
	require.Contains(t, page, `id="m-value-0" name="matcher_value" type="text" maxlength="1024" spellcheck="false" value="suricata"`)
	require.Contains(t, page, `value="fingerprint"`)
	require.Contains(t, page, `value="`+beacon.Fingerprint+`"`)
	require.Contains(t, page, `id="m-name-2"`, "and an empty row for more")
	// From the alert page: source and host.
	page = cora.page("/silences?alert=" + beacon.ID + "&by=host")
	require.Contains(t, page, `spellcheck="false" value="host"`)
	require.Contains(t, page, `value="ids-dmz-01"`)
	require.NotContains(t, page, `value="`+beacon.Fingerprint+`"`)
	page = cora.page("/silences?alert=01NOSUCHALERT")
	require.Contains(t, page, "The alert named in the address was not found")
	require.NotContains(t, page, "01NOSUCHALERT")

	// Mistakes come back next to their fields, with what was typed.
	bad := url.Values{"matcher_name": {"source", "", "title"}, "matcher_op": {"=", "=", "=~"}, "matcher_value": {"suricata", "", "(unclosed"},
		"ends_at": {soon()}, "reason": {"scanner noise"}}
	resp, page := cora.post("/silences", bad)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, fieldError(t, page, "m-value-2"), "Is not a valid regular expression", "the message is on the row it is about")
	require.Contains(t, page, `value="(unclosed"`)
	require.Contains(t, page, `value="scanner noise"`)

	resp, page = cora.post("/silences", url.Values{"matcher_name": {"source"}, "matcher_op": {"="}, "matcher_value": {"suricata"},
		"ends_at": {soon()}, "reason": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, fieldError(t, page, "sil-reason"), "Is required")

	_, page = cora.post("/silences", url.Values{"matcher_name": {"source"}, "matcher_value": {"suricata"}, "ends_at": {"next week"}, "reason": {"x"}})
	require.Contains(t, fieldError(t, page, "sil-ends"), "Is not a date and time")
	_, page = cora.post("/silences", url.Values{"matcher_name": {"source"}, "matcher_value": {"suricata"}, "ends_at": {"2020-01-01T00:00"}, "reason": {"x"}})
	require.Contains(t, fieldError(t, page, "sil-ends"), "Must be in the future")
	_, page = cora.post("/silences", url.Values{"matcher_name": {""}, "matcher_value": {""}, "ends_at": {soon()}, "reason": {"x"}})
	require.Contains(t, page, `<p class="field-error" id="matchers-error">Needs at least one matcher`)

	// A good one: listed in force, then expired.
	resp, _ = cora.post("/silences", url.Values{"matcher_name": {"source", "fingerprint", ""}, "matcher_op": {"=", "=", "="},
		"matcher_value": {"suricata", beacon.Fingerprint, ""}, "ends_at": {soon()}, "reason": {"known C2 sinkholed"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	id := strings.TrimPrefix(resp.Header.Get("Location"), "/silences#sil-")
	require.NotEmpty(t, id)
	page = cora.page("/silences")
	current := page[strings.Index(page, "sil-current-h"):strings.Index(page, "sil-new-h")]
	require.Contains(t, current, `<tr id="sil-`+id+`">`)
	require.Contains(t, current, "<code>source = “suricata”</code>")
	require.Contains(t, current, "<code>fingerprint = “"+beacon.Fingerprint+"”</code>")
	require.Contains(t, current, "known C2 sinkholed")
	require.Contains(t, current, "<td>cora</td>")
	require.Contains(t, current, "sil-active")
	require.Contains(t, current, `action="/silences/`+id+`/expire"`)

	resp, _ = cora.post("/silences/"+id+"/expire", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	page = cora.page("/silences")
	ended := page[strings.Index(page, "sil-ended-h"):]
	require.Contains(t, ended, `<tr id="sil-`+id+`">`)
	require.Contains(t, ended, "sil-expired")
	require.Contains(t, ended, "(early)")
	require.NotContains(t, ended, `action="/silences/`+id+`/expire"`, "an expired silence cannot be expired again")
	resp, _ = cora.post("/silences/01NOSUCHSILENCE/expire", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// A silenced alert's page names its silence.
	muted := e.ingest(func(_ int, a *alert.Alert) { a.SilenceID = id }, alert.Input{Source: "suricata", Title: "Muted one"})
	page = cora.page("/alerts/" + muted[0].ID)
	require.Contains(t, page, "known C2 sinkholed")
	require.Contains(t, page, `href="/silences#sil-`+id+`"`)
}

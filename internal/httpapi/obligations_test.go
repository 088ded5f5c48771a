package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/httpapi"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/obligation"
	"github.com/quell-ir/quell/internal/store"
)

func TestIncidentClocksAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, viewer := e.addUser("vic", access.RoleViewer)
	var inc casework.IncidentDetail
	e.call("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Leaked customer list", Severity: incident.SeverityCritical},
		http.StatusCreated, &inc)

	// SLAs run from detection; durations are seconds, times RFC 3339.
	resp, raw := e.request("GET", "/api/v1/incidents/"+inc.Key+"/obligations", viewer, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	var generic map[string]any
	require.NoError(t, json.Unmarshal(raw, &generic))
	sla := generic["slas"].([]any)[0].(map[string]any)
	require.Equal(t, "acknowledge", sla["sla"])
	require.EqualValues(t, 900, sla["target_seconds"], "15 minutes, in seconds")
	_, err := time.Parse(time.RFC3339, sla["due"].(string))
	require.NoError(t, err)
	require.Equal(t, obligation.Disclaimer, generic["disclaimer"])

	var clocks httpapi.IncidentClocks
	require.NoError(t, json.Unmarshal(raw, &clocks))
	require.Len(t, clocks.SLAs, 3)
	require.NotEmpty(t, clocks.KnownTriggers)
	require.Empty(t, clocks.Triggers)
	for _, o := range clocks.Obligations {
		require.Equal(t, "not_started", o.State, o.Rule.ID)
	}

	// A viewer may not record; a responder may; bad names are problems, not 5xx.
	e.call("POST", "/api/v1/incidents/"+inc.Key+"/triggers", viewer, casework.NewTrigger{Name: "classified_major"}, http.StatusForbidden, nil)
	e.call("POST", "/api/v1/incidents/"+inc.Key+"/triggers", e.admin, casework.NewTrigger{Name: "moon_phase"}, http.StatusBadRequest, nil)
	at := e.clock.Now().Add(-time.Hour).Truncate(time.Second)
	var trig store.ObligationTrigger
	e.call("POST", "/api/v1/incidents/"+inc.Key+"/triggers", e.admin,
		casework.NewTrigger{Name: obligation.TriggerPersonalDataBreachConfirmed, At: &at, Note: "<b>DPO</b> agrees"}, http.StatusCreated, &trig)
	require.Equal(t, at, trig.At)
	e.call("POST", "/api/v1/incidents/"+inc.Key+"/triggers", e.admin,
		casework.NewTrigger{Name: obligation.TriggerPersonalDataBreachConfirmed}, http.StatusConflict, nil)

	e.call("GET", "/api/v1/incidents/"+inc.Key+"/obligations", e.admin, nil, http.StatusOK, &clocks)
	var art33 httpapi.ObligationClock
	for _, o := range clocks.Obligations {
		if o.Rule.ID == "gdpr-art33" {
			art33 = o
		}
	}
	require.Equal(t, "due", art33.State)
	require.Equal(t, at.Add(72*time.Hour), *art33.Deadline)
	require.InDelta(t, 71*3600, art33.RemainingSeconds, 60, "seconds, not nanoseconds")
	require.Equal(t, "72 hours", art33.Rule.Period)
	var tasks []incident.Task
	e.call("GET", "/api/v1/incidents/"+inc.Key+"/tasks", e.admin, nil, http.StatusOK, &tasks)
	require.Len(t, tasks, 1)
	require.Equal(t, "obligation:gdpr-art33", tasks[0].Origin)

	e.call("POST", "/api/v1/incidents/"+inc.Key+"/submissions", viewer, casework.NewSubmission{Obligation: "gdpr-art33"}, http.StatusForbidden, nil)
	e.call("POST", "/api/v1/incidents/"+inc.Key+"/submissions", e.admin, casework.NewSubmission{Obligation: "nope"}, http.StatusBadRequest, nil)
	var sub store.ObligationSubmission
	e.call("POST", "/api/v1/incidents/"+inc.Key+"/submissions", e.admin,
		casework.NewSubmission{Obligation: "gdpr-art33", Recipient: "CNIL", Reference: "NOTIF-42"}, http.StatusCreated, &sub)
	require.Equal(t, "CNIL", sub.Recipient)
	e.call("GET", "/api/v1/incidents/"+inc.Key+"/obligations", viewer, nil, http.StatusOK, &clocks)
	require.Len(t, clocks.Submissions, 1)
	for _, o := range clocks.Obligations {
		if o.Rule.ID == "gdpr-art33" {
			require.Equal(t, "met", o.State)
			require.False(t, o.Late)
		}
	}

	var rules httpapi.ObligationRules
	e.call("GET", "/api/v1/obligations/rules", viewer, nil, http.StatusOK, &rules)
	require.Equal(t, obligation.Disclaimer, rules.Disclaimer)
	require.Len(t, rules.Rules, len(obligation.DefaultRules().Rules))
	var ids []string
	for _, r := range rules.Rules {
		ids = append(ids, r.ID)
	}
	require.Contains(t, ids, "sec-8k-item-1.05")
	require.Equal(t, "weekends", rules.DefaultCalendar)

	e.call("GET", "/api/v1/incidents/INC-999/obligations", e.admin, nil, http.StatusNotFound, nil)
}

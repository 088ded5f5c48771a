package web_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
)

// TestLiveStreamNamesOnlyVisibleIncidents listens to the live-update stream as a responder
// who is not a member of a restricted incident: changes to it are never announced, changes to
// the incidents they may see are.
func TestLiveStreamNamesOnlyVisibleIncidents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var hidden, shown casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Need to know", Severity: incident.SeverityHigh, Restricted: true},
		http.StatusCreated, &hidden)
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Everyone's", Severity: incident.SeverityLow}, http.StatusCreated, &shown)
	e.addUser("rick", access.RoleResponder)
	rick := e.signIn("rick", "rick has a long password")

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/live", nil)
	require.NoError(t, err)
	resp, err := rick.c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	read := func() string {
		t.Helper()
		select {
		case l, ok := <-lines:
			require.True(t, ok, "the stream ended")
			return l
		case <-ctx.Done():
			t.Fatal("no more from the stream")
			return ""
		}
	}
	require.Equal(t, "retry: 5000", read(), "the stream is open")

	e.api("POST", "/api/v1/incidents/"+hidden.Key+"/notes", e.admin, casework.NewNote{Body: "quiet"}, http.StatusCreated, nil)
	e.api("POST", "/api/v1/incidents/"+shown.Key+"/notes", e.admin, casework.NewNote{Body: "loud"}, http.StatusCreated, nil)
	for {
		l := read()
		require.NotContains(t, l, hidden.Key, "a change to an incident rick may not see was announced")
		require.NotContains(t, l, hidden.ID)
		if strings.HasPrefix(l, "data: ") {
			require.JSONEq(t, `{"incident":"`+shown.Key+`","kind":"note.create"}`, strings.TrimPrefix(l, "data: "))
			break
		}
	}

	// Alerts arriving refresh the alert queue: the notice names no incident.
	var src casework.CreatedIntakeSource
	e.api("POST", "/api/v1/intake-sources", e.admin, casework.NewIntakeSource{Name: "live", Format: "quell"}, http.StatusCreated, &src)
	e.api("POST", "/api/v1/alerts", src.Token, map[string]string{"source": "ids", "title": "Port scan"}, http.StatusAccepted, nil)
	for {
		l := read()
		if strings.HasPrefix(l, "data: ") && strings.Contains(l, `"alerts"`) {
			require.JSONEq(t, `{"alerts":true,"kind":"alerts.ingested"}`, strings.TrimPrefix(l, "data: "))
			break
		}
	}

	anon := e.anonymous()
	resp2, _ := anon.get("/live")
	require.Equal(t, http.StatusUnauthorized, resp2.StatusCode, "no stream without a session")
}

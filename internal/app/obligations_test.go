package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// breaches returns the SLA breach entries on an incident's timeline.
func breaches(t *testing.T, url, token, key string) []incident.Entry {
	t.Helper()
	var page store.Page[incident.Entry]
	require.Equal(t, http.StatusOK, requestJSON(t, "GET", url+"/api/v1/incidents/"+key+"/timeline?limit=500", token, nil, &page))
	var out []incident.Entry
	for _, e := range page.Items {
		if strings.HasPrefix(e.Text, "SLA breached:") {
			out = append(out, e)
		}
	}
	return out
}

// TestSLATimerSurvivesRestart opens an incident whose acknowledge target is a few seconds
// away, stops the server before it passes, and starts another on the same data directory: the
// durable timer fires there and the breach is recorded, once.
func TestSLATimerSurvivesRestart(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Admin.Password = seedPassword
	policy := filepath.Join(t.TempDir(), "sla.yaml")
	require.NoError(t, os.WriteFile(policy, []byte("severities:\n  critical: {acknowledge: 3s, resolve: 1h}\n"), 0o600))
	cfg.Obligations.SLA = policy

	first := startApp(t, cfg)
	var tok auth.CreatedToken
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", first.URL()+"/api/v1/auth/token", "",
		map[string]string{"username": "admin", "password": seedPassword, "name": "restart", "scope": "admin"}, &tok))
	var inc casework.IncidentDetail
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", first.URL()+"/api/v1/incidents", tok.Secret,
		casework.NewIncident{Title: "Domain controller beaconing", Severity: incident.SeverityCritical}, &inc))
	stopApp(t, first)
	require.Less(t, time.Since(inc.CreatedAt), 3*time.Second, "the first server stopped before the target passed")

	second := startApp(t, cfg)
	deadline := time.Now().Add(30 * time.Second)
	for len(breaches(t, second.URL(), tok.Secret, inc.Key)) == 0 {
		require.True(t, time.Now().Before(deadline), "the breach was not recorded after the restart")
		time.Sleep(200 * time.Millisecond)
	}
	got := breaches(t, second.URL(), tok.Secret, inc.Key)
	require.Len(t, got, 1)
	require.Contains(t, got[0].Text, "acknowledge within 3s")
	require.Equal(t, inc.DetectedAt.Add(3*time.Second), got[0].EventAt, "dated when the target passed")
	stopApp(t, second)
}

package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/httpapi"
	"github.com/quell-ir/quell/internal/intake"
	"github.com/quell-ir/quell/internal/store"
)

// post sends a raw body with headers and returns the status and body.
func (e *env) post(path, body string, headers map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp, buf.Bytes()
}

func (e *env) source(name, format string) string {
	e.t.Helper()
	var src casework.CreatedIntakeSource
	e.call("POST", "/api/v1/intake-sources", e.admin, casework.NewIntakeSource{Name: name, Format: format}, http.StatusCreated, &src)
	require.True(e.t, strings.HasPrefix(src.Token, alert.IntakeTokenPrefix))
	return src.Token
}

const alertmanagerBody = `{"version":"4","groupKey":"{}:{alertname=\"HostDown\"}","status":"firing","receiver":"quell",
 "groupLabels":{"alertname":"HostDown"},"commonLabels":{"alertname":"HostDown","severity":"critical"},
 "commonAnnotations":{},"externalURL":"http://alertmanager:9093",
 "alerts":[{"status":"firing","labels":{"alertname":"HostDown","instance":"db-01:9100","severity":"critical"},
   "annotations":{"summary":"db-01 is down"},"startsAt":"2026-11-27T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
   "generatorURL":"http://prometheus/graph","fingerprint":"a1b2c3d4e5f60718"}]}`

func TestIntakeContract(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	am := e.source("prod-alertmanager", "alertmanager")
	bearer := map[string]string{"Authorization": "Bearer " + am}

	// 202 with the id of each alert and whether it was new; the alert is stored.
	resp, body := e.post("/api/v1/intake/alertmanager", alertmanagerBody, bearer)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	var first intake.Receipt
	require.NoError(t, json.Unmarshal(body, &first))
	require.Len(t, first.Alerts, 1)
	require.Equal(t, intake.OutcomeNew, first.Alerts[0].Outcome)
	var got httpapi.AlertDetail
	e.call("GET", "/api/v1/alerts/"+first.Alerts[0].ID, e.admin, nil, http.StatusOK, &got)
	require.Equal(t, "db-01 is down", got.Title)
	require.Equal(t, alert.Severity("critical"), got.Severity)
	require.Contains(t, got.Raw, "db-01:9100", "the raw payload is kept")

	// The same notification again (Alertmanager repeats a firing alert) is a duplicate of the
	// same alert and does not count twice; a new firing of the same alert counts.
	resp, body = e.post("/api/v1/intake/alertmanager", alertmanagerBody, bearer)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	var second intake.Receipt
	require.NoError(t, json.Unmarshal(body, &second))
	require.Equal(t, first.Alerts[0].ID, second.Alerts[0].ID)
	require.Equal(t, intake.OutcomeDuplicate, second.Alerts[0].Outcome)
	e.call("GET", "/api/v1/alerts/"+first.Alerts[0].ID, e.admin, nil, http.StatusOK, &got)
	require.Equal(t, 1, got.Count)
	refired := strings.Replace(alertmanagerBody, "2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z", 1)
	resp, body = e.post("/api/v1/intake/alertmanager", refired, bearer)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	require.NoError(t, json.Unmarshal(body, &second))
	require.Equal(t, first.Alerts[0].ID, second.Alerts[0].ID)
	e.call("GET", "/api/v1/alerts/"+first.Alerts[0].ID, e.admin, nil, http.StatusOK, &got)
	require.Equal(t, 2, got.Count)

	// A retried request with an Idempotency-Key gets the first answer and counts once.
	keyed := map[string]string{"Authorization": "Bearer " + am, "Idempotency-Key": "retry-1"}
	manual := `{"source":"ids","title":"Port scan from 203.0.113.50"}`
	resp, body1 := e.post("/api/v1/alerts", manual, keyed)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	resp, body2 := e.post("/api/v1/alerts", manual, keyed)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	require.JSONEq(t, string(body1), string(body2))
	var keyedReceipt intake.Receipt
	require.NoError(t, json.Unmarshal(body1, &keyedReceipt))
	e.call("GET", "/api/v1/alerts/"+keyedReceipt.Alerts[0].ID, e.admin, nil, http.StatusOK, &got)
	require.Equal(t, 1, got.Count)
	require.Contains(t, got.Observables, alert.Observable{Type: alert.ObsIPv4, Value: "203.0.113.50"})
	resp, _ = e.post("/api/v1/alerts", manual, bearer)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	e.call("GET", "/api/v1/alerts/"+keyedReceipt.Alerts[0].ID, e.admin, nil, http.StatusOK, &got)
	require.Equal(t, 2, got.Count, "without the key, the same alert is a repeat and counts")

	// "resolved" resolves the open alert.
	resp, body = e.post("/api/v1/intake/alertmanager", strings.ReplaceAll(refired, `"firing"`, `"resolved"`), bearer)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	e.call("GET", "/api/v1/alerts/"+first.Alerts[0].ID, e.admin, nil, http.StatusOK, &got)
	require.Equal(t, alert.StatusResolved, got.Status)

	// Bad input: 400 with a problem document, nothing stored.
	var before store.Page[alert.Alert]
	e.call("GET", "/api/v1/alerts?limit=500", e.admin, nil, http.StatusOK, &before)
	resp, body = e.post("/api/v1/intake/alertmanager", `{"alerts": [`, bearer)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	resp, body = e.post("/api/v1/alerts", `[{"source":"ids","title":"ok"},{"source":"ids","title":""}]`, bearer)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
	var prob httpapi.Problem
	require.NoError(t, json.Unmarshal(body, &prob))
	require.Equal(t, "/1/title", prob.Errors[0].Pointer)
	var after store.Page[alert.Alert]
	e.call("GET", "/api/v1/alerts?limit=500", e.admin, nil, http.StatusOK, &after)
	require.Len(t, after.Items, len(before.Items), "a bad request stores nothing")

	// The token is good for its own format and Quell's schema only.
	resp, _ = e.post("/api/v1/intake/suricata", `{"event_type":"alert"}`, bearer)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, body = e.post("/api/v1/alerts", `{"source":"ids","title":"by hand"}`, bearer)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	// A user's API token is no intake token, and an intake token is no API token.
	resp, _ = e.post("/api/v1/intake/alertmanager", alertmanagerBody, map[string]string{"Authorization": "Bearer " + e.admin})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	e.call("GET", "/api/v1/incidents", am, nil, http.StatusUnauthorized, nil)
	// Only Splunk may send its token in the query string.
	resp, _ = e.post("/api/v1/intake/alertmanager?token="+am, alertmanagerBody, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	splunk := e.source("splunk", "splunk")
	resp, body = e.post("/api/v1/intake/splunk?token="+splunk,
		`{"sid":"scheduler__admin__search__RMD5_at_1","search_name":"Brute force","app":"search","owner":"admin","results_link":"http://splunk/x","result":{"src":"203.0.113.9","count":"57"}}`, nil)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))

	// A revoked token stops working.
	var sources []alert.IntakeSource
	e.call("GET", "/api/v1/intake-sources", e.admin, nil, http.StatusOK, &sources)
	for _, s := range sources {
		if s.Name == "prod-alertmanager" {
			e.call("DELETE", "/api/v1/intake-sources/"+s.ID, e.admin, nil, http.StatusNoContent, nil)
		}
	}
	resp, _ = e.post("/api/v1/intake/alertmanager", alertmanagerBody, bearer)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestIntakeTooLargeAndStorageDown(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, auth.Options{MaxFailuresPerAccount: 1000, MaxFailuresPerAddress: 1000}, httpapi.Config{MaxBodyBytes: 4096})
	tok := e.source("ids", "quell")
	bearer := map[string]string{"Authorization": "Bearer " + tok}
	big := fmt.Sprintf(`{"source":"ids","title":"big","description":%q}`, strings.Repeat("x", 5000))
	resp, body := e.post("/api/v1/alerts", big, bearer)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, string(body))

	// With the database gone, intake answers 503 with Retry-After, never 202 and never 500.
	// The token was checked a moment ago and is still remembered.
	resp, _ = e.post("/api/v1/alerts", `{"source":"ids","title":"before"}`, bearer)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	require.NoError(t, e.store.Close())
	resp, body = e.post("/api/v1/alerts", `{"source":"ids","title":"while down"}`, bearer)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, string(body))
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	_ = time.Second
}

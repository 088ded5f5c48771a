package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/httpapi"
)

// TestOpenAPIMatchesRouter checks the served OpenAPI document against the routes the router
// actually serves: every documented operation is routed (not a 404 from the catch-all) and every
// routed operation is documented, with its parameters, body and responses.
func TestOpenAPIMatchesRouter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			OperationID string           `json:"operationId"`
			Summary     string           `json:"summary"`
			Parameters  []map[string]any `json:"parameters"`
			RequestBody *struct {
				Content map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]any `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	e.call("GET", "/api/v1/openapi.json", "", nil, http.StatusOK, &doc)
	require.Equal(t, "3.1.0", doc.OpenAPI)

	documented := map[string]bool{}
	opIDs := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			id := strings.ToUpper(method) + " " + path
			documented[id] = true
			require.NotEmpty(t, op.Summary, id)
			require.False(t, opIDs[op.OperationID], "duplicate operationId %s", op.OperationID)
			opIDs[op.OperationID] = true
			require.Contains(t, op.Responses, "default", id)
			for _, seg := range strings.Split(path, "/") {
				if strings.HasPrefix(seg, "{") {
					name := strings.Trim(seg, "{}")
					found := false
					for _, p := range op.Parameters {
						found = found || (p["name"] == name && p["in"] == "path")
					}
					require.True(t, found, "%s: path parameter %s not documented", id, name)
				}
			}
			if op.RequestBody != nil {
				ref, _ := op.RequestBody.Content["application/json"].Schema["$ref"].(string)
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				require.NotEmpty(t, doc.Components.Schemas[name]["properties"], "%s: request schema %s has no properties", id, ref)
			}

			// The router must serve it: a request to the documented path never reaches the
			// catch-all 404 (which says "no such endpoint") or a 405.
			concrete := strings.NewReplacer("{key}", "INC-999", "{id}", "01JAAAAAAAAAAAAAAAAAAAAAAA", "{user}", "nobody",
				"{token}", "nothing", "{role}", "scribe", "{milestone}", "occurred_at").Replace(path)
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(strings.ToUpper(method), concrete, nil)
			req.Header.Set("Authorization", "Bearer "+e.admin)
			e.handler.ServeHTTP(rec, req)
			require.NotEqual(t, http.StatusMethodNotAllowed, rec.Code, id)
			require.NotContains(t, rec.Body.String(), "no such endpoint", id)
		}
	}
	for _, rt := range httpapi.Routes() {
		require.True(t, documented[rt.ID()], "route %s is served but not documented", rt.ID())
	}
	require.Len(t, documented, len(httpapi.Routes()))

	// And an undocumented path is the catch-all's 404 problem.
	resp, data := e.request("GET", "/api/v1/no-such-thing", e.admin, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	var p httpapi.Problem
	require.NoError(t, json.Unmarshal(data, &p))
	require.Contains(t, p.Detail, "no such endpoint")
}

package httpapi_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/httpapi"
	"github.com/quell-ir/quell/internal/incident"
)

// FuzzWriteEndpoints sends arbitrary bodies to every route that takes one. Whatever the body,
// the answer is a 2xx or a 4xx: never a 5xx, never a panic (a panic would surface as a 500).
func FuzzWriteEndpoints(f *testing.F) {
	e := newEnv(f)
	var inc casework.IncidentDetail
	e.call("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "fuzz", Severity: incident.SeverityLow}, http.StatusCreated, &inc)
	var task incident.Task
	e.call("POST", "/api/v1/incidents/INC-1/tasks", e.admin, casework.NewTask{Title: "t", Phase: incident.PhaseIdentification}, http.StatusCreated, &task)
	var note casework.NoteDetail
	e.call("POST", "/api/v1/incidents/INC-1/notes", e.admin, casework.NewNote{Body: "n"}, http.StatusCreated, &note)
	var entry incident.Entry
	e.call("POST", "/api/v1/incidents/INC-1/timeline", e.admin, casework.NewEntry{Text: "e"}, http.StatusCreated, &entry)
	var host asset.Asset
	e.call("POST", "/api/v1/assets", e.admin, casework.NewAsset{Kind: asset.KindHost, Name: "h", Criticality: 2}, http.StatusCreated, &host)
	_, _ = e.addUser("vera", access.RoleViewer)
	objs := objects{key: inc.Key, task: task.ID, note: note.ID, entry: entry.ID}

	var writes []httpapi.Route
	for _, rt := range httpapi.Routes() {
		if rt.Body != nil {
			writes = append(writes, rt)
		}
	}
	seeds := []string{
		`{}`, `[]`, `null`, `""`, `{"title":1}`, `{"title":"x","severity":"critical","tags":["a","b"]}`,
		`{"to":"closed","reason":"r","resolution":"benign"}`, `{"event_at":"2026-01-02T03:04:05+09:00","text":"t"}`,
		`{"at":"not a time","reason":"x"}`, `{"identifiers":[{"type":"ip","value":"999.1.1.1"}]}`,
		`{"title":"x"}{"title":"y"}`, `{"custom_fields":{"":"x"}}`, `{"criticality":9}`, "\xff\xfe", `{"a":`,
		`{"username":"x","password":"          "}`, `{"status":"done","version":-1}`, `{"details":{"x":[1,2,{}]}}`,
	}
	for i := range writes {
		for _, s := range seeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		rt := writes[int(which)%len(writes)]
		path := fillPath(rt.Pattern, objs, host.ID, "01JAAAAAAAAAAAAAAAAAAAAAAA")
		req := httptest.NewRequest(rt.Method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.admin)
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s with body %q: status %d: %s", rt.Method, path, body, rec.Code, rec.Body)
		}
	})
}

// FuzzIntake posts arbitrary bodies to every intake format with that format's own token: the
// answer is a 202 or a 4xx, never a 5xx or a panic.
func FuzzIntake(f *testing.F) {
	e := newEnv(f)
	formats := append([]string{"quell"}, "alertmanager", "elastic", "splunk", "wazuh", "suricata", "falco", "defender", "crowdstrike")
	tokens := map[string]string{}
	for _, format := range formats {
		var src casework.CreatedIntakeSource
		e.call("POST", "/api/v1/intake-sources", e.admin, casework.NewIntakeSource{Name: "fuzz-" + format, Format: format}, http.StatusCreated, &src)
		tokens[format] = src.Token
	}
	seeds := []string{
		`{"source":"ids","title":"t"}`, `[{"source":"ids","title":"a"},{"source":"ids","title":""}]`, alertmanagerBody,
		`{"event_type":"alert","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","alert":{"signature_id":1,"signature":"s","severity":1}}`,
		`{"sid":"x","search_name":"n","result":{}}`, `{"rule":{"level":12,"description":"d"},"agent":{"name":"a"}}`,
		`{"output":"o","priority":"Critical","rule":"r","time":"2026-01-01T00:00:00Z"}`, `{"value":[{"id":"1","title":"t"}]}`,
		`{"metadata":{"eventType":"DetectionSummaryEvent"},"event":{"DetectName":"x"}}`, `{}`, `[]`, `null`, "\xff", `{"a":`,
	}
	for i := range formats {
		for _, s := range seeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		format := formats[int(which)%len(formats)]
		path := "/api/v1/intake/" + format
		if format == "quell" {
			path = "/api/v1/alerts"
		}
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tokens[format])
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s with body %q: status %d: %s", path, body, rec.Code, rec.Body)
		}
	})
}

package formats_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/intake/formats"
	"github.com/quell-ir/quell/internal/validation"
)

// requireInvalid checks that err is a validation error at pointer whose message contains
// each of details.
func requireInvalid(t *testing.T, err error, pointer string, details ...string) {
	t.Helper()
	require.Error(t, err)
	verr, ok := validation.As(err)
	require.True(t, ok, "not a validation error: %T %v", err, err)
	require.Equal(t, pointer, verr.Pointer, "pointer of %q", verr.Detail)
	for _, d := range details {
		require.Contains(t, verr.Detail, d)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, format, body, pointer string
		details                     []string
	}{
		// Bodies that are not JSON, or empty.
		{"empty", "suricata", " \n\t", "", []string{"the body is empty"}},
		{"truncated object", "alertmanager", `{"alerts": [`, "", []string{"invalid JSON at line 1, column 12 (byte offset 12)", "unexpected end of JSON input"}},
		{"bad value on line 3", "wazuh", "{\n  \"rule\": {},\n  \"id\": x\n}", "", []string{"invalid JSON at line 3, column 9", "invalid character 'x'"}},
		{"bad third line of a stream", "falco", "{\"rule\":\"a\"}\n{\"rule\":\"b\"}\n{\"rule\":\"c\",}\n", "", []string{"line 3", "invalid character '}'"}},
		{"truncated stream", "crowdstrike", `{"metadata":{"eventType":"DetectionSummaryEvent"},"event":{"DetectName":"x"`, "", []string{"invalid JSON", "unexpected end of JSON input"}},
		{"garbage after the object", "splunk", `{"sid":"1"} trailing`, "", []string{"invalid JSON", "after top-level value"}},
		{"bad value after blank lines", "wazuh", "\n\n{\"rule\": x}", "", []string{"invalid JSON at line 3, column 10 (byte offset 12)"}},
		{"byte order mark then bad JSON", "splunk", "\xef\xbb\xbf{\"sid\": }", "", []string{"invalid JSON at line 1, column 12 (byte offset 12)"}},
		{"bad array", "defender", `[{"title":"a"},]`, "", []string{"invalid JSON at line 1, column 16"}},

		// Alertmanager.
		{"alertmanager array body", "alertmanager", `[{"alerts":[]}]`, "", []string{"must be a JSON object", "not an array"}},
		{"alertmanager without alerts", "alertmanager", `{"version":"4","status":"firing"}`, "/alerts", []string{"is required"}},
		{"alertmanager alerts not an array", "alertmanager", `{"alerts":"firing"}`, "/alerts", []string{"must be an array, not a string"}},
		{"alertmanager labels not an object", "alertmanager",
			`{"alerts":[{"labels":{"alertname":"a"}},{"labels":{"alertname":"b"}},{"labels":"severity=critical"}]}`,
			"/alerts/2/labels", []string{"must be a JSON object, not a string"}},
		{"alertmanager label value an object", "alertmanager", `{"alerts":[{"labels":{"alertname":"a","severity":{"level":1}}}]}`,
			"/alerts/0/labels/severity", []string{"must be a string, not an object"}},
		{"alertmanager no alertname nor summary", "alertmanager", `{"alerts":[{"labels":{"job":"node"},"annotations":{"description":"x"}}]}`,
			"/alerts/0/labels/alertname", []string{"is required when there is no annotations.summary"}},
		{"alertmanager bad startsAt", "alertmanager", `{"alerts":[{"labels":{"alertname":"a"}},{"labels":{"alertname":"b"},"startsAt":"yesterday"}]}`,
			"/alerts/1/startsAt", []string{"must be a time", `"yesterday"`}},
		{"alertmanager bad status", "alertmanager", `{"alerts":[{"labels":{"alertname":"a"},"status":"pending"}]}`,
			"/alerts/0/status", []string{`must be "firing" or "resolved"`}},
		{"alertmanager other version", "alertmanager", `{"version":"3","alerts":[{"labels":{"alertname":"a"}}]}`,
			"/version", []string{"version 4"}},
		{"alertmanager no alerts", "alertmanager", `{"version":"4","alerts":[]}`, "", []string{"the body holds no alerts"}},

		// Suricata.
		{"suricata item not an object", "suricata", `[{"event_type":"flow"},42]`, "/1", []string{"must be a JSON object, not a number"}},
		{"suricata no signature", "suricata", `[{"event_type":"alert","alert":{"signature_id":1}}]`, "/0/alert/signature", []string{"is required"}},
		{"suricata severity not a number", "suricata", `{"event_type":"alert","alert":{"signature":"s","severity":"high"}}`,
			"/alert/severity", []string{"must be a number", `"high"`}},
		{"suricata bad timestamp", "suricata", `{"event_type":"alert","timestamp":"24/03/2018","alert":{"signature":"s"}}`,
			"/timestamp", []string{"must be a time"}},
		{"suricata alert event without alert", "suricata", "{\"event_type\":\"flow\"}\n{\"event_type\":\"alert\"}", "/1/alert", []string{"is required"}},
		{"suricata src_ip an array", "suricata", `{"event_type":"alert","src_ip":["10.0.0.1"],"alert":{"signature":"s"}}`,
			"/src_ip", []string{"must be a string, not an array"}},

		// Elastic.
		{"elastic no rule name", "elastic", `{"@timestamp":"2026-03-01T00:00:00Z","host":{"name":"h"}}`,
			"/kibana.alert.rule.name", []string{"is required"}},
		{"elastic envelope alert without rule", "elastic", `{"alerts":[{"kibana.alert.rule.name":"a"},{"host.name":"h"}]}`,
			"/alerts/1/kibana.alert.rule.name", []string{"is required"}},
		{"elastic hit field of the wrong type", "elastic", `{"hits":{"hits":[{"_id":"1","_source":{"kibana.alert.rule.name":"a","host":{"name":{"first":"h"}}}}]}}`,
			"/hits/hits/0/_source/host/name", []string{"must be a string, not an object"}},
		{"elastic bad timestamp", "elastic", `{"kibana":{"alert":{"rule":{"name":"a"}}},"@timestamp":"soon"}`,
			"/@timestamp", []string{"must be a time"}},
		{"elastic empty alerts", "elastic", `{"rule":{"name":"a"},"alerts":[]}`, "", []string{"the body holds no alerts"}},

		// Splunk.
		{"splunk no name nor sid", "splunk", `{"result":{"count":"1"}}`, "/search_name", []string{"is required (or sid)"}},
		{"splunk result not an object", "splunk", `{"sid":"1","result":"count=1"}`, "/result", []string{"must be a JSON object, not a string"}},
		{"splunk bad _time", "splunk", `{"sid":"1","search_name":"s","result":{"_time":"noon"}}`, "/result/_time", []string{"must be a time"}},

		// Wazuh.
		{"wazuh no rule", "wazuh", `{"agent":{"id":"001"},"full_log":"x"}`, "/rule", []string{"is required"}},
		{"wazuh level not a number", "wazuh", `{"rule":{"level":"high","description":"d"}}`, "/rule/level", []string{"must be a number"}},
		{"wazuh second alert without description", "wazuh", "{\"rule\":{\"level\":3,\"description\":\"d\"}}\n{\"rule\":{\"level\":3}}\n",
			"/1/rule/description", []string{"is required"}},
		{"wazuh groups not strings", "wazuh", `{"rule":{"level":3,"description":"d","groups":[{"a":1}]}}`, "/rule/groups/0", []string{"must be a string, not an object"}},

		// Falco.
		{"falco no rule", "falco", `{"output":"x","priority":"Notice"}`, "/rule", []string{"is required"}},
		{"falco output_fields a list", "falco", `{"rule":"r","output_fields":["a"]}`, "/output_fields", []string{"must be a JSON object, not an array"}},
		{"falco tags an object", "falco", `{"rule":"r","tags":{"a":1}}`, "/tags", []string{"must be a string, not an object"}},

		// Defender.
		{"defender second alert without title", "defender", `{"value":[{"id":"1","title":"t"},{"id":"2"}]}`, "/value/1/title", []string{"is required"}},
		{"defender evidence not an array", "defender", `{"id":"1","title":"t","evidence":{}}`, "/evidence", []string{"must be an array, not an object"}},
		{"defender user account a string", "defender",
			`{"id":"1","title":"t","evidence":[{"@odata.type":"#microsoft.graph.security.userEvidence","userAccount":"jdoe"}]}`,
			"/evidence/0/userAccount", []string{"must be a JSON object, not a string"}},
		{"defender empty list", "defender", `{"@odata.context":"x","value":[]}`, "", []string{"the body holds no alerts"}},

		// CrowdStrike.
		{"crowdstrike detection without event", "crowdstrike", `{"metadata":{"eventType":"DetectionSummaryEvent"}}`, "/event", []string{"is required"}},
		{"crowdstrike no detect name", "crowdstrike", `{"metadata":{"eventType":"DetectionSummaryEvent"},"event":{"DetectId":"ldt:1"}}`,
			"/event/DetectName", []string{"is required"}},
		{"crowdstrike bad creation time", "crowdstrike", `{"metadata":{"eventType":"DetectionSummaryEvent","eventCreationTime":"yesterday"},"event":{"DetectName":"d"}}`,
			"/metadata/eventCreationTime", []string{"must be a time"}},
		{"crowdstrike only audit events", "crowdstrike", "{\"metadata\":{\"eventType\":\"AuthActivityAuditEvent\"}}\n{\"metadata\":{\"eventType\":\"UserActivityAuditEvent\"}}",
			"", []string{"none of the 2 items in the body is an alert", "DetectionSummaryEvent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parse, ok := formats.Lookup(tt.format)
			require.True(t, ok)
			ins, err := parse([]byte(tt.body))
			requireInvalid(t, err, tt.pointer, tt.details...)
			require.Nil(t, ins, "nothing of a bad body is taken")
		})
	}
}

func TestDecodeQuell(t *testing.T) {
	t.Parallel()
	t.Run("one object", func(t *testing.T) {
		t.Parallel()
		ins, err := formats.DecodeQuell([]byte(`{"source":"nagios","title":"Disk full","severity":"warning","resolved":true}`))
		require.NoError(t, err)
		require.Len(t, ins, 1)
		require.Equal(t, alert.Input{
			Source: "nagios", Title: "Disk full", Severity: "warning", Resolved: true,
			Raw: []byte(`{"source":"nagios","title":"Disk full","severity":"warning","resolved":true}`),
		}, ins[0])
		a, err := alert.Normalise(ins[0], now, 0)
		require.NoError(t, err)
		require.Equal(t, alert.Severity("medium"), a.Severity)
	})
	tests := []struct {
		name, body, pointer string
		details             []string
	}{
		{"unknown field", `[{"source":"s","title":"t"},{"source":"s","titel":"t"}]`, "/1/titel",
			[]string{"is not a field of an alert", "source, source_ref, fingerprint, title"}},
		{"no title", `[{"source":"s","title":"t"},{"source":"s","title":"  "}]`, "/1/title", []string{"is required"}},
		{"no source", `{"title":"t"}`, "/source", []string{"is required"}},
		{"source a number", `{"source":7,"title":"t"}`, "/source", []string{"must be a string, not a number"}},
		{"unknown severity", `{"source":"s","title":"t","severity":"urgent"}`, "/severity", []string{"must be one of critical", `"urgent"`}},
		{"label not a string", `{"source":"s","title":"t","labels":{"team":"a","count":3}}`, "/labels/count", []string{"must be a string, not a number"}},
		{"labels an array", `{"source":"s","title":"t","labels":["a"]}`, "/labels", []string{"must be a JSON object, not an array"}},
		{"observable type unknown", `{"source":"s","title":"t","observables":[{"type":"ip","value":"10.0.0.1"}]}`,
			"/observables/0/type", []string{"must be one of ipv4, ipv6", `"ip"`}},
		{"observable field unknown", `{"source":"s","title":"t","observables":[{"type":"ipv4","value":"10.0.0.1"},{"type":"host","value":"h","kind":"x"}]}`,
			"/observables/1/kind", []string{"is not a field of an observable"}},
		{"observable without value", `{"source":"s","title":"t","observables":[{"type":"host"}]}`, "/observables/0/value", []string{"is required"}},
		{"bad time", `{"source":"s","title":"t","occurred_at":"2026-03-01 10:00"}`, "/occurred_at", []string{"RFC 3339"}},
		{"resolved a string", `{"source":"s","title":"t","resolved":"yes"}`, "/resolved", []string{"must be true or false"}},
		{"a string body", `"alert"`, "", []string{"must be an alert (a JSON object) or an array of alerts, not a string"}},
		{"an empty array", `[]`, "", []string{"the body holds no alerts"}},
		{"array of strings", `["a"]`, "/0", []string{"must be a JSON object, not a string"}},
		{"bad JSON", `[{"source":"s",}]`, "", []string{"invalid JSON at line 1, column 16 (byte offset 16)"}},
		{"two objects", `{"source":"s","title":"t"} {"source":"s","title":"t"}`, "", []string{"invalid JSON", "after top-level value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ins, err := formats.DecodeQuell([]byte(tt.body))
			requireInvalid(t, err, tt.pointer, tt.details...)
			require.Nil(t, ins)
		})
	}
}

package formats_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/intake/formats"
	"github.com/quell-ir/quell/internal/validation"
)

// now is the intake time the tests normalise with.
var now = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// parseFile reads a testdata file with the parser of format: a native format, "quell" or
// "generic" (with testdata/generic-mapping.yaml).
func parseFile(t testing.TB, format, name string) []alert.Input {
	t.Helper()
	body := readTestdata(t, name)
	var (
		ins []alert.Input
		err error
	)
	switch format {
	case "quell":
		ins, err = formats.DecodeQuell(body)
	case "generic":
		m, merr := formats.ParseMapping(readTestdata(t, "generic-mapping.yaml"))
		require.NoError(t, merr)
		ins, err = m.Parse(body)
	default:
		p, ok := formats.Lookup(format)
		require.True(t, ok, format)
		ins, err = p(body)
	}
	require.NoError(t, err)
	return ins
}

// normaliseAll normalises every input and fails the test if one is refused.
func normaliseAll(t testing.TB, ins []alert.Input) []alert.Alert {
	t.Helper()
	out := make([]alert.Alert, len(ins))
	for i, in := range ins {
		a, err := alert.Normalise(in, now, 0)
		require.NoError(t, err, "alert %d: %+v", i, in)
		out[i] = a
	}
	return out
}

func obs(t alert.ObservableType, value, role string) alert.Observable {
	return alert.Observable{Type: t, Value: value, Role: role}
}

func TestLookupAndNames(t *testing.T) {
	t.Parallel()
	names := formats.Names()
	require.Equal(t, []string{"alertmanager", "crowdstrike", "defender", "elastic", "falco", "splunk", "suricata", "wazuh"}, names)
	for _, n := range names {
		p, ok := formats.Lookup(n)
		require.True(t, ok, n)
		require.NotNil(t, p, n)
	}
	_, ok := formats.Lookup("generic")
	require.False(t, ok, "generic needs a mapping")
	_, ok = formats.Lookup("Suricata")
	require.False(t, ok, "names are exact")
}

// TestSamples reads a realistic payload of every format and checks what each alert carries
// after normalisation.
func TestSamples(t *testing.T) {
	t.Parallel()
	type want struct {
		title, description string
		severity           alert.Severity
		sourceRef          string
		fingerprint        string // "" when computed: then only checked to be set
		resolved           bool
		occurred           string
		observables        []alert.Observable
		labels             map[string]string
		noLabels           []string
	}
	tests := []struct {
		format, file string
		count, index int
		want         want
	}{
		{"alertmanager", "alertmanager.json", 2, 0, want{
			title: "CPU above 95% on 10.20.0.12:9100", description: "CPU usage has stayed above 95% for 10 minutes.",
			severity: "critical", sourceRef: "a1b2c3d4e5f60718@2026-03-01T10:15:30.123Z", fingerprint: "a1b2c3d4e5f60718",
			occurred:    "2026-03-01T10:15:30.123Z",
			observables: []alert.Observable{obs(alert.ObsIPv4, "10.20.0.12", "")},
			labels:      map[string]string{"alertname": "HostHighCPU", "team": "infra", "severity": "critical", "job": "node"},
		}},
		{"alertmanager", "alertmanager.json", 2, 1, want{
			title: "HostHighCPU", severity: "medium", resolved: true,
			sourceRef: "0f1e2d3c4b5a6978@2026-03-01T09:00:00Z:resolved", fingerprint: "0f1e2d3c4b5a6978",
			occurred:    "2026-03-01T09:00:00Z",
			observables: []alert.Observable{obs(alert.ObsHost, "web02.example.internal", "")},
			labels:      map[string]string{"instance": "web02.example.internal:9100", "severity": "warning"},
		}},
		{"elastic", "elastic.json", 1, 0, want{
			title: "Suspicious PowerShell Download", severity: "high",
			description: "process event with process powershell.exe, by jdoe on ws-0142 created high alert Suspicious PowerShell Download.",
			sourceRef:   "6f1e0b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f",
			occurred:    "2026-03-01T11:00:03.512Z",
			observables: []alert.Observable{
				obs(alert.ObsHost, "ws-0142", ""), obs(alert.ObsIPv4, "10.30.4.17", ""),
				obs(alert.ObsIPv6, "fe80::a1b2:c3ff:fed4:e5f6", ""), obs(alert.ObsUser, "jdoe", ""),
				obs(alert.ObsIPv4, "203.0.113.45", "destination"), obs(alert.ObsDomain, "dl.bad.example.net", "destination"),
				obs(alert.ObsFileName, "powershell.exe", ""),
				obs(alert.ObsSHA256, "3f9a1c0e5b7d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a", ""),
			},
			labels: map[string]string{
				"rule.id": "5c4d9f2e-7a1b-4c3d-9e8f-0a1b2c3d4e5f", "rule.rule_id": "pwsh-download-cradle",
				"mitre.tactic": "TA0002", "mitre.technique": "T1059", "tags": "Windows, Execution",
				"workflow_status": "open", "host.name": "ws-0142", "user.name": "jdoe", "event.category": "process",
			},
		}},
		{"elastic", "elastic-hits.json", 2, 0, want{
			title: "Multiple Logon Failure from the same Source Address", severity: "critical", resolved: true,
			sourceRef: "b7e2a0c4d1f3", occurred: "2026-03-01T12:10:00Z",
			observables: []alert.Observable{
				obs(alert.ObsIPv4, "198.51.100.61", "source"), obs(alert.ObsUser, "svc_backup", ""), obs(alert.ObsHost, "dc-01", ""),
			},
			labels: map[string]string{"index": ".internal.alerts-security.alerts-default-000001", "risk_score": "91", "status": "recovered"},
		}},
		{"elastic", "elastic-hits.json", 2, 1, want{
			title: "Unusual Network Connection via RunDLL32", severity: "low",
			sourceRef: "legacy-signal-0001", occurred: "2021-06-01T08:00:00Z",
			observables: []alert.Observable{
				obs(alert.ObsHost, "ws-0099", ""), obs(alert.ObsFileName, "payload.dll", ""),
				obs(alert.ObsMD5, "0cc175b9c0f1b6a831c399e269772661", ""),
			},
			labels: map[string]string{"workflow_status": "open", "rule.id": "1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b"},
		}},
		{"splunk", "splunk.json", 1, 0, want{
			title: "Brute Force Access Behavior Detected", severity: "high",
			sourceRef: "scheduler__admin__search__RMD5c0ffee1234567890_at_1772360400_4242",
			occurred:  "2026-03-01T10:20:00Z",
			observables: []alert.Observable{
				obs(alert.ObsIPv4, "198.51.100.23", "source"), obs(alert.ObsHost, "bastion.example.com", "destination"),
				obs(alert.ObsUser, "administrator", ""),
			},
			labels: map[string]string{
				"app": "search", "owner": "admin", "search_name": "Brute Force Access Behavior Detected",
				"result.count": "57", "result.tag": "authentication, failure", "result.app": "sshd",
			},
			noLabels: []string{"result._raw", "result._time"},
		}},
		{"wazuh", "wazuh.json", 1, 0, want{
			title: "sshd: brute force trying to get access to the system. Non existent user.", severity: "medium",
			description: "Mar  1 12:34:56 web-01 sshd[2211]: Invalid user admin from 198.51.100.77 port 52814",
			sourceRef:   "1772368496.1234567", occurred: "2026-03-01T12:34:56.789Z",
			observables: []alert.Observable{
				obs(alert.ObsHost, "web-01", ""), obs(alert.ObsIPv4, "10.0.5.21", ""),
				obs(alert.ObsIPv4, "198.51.100.77", "source"), obs(alert.ObsUser, "admin", "source"),
			},
			labels: map[string]string{
				"rule.id": "5712", "rule.level": "10", "rule.groups": "syslog, sshd, authentication_failures",
				"mitre.id": "T1110", "mitre.tactic": "Credential Access", "agent.id": "003", "agent.name": "web-01",
				"manager": "wazuh-manager", "decoder": "sshd", "location": "/var/log/auth.log", "data.srcport": "52814",
			},
		}},
		{"wazuh", "wazuh-syscheck.json", 1, 0, want{
			title: "Integrity checksum changed.", severity: "medium", sourceRef: "1772370131.998877",
			occurred: "2026-03-01T13:02:11.004Z",
			observables: []alert.Observable{
				obs(alert.ObsFileName, "/etc/passwd", ""), obs(alert.ObsMD5, "7d4e3eec80026719639ed4dba68916eb", ""),
				obs(alert.ObsSHA1, "9d4e1e23bd5b727046a9e3b4b7db57bd8d6ee684", ""),
				obs(alert.ObsSHA256, "5a1d9c3e7f0b2d4c6e8a0f1b3d5e7a9c2b4d6f8e0a1c3e5b7d9f2a4c6e8b0d1f", ""),
			},
			labels: map[string]string{"syscheck.path": "/etc/passwd", "syscheck.event": "modified", "rule.id": "550"},
		}},
		{"falco", "falco.json", 1, 0, want{
			title: "Terminal shell in container", severity: "low", sourceRef: "5b8a2e4e-6c1f-4d0e-9a55-0c2b6f0f7d11",
			occurred:    "2026-03-01T10:20:31.123456789Z",
			observables: []alert.Observable{obs(alert.ObsHost, "node-pool-a-1", ""), obs(alert.ObsUser, "root", "")},
			labels: map[string]string{
				"rule": "Terminal shell in container", "priority": "Notice", "source": "syscall", "hostname": "node-pool-a-1",
				"k8s.ns.name": "payments", "proc.cmdline": "bash -il", "proc.tty": "34816",
				"tags": "container, maturity_stable, mitre_execution, shell, T1059",
			},
		}},
		{"falco", "falco.ndjson", 2, 0, want{
			title: "Read sensitive file untrusted", severity: "medium", occurred: "2026-03-01T14:02:07.000123456Z",
			observables: []alert.Observable{obs(alert.ObsFileName, "/etc/shadow", ""), obs(alert.ObsUser, "deploy", "")},
			labels:      map[string]string{"fd.name": "/etc/shadow"},
		}},
		{"falco", "falco.ndjson", 2, 1, want{
			title: "Outbound Connection to C2 Servers", severity: "critical", occurred: "2026-03-01T14:05:44.4Z",
			observables: []alert.Observable{
				obs(alert.ObsHost, "build-03", ""), obs(alert.ObsIPv4, "10.70.0.9", "source"),
				obs(alert.ObsIPv4, "203.0.113.66", "destination"),
			},
		}},
		{"defender", "defender.json", 2, 0, want{
			title: "Suspicious execution of hidden file", severity: "high",
			description: "A hidden file has been launched. This activity could indicate a compromised host.",
			sourceRef:   "da638762213456789012_1234567890", fingerprint: "da638762213456789012_1234567890",
			occurred: "2026-03-01T07:58:10.4Z",
			observables: []alert.Observable{
				obs(alert.ObsHost, "ws-0311.corp.example.com", ""), obs(alert.ObsIPv4, "10.40.0.8", ""),
				obs(alert.ObsUser, "asmith", ""), obs(alert.ObsFileName, "invoice_0311.scr", ""),
				obs(alert.ObsSHA1, "2346665e00c6caf807e7dcad770788c70b7bc1f6", ""),
				obs(alert.ObsSHA256, "f3a552880139639dbf48fa37199f4dece9274a5b3a8adcec3962e0db0bc53950", ""),
				obs(alert.ObsUser, "asmith@corp.example.com", "compromised"),
				obs(alert.ObsIPv4, "203.0.113.200", "attacker"),
				obs(alert.ObsURL, "https://cdn.bad.example.net/invoice_0311.scr", ""),
			},
			labels: map[string]string{
				"category": "DefenseEvasion", "incidentId": "28282", "mitreTechniques": "T1564.001",
				"serviceSource": "microsoftDefenderForEndpoint", "status": "new",
			},
			noLabels: []string{"classification"},
		}},
		{"defender", "defender.json", 2, 1, want{
			title: "Email messages containing malicious URL removed after delivery", severity: "low", resolved: true,
			sourceRef: "fa638762299999999999_-77777777", fingerprint: "fa638762299999999999_-77777777",
			occurred: "2026-03-01T09:30:00Z",
			observables: []alert.Observable{
				obs(alert.ObsIPv4, "198.51.100.140", "sender"), obs(alert.ObsEmail, "billing@invoices.example.org", "sender"),
				obs(alert.ObsEmail, "asmith@corp.example.com", "recipient"),
			},
			labels: map[string]string{"classification": "falsePositive", "status": "resolved"},
		}},
		{"crowdstrike", "crowdstrike.ndjson", 1, 0, want{
			title: "Credential Theft", severity: "high",
			description: "A process attempted to access credentials in the memory of LSASS.",
			sourceRef:   "ldt:8a7b6c5d4e3f40112233445566778899:38684386611",
			fingerprint: "ldt:8a7b6c5d4e3f40112233445566778899:38684386611",
			occurred:    "2026-03-01T10:21:00.123Z",
			observables: []alert.Observable{
				obs(alert.ObsHost, "fin-lt-0231", ""), obs(alert.ObsUser, "mwilson", ""), obs(alert.ObsIPv4, "10.50.3.77", ""),
				obs(alert.ObsFileName, "procdump64.exe", ""), obs(alert.ObsMD5, "668c8047fe54cf4ea98ba9c03eaefae4", ""),
				obs(alert.ObsSHA256, "8e5b643fc225d05f3c710e1390ba6fc884ed2d7126ee040f8f2ae4b7e47a5146", ""),
				obs(alert.ObsIPv4, "203.0.113.90", "remote"), obs(alert.ObsDomain, "exfil.bad.example.net", ""),
			},
			labels: map[string]string{
				"tactic": "Credential Access", "technique": "OS Credential Dumping", "objective": "Gain Access",
				"computer_name": "FIN-LT-0231", "offset": "14947765", "sensor_id": "8a7b6c5d4e3f40112233445566778899",
			},
		}},
		{"quell", "quell.json", 2, 0, want{
			title: "Disk /var above 98% on db-01", severity: "high", occurred: "2026-03-01T09:00:00Z",
			description: "DISK CRITICAL - free space: /var 412 MB (1.9% inode=82%)",
			observables: []alert.Observable{obs(alert.ObsHost, "db-01", "")},
			labels:      map[string]string{"service": "disk", "host": "db-01"},
		}},
		{"quell", "quell.json", 2, 1, want{
			title: "RDP exposed to the internet", severity: "medium", sourceRef: "job-42/7",
			fingerprint: "open-rdp-203.0.113.9",
			observables: []alert.Observable{obs(alert.ObsIPv4, "203.0.113.9", "destination")},
		}},
		{"generic", "generic.json", 2, 0, want{
			title: "Ransomware behaviour", description: "Seen on ws-77", severity: "critical", sourceRef: "evt-1001",
			fingerprint: "Ransomware behaviour|ws-77", occurred: "2026-03-01T10:00:00.123Z",
			observables: []alert.Observable{
				obs(alert.ObsHost, "ws-77", ""), obs(alert.ObsIPv4, "10.60.1.7", "source"), obs(alert.ObsUser, "bob", ""),
				obs(alert.ObsSHA256, "f3a552880139639dbf48fa37199f4dece9274a5b3a8adcec3962e0db0bc53950", ""),
			},
			labels: map[string]string{"tenant": "acme", "tags": "ransomware, encryption", "actor": "bob"},
		}},
		{"generic", "generic.json", 2, 1, want{
			title: "Port scan", description: "Seen on fw-01", severity: "low", sourceRef: "evt-1002", resolved: true,
			fingerprint: "Port scan|fw-01", occurred: "2026-03-01T09:58:00Z",
			observables: []alert.Observable{obs(alert.ObsHost, "fw-01", ""), obs(alert.ObsIPv4, "198.51.100.5", "")},
			labels:      map[string]string{"tenant": "acme"},
			noLabels:    []string{"actor", "tags"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.want.title, func(t *testing.T) {
			t.Parallel()
			ins := parseFile(t, tt.format, tt.file)
			require.Len(t, ins, tt.count)
			alerts := normaliseAll(t, ins)
			a, w := alerts[tt.index], tt.want
			source := tt.format
			switch tt.format {
			case "quell":
				source = ins[tt.index].Source
			case "generic":
				source = "acme-edr"
			}
			require.Equal(t, source, a.Source)
			require.Equal(t, w.title, a.Title)
			if w.description != "" {
				require.Equal(t, w.description, a.Description)
			}
			require.Equal(t, w.severity, a.Severity)
			require.Equal(t, w.sourceRef, a.SourceRef)
			if w.fingerprint != "" {
				require.Equal(t, w.fingerprint, a.Fingerprint)
			} else {
				require.NotEmpty(t, a.Fingerprint)
			}
			require.Equal(t, w.resolved, ins[tt.index].Resolved)
			if w.occurred != "" {
				want, err := time.Parse(time.RFC3339Nano, w.occurred)
				require.NoError(t, err)
				require.True(t, want.Equal(a.OccurredAt), "occurred at %s, want %s", a.OccurredAt, want)
			} else {
				require.Equal(t, now, a.OccurredAt, "no time given: the intake time")
			}
			for _, o := range w.observables {
				require.Contains(t, a.Observables, o)
			}
			for k, v := range w.labels {
				require.Equal(t, v, a.Labels[k], "label %s", k)
			}
			for _, k := range w.noLabels {
				require.NotContains(t, a.Labels, k)
			}
			require.NotEmpty(t, a.Raw)
			require.NotEqual(t, string(readTestdata(t, tt.file)), string(a.Raw), "raw is the one alert, not the body")
		})
	}
}

// TestRawIsTheOneAlert checks that the raw payload kept with an alert of a batch is that
// alert's JSON.
func TestRawIsTheOneAlert(t *testing.T) {
	t.Parallel()
	ins := parseFile(t, "alertmanager", "alertmanager.json")
	var second map[string]any
	require.NoError(t, json.Unmarshal(ins[1].Raw, &second))
	require.Equal(t, "0f1e2d3c4b5a6978", second["fingerprint"])
	require.NotContains(t, second, "receiver")

	ins = parseFile(t, "defender", "defender.json")
	var first map[string]any
	require.NoError(t, json.Unmarshal(ins[0].Raw, &first))
	require.Equal(t, "da638762213456789012_1234567890", first["id"])

	ins = parseFile(t, "elastic", "elastic-hits.json")
	var hit map[string]any
	require.NoError(t, json.Unmarshal(ins[1].Raw, &hit))
	require.Equal(t, "legacy-signal-0001", hit["_id"], "a search hit keeps its _id and _index")

	ins = parseFile(t, "quell", "quell.json")
	require.Equal(t, "PROBLEM Service Alert: db-01/disk is CRITICAL", string(ins[0].Raw), "a raw string is kept as its text")
	require.JSONEq(t, `{"port": 3389, "ip": "203.0.113.9"}`, string(ins[1].Raw))

	ins = parseFile(t, "generic", "generic.json")
	var item map[string]any
	require.NoError(t, json.Unmarshal(ins[0].Raw, &item))
	require.Equal(t, "evt-1001", item["id"])
}

// TestBodyFraming checks what surrounds the JSON of a body: a byte order mark, white space,
// and for a single object the raw payload without them.
func TestBodyFraming(t *testing.T) {
	t.Parallel()
	body := append([]byte("\xef\xbb\xbf\r\n"), readTestdata(t, "splunk.json")...)
	body = append(body, "\n\n"...)
	splunk, _ := formats.Lookup("splunk")
	ins, err := splunk(body)
	require.NoError(t, err)
	require.Len(t, ins, 1)
	require.Equal(t, byte('{'), ins[0].Raw[0])
	require.Equal(t, byte('}'), ins[0].Raw[len(ins[0].Raw)-1])

	wazuh, _ := formats.Lookup("wazuh")
	ins, err = wazuh(append([]byte("\xef\xbb\xbf  "), readTestdata(t, "wazuh.json")...))
	require.NoError(t, err)
	require.Len(t, ins, 1)
	require.Equal(t, byte('{'), ins[0].Raw[0])

	ins, err = formats.DecodeQuell([]byte("\xef\xbb\xbf {\"source\":\"s\",\"title\":\"t\"}\n"))
	require.NoError(t, err)
	require.Equal(t, `{"source":"s","title":"t"}`, string(ins[0].Raw))
}

// TestFingerprints checks that each format's fingerprint folds repeats of one problem and
// tells different problems apart.
func TestFingerprints(t *testing.T) {
	t.Parallel()
	fp := func(format, body string) string {
		t.Helper()
		p, ok := formats.Lookup(format)
		require.True(t, ok)
		ins, err := p([]byte(body))
		require.NoError(t, err)
		require.Len(t, ins, 1)
		a, err := alert.Normalise(ins[0], now, 0)
		require.NoError(t, err)
		return a.Fingerprint
	}
	tests := []struct {
		format                string
		base, repeat, another string
	}{
		{"wazuh",
			`{"rule":{"id":"5712","level":10,"description":"brute force"},"agent":{"id":"003"},"data":{"srcip":"198.51.100.1"},"id":"1.1"}`,
			`{"rule":{"id":"5712","level":10,"description":"brute force"},"agent":{"id":"003"},"data":{"srcip":"198.51.100.2"},"id":"1.2"}`,
			`{"rule":{"id":"5712","level":10,"description":"brute force"},"agent":{"id":"004"},"data":{"srcip":"198.51.100.1"},"id":"1.3"}`},
		{"falco",
			`{"rule":"Terminal shell in container","priority":"Notice","hostname":"n1","output":"a","output_fields":{"proc.pid":1}}`,
			`{"rule":"Terminal shell in container","priority":"Notice","hostname":"n1","output":"b","output_fields":{"proc.pid":2}}`,
			`{"rule":"Terminal shell in container","priority":"Notice","hostname":"n2","output":"a","output_fields":{"proc.pid":1}}`},
		{"elastic",
			`{"kibana.alert.rule.name":"R","kibana.alert.rule.uuid":"u1","kibana.alert.uuid":"a1","host":{"name":"h1"},"source":{"ip":"192.0.2.1"}}`,
			`{"kibana.alert.rule.name":"R","kibana.alert.rule.uuid":"u1","kibana.alert.uuid":"a2","host":{"name":"h1"},"source":{"ip":"192.0.2.2"}}`,
			`{"kibana.alert.rule.name":"R","kibana.alert.rule.uuid":"u1","kibana.alert.uuid":"a3","host":{"name":"h2"},"source":{"ip":"192.0.2.1"}}`},
		{"splunk",
			`{"sid":"s1","search_name":"S","app":"search","result":{"src":"192.0.2.1","count":"5"}}`,
			`{"sid":"s2","search_name":"S","app":"search","result":{"src":"192.0.2.1","count":"9"}}`,
			`{"sid":"s3","search_name":"S","app":"search","result":{"src":"192.0.2.7","count":"5"}}`},
		{"suricata",
			`{"event_type":"alert","src_ip":"192.0.2.1","src_port":1,"dest_ip":"192.0.2.9","dest_port":22,"flow_id":1,"alert":{"gid":1,"signature_id":2001219,"rev":19,"signature":"ET SCAN Potential SSH Scan"}}`,
			`{"event_type":"alert","src_ip":"192.0.2.5","src_port":2,"dest_ip":"192.0.2.8","dest_port":22,"flow_id":2,"alert":{"gid":1,"signature_id":2001219,"rev":20,"signature":"ET SCAN Potential SSH Scan"}}`,
			`{"event_type":"alert","src_ip":"192.0.2.1","src_port":1,"dest_ip":"192.0.2.9","dest_port":22,"flow_id":1,"alert":{"gid":1,"signature_id":2001220,"rev":19,"signature":"ET SCAN Other"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			t.Parallel()
			base := fp(tt.format, tt.base)
			require.Equal(t, base, fp(tt.format, tt.repeat), "a repeat folds into one alert")
			require.NotEqual(t, base, fp(tt.format, tt.another), "a different problem is another alert")
		})
	}
}

// TestSkipsWhatIsNotAnAlert checks that items that are not alerts are skipped and that a body
// with no alert at all is refused.
func TestSkipsWhatIsNotAnAlert(t *testing.T) {
	t.Parallel()
	suricata, _ := formats.Lookup("suricata")
	flow := `{"timestamp":"2018-03-24T14:37:19.037299-0600","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2"}`
	stats := `{"timestamp":"2018-03-24T14:37:20.000000-0600","event_type":"stats","stats":{"uptime":10}}`
	ins, err := suricata([]byte(flow + "\n" + stats + "\n"))
	require.Error(t, err)
	verr, ok := validation.As(err)
	require.True(t, ok)
	require.Equal(t, "", verr.Pointer)
	require.Contains(t, verr.Detail, "none of the 2 items in the body is an alert")
	require.Nil(t, ins)

	crowdstrike, _ := formats.Lookup("crowdstrike")
	body := readTestdata(t, "crowdstrike.ndjson")
	first, _, _ := bytes.Cut(body, []byte("\n"))
	_, err = crowdstrike(first)
	verr, ok = validation.As(err)
	require.True(t, ok)
	require.Contains(t, verr.Detail, "DetectionSummaryEvent")
}

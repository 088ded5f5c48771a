package formats_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/intake/formats"
)

// sharedSuricata is the full set of real Suricata alerts, beside the repository.
const sharedSuricata = "../../../../shared/data/suricata"

// eveAlert is what the tests read back from a real EVE event to check the parser against.
type eveAlert struct {
	Timestamp string `json:"timestamp"`
	SrcIP     string `json:"src_ip"`
	DestIP    string `json:"dest_ip"`
	Alert     struct {
		GID         int    `json:"gid"`
		SignatureID int    `json:"signature_id"`
		Signature   string `json:"signature"`
		Severity    int    `json:"severity"`
	} `json:"alert"`
}

// checkRealAlerts parses a file of real EVE alerts and checks every alert against the event
// it came from.
func checkRealAlerts(t *testing.T, body []byte) {
	t.Helper()
	var events []eveAlert
	require.NoError(t, json.Unmarshal(body, &events))
	require.NotEmpty(t, events)

	parse, _ := formats.Lookup("suricata")
	ins, err := parse(body)
	require.NoError(t, err)
	require.Len(t, ins, len(events), "every event of the file is an alert")
	alerts := normaliseAll(t, ins)

	fingerprints := map[string]bool{}
	signatures := map[[2]int]bool{}
	for i, a := range alerts {
		e := events[i]
		require.Equal(t, "suricata", a.Source)
		require.Equal(t, e.Alert.Signature, a.Title)
		require.Contains(t, a.Observables, ipObservable(e.SrcIP, "source"), "event %d", i)
		require.Contains(t, a.Observables, ipObservable(e.DestIP, "destination"), "event %d", i)
		require.Equal(t, fmt.Sprintf("%d:%d", e.Alert.GID, e.Alert.SignatureID), a.Fingerprint)
		want := map[int]alert.Severity{1: "high", 2: "medium", 3: "low"}[e.Alert.Severity]
		require.Equal(t, want, a.Severity, "event %d", i)
		require.False(t, a.OccurredAt.Equal(now), "event %d has its own time", i)
		require.Equal(t, time.UTC, a.OccurredAt.Location())
		require.JSONEq(t, string(rawEvent(t, body, i)), string(a.Raw), "raw is the event itself")
		fingerprints[a.Fingerprint] = true
		signatures[[2]int{e.Alert.GID, e.Alert.SignatureID}] = true
	}
	require.Len(t, fingerprints, len(signatures), "one fingerprint per signature")
}

func rawEvent(t *testing.T, body []byte, i int) json.RawMessage {
	t.Helper()
	var raws []json.RawMessage
	require.NoError(t, json.Unmarshal(body, &raws))
	return raws[i]
}

func ipObservable(ip, role string) alert.Observable {
	o, ok := alert.NewObservable(alert.ObsIPv4, ip, role)
	if !ok {
		panic("not an address: " + ip)
	}
	return o
}

// TestSuricataRealAlerts reads the real alerts of the shared test data.
func TestSuricataRealAlerts(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(sharedSuricata, "*.json"))
	if len(files) == 0 {
		t.Skipf("the shared Suricata test data is not at %s; the excerpt in testdata/suricata is tested instead", sharedSuricata)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(f)
			require.NoError(t, err)
			checkRealAlerts(t, body)
		})
	}
}

// TestSuricataRealAlertsRepeated checks that repeated signatures fold: the whole file twice
// over gives as many fingerprints as there are distinct (gid, signature_id).
func TestSuricataRealAlertsRepeated(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join(sharedSuricata, "wrccdc-2018-alerts.json"))
	if err != nil {
		body = readTestdata(t, "suricata/alerts.json")
	}
	var raws []json.RawMessage
	require.NoError(t, json.Unmarshal(body, &raws))
	var stream bytes.Buffer
	for range 2 {
		for _, r := range raws {
			var compact bytes.Buffer
			require.NoError(t, json.Compact(&compact, r))
			stream.Write(compact.Bytes())
			stream.WriteByte('\n')
		}
	}
	parse, _ := formats.Lookup("suricata")
	ins, err := parse(stream.Bytes())
	require.NoError(t, err)
	require.Len(t, ins, 2*len(raws))

	var events []eveAlert
	require.NoError(t, json.Unmarshal(body, &events))
	signatures := map[[2]int]bool{}
	for _, e := range events {
		signatures[[2]int{e.Alert.GID, e.Alert.SignatureID}] = true
	}
	fingerprints := map[string]bool{}
	refs := map[string]bool{}
	for _, a := range normaliseAll(t, ins) {
		fingerprints[a.Fingerprint] = true
		refs[a.SourceRef] = true
	}
	require.Len(t, fingerprints, len(signatures))
	require.Len(t, refs, len(raws), "the same event posted again has the same source ref")
}

// TestSuricataExcerpt reads the excerpt kept in testdata, so the real data is tested even
// without the shared folder.
func TestSuricataExcerpt(t *testing.T) {
	t.Parallel()
	body := readTestdata(t, "suricata/alerts.json")
	checkRealAlerts(t, body)

	parse, _ := formats.Lookup("suricata")
	ins, err := parse(body)
	require.NoError(t, err)
	a := normaliseAll(t, ins)

	// The timestamp "2018-03-24T14:37:19.037299-0600" carries its offset without a colon.
	require.Equal(t, time.Date(2018, 3, 24, 20, 37, 19, 37299000, time.UTC), a[0].OccurredAt)
	require.Equal(t, "Attempted Information Leak: TCP 0.0.0.0:26078 → 10.47.8.150:22 (allowed)", a[0].Description)
	require.Equal(t, map[string]string{
		"action": "allowed", "category": "Attempted Information Leak", "dest_port": "22", "gid": "1", "proto": "TCP",
		"rev": "20", "severity": "2", "signature_id": "2001219", "src_port": "26078",
	}, a[0].Labels)

	// An HTTP alert names the host and the URL it asked for.
	require.Equal(t, "ET MALWARE Spyware Related User-Agent (UtilMind HTTPGet)", a[1].Title)
	require.Contains(t, a[1].Observables, alert.Observable{Type: alert.ObsDomain, Value: "cfg.crawler.com", Role: "destination"})
	require.Equal(t, "UtilMind HTTPGet", a[1].Labels["http.user_agent"])
	require.Equal(t, "200", a[1].Labels["http.status"])
	var url string
	for _, o := range a[1].Observables {
		if o.Type == alert.ObsURL {
			url = o.Value
		}
	}
	require.Contains(t, url, "http://cfg.crawler.com/cr_config.asmx/GetXML?CU=")

	// A TLS alert.
	require.Equal(t, "high", string(a[2].Severity))
	require.Equal(t, "CN=Snozberry", a[2].Labels["tls.subject"])
}

// TestSuricataShapes reads the same events as one object, as eve.json lines (with blank lines
// and events of other types between them) and as an array.
func TestSuricataShapes(t *testing.T) {
	t.Parallel()
	parse, _ := formats.Lookup("suricata")
	var raws []json.RawMessage
	require.NoError(t, json.Unmarshal(readTestdata(t, "suricata/alerts.json"), &raws))

	one, err := parse(raws[0])
	require.NoError(t, err)
	require.Len(t, one, 1)
	require.Equal(t, "ET SCAN Potential SSH Scan", one[0].Title)

	var lines bytes.Buffer
	lines.WriteString(`{"timestamp":"2018-03-24T14:37:19.000000-0600","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","flow":{}}` + "\n\n")
	for _, r := range raws {
		var compact bytes.Buffer
		require.NoError(t, json.Compact(&compact, r))
		lines.Write(compact.Bytes())
		lines.WriteString("\r\n")
	}
	lines.WriteString(`{"timestamp":"2018-03-24T14:40:00.000000-0600","event_type":"dns","dns":{"rrname":"example.com"}}` + "\n")
	ins, err := parse(lines.Bytes())
	require.NoError(t, err)
	require.Len(t, ins, 3, "the flow and dns events are skipped")
	for i, in := range ins {
		require.Equal(t, one[0].Source, in.Source)
		require.JSONEq(t, string(raws[i]), string(in.Raw))
	}

	// A DNS alert names the domain asked for, in any of EVE's three spellings.
	for _, dns := range []string{`{"rrname":"c2.bad.example.net"}`, `{"query":[{"rrname":"c2.bad.example.net"}]}`, `{"queries":[{"rrname":"c2.bad.example.net"}]}`} {
		ins, err := parse([]byte(`{"event_type":"alert","src_ip":"10.0.0.1","dest_ip":"10.0.0.53","alert":{"signature_id":1,"signature":"DNS query for C2"},"dns":` + dns + `}`))
		require.NoError(t, err)
		require.Contains(t, normaliseAll(t, ins)[0].Observables, alert.Observable{Type: alert.ObsDomain, Value: "c2.bad.example.net"})
	}
}

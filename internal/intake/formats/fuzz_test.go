package formats_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/intake/formats"
	"github.com/quell-ir/quell/internal/validation"
)

// checkOutcome is what every parser promises for any body: an error that is a validation
// error and nothing else, or at least one input from the expected source (empty: any) that
// alert.Normalise takes (strict) or refuses with a validation error, and whose normalised
// alert can be written as JSON.
func checkOutcome(t *testing.T, source string, strict bool, ins []alert.Input, err error) {
	t.Helper()
	if err != nil {
		if _, ok := validation.As(err); !ok {
			t.Fatalf("error is not a validation error: %T %v", err, err)
		}
		if ins != nil {
			t.Fatalf("inputs returned with an error: %v", ins)
		}
		return
	}
	if len(ins) == 0 {
		t.Fatal("no error and no alerts")
	}
	for i, in := range ins {
		if source != "" && in.Source != source {
			t.Fatalf("alert %d: source %q, want %q", i, in.Source, source)
		}
		a, err := alert.Normalise(in, now, 0)
		if err != nil {
			if _, ok := validation.As(err); !ok || strict {
				t.Fatalf("alert %d refused by Normalise: %v (%+v)", i, err, in)
			}
			continue
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("alert %d cannot be written as JSON: %v", i, err)
		}
	}
}

// fuzzFormat runs a fuzz target over a native format's parser, seeded with its samples.
func fuzzFormat(f *testing.F, format string, samples ...string) {
	for _, s := range samples {
		f.Add(readTestdata(f, s))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("{\"a\":1}\n[2]\n"))
	parse, ok := formats.Lookup(format)
	if !ok {
		f.Fatalf("no parser %s", format)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ins, err := parse(body)
		checkOutcome(t, format, true, ins, err)
	})
}

func FuzzAlertmanager(f *testing.F) { fuzzFormat(f, "alertmanager", "alertmanager.json") }

func FuzzElastic(f *testing.F) { fuzzFormat(f, "elastic", "elastic.json", "elastic-hits.json") }

func FuzzSplunk(f *testing.F) { fuzzFormat(f, "splunk", "splunk.json") }

func FuzzWazuh(f *testing.F) { fuzzFormat(f, "wazuh", "wazuh.json", "wazuh-syscheck.json") }

func FuzzSuricata(f *testing.F) { fuzzFormat(f, "suricata", "suricata/alerts.json") }

func FuzzFalco(f *testing.F) { fuzzFormat(f, "falco", "falco.json", "falco.ndjson") }

func FuzzDefender(f *testing.F) { fuzzFormat(f, "defender", "defender.json") }

func FuzzCrowdStrike(f *testing.F) { fuzzFormat(f, "crowdstrike", "crowdstrike.ndjson") }

func FuzzDecodeQuell(f *testing.F) {
	f.Add(readTestdata(f, "quell.json"))
	f.Add([]byte(`{"source":"s","title":"t","observables":[{"type":"ipv4","value":"10.0.0.1"}],"raw":{"a":1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ins, err := formats.DecodeQuell(body)
		// The source's form is checked by Normalise alone.
		checkOutcome(t, "", false, ins, err)
	})
}

// TestAnyFieldOfAnyType replaces each value of each sample, one at a time, with values of
// every other JSON type and some awkward ones, and checks that every parser keeps its promise
// for each: what random mutation of JSON text rarely reaches, as most mutants are not JSON.
func TestAnyFieldOfAnyType(t *testing.T) {
	t.Parallel()
	replacements := []any{
		nil, true, 0, -1, 1e300, "", " ", "\x00", "high", "9999-12-31T23:59:59-23:59", "1e19",
		[]any{}, []any{"x", 1}, []any{map[string]any{}}, map[string]any{}, map[string]any{"a": []any{1}},
	}
	samples := map[string][]string{
		"alertmanager": {"alertmanager.json"}, "elastic": {"elastic.json", "elastic-hits.json"},
		"splunk": {"splunk.json"}, "wazuh": {"wazuh.json", "wazuh-syscheck.json"},
		"suricata": {"suricata/alerts.json"}, "falco": {"falco.json", "falco.ndjson"},
		"defender": {"defender.json"}, "crowdstrike": {"crowdstrike.ndjson"}, "quell": {"quell.json"},
	}
	for format, files := range samples {
		// Quell's own schema leaves the form of the source to Normalise; every other parser
		// sets its own.
		parse, source, strict := formats.DecodeQuell, "", false
		if format != "quell" {
			parse, _ = formats.Lookup(format)
			source, strict = format, true
		}
		for _, file := range files {
			t.Run(file, func(t *testing.T) {
				t.Parallel()
				body := readTestdata(t, file)
				if strings.HasSuffix(file, ".ndjson") {
					body = append(append([]byte("["), bytes.ReplaceAll(bytes.TrimSpace(body), []byte("\n"), []byte(","))...), ']')
				}
				var doc any
				require.NoError(t, json.Unmarshal(body, &doc))
				n := 0
				forEachValue(doc, func(set func(any)) {
					for _, r := range replacements {
						set(r)
						body, err := json.Marshal(doc)
						require.NoError(t, err)
						ins, err := parse(body)
						checkOutcome(t, source, strict, ins, err)
						n++
					}
				})
				require.Greater(t, n, 100)
			})
		}
	}
}

// forEachValue calls visit once for each value inside v (not v itself), with a function that
// replaces that value; after visit returns, the original is put back.
func forEachValue(v any, visit func(set func(any))) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			visit(func(r any) { x[k] = r })
			x[k] = e
			forEachValue(e, visit)
		}
	case []any:
		for i, e := range x {
			visit(func(r any) { x[i] = r })
			x[i] = e
			forEachValue(e, visit)
		}
	}
}

// FuzzMapping fuzzes the mapping document and the body together: a mapping that does not
// compile is refused with a validation error, and one that does reads any body as promised.
func FuzzMapping(f *testing.F) {
	f.Add(readTestdata(f, "generic-mapping.yaml"), readTestdata(f, "generic.json"))
	f.Add([]byte("source: s\ntitle: get($env, \"a.b\") ?? \"none\"\nseverity: lower(sev ?? \"\")\ntime: ts\n"), []byte(`{"a.b":"x","sev":"HIGH","ts":1700000000}`))
	f.Add([]byte("source: s\nitems: alerts\ntitle: labels?.alertname\nlabels: labels\nresolved: status == \"resolved\"\n"), readTestdata(f, "alertmanager.json"))
	f.Fuzz(func(t *testing.T, doc, body []byte) {
		m, err := formats.ParseMapping(doc)
		if err != nil {
			if _, ok := validation.As(err); !ok {
				t.Fatalf("mapping error is not a validation error: %T %v", err, err)
			}
			return
		}
		ins, err := m.Parse(body)
		checkOutcome(t, "", true, ins, err)
	})
}

package formats_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/quell-ir/quell/internal/intake/formats"
)

// benchParse runs parse over body b.N times and reports bytes, allocations and alerts per
// second.
func benchParse(b *testing.B, parse formats.Parser, body []byte) {
	b.Helper()
	ins, err := parse(body)
	if err != nil {
		b.Fatal(err)
	}
	n := len(ins)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := parse(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkSuricata parses eve.json lines: the real alerts of the shared test data when they
// are present, else the excerpt in testdata.
func BenchmarkSuricata(b *testing.B) {
	body, err := os.ReadFile(filepath.Join(sharedSuricata, "wrccdc-2018-alerts.json"))
	if err != nil {
		body = readTestdata(b, "suricata/alerts.json")
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		b.Fatal(err)
	}
	var lines bytes.Buffer
	for _, r := range raws {
		if err := json.Compact(&lines, r); err != nil {
			b.Fatal(err)
		}
		lines.WriteByte('\n')
	}
	parse, _ := formats.Lookup("suricata")
	b.Run("eve.json", func(b *testing.B) { benchParse(b, parse, lines.Bytes()) })
	b.Run("one event", func(b *testing.B) { benchParse(b, parse, raws[0]) })
}

func BenchmarkAlertmanager(b *testing.B) {
	parse, _ := formats.Lookup("alertmanager")
	benchParse(b, parse, readTestdata(b, "alertmanager.json"))
}

func BenchmarkDecodeQuell(b *testing.B) {
	benchParse(b, formats.DecodeQuell, readTestdata(b, "quell.json"))
}

package formats_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/intake/formats"
)

func TestCompileMappingErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		spec    formats.MappingSpec
		pointer string
		details []string
	}{
		{"no source", formats.MappingSpec{Title: "name"}, "/source", []string{"a-z, 0-9"}},
		{"source not a name", formats.MappingSpec{Source: "My Tool", Title: "name"}, "/source", []string{"a-z, 0-9"}},
		{"no title", formats.MappingSpec{Source: "t", Title: "  "}, "/title", []string{"is required"}},
		{"syntax error", formats.MappingSpec{Source: "t", Title: "name", Severity: `lower(level`}, "/severity",
			[]string{"(line 1, column"}},
		{"syntax error on line 2", formats.MappingSpec{Source: "t", Title: "name", Labels: "{\n  \"a\": b +\n}"}, "/labels",
			[]string{"line 3"}},
		{"unknown function", formats.MappingSpec{Source: "t", Title: "frobnicate(name)"}, "/title", []string{"frobnicate"}},
		{"repeat is disabled", formats.MappingSpec{Source: "t", Title: `repeat("a", 3)`}, "/title", []string{"repeat"}},
		{"bad items", formats.MappingSpec{Source: "t", Title: "name", Items: "events["}, "/items", []string{"line 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := formats.CompileMapping(tt.spec)
			requireInvalid(t, err, tt.pointer, tt.details...)
			require.Nil(t, m)
		})
	}
}

func TestParseMapping(t *testing.T) {
	t.Parallel()
	_, err := formats.ParseMapping([]byte("source: t\ntitel: name\n"))
	requireInvalid(t, err, "", "field titel not found")
	_, err = formats.ParseMapping([]byte("  \n"))
	requireInvalid(t, err, "", "the mapping is empty")
	_, err = formats.ParseMapping([]byte("source: [t\n"))
	requireInvalid(t, err, "", "not valid YAML")
	m, err := formats.ParseMapping([]byte(`{"source": "t", "title": "name"}`))
	require.NoError(t, err, "JSON is YAML too")
	ins, err := m.Parse([]byte(`{"name": "from JSON"}`))
	require.NoError(t, err)
	require.Equal(t, "from JSON", ins[0].Title)
}

func mapping(t *testing.T, spec formats.MappingSpec) *formats.Mapping {
	t.Helper()
	m, err := formats.CompileMapping(spec)
	require.NoError(t, err)
	return m
}

func TestMappingParse(t *testing.T) {
	t.Parallel()
	t.Run("one alert per element without items", func(t *testing.T) {
		t.Parallel()
		m := mapping(t, formats.MappingSpec{Source: "t", Title: "name", Severity: "sev"})
		for _, body := range []string{
			`[{"name":"a","sev":"high"},{"name":"b","sev":"LOW"}]`,
			"{\"name\":\"a\",\"sev\":\"high\"}\n{\"name\":\"b\",\"sev\":\"LOW\"}\n",
		} {
			ins, err := m.Parse([]byte(body))
			require.NoError(t, err)
			require.Len(t, ins, 2)
			require.Equal(t, "a", ins[0].Title)
			require.Equal(t, alert.Severity("high"), ins[0].Severity)
			require.Equal(t, alert.Severity("low"), ins[1].Severity)
			require.JSONEq(t, `{"name":"b","sev":"LOW"}`, string(ins[1].Raw))
		}
	})
	t.Run("get reads dotted paths", func(t *testing.T) {
		t.Parallel()
		m := mapping(t, formats.MappingSpec{
			Source: "t",
			Title:  `get($env, "kibana.alert.rule.name") + " / " + get(list, "1.n") + " / " + string(get(list, 9) ?? "none")`,
		})
		ins, err := m.Parse([]byte(`{"kibana.alert": {"rule": {"name": "R"}}, "list": [{"n": "x"}, {"n": "y"}]}`))
		require.NoError(t, err)
		require.Equal(t, "R / y / none", ins[0].Title)
	})
	t.Run("times", func(t *testing.T) {
		t.Parallel()
		m := mapping(t, formats.MappingSpec{Source: "t", Title: `"x"`, Time: "ts"})
		for body, want := range map[string]time.Time{
			`{"ts": 1772359200}`:                     time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
			`{"ts": 1772359200123}`:                  time.Date(2026, 3, 1, 10, 0, 0, 123e6, time.UTC),
			`{"ts": 1772359200.5}`:                   time.Date(2026, 3, 1, 10, 0, 0, 5e8, time.UTC),
			`{"ts": "2026-03-01T11:00:00+01:00"}`:    time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
			`{"ts": "2026-03-01T04:00:00.000-0600"}`: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
			`{"ts": null}`:                           {},
		} {
			ins, err := m.Parse([]byte(body))
			require.NoError(t, err, body)
			require.True(t, want.Equal(ins[0].OccurredAt), "%s: %s", body, ins[0].OccurredAt)
		}
		m = mapping(t, formats.MappingSpec{Source: "t", Title: `"x"`, Time: `date(ts, "02/01/2006 15:04")`})
		ins, err := m.Parse([]byte(`{"ts": "01/03/2026 10:00"}`))
		require.NoError(t, err)
		require.True(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).Equal(ins[0].OccurredAt))
	})
	t.Run("observables from strings and obs", func(t *testing.T) {
		t.Parallel()
		m := mapping(t, formats.MappingSpec{Source: "t", Title: "name",
			Observables: `[obs("ipv4", src, "source"), "see http://bad.example.net/x and 198.51.100.9", obs("host", host ?? "")]`})
		ins, err := m.Parse([]byte(`{"name": "n", "src": "192.0.2.1"}`))
		require.NoError(t, err)
		a, err := alert.Normalise(ins[0], now, 0)
		require.NoError(t, err)
		require.Contains(t, a.Observables, obs(alert.ObsIPv4, "192.0.2.1", "source"))
		require.Contains(t, a.Observables, obs(alert.ObsURL, "http://bad.example.net/x", ""))
		require.Contains(t, a.Observables, obs(alert.ObsIPv4, "198.51.100.9", ""))
	})
	t.Run("safe for concurrent use", func(t *testing.T) {
		t.Parallel()
		m, err := formats.ParseMapping(readTestdata(t, "generic-mapping.yaml"))
		require.NoError(t, err)
		body := readTestdata(t, "generic.json")
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 20 {
					ins, err := m.Parse(body)
					if err != nil || len(ins) != 2 || ins[0].Title != "Ransomware behaviour" {
						t.Errorf("concurrent parse: %v %v", err, ins)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

func TestMappingRuntimeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		spec    formats.MappingSpec
		body    string
		pointer string
		details []string
	}{
		{"not a severity", formats.MappingSpec{Source: "t", Title: "name", Severity: "level"}, `[{"name":"a","level":"high"},{"name":"b","level":"urgent"}]`,
			"/1", []string{"mapping field severity", `"urgent"`, "not a severity"}},
		{"empty title", formats.MappingSpec{Source: "t", Title: "name"}, `{"other": 1}`, "", []string{"mapping field title gave an empty title"}},
		{"title a map", formats.MappingSpec{Source: "t", Title: "rule"}, `{"rule": {"name": "x"}}`, "", []string{"mapping field title", "must give a string, not a map"}},
		{"items not a list", formats.MappingSpec{Source: "t", Title: "name", Items: "events"}, `{"events": {"a": 1}}`, "",
			[]string{"mapping field items must give an array of objects, not a map"}},
		{"items element not an object", formats.MappingSpec{Source: "t", Title: "name", Items: "events"}, `{"events": [{"name": "a"}, 7]}`, "",
			[]string{"element 1 must be an object, not a number"}},
		{"error in the second item", formats.MappingSpec{Source: "t", Title: "name", Items: "events"}, `{"events": [{"name": "a"}, {"id": 2}]}`, "",
			[]string{"item 1 of items: mapping field title gave an empty title"}},
		{"member of nil", formats.MappingSpec{Source: "t", Title: "rule.name"}, `{"id": 1}`, "", []string{"mapping field title"}},
		{"memory budget", formats.MappingSpec{Source: "t", Title: "name", Labels: `{"n": len(map(1..100000000, # * 2))}`}, `{"name": "a"}`, "",
			[]string{"mapping field labels", "memory budget exceeded"}},
		{"bad observable type", formats.MappingSpec{Source: "t", Title: "name", Observables: `[obs("ip", "10.0.0.1")]`}, `{"name": "a"}`, "",
			[]string{"mapping field observables", "obs: the type must be one of"}},
		{"bad observable map", formats.MappingSpec{Source: "t", Title: "name", Observables: `[{"type": "mac", "value": "x"}]`}, `{"name": "a"}`, "",
			[]string{"mapping field observables", "element 0: type must be one of"}},
		{"bad time", formats.MappingSpec{Source: "t", Title: "name", Time: "ts"}, `{"name": "a", "ts": "whenever"}`, "",
			[]string{"mapping field time", "must be a time"}},
		{"resolved not a bool", formats.MappingSpec{Source: "t", Title: "name", Resolved: "state"}, `{"name": "a", "state": "closed"}`, "",
			[]string{"mapping field resolved", "must give true or false, not a string"}},
		{"labels a list", formats.MappingSpec{Source: "t", Title: "name", Labels: "tags"}, `{"name": "a", "tags": ["x"]}`, "",
			[]string{"mapping field labels", "must give a map, not a list"}},
		{"body item not an object", formats.MappingSpec{Source: "t", Title: "name"}, `[{"name": "a"}, "b"]`, "/1",
			[]string{"must be a JSON object, not a string"}},
		{"bad JSON", formats.MappingSpec{Source: "t", Title: "name"}, `{"name": }`, "", []string{"invalid JSON at line 1, column 10"}},
		{"items selecting nothing", formats.MappingSpec{Source: "t", Title: "name", Items: "events"}, `{"events": []}`, "",
			[]string{"the mapping's items expression selected none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ins, err := mapping(t, tt.spec).Parse([]byte(tt.body))
			requireInvalid(t, err, tt.pointer, tt.details...)
			require.Nil(t, ins)
		})
	}
}

package alert

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/validation"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func TestNormaliseFillsAndClamps(t *testing.T) {
	in := Input{Source: " Suricata ", Title: "ET SCAN\tSSH scan from 203.0.113.7", Severity: "warning",
		Labels: map[string]string{"dest_port": "22"}, Raw: []byte(strings.Repeat("x", 100))}
	a, err := Normalise(in, now, 10)
	require.NoError(t, err)
	require.Equal(t, "suricata", a.Source)
	require.Equal(t, "ET SCAN SSH scan from 203.0.113.7", a.Title, "control characters become spaces")
	require.Equal(t, incident.SeverityMedium, a.Severity)
	require.Equal(t, now, a.OccurredAt)
	require.Len(t, a.Raw, 10)
	require.True(t, a.RawTruncated)
	require.Equal(t, ComputeFingerprint(a.Title, a.Labels), a.Fingerprint)
	require.Len(t, a.Fingerprint, 32)
	require.Contains(t, a.Observables, Observable{Type: ObsIPv4, Value: "203.0.113.7"})
	require.Equal(t, incident.P3, a.Priority)

	// The same title and labels give the same fingerprint; other labels another.
	b, err := Normalise(Input{Source: "suricata", Title: a.Title, Labels: map[string]string{"dest_port": "22"}}, now, 0)
	require.NoError(t, err)
	require.Equal(t, a.Fingerprint, b.Fingerprint)
	c, err := Normalise(Input{Source: "suricata", Title: a.Title, Labels: map[string]string{"dest_port": "23"}}, now, 0)
	require.NoError(t, err)
	require.NotEqual(t, a.Fingerprint, c.Fingerprint)

	// Long parts are cut on a character boundary, never refused.
	long, err := Normalise(Input{Source: "x", Title: strings.Repeat("é", MaxTitleLen)}, now, 0)
	require.NoError(t, err)
	require.LessOrEqual(t, len(long.Title), MaxTitleLen)
	require.True(t, strings.HasPrefix(strings.Repeat("é", MaxTitleLen), long.Title))
	many := map[string]string{}
	for i := range MaxLabels + 10 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	clamped, err := Normalise(Input{Source: "x", Title: "t", Labels: many}, now, 0)
	require.NoError(t, err)
	require.Len(t, clamped.Labels, MaxLabels)
}

func TestNormaliseRefusesWhatCannotBeAnAlert(t *testing.T) {
	for _, tc := range []struct {
		in      Input
		pointer string
	}{
		{Input{Title: "t"}, "/source"},
		{Input{Source: "Bad Source!", Title: "t"}, "/source"},
		{Input{Source: "ids", Title: " \t "}, "/title"},
		{Input{Source: "ids", Title: "t", Severity: "apocalyptic"}, "/severity"},
	} {
		_, err := Normalise(tc.in, now, 0)
		v, ok := validation.As(err)
		require.True(t, ok, "%+v: %v", tc.in, err)
		require.Equal(t, tc.pointer, v.Pointer)
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"CRIT": "critical", "error": "high", "Warning": "medium",
		"notice": "low", "info": "informational", "informational": "informational"} {
		got, ok := ParseSeverity(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	_, ok := ParseSeverity("severe-ish")
	require.False(t, ok)
}

func TestExtract(t *testing.T) {
	text := `Beacon from 10.0.0.5 to evil[.]example.com via hxxp://bad.example.org/x.php?a=1, mail from ` +
		`Bob@Corp.Example.com; dropped invoice.exe (d41d8cd98f00b204e9800998ecf8427e) over fe80::1 and ` +
		`2001:db8::ff, exploiting cve-2021-44228 at 12:30:45, version 1.2.3, not 300.1.1.1.`
	got := Extract(text)
	want := []Observable{
		{Type: ObsURL, Value: "http://bad.example.org/x.php?a=1"},
		{Type: ObsDomain, Value: "bad.example.org"},
		{Type: ObsEmail, Value: "bob@corp.example.com"},
		{Type: ObsDomain, Value: "corp.example.com"},
		{Type: ObsIPv6, Value: "fe80::1"},
		{Type: ObsIPv6, Value: "2001:db8::ff"},
		{Type: ObsCVE, Value: "CVE-2021-44228"},
		{Type: ObsIPv4, Value: "10.0.0.5"},
		{Type: ObsDomain, Value: "evil.example.com"},
		{Type: ObsMD5, Value: "d41d8cd98f00b204e9800998ecf8427e"},
	}
	require.Equal(t, want, got)
	require.Empty(t, Extract("nothing to see: report.pdf, setup.sh, v2.1, e.g. this"))
	require.Equal(t, []Observable{{Type: ObsSHA256, Value: strings.Repeat("ab", 32)}}, Extract("sha "+strings.ToUpper(strings.Repeat("ab", 32))))
}

func TestNewObservableCanonicalises(t *testing.T) {
	o, ok := NewObservable(ObsIPv4, "::ffff:192.0.2.1", "source")
	require.True(t, ok)
	require.Equal(t, Observable{Type: ObsIPv4, Value: "192.0.2.1", Role: "source"}, o)
	o, ok = NewObservable(ObsIPv6, "2001:DB8:0:0::1", "")
	require.True(t, ok)
	require.Equal(t, "2001:db8::1", o.Value)
	_, ok = NewObservable(ObsSHA1, "not-a-hash", "")
	require.False(t, ok)
	_, ok = NewObservable(ObsDomain, "payload.exe", "")
	require.False(t, ok)
	_, ok = NewObservable("color", "red", "")
	require.False(t, ok)
}

func TestSilences(t *testing.T) {
	a := &Alert{Source: "suricata", Severity: "low", Title: "Scan", Labels: map[string]string{"host": "web-07"},
		Observables: []Observable{{Type: ObsIPv4, Value: "203.0.113.7"}}}
	s := Silence{Matchers: []Matcher{{Name: "source", Value: "suricata"}, {Name: "host", Op: OpRegex, Value: "web-0[0-9]"}},
		StartsAt: now, EndsAt: now.Add(time.Hour), Reason: "maintenance"}
	require.NoError(t, s.Validate())
	require.True(t, s.Matches(a))
	require.True(t, s.Active(now))
	require.False(t, s.Active(now.Add(time.Hour)), "the end is exclusive")
	expired := now.Add(10 * time.Minute)
	s.ExpiredAt = &expired
	require.False(t, s.Active(now.Add(20*time.Minute)))

	for _, tc := range []struct {
		m    Matcher
		want bool
	}{
		{Matcher{Name: "host", Op: OpRegex, Value: "web"}, false}, // anchored
		{Matcher{Name: "host", Op: OpNotEqual, Value: "db-01"}, true},
		{Matcher{Name: "host", Op: OpNotRegex, Value: "web-.*"}, false},
		{Matcher{Name: "observable", Value: "203.0.113.7"}, true},
		{Matcher{Name: "observable", Op: OpNotEqual, Value: "203.0.113.7"}, false},
		{Matcher{Name: "missing", Value: ""}, true},
		{Matcher{Name: "severity", Value: "low"}, true},
	} {
		require.NoError(t, tc.m.Compile(""))
		require.Equal(t, tc.want, tc.m.Matches(a), "%+v", tc.m)
	}
	for _, bad := range []Silence{
		{EndsAt: now.Add(time.Hour), Reason: "r"},
		{Matchers: []Matcher{{Name: "x", Op: OpRegex, Value: "("}}, EndsAt: now.Add(time.Hour), Reason: "r"},
		{Matchers: []Matcher{{Name: "x", Op: "~~"}}, EndsAt: now.Add(time.Hour), Reason: "r"},
		{Matchers: []Matcher{{Name: "x"}}, StartsAt: now, EndsAt: now, Reason: "r"},
		{Matchers: []Matcher{{Name: "x"}}, StartsAt: now, EndsAt: now.Add(time.Hour)},
	} {
		_, ok := validation.As(bad.Validate())
		require.True(t, ok, "%+v", bad)
	}
}

func TestRules(t *testing.T) {
	r := DefaultRules()
	require.NotEmpty(t, r.Group)
	a := &Alert{Source: "suricata", Fingerprint: "1:2001219", Severity: "high", Title: "x",
		AssetIDs: []string{"01A"}, Observables: []Observable{
			{Type: ObsIPv4, Value: "10.0.0.5"}, {Type: ObsIPv4, Value: "203.0.113.7"}, {Type: ObsHost, Value: "web-1"}}}
	var keys []string
	for _, g := range r.Group {
		keys = append(keys, g.Keys(a)...)
	}
	require.Equal(t, []string{"fp:suricata:1:2001219", "asset:01A", "ipv4:203.0.113.7"}, keys,
		"private addresses and host names are not indicators to group on")
	_, ok := r.Opening(a, 2)
	require.False(t, ok, "high on a criticality-2 asset waits for triage")
	o, ok := r.Opening(a, 3)
	require.True(t, ok)
	require.Equal(t, "high-on-important-asset", o.Name)
	o, ok = r.Opening(&Alert{Severity: "medium", Title: "Shadow copies deleted by vssadmin"}, 0)
	require.True(t, ok)
	require.Equal(t, incident.TypeRansomware, o.Type)

	require.Equal(t, 60, r.OpenLimit, "the shipped rules bound the incidents opened in a minute")

	for src, want := range map[string]string{
		"group: [{name: a, by: colour, window: 1h}]":         `rule "a": by must be`,
		"group: [{name: a, by: asset, window: forever}]":     "line 1",
		"group: [{name: a, by: asset}]":                      "window",
		"open: [{name: b}]":                                  "no condition",
		"open: [{name: b, min_severity: huge}]":              "not a severity",
		"open: [{name: b, title_pattern: '('}]":              "title_pattern",
		"open: [{name: b, source: x}, {name: b, source: y}]": "two rules",
		"opne: []":        "field opne not found",
		"open_limit: -1":  "open_limit must be",
		"open_limit: 1e9": "open_limit",
	} {
		_, err := ParseRules([]byte(src))
		require.ErrorContains(t, err, want, src)
	}
}

func FuzzNormalise(f *testing.F) {
	f.Add("suricata", "ET SCAN from 203.0.113.7 to evil[.]example.com", "desc http://x.example/a b@c.example", "k", "v", "high")
	f.Add("", "", "", "", "", "")
	f.Add("x", "\xff\xfe", strings.Repeat("1.", 400), "\x00", "fe80::1%eth0", "info")
	f.Fuzz(func(t *testing.T, source, title, desc, k, v, sev string) {
		a, err := Normalise(Input{Source: source, Title: title, Description: desc, Labels: map[string]string{k: v},
			Severity: Severity(sev)}, now, 0)
		if err != nil {
			_, ok := validation.As(err)
			require.True(t, ok, "only validation errors: %v", err)
			return
		}
		require.NotEmpty(t, a.Title)
		require.LessOrEqual(t, len(a.Title), MaxTitleLen)
		require.True(t, a.Severity.Valid())
		for _, o := range a.Observables {
			again, ok := NewObservable(o.Type, o.Value, o.Role)
			require.True(t, ok, "%+v", o)
			require.Equal(t, o, again, "observables are canonical")
		}
	})
}

func FuzzParseRules(f *testing.F) {
	f.Add(string(DefaultRulesYAML()))
	f.Add("group: [{name: a, by: asset, window: 1h}]")
	f.Fuzz(func(t *testing.T, src string) {
		r, err := ParseRules([]byte(src))
		if err != nil {
			return
		}
		a := &Alert{Source: "s", Title: "t", Severity: "high", Observables: []Observable{{Type: ObsIPv4, Value: "203.0.113.1"}}}
		for _, g := range r.Group {
			_ = g.Keys(a)
		}
		_, _ = r.Opening(a, 4)
	})
}

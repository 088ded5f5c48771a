package syslog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseMessageRFC5424(t *testing.T) {
	t.Parallel()
	raw := `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 4711 ID47 [exampleSDID@32473 iut="3" eventSource="Application"] ` +
		"\xEF\xBB\xBFAn application event log entry...\n"
	m, err := ParseMessage([]byte(raw), time.Now(), time.UTC)
	require.NoError(t, err)
	require.Equal(t, FormatRFC5424, m.Format)
	require.Equal(t, 20, m.Facility) // local4
	require.Equal(t, 5, m.Severity)  // notice
	require.Equal(t, time.Date(2003, 10, 11, 22, 14, 15, 3e6, time.UTC), m.Timestamp.UTC())
	require.Equal(t, "mymachine.example.com", m.Hostname)
	require.Equal(t, "evntslog", m.AppName)
	require.Equal(t, "4711", m.ProcID)
	require.Equal(t, "ID47", m.MsgID)
	require.Equal(t, "An application event log entry...", m.Text, "BOM and trailing newline are taken off")
	require.Equal(t, "3", m.StructuredData["exampleSDID@32473"]["iut"])
}

func TestParseMessageRFC5424NilFields(t *testing.T) {
	t.Parallel()
	m, err := ParseMessage([]byte(`<14>1 - - - - - - just text`), time.Now(), time.UTC)
	require.NoError(t, err)
	require.Equal(t, FormatRFC5424, m.Format)
	require.True(t, m.Timestamp.IsZero())
	require.Empty(t, m.Hostname)
	require.Equal(t, "just text", m.Text)
}

func TestParseMessageRFC3164(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		raw                         string
		host, app, procid, text     string
		facility, severity, day, hh int
	}{
		{"<36>Nov 27 15:28:57 vm sshd[812]: Failed password for root from 203.0.113.9 port 22 ssh2",
			"vm", "sshd", "812", "Failed password for root from 203.0.113.9 port 22 ssh2", 4, 4, 27, 15},
		{"<34>Nov  7 10:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
			"mymachine", "su", "", "'su root' failed for lonvick on /dev/pts/8", 4, 2, 7, 10},
		{"<13>Nov 05 08:00:00 host app: zero-padded day", "host", "app", "", "zero-padded day", 1, 5, 5, 8},
		{"<0>Nov 27 15:28:57 web1 kernel: [123.4] nginx[99]: segfault at 0 ip 0", "web1", "kernel", "",
			"[123.4] nginx[99]: segfault at 0 ip 0", 0, 0, 27, 15},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			m, err := ParseMessage([]byte(tt.raw), now, time.UTC)
			require.NoError(t, err)
			require.Equal(t, FormatRFC3164, m.Format)
			require.Equal(t, tt.host, m.Hostname)
			require.Equal(t, tt.app, m.AppName)
			require.Equal(t, tt.procid, m.ProcID)
			require.Equal(t, tt.text, m.Text)
			require.Equal(t, tt.facility, m.Facility)
			require.Equal(t, tt.severity, m.Severity)
			require.Equal(t, 2026, m.Timestamp.Year())
			require.Equal(t, time.November, m.Timestamp.Month())
			require.Equal(t, tt.day, m.Timestamp.Day())
			require.Equal(t, tt.hh, m.Timestamp.Hour())
		})
	}
}

func TestParseMessageRFC3164WithRFC3339Timestamp(t *testing.T) {
	t.Parallel()
	m, err := ParseMessage([]byte("<13>2024-02-05T17:32:18+01:00 host app[1]: hello"), time.Now(), time.UTC)
	require.NoError(t, err)
	require.Equal(t, FormatRFC3164, m.Format)
	require.Equal(t, time.Date(2024, 2, 5, 16, 32, 18, 0, time.UTC), m.Timestamp.UTC())
	require.Equal(t, "hello", m.Text)
}

func TestParseMessageNotSyslog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw                string
		facility, severity int
		text               string
	}{
		{"hello world, no priority", 1, 5, "hello world, no priority"},
		{"<11>garbage here", 1, 3, "garbage here"},
		{"<999>not a priority", 1, 5, "<999>not a priority"},
		{"", 1, 5, ""},
	}
	for _, tt := range tests {
		m, err := ParseMessage([]byte(tt.raw), time.Now(), time.UTC)
		require.ErrorIs(t, err, ErrNotSyslog, tt.raw)
		require.Equal(t, FormatUnknown, m.Format)
		require.Equal(t, tt.facility, m.Facility, tt.raw)
		require.Equal(t, tt.severity, m.Severity, tt.raw)
		require.Equal(t, tt.text, m.Text, tt.raw)
	}
}

// RFC 3164 timestamps have no year and no zone: the year is the one that puts the time no more
// than a month after the receiver's clock, in the listener's zone.
func TestRFC3164YearAcrossTheYearBoundary(t *testing.T) {
	t.Parallel()
	plus2 := time.FixedZone("UTC+2", 2*3600)
	minus5 := time.FixedZone("UTC-5", -5*3600)
	tests := []struct {
		name  string
		now   time.Time
		loc   *time.Location
		stamp string
		want  time.Time
	}{
		{"same day", time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC), time.UTC, "Jun 15 11:59:00",
			time.Date(2026, 6, 15, 11, 59, 0, 0, time.UTC)},
		{"sent on 31 December, received on 1 January", time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC), time.UTC,
			"Dec 31 23:59:58", time.Date(2025, 12, 31, 23, 59, 58, 0, time.UTC)},
		{"sender's clock a little ahead over new year", time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC), time.UTC,
			"Jan  1 00:00:02", time.Date(2026, 1, 1, 0, 0, 2, 0, time.UTC)},
		{"delayed December message in January", time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC), time.UTC,
			"Dec 20 10:00:00", time.Date(2025, 12, 20, 10, 0, 0, 0, time.UTC)},
		{"29 February skips years without it", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.UTC,
			"Feb 29 12:00:00", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)},
		{"up to a month ahead stays this year", time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), time.UTC,
			"Jul  1 00:00:00", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)},
		{"more than a month ahead is last year", time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), time.UTC,
			"Aug  1 00:00:00", time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)},
		{"the zone's year counts: already 1 January at UTC+2", time.Date(2025, 12, 31, 22, 30, 0, 0, time.UTC), plus2,
			"Dec 31 23:50:00", time.Date(2025, 12, 31, 23, 50, 0, 0, plus2)},
		{"the zone's year counts: still 31 December at UTC-5", time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC), minus5,
			"Dec 31 21:59:00", time.Date(2025, 12, 31, 21, 59, 0, 0, minus5)},
		{"new year at UTC-5 while UTC is long past it", time.Date(2026, 1, 1, 5, 30, 0, 0, time.UTC), minus5,
			"Jan  1 00:10:00", time.Date(2026, 1, 1, 0, 10, 0, 0, minus5)},
		{"fractions of a second", time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC), time.UTC,
			"Dec 31 23:59:59.250", time.Date(2025, 12, 31, 23, 59, 59, 250e6, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := ParseMessage([]byte("<13>"+tt.stamp+" host app: text"), tt.now, tt.loc)
			require.NoError(t, err)
			require.Equal(t, FormatRFC3164, m.Format)
			require.True(t, tt.want.Equal(m.Timestamp), "want %s, got %s", tt.want, m.Timestamp)
			require.Equal(t, tt.loc, m.Timestamp.Location())
		})
	}
}

func TestFacilityAndSeverityNames(t *testing.T) {
	t.Parallel()
	for i := range 24 {
		f, ok := parseFacility(FacilityName(i))
		require.True(t, ok)
		require.Equal(t, i, f)
	}
	for i := range 8 {
		s, ok := parseSeverity(SeverityName(i))
		require.True(t, ok)
		require.Equal(t, i, s)
	}
	require.Equal(t, "99", FacilityName(99))
	for name, want := range map[string]int{"authpriv": 10, "LOCAL7": 23, "console": 14, "13": 13} {
		f, ok := parseFacility(name)
		require.True(t, ok, name)
		require.Equal(t, want, f, name)
	}
	_, ok := parseFacility("nonsense")
	require.False(t, ok)
	for name, want := range map[string]int{"error": 3, "warn": 4, "EMERG": 0, "7": 7} {
		s, ok := parseSeverity(name)
		require.True(t, ok, name)
		require.Equal(t, want, s, name)
	}
}

func TestMapSeverity(t *testing.T) {
	t.Parallel()
	want := []string{"critical", "critical", "critical", "high", "medium", "low", "informational", "informational"}
	for s, w := range want {
		require.Equal(t, w, string(MapSeverity(s)), SeverityName(s))
	}
}

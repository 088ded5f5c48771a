package obligation

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
)

func TestDefaultPolicy(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	h, d := time.Hour, 24*time.Hour
	require.Equal(t, map[incident.Severity]Targets{
		incident.SeverityCritical:      {15 * time.Minute, 4 * h, 3 * d},
		incident.SeverityHigh:          {1 * h, 24 * h, 7 * d},
		incident.SeverityMedium:        {4 * h, 3 * d, 14 * d},
		incident.SeverityLow:           {24 * h, 7 * d, 30 * d},
		incident.SeverityInformational: {Acknowledge: 3 * d},
	}, p.Severities)
	for _, sev := range incident.Severities {
		_, ok := p.Severities[sev]
		require.True(t, ok, "every severity has a policy: %s", sev)
	}
}

func ptr(v time.Time) *time.Time { return &v }

func TestSLAEvaluate(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	t0 := time.Date(2026, 3, 28, 22, 0, 0, 0, time.UTC)
	type want struct {
		state      SLAState
		endedBy    incident.Milestone
		breachedAt time.Duration // from t0; 0 when not breached
		remaining  time.Duration
	}
	tests := []struct {
		name string
		sev  incident.Severity
		ms   incident.Milestones
		now  time.Duration // from t0
		want map[SLA]want
	}{
		{"critical, just opened: all pending", incident.SeverityCritical,
			incident.Milestones{DetectedAt: ptr(t0)}, 10 * time.Minute, map[SLA]want{
				SLAAcknowledge: {state: SLAPending, remaining: 5 * time.Minute},
				SLAContain:     {state: SLAPending, remaining: 4*time.Hour - 10*time.Minute},
				SLAResolve:     {state: SLAPending, remaining: 72*time.Hour - 10*time.Minute},
			}},
		{"critical, not acknowledged in 15 minutes: breached while still open", incident.SeverityCritical,
			incident.Milestones{DetectedAt: ptr(t0)}, 16 * time.Minute, map[SLA]want{
				SLAAcknowledge: {state: SLABreached, breachedAt: 15 * time.Minute},
				SLAContain:     {state: SLAPending, remaining: 4*time.Hour - 16*time.Minute},
				SLAResolve:     {state: SLAPending, remaining: 72*time.Hour - 16*time.Minute},
			}},
		{"acknowledged exactly at the target is met; contained late is breached at the target", incident.SeverityCritical,
			incident.Milestones{DetectedAt: ptr(t0), AcknowledgedAt: ptr(t0.Add(15 * time.Minute)),
				ContainedAt: ptr(t0.Add(5 * time.Hour))}, 6 * time.Hour, map[SLA]want{
				SLAAcknowledge: {state: SLAMet, endedBy: incident.MilestoneAcknowledged},
				SLAContain:     {state: SLABreached, endedBy: incident.MilestoneContained, breachedAt: 4 * time.Hour},
				SLAResolve:     {state: SLAPending, remaining: 66 * time.Hour},
			}},
		{"high, recovered in time and closed later: recovery ends resolve", incident.SeverityHigh,
			incident.Milestones{DetectedAt: ptr(t0), AcknowledgedAt: ptr(t0.Add(time.Minute)),
				ContainedAt: ptr(t0.Add(2 * time.Hour)), RecoveredAt: ptr(t0.Add(6 * 24 * time.Hour)),
				ClosedAt: ptr(t0.Add(9 * 24 * time.Hour))}, 10 * 24 * time.Hour, map[SLA]want{
				SLAAcknowledge: {state: SLAMet, endedBy: incident.MilestoneAcknowledged},
				SLAContain:     {state: SLAMet, endedBy: incident.MilestoneContained},
				SLAResolve:     {state: SLAMet, endedBy: incident.MilestoneRecovered},
			}},
		{"medium, closed as a false positive without containment: closing stops every clock", incident.SeverityMedium,
			incident.Milestones{DetectedAt: ptr(t0), AcknowledgedAt: ptr(t0.Add(time.Hour)),
				ClosedAt: ptr(t0.Add(2 * time.Hour))}, 30 * 24 * time.Hour, map[SLA]want{
				SLAAcknowledge: {state: SLAMet, endedBy: incident.MilestoneAcknowledged},
				SLAContain:     {state: SLAMet, endedBy: incident.MilestoneClosed},
				SLAResolve:     {state: SLAMet, endedBy: incident.MilestoneClosed},
			}},
		{"low, closed after the containment target without containing", incident.SeverityLow,
			incident.Milestones{DetectedAt: ptr(t0), AcknowledgedAt: ptr(t0.Add(time.Hour)),
				ClosedAt: ptr(t0.Add(8 * 24 * time.Hour))}, 9 * 24 * time.Hour, map[SLA]want{
				SLAAcknowledge: {state: SLAMet, endedBy: incident.MilestoneAcknowledged},
				SLAContain:     {state: SLABreached, endedBy: incident.MilestoneClosed, breachedAt: 7 * 24 * time.Hour},
				SLAResolve:     {state: SLAMet, endedBy: incident.MilestoneClosed},
			}},
		{"informational has only an acknowledgement target", incident.SeverityInformational,
			incident.Milestones{DetectedAt: ptr(t0)}, 4 * 24 * time.Hour, map[SLA]want{
				SLAAcknowledge: {state: SLABreached, breachedAt: 3 * 24 * time.Hour},
			}},
	}
	for _, tt := range tests {
		sts := p.Evaluate(tt.sev, tt.ms, t0.Add(tt.now))
		require.Len(t, sts, len(tt.want), tt.name)
		for i, st := range sts {
			if i > 0 {
				require.Less(t, indexOf(sts[i-1].SLA), indexOf(st.SLA), "in the order of SLAs")
			}
			w, ok := tt.want[st.SLA]
			require.True(t, ok, "%s: unexpected %s", tt.name, st.SLA)
			msg := tt.name + ": " + string(st.SLA)
			require.Equal(t, w.state, st.State, msg)
			require.Equal(t, tt.sev, st.Severity, msg)
			require.Equal(t, t0, st.Start, msg)
			require.Equal(t, t0.Add(p.Severities[tt.sev].For(st.SLA)), st.Due, msg)
			require.Equal(t, w.endedBy, st.EndedBy, msg)
			if w.endedBy != "" {
				require.Equal(t, *tt.ms.Get(w.endedBy), st.EndedAt, msg)
			} else {
				require.True(t, st.EndedAt.IsZero(), msg)
			}
			if w.breachedAt != 0 {
				require.Equal(t, t0.Add(w.breachedAt), st.BreachedAt, msg)
			} else {
				require.True(t, st.BreachedAt.IsZero(), msg)
			}
			require.Equal(t, w.remaining, st.Remaining, msg)
		}
	}
}

func indexOf(s SLA) int {
	for i, v := range SLAs {
		if v == s {
			return i
		}
	}
	return -1
}

func TestSLAEvaluateEdges(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.Nil(t, p.Evaluate(incident.SeverityCritical, incident.Milestones{}, t0), "no detected_at, no clock")
	require.Nil(t, p.Evaluate("catastrophic", incident.Milestones{DetectedAt: &t0}, t0), "unknown severity")
	require.Nil(t, Policy{}.Evaluate(incident.SeverityCritical, incident.Milestones{DetectedAt: &t0}, t0))

	// The pending clock a timer must next wake for; none once everything is met.
	sts := p.Evaluate(incident.SeverityHigh, incident.Milestones{DetectedAt: &t0}, t0)
	next, ok := NextSLADue(sts)
	require.True(t, ok)
	require.Equal(t, t0.Add(time.Hour), next)
	sts = p.Evaluate(incident.SeverityHigh, incident.Milestones{DetectedAt: &t0, AcknowledgedAt: ptr(t0.Add(time.Minute))}, t0.Add(2*time.Hour))
	next, _ = NextSLADue(sts)
	require.Equal(t, t0.Add(24*time.Hour), next)
	sts = p.Evaluate(incident.SeverityHigh, incident.Milestones{DetectedAt: &t0, ClosedAt: ptr(t0.Add(time.Minute))}, t0)
	_, ok = NextSLADue(sts)
	require.False(t, ok)

	// A reopened incident (closed_at cleared) runs its clocks again: the same milestones minus
	// closed_at give a breach once the target passes.
	sts = p.Evaluate(incident.SeverityCritical, incident.Milestones{DetectedAt: &t0, AcknowledgedAt: &t0}, t0.Add(5*time.Hour))
	require.Equal(t, SLABreached, sts[1].State)
}

func TestParsePolicyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		yaml string
		want []string
	}{
		{"severities:\n  critical:\n    acknowledge: 15 minutes\n", []string{`3: critical.acknowledge: "15 minutes" is not a duration`}},
		{"severities:\n  critical:\n    acknowledge: 15m\n    respond: 1h\n", []string{`4: critical: unknown field "respond"`}},
		{"severities:\n  urgent:\n    acknowledge: 15m\n", []string{`2: "urgent" is not a severity (critical, high, medium, low, informational)`}},
		{"severities:\n  high:\n    contain: 4h\n    resolve: 2h\n", []string{"4: high.resolve (2h) is shorter than the time to acknowledge or to contain"}},
		{"severities:\n  high: {acknowledge: 0s}\n", []string{`2: high.acknowledge: "0s" must be more than zero`}},
		{"severities:\n  high: {acknowledge: 400d}\n", []string{`2: high.acknowledge: "400d" is not a duration`}},
		{"severities:\n  high: {}\n  high: {}\n", []string{`3: severity "high" is given twice`}},
		{"severities: [critical]\n", []string{"1: severities must be a mapping"}},
		{"targets:\n  high: {}\n", []string{`1: the SLA policy: unknown field "targets"`}},
		{"severities:\n  high:\n    acknowledge: [1h]\n", []string{"3: acknowledge must be a single value"}},
	}
	for _, tt := range tests {
		_, err := ParsePolicy([]byte(tt.yaml))
		var pe ParseErrors
		require.True(t, errors.As(err, &pe), "%q: %v", tt.yaml, err)
		require.Len(t, pe, len(tt.want), "%q: %v", tt.yaml, err)
		for i, w := range tt.want {
			line, msg, _ := strings.Cut(w, ": ")
			require.Equal(t, line, strconv.Itoa(pe[i].Line), "%q: %v", tt.yaml, pe[i])
			require.Contains(t, pe[i].Msg, msg)
		}
	}
	p, err := ParsePolicy([]byte("severities:\n  critical: {acknowledge: 5m, resolve: 1d12h}\n"))
	require.NoError(t, err)
	require.Equal(t, Targets{Acknowledge: 5 * time.Minute, Resolve: 36 * time.Hour}, p.Severities[incident.SeverityCritical])
	_, ok := p.Severities[incident.SeverityHigh]
	require.False(t, ok, "a severity left out has no SLA")
	p, err = ParsePolicy(nil)
	require.NoError(t, err)
	require.Empty(t, p.Severities)
}

func TestDurations(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"15m": 15 * time.Minute, "4h": 4 * time.Hour, "3d": 72 * time.Hour, "1d12h": 36 * time.Hour,
		"90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "365d": MaxTarget, "45s": 45 * time.Second,
	} {
		got, err := ParseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		again, err := ParseDuration(FormatDuration(got))
		require.NoError(t, err, FormatDuration(got))
		require.Equal(t, got, again)
	}
	require.Equal(t, "1d12h", FormatDuration(36*time.Hour))
	require.Equal(t, "1h30m", FormatDuration(90*time.Minute))
	require.Equal(t, "3d", FormatDuration(72*time.Hour))
	for _, in := range []string{"", "d", "-1h", "1d-1h", "+1d", "x", "3 days", "366d", "1.5d", "d4h"} {
		_, err := ParseDuration(in)
		require.Error(t, err, in)
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(DefaultPolicyYAML())
	f.Add([]byte("severities:\n  high: {acknowledge: 1d2h, contain: 3d, resolve: 4d}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy(b)
		if err != nil {
			return
		}
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for sev, tg := range p.Severities {
			for _, s := range SLAs {
				if v := tg.For(s); v < 0 || v > MaxTarget {
					t.Fatalf("%s %s: %s out of range", sev, s, v)
				}
			}
			_ = p.Evaluate(sev, incident.Milestones{DetectedAt: &t0}, t0.Add(time.Hour))
		}
	})
}

package obligation

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func statusOf(t *testing.T, s *RuleSet, in Input, now time.Time, id string) Status {
	t.Helper()
	for _, st := range s.Evaluate(in, now) {
		if st.Rule.ID == id {
			return st
		}
	}
	t.Fatalf("no status for rule %q", id)
	return Status{}
}

// withDefaultCalendar layers a file that makes an organisation's own calendar the default.
func withDefaultCalendar(t *testing.T, zoneName string) *RuleSet {
	t.Helper()
	org, err := ParseRules([]byte("default_calendar: org\ncalendars:\n  - name: org\n    time_zone: " + zoneName + "\n"))
	require.NoError(t, err)
	s, err := Combine(DefaultRules(), org)
	require.NoError(t, err)
	return s
}

func TestShippedRules(t *testing.T) {
	t.Parallel()
	s := DefaultRules()
	var ids []string
	for _, r := range s.Rules {
		ids = append(ids, r.ID)
		for field, v := range map[string]string{"name": r.Name, "jurisdiction": r.Jurisdiction, "recipient": r.Recipient,
			"text": r.Text, "reference": r.Reference, "url": r.URL, "disclaimer": r.Disclaimer} {
			require.NotEmpty(t, strings.TrimSpace(v), "%s has no %s", r.ID, field)
		}
		require.True(t, strings.HasPrefix(r.Disclaimer, "Not legal advice."), r.ID)
		require.True(t, strings.HasPrefix(r.URL, "https://"), r.ID)
	}
	require.Equal(t, []string{"gdpr-art33", "gdpr-art34", "nis2-art23-early-warning", "nis2-art23-notification",
		"nis2-art23-final-report", "dora-initial-notification", "dora-intermediate-report", "dora-final-report",
		"sec-8k-item-1.05", "hipaa-breach-individuals"}, ids)
	require.Equal(t, []string{TriggerBreachDiscovered, TriggerClassifiedMajor, TriggerIncidentDetected,
		TriggerMaterialityDetermined, TriggerPersonalDataBreachConfirmed, TriggerPersonalDataBreachHighRisk,
		TriggerSignificantIncidentAware}, s.Events())
	for _, ev := range s.Events() {
		found := false
		for _, k := range KnownTriggers {
			found = found || k.Name == ev
		}
		require.True(t, found, "%s is not described in KnownTriggers", ev)
	}
	require.Equal(t, DefaultRulesYAML(), defaultRulesYAML)
}

// deadlineCase is one shipped rule evaluated for one incident.
type deadlineCase struct {
	name     string
	set      *RuleSet
	rule     string
	triggers map[string]time.Time
	subs     []Submission
	now      time.Time
	want     time.Time // zero: no deadline
	bound    string
	state    State
	late     bool
	// elapsed, when set, is the expected time from the start to the deadline.
	elapsed time.Duration
}

func checkDeadlines(t *testing.T, tests []deadlineCase) {
	t.Helper()
	for _, tt := range tests {
		st := statusOf(t, tt.set, Input{Triggers: tt.triggers, Submissions: tt.subs}, tt.now, tt.rule)
		require.Equal(t, tt.state, st.State, tt.name)
		require.Equal(t, Disclaimer, st.Disclaimer, tt.name)
		if tt.want.IsZero() {
			require.True(t, st.Deadline.IsZero(), "%s: want no deadline, got %s", tt.name, st.Deadline)
			continue
		}
		requireTime(t, tt.want, st.Deadline, tt.name)
		require.Equal(t, tt.bound, st.BoundBy, tt.name)
		require.Equal(t, tt.late, st.Late, tt.name)
		if tt.elapsed != 0 {
			require.Equal(t, tt.elapsed, st.Deadline.Sub(st.StartedAt), tt.name)
		}
		if st.State == StateDue || st.State == StateOverdue {
			require.Equal(t, st.Deadline.Sub(tt.now), st.Remaining, tt.name)
		}
	}
}

func TestGDPRDeadlines(t *testing.T) {
	t.Parallel()
	def := DefaultRules()
	berlin := zone(t, "Europe/Berlin")
	spring := at(t, berlin, "2026-03-27 09:00") // the Friday before the spring-forward weekend
	autumn := at(t, berlin, "2026-10-23 09:00") // the Friday before the fall-back weekend
	confirmed := func(v time.Time) map[string]time.Time {
		return map[string]time.Time{TriggerPersonalDataBreachConfirmed: v}
	}
	highRisk := map[string]time.Time{TriggerPersonalDataBreachHighRisk: spring}
	checkDeadlines(t, []deadlineCase{
		{name: "art. 33: 72 elapsed hours over spring forward, 10:00 on the wall", set: def, rule: "gdpr-art33",
			triggers: confirmed(spring), now: spring.Add(time.Hour), want: at(t, berlin, "2026-03-30 10:00"),
			bound: BoundTrigger, state: StateDue, elapsed: 72 * time.Hour},
		{name: "art. 33: 72 elapsed hours over fall back, 08:00 on the wall", set: def, rule: "gdpr-art33",
			triggers: confirmed(autumn), now: autumn.Add(80 * time.Hour), want: at(t, berlin, "2026-10-26 08:00"),
			bound: BoundTrigger, state: StateOverdue, elapsed: 72 * time.Hour},
		{name: "art. 33: the org calendar does not change an hours clock", set: withDefaultCalendar(t, "Europe/Berlin"),
			rule: "gdpr-art33", triggers: confirmed(spring), now: spring, want: spring.Add(72 * time.Hour),
			bound: BoundTrigger, state: StateDue},
		{name: "art. 33: notified late", set: def, rule: "gdpr-art33", triggers: confirmed(spring),
			subs: []Submission{{"gdpr-art33", spring.Add(73 * time.Hour)}}, now: spring.Add(100 * time.Hour),
			want: spring.Add(72 * time.Hour), bound: BoundTrigger, state: StateMet, late: true},
		{name: "art. 34: no fixed deadline", set: def, rule: "gdpr-art34", triggers: highRisk,
			now: spring.Add(1000 * time.Hour), state: StateNoDeadline},
		{name: "art. 34: not started without the high-risk assessment", set: def, rule: "gdpr-art34",
			triggers: confirmed(spring), now: spring, state: StateNotStarted},
		{name: "art. 34: met", set: def, rule: "gdpr-art34", triggers: highRisk,
			subs: []Submission{{"gdpr-art34", spring.Add(48 * time.Hour)}}, now: spring.Add(49 * time.Hour), state: StateMet},
	})
	st := statusOf(t, def, Input{Triggers: highRisk}, spring, "gdpr-art34")
	require.True(t, st.Rule.WithoutUndueDelay)
	require.Equal(t, "without undue delay", st.Rule.Period.String())
	st = statusOf(t, def, Input{}, spring, "gdpr-art33")
	require.Equal(t, "waiting for personal_data_breach_confirmed", st.Waiting)
}

func TestNIS2Deadlines(t *testing.T) {
	t.Parallel()
	def := DefaultRules()
	org := withDefaultCalendar(t, "Europe/Berlin")
	berlin := zone(t, "Europe/Berlin")
	aware := at(t, berlin, "2026-01-30 16:00")
	tr := map[string]time.Time{TriggerSignificantIncidentAware: aware}
	notified := at(t, berlin, "2026-01-31 10:00")
	notifiedSpring := at(t, berlin, "2026-03-10 09:00")
	checkDeadlines(t, []deadlineCase{
		{name: "early warning: 24 hours", set: def, rule: "nis2-art23-early-warning", triggers: tr, now: aware,
			want: aware.Add(24 * time.Hour), bound: BoundTrigger, state: StateDue},
		{name: "early warning sent in time", set: def, rule: "nis2-art23-early-warning", triggers: tr,
			subs: []Submission{{"nis2-art23-early-warning", aware.Add(20 * time.Hour)}}, now: aware.Add(30 * time.Hour),
			want: aware.Add(24 * time.Hour), bound: BoundTrigger, state: StateMet},
		{name: "notification: 72 hours", set: def, rule: "nis2-art23-notification", triggers: tr, now: aware,
			want: aware.Add(72 * time.Hour), bound: BoundTrigger, state: StateDue},
		{name: "final report waits for the notification", set: def, rule: "nis2-art23-final-report", triggers: tr,
			now: aware.Add(100 * time.Hour), state: StateNotStarted},
		{name: "final report: one month after the notification, clamped to 28 February", set: org,
			rule: "nis2-art23-final-report", triggers: tr, subs: []Submission{{"nis2-art23-notification", notified}},
			now: notified, want: at(t, berlin, "2026-02-28 10:00"), bound: BoundTrigger, state: StateDue},
		{name: "final report: the month crosses spring forward, same wall clock", set: org,
			rule: "nis2-art23-final-report", triggers: tr, subs: []Submission{{"nis2-art23-notification", notifiedSpring}},
			now: notifiedSpring, want: at(t, berlin, "2026-04-10 09:00"), bound: BoundTrigger, state: StateDue,
			elapsed: 31*24*time.Hour - time.Hour},
		{name: "final report in the shipped default calendar (UTC)", set: def, rule: "nis2-art23-final-report",
			subs:  []Submission{{"nis2-art23-notification", time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC)}},
			now:   time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			want:  time.Date(2026, 2, 28, 23, 30, 0, 0, time.UTC),
			bound: BoundTrigger, state: StateOverdue},
	})
	st := statusOf(t, def, Input{Triggers: tr}, aware, "nis2-art23-final-report")
	require.Equal(t, "waiting for the submission of nis2-art23-notification", st.Waiting)
}

func TestDORADeadlines(t *testing.T) {
	t.Parallel()
	def := DefaultRules()
	detected := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	both := func(classified time.Time) map[string]time.Time {
		return map[string]time.Time{TriggerIncidentDetected: detected, TriggerClassifiedMajor: classified}
	}
	initial := time.Date(2026, 5, 4, 13, 0, 0, 0, time.UTC)
	update1 := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	update2 := time.Date(2026, 5, 31, 17, 0, 0, 0, time.UTC)
	checkDeadlines(t, []deadlineCase{
		{name: "initial: classified 2h after detection, 4 hours is earlier", set: def, rule: "dora-initial-notification",
			triggers: both(detected.Add(2 * time.Hour)), now: detected.Add(3 * time.Hour),
			want: detected.Add(6 * time.Hour), bound: BoundTrigger, state: StateDue},
		{name: "initial: classified 22h after detection, 24 hours after detection is earlier", set: def,
			rule: "dora-initial-notification", triggers: both(detected.Add(22 * time.Hour)), now: detected.Add(22 * time.Hour),
			want: detected.Add(24 * time.Hour), bound: BoundNotLaterThan, state: StateDue},
		{name: "initial: classified exactly 20h after detection, the bounds meet", set: def,
			rule: "dora-initial-notification", triggers: both(detected.Add(20 * time.Hour)), now: detected.Add(20 * time.Hour),
			want: detected.Add(24 * time.Hour), bound: BoundTrigger, state: StateDue},
		{name: "initial: classified 30h after detection is overdue at once", set: def, rule: "dora-initial-notification",
			triggers: both(detected.Add(30 * time.Hour)), now: detected.Add(30 * time.Hour),
			want: detected.Add(24 * time.Hour), bound: BoundNotLaterThan, state: StateOverdue},
		{name: "initial: without a detection time only the 4 hours count", set: def, rule: "dora-initial-notification",
			triggers: map[string]time.Time{TriggerClassifiedMajor: detected.Add(30 * time.Hour)}, now: detected.Add(30 * time.Hour),
			want: detected.Add(34 * time.Hour), bound: BoundTrigger, state: StateDue},
		{name: "initial: detection alone starts nothing", set: def, rule: "dora-initial-notification",
			triggers: map[string]time.Time{TriggerIncidentDetected: detected}, now: detected.Add(30 * time.Hour),
			state: StateNotStarted},
		{name: "intermediate: 72 hours after the initial notification was submitted", set: def,
			rule: "dora-intermediate-report", triggers: both(detected.Add(time.Hour)),
			subs: []Submission{{"dora-initial-notification", initial}}, now: initial,
			want: initial.Add(72 * time.Hour), bound: BoundTrigger, state: StateDue},
		{name: "intermediate: met by its first submission; updates do not make it late", set: def,
			rule: "dora-intermediate-report", triggers: both(detected.Add(time.Hour)),
			subs: []Submission{{"dora-initial-notification", initial}, {"dora-intermediate-report", update2},
				{"dora-intermediate-report", update1}}, now: update2,
			want: initial.Add(72 * time.Hour), bound: BoundTrigger, state: StateMet},
		{name: "final: one month after the latest updated intermediate report", set: def, rule: "dora-final-report",
			triggers: both(detected.Add(time.Hour)),
			subs: []Submission{{"dora-initial-notification", initial}, {"dora-intermediate-report", update2},
				{"dora-intermediate-report", update1}}, now: update2,
			want: time.Date(2026, 6, 30, 17, 0, 0, 0, time.UTC), bound: BoundTrigger, state: StateDue},
		{name: "final: waits for an intermediate report", set: def, rule: "dora-final-report",
			triggers: both(detected.Add(time.Hour)), subs: []Submission{{"dora-initial-notification", initial}},
			now: update2, state: StateNotStarted},
	})
	st := statusOf(t, def, Input{}, detected, "dora-final-report")
	require.Equal(t, "waiting for the latest submission of dora-intermediate-report", st.Waiting)
}

func TestSEC8KDeadlines(t *testing.T) {
	t.Parallel()
	def := DefaultRules()
	ny := zone(t, "America/New_York")
	det := func(v time.Time) map[string]time.Time { return map[string]time.Time{TriggerMaterialityDetermined: v} }
	checkDeadlines(t, []deadlineCase{
		{name: "Wednesday before Thanksgiving: the end of the next Wednesday", set: def, rule: "sec-8k-item-1.05",
			triggers: det(at(t, ny, "2025-11-26 15:00")), now: at(t, ny, "2025-11-26 15:00"),
			want: at(t, ny, "2025-12-04 00:00"), bound: BoundTrigger, state: StateDue},
		{name: "on Thanksgiving itself: counts from the Friday", set: def, rule: "sec-8k-item-1.05",
			triggers: det(at(t, ny, "2025-11-27 11:00")), now: at(t, ny, "2025-12-03 23:59"),
			want: at(t, ny, "2025-12-04 00:00"), bound: BoundTrigger, state: StateDue},
		{name: "a Friday: the end of Thursday, across spring forward", set: def, rule: "sec-8k-item-1.05",
			triggers: det(at(t, ny, "2026-03-06 17:00")), now: at(t, ny, "2026-03-13 00:01"),
			want: at(t, ny, "2026-03-13 00:00"), bound: BoundTrigger, state: StateOverdue},
		{name: "a Saturday: the same as the Friday", set: def, rule: "sec-8k-item-1.05",
			triggers: det(at(t, ny, "2026-03-07 10:00")), now: at(t, ny, "2026-03-07 10:00"),
			want: at(t, ny, "2026-03-13 00:00"), bound: BoundTrigger, state: StateDue},
		{name: "before Columbus Day", set: def, rule: "sec-8k-item-1.05",
			triggers: det(at(t, ny, "2026-10-08 09:00")), now: at(t, ny, "2026-10-08 09:00"),
			want: at(t, ny, "2026-10-16 00:00"), bound: BoundTrigger, state: StateDue},
		{name: "filed on the last business day is on time", set: def, rule: "sec-8k-item-1.05",
			triggers: det(at(t, ny, "2026-12-22 09:00")), now: at(t, ny, "2026-12-30 09:00"),
			subs: []Submission{{"sec-8k-item-1.05", at(t, ny, "2026-12-29 17:00")}},
			want: at(t, ny, "2026-12-30 00:00"), bound: BoundTrigger, state: StateMet},
		// 02:00 on a Friday in Berlin is still Thursday evening in New York: Thursday is day 0.
		{name: "the day is New York's", set: withDefaultCalendar(t, "Europe/Berlin"), rule: "sec-8k-item-1.05",
			triggers: det(at(t, zone(t, "Europe/Berlin"), "2026-03-06 02:00")), now: at(t, ny, "2026-03-06 18:00"),
			want: at(t, ny, "2026-03-12 00:00"), bound: BoundTrigger, state: StateDue},
	})
	// Beyond 2028 the holiday list ends, and the status says so.
	st := statusOf(t, def, Input{Triggers: det(at(t, ny, "2028-12-28 09:00"))}, at(t, ny, "2028-12-28 09:00"), "sec-8k-item-1.05")
	requireTime(t, at(t, ny, "2029-01-04 00:00"), st.Deadline, "only weekends are skipped in 2029")
	require.Len(t, st.Warnings, 1)
	require.Contains(t, st.Warnings[0], "2025–2028")
	st = statusOf(t, def, Input{Triggers: det(at(t, ny, "2028-12-22 09:00"))}, at(t, ny, "2028-12-22 09:00"), "sec-8k-item-1.05")
	requireTime(t, at(t, ny, "2028-12-30 00:00"), st.Deadline, "ends within 2028: Christmas counted")
	require.Empty(t, st.Warnings)
}

func TestHIPAADeadlines(t *testing.T) {
	t.Parallel()
	def := DefaultRules()
	ny := zone(t, "America/New_York")
	discovered := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	nyDiscovered := at(t, ny, "2026-02-01 10:00")
	checkDeadlines(t, []deadlineCase{
		{name: "60 calendar days in the shipped default calendar (UTC)", set: def, rule: "hipaa-breach-individuals",
			triggers: map[string]time.Time{TriggerBreachDiscovered: discovered}, now: discovered,
			want: time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC), bound: BoundTrigger, state: StateDue},
		{name: "60 calendar days in New York: the same wall clock across spring forward", set: withDefaultCalendar(t, "America/New_York"),
			rule: "hipaa-breach-individuals", triggers: map[string]time.Time{TriggerBreachDiscovered: nyDiscovered},
			now: nyDiscovered, want: at(t, ny, "2026-04-02 10:00"), bound: BoundTrigger, state: StateDue,
			elapsed: 60*24*time.Hour - time.Hour},
		{name: "notified on day 61 is late", set: def, rule: "hipaa-breach-individuals",
			triggers: map[string]time.Time{TriggerBreachDiscovered: discovered},
			subs:     []Submission{{"hipaa-breach-individuals", time.Date(2026, 3, 17, 9, 0, 0, 0, time.UTC)}},
			now:      time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
			want:     time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC), bound: BoundTrigger, state: StateMet, late: true},
	})
	st := statusOf(t, def, Input{}, discovered, "hipaa-breach-individuals")
	require.True(t, st.Rule.WithoutUndueDelay)
}

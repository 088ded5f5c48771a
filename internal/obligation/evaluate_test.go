package obligation

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
)

const customRules = `
default_calendar: de
calendars:
  - name: de
    time_zone: Europe/Berlin
    holidays:
      - {date: 2026-04-03, name: Karfreitag}
      - 2026-04-06
rules:
  - id: insurer
    name: Tell the cyber insurer
    recipient: Insurer hotline
    trigger: incident_detected
    period: 2 business days
    text: Call the hotline and quote the policy number.
  - id: insurer-written
    name: Written notice to the insurer
    recipient: Insurer claims department
    trigger: submitted:insurer
    period: 5 calendar days
    not_later_than:
      trigger: incident_detected
      period: 7 calendar days
    text: Send the written claim notice.
`

func TestEvaluateStates(t *testing.T) {
	t.Parallel()
	s, err := ParseRules([]byte(customRules))
	require.NoError(t, err)
	berlin := zone(t, "Europe/Berlin")
	detected := at(t, berlin, "2026-04-02 15:00") // Maundy Thursday
	in := Input{Triggers: map[string]time.Time{TriggerIncidentDetected: detected, "unrelated": detected}}
	// Good Friday and Easter Monday are holidays: Tue 7 (1), Wed 8 (2) → end of Wednesday.
	due := at(t, berlin, "2026-04-09 00:00")

	sts := s.Evaluate(in, detected)
	require.Len(t, sts, 2)
	require.Equal(t, StateDue, sts[0].State)
	requireTime(t, due, sts[0].Deadline)
	require.Equal(t, due.Sub(detected), sts[0].Remaining)
	require.Equal(t, StateNotStarted, sts[1].State)
	require.Equal(t, "waiting for the submission of insurer", sts[1].Waiting)
	require.Equal(t, Disclaimer, sts[0].Rule.Disclaimer, "an admin rule without a disclaimer gets the general one")
	next, ok := NextDeadline(sts)
	require.True(t, ok)
	requireTime(t, due, next)

	// At the deadline itself it is still due; a nanosecond later it is overdue.
	require.Equal(t, StateDue, s.Evaluate(in, due)[0].State)
	over := s.Evaluate(in, due.Add(time.Nanosecond))[0]
	require.Equal(t, StateOverdue, over.State)
	require.Equal(t, -time.Nanosecond, over.Remaining)
	_, ok = NextDeadline(s.Evaluate(in, due.Add(time.Hour)))
	require.False(t, ok)

	// Submitted exactly at the deadline: met, on time. The second rule starts then and is bounded
	// by 7 days after detection, which comes before 5 days after the submission.
	in.Submissions = []Submission{{"insurer", due}}
	sts = s.Evaluate(in, due.Add(time.Hour))
	require.Equal(t, StateMet, sts[0].State)
	require.False(t, sts[0].Late)
	requireTime(t, due, sts[0].SubmittedAt)
	require.Zero(t, sts[0].Remaining)
	require.Equal(t, StateDue, sts[1].State)
	requireTime(t, at(t, berlin, "2026-04-09 15:00"), sts[1].Deadline)
	require.Equal(t, BoundNotLaterThan, sts[1].BoundBy)

	// A submission with no trigger recorded is met, with no deadline to be late against.
	sts = s.Evaluate(Input{Submissions: []Submission{{"insurer", detected}}}, detected)
	require.Equal(t, StateMet, sts[0].State)
	require.False(t, sts[0].Late)
	require.True(t, sts[0].Deadline.IsZero())
}

func TestEvaluateIsPure(t *testing.T) {
	t.Parallel()
	s := DefaultRules()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	in := Input{
		Triggers: map[string]time.Time{
			TriggerIncidentDetected: now.Add(-30 * time.Hour), TriggerClassifiedMajor: now.Add(-2 * time.Hour),
			TriggerSignificantIncidentAware: now.Add(-time.Hour), TriggerPersonalDataBreachConfirmed: now,
		},
		Submissions: []Submission{{"nis2-art23-early-warning", now}},
	}
	a, err := json.Marshal(s.Evaluate(in, now))
	require.NoError(t, err)
	b, err := json.Marshal(s.Evaluate(in, now))
	require.NoError(t, err)
	require.JSONEq(t, string(a), string(b))
	// The JSON carries the disclaimer with every obligation and periods as words.
	var out []map[string]any
	require.NoError(t, json.Unmarshal(a, &out))
	require.Len(t, out, len(s.Rules))
	for _, o := range out {
		require.Equal(t, Disclaimer, o["disclaimer"])
	}
	rule := out[0]["rule"].(map[string]any)
	require.Equal(t, "72 hours", rule["period"])
	require.Equal(t, "personal_data_breach_confirmed", rule["trigger"])
}

func TestMilestoneTriggers(t *testing.T) {
	t.Parallel()
	require.Empty(t, MilestoneTriggers(incident.Milestones{}))
	d := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	require.Equal(t, map[string]time.Time{TriggerIncidentDetected: d}, MilestoneTriggers(incident.Milestones{DetectedAt: &d}))
}

func TestPeriodParsing(t *testing.T) {
	t.Parallel()
	good := map[string]Period{
		"72 hours": HoursPeriod(72), "72h": HoursPeriod(72), "1 hour": HoursPeriod(1), "24 Hours": HoursPeriod(24),
		"1 calendar day": CalendarDaysPeriod(1), "60  calendar days": CalendarDaysPeriod(60),
		"4 business days": BusinessDaysPeriod(4), "1 month": MonthsPeriod(1), "3 months": MonthsPeriod(3),
		"Without undue delay": WithoutUndueDelay,
	}
	for in, want := range good {
		got, err := ParsePeriod(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		again, err := ParsePeriod(got.String())
		require.NoError(t, err)
		require.Equal(t, got, again, "String reads back")
	}
	for in, msg := range map[string]string{
		"3 days":                     "say 3 calendar days or 3 business days",
		"0 hours":                    "between 1 and 87600",
		"-1 month":                   "between 1 and 120",
		"+4 business days":           "whole number",
		"4 weekdays":                 "is not a period",
		"":                           "is not a period",
		"h":                          "is not a period",
		"999999999999999 h":          "between 1 and 87600",
		"99999999999999999999 hours": "whole number",
		"5000 calendar days":         "between 1 and 3660",
		"promptly":                   "is not a period",
	} {
		_, err := ParsePeriod(in)
		require.ErrorContains(t, err, msg, in)
	}
	require.False(t, WithoutUndueDelay.HasDeadline())
	_, ok := WithoutUndueDelay.Deadline(time.Now(), nil)
	require.False(t, ok)
	d, ok := CalendarDaysPeriod(1).Deadline(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	require.True(t, ok, "a nil calendar counts in UTC")
	require.Equal(t, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), d)
}

func TestTriggerParsing(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Trigger{
		"classified_major":                         {Event: "classified_major"},
		"submitted:nis2-art23-notification":        {Submission: "nis2-art23-notification"},
		"last_submitted: dora-intermediate-report": {Submission: "dora-intermediate-report", Latest: true},
	} {
		got, err := ParseTrigger(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
		again, err := ParseTrigger(got.String())
		require.NoError(t, err)
		require.Equal(t, got, again)
	}
	for _, in := range []string{"", "Classified Major", "submitted:", "submitted:Bad Id", "9lives", "a-b"} {
		_, err := ParseTrigger(in)
		require.Error(t, err, in)
	}
}

package playbook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
)

const planYAML = `id: plan
name: Planning
version: 4
roles: [commander, technical_lead]
phases:
  identification:
    steps:
      - id: triage
        title: "  Triage the alert  "
        role: technical_lead
        required: true
        due: {after: 30m, from: detection}
        description: |
          Look at the **process tree**.
        checklist:
          - Record the host
          - |
            Record the hash
            and the path
      - id: declare
        title: Declare the incident
        role: commander
        due: 15m
  containment:
    steps:
      - id: isolate
        title: Isolate the host
        role: technical_lead
        required: true
        due: 1h
      - id: notify
        title: Notify the owner
        role: commander
        due: {after: 4h, from: detection}
      - id: isolate-later
        kind: action
        connector: edr
      - id: whenever
        title: Whenever
        role: commander
        checklist: [Only a checklist]
`

func TestTasksPlansEveryTaskStep(t *testing.T) {
	t.Parallel()
	p, err := Load("plan.yaml", []byte(planYAML))
	require.NoError(t, err)
	now := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	detected := now.Add(-10 * time.Minute)
	tasks := p.Tasks(IncidentFacts{DetectedAt: detected}, now)

	ptr := func(t time.Time) *time.Time { return &t }
	task := func(phase incident.Phase, title, description string, role incident.Role, required bool, due *time.Time, step string) incident.Task {
		return incident.Task{Phase: phase, Title: title, Description: description, Role: role, Status: incident.TaskTodo,
			Required: required, DueAt: due, Origin: "playbook:plan@4/" + step, CreatedAt: now, UpdatedAt: now}
	}
	require.Equal(t, []PlannedTask{
		{Task: task("identification", "Triage the alert",
			"Look at the **process tree**.\n\n- [ ] Record the host\n- [ ] Record the hash\n  and the path",
			"technical_lead", true, ptr(detected.Add(30*time.Minute)), "triage"),
			Step: "triage", Due: &Due{After: Duration(30 * time.Minute), From: FromDetection}},
		{Task: task("identification", "Declare the incident", "", "commander", false, ptr(now.Add(15*time.Minute)), "declare"),
			Step: "declare", Due: &Due{After: Duration(15 * time.Minute), From: FromPhaseStart}},
		{Task: task("containment", "Isolate the host", "", "technical_lead", true, nil, "isolate"),
			Step: "isolate", Due: &Due{After: Duration(time.Hour), From: FromPhaseStart}},
		{Task: task("containment", "Notify the owner", "", "commander", false, ptr(detected.Add(4*time.Hour)), "notify"),
			Step: "notify", Due: &Due{After: Duration(4 * time.Hour), From: FromDetection}},
		{Task: task("containment", "Whenever", "- [ ] Only a checklist", "commander", false, nil, "whenever"), Step: "whenever"},
	}, tasks)
	require.False(t, tasks[0].Pending())
	require.True(t, tasks[2].Pending())
	require.False(t, tasks[4].Pending(), "a task without a due time has nothing to wait for")
}

func TestTasksMidIncident(t *testing.T) {
	t.Parallel()
	p, err := Load("plan.yaml", []byte(planYAML))
	require.NoError(t, err)
	now := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	started := now.Add(-2 * time.Hour)
	// Applied by hand in containment, with no detection time recorded.
	tasks := p.Tasks(IncidentFacts{Phase: incident.PhaseContainment, PhaseStartedAt: started}, now)
	due := map[string]*time.Time{}
	for _, task := range tasks {
		due[task.Step] = task.DueAt
	}
	require.Nil(t, due["triage"], "counts from detection, which is not known")
	require.Nil(t, due["declare"], "its phase was left; its start is not known")
	require.Equal(t, started.Add(time.Hour), *due["isolate"], "counts from the start of the current phase, even if past")
	require.Nil(t, due["notify"])

	// The current phase's start defaults to now.
	tasks = p.Tasks(IncidentFacts{Phase: incident.PhaseContainment}, now)
	require.Equal(t, now.Add(time.Hour), *tasks[2].DueAt)
}

func TestDueResolve(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 5, 1, 8, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	detected := start.Add(-time.Hour)
	at, ok := Due{After: Duration(2 * 24 * time.Hour), From: FromPhaseStart}.Resolve(start, detected)
	require.True(t, ok)
	require.Equal(t, start.Add(48*time.Hour), at)
	at, ok = Due{After: Duration(time.Hour), From: FromDetection}.Resolve(start, detected)
	require.True(t, ok)
	require.Equal(t, start, at)
	_, ok = Due{After: Duration(time.Hour), From: FromDetection}.Resolve(start, time.Time{})
	require.False(t, ok)
	_, ok = Due{After: Duration(time.Hour), From: FromPhaseStart}.Resolve(time.Time{}, detected)
	require.False(t, ok)
	require.Equal(t, "1d6h after detection", Due{After: Duration(30 * time.Hour), From: FromDetection}.String())
}

func TestRequiredSteps(t *testing.T) {
	t.Parallel()
	p, err := Load("plan.yaml", []byte(planYAML))
	require.NoError(t, err)
	ph, ok := p.Phase(incident.PhaseContainment)
	require.True(t, ok)
	require.Equal(t, []string{"isolate"}, ph.RequiredSteps())
	_, ok = p.Phase(incident.PhaseReview)
	require.False(t, ok)
}

package incident

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/validation"
)

func TestPlanTransition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to Phase
		dir      Direction
		exited   []Phase
		err      bool
	}{
		{PhaseIdentification, PhaseContainment, Forward, []Phase{PhaseIdentification}, false},
		{PhaseIdentification, PhaseClosed, Forward, []Phase{PhaseIdentification, PhaseContainment, PhaseInvestigation, PhaseResponse, PhaseRecovery, PhaseReview}, false},
		{PhaseRecovery, PhaseContainment, Back, nil, false},
		{PhaseClosed, PhaseInvestigation, Reopen, nil, false},
		{PhaseContainment, PhaseContainment, "", nil, true},
		{PhaseContainment, "done", "", nil, true},
		{"nowhere", PhaseClosed, "", nil, true},
	}
	for _, tt := range tests {
		got, err := PlanTransition(tt.from, tt.to)
		if tt.err {
			require.Error(t, err, "%s → %s", tt.from, tt.to)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.dir, got.Direction, "%s → %s", tt.from, tt.to)
		require.Equal(t, tt.exited, got.Exited, "%s → %s", tt.from, tt.to)
	}
}

func TestMilestonesFollowPhases(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var ms Milestones
	step := func(from, to Phase, at time.Time) []MilestoneSet {
		tr, err := PlanTransition(from, to)
		require.NoError(t, err)
		return ms.ApplyTransition(tr, at)
	}
	set := step(PhaseIdentification, PhaseContainment, t0)
	require.Equal(t, []Milestone{MilestoneAcknowledged}, names(set))
	step(PhaseContainment, PhaseInvestigation, t0.Add(time.Hour))
	require.Equal(t, t0.Add(time.Hour), *ms.ContainedAt)
	// Skipping response sets no eradication time.
	step(PhaseInvestigation, PhaseRecovery, t0.Add(2*time.Hour))
	require.Nil(t, ms.EradicatedAt)
	// Going back and containing again keeps the first containment time.
	require.Empty(t, step(PhaseRecovery, PhaseContainment, t0.Add(3*time.Hour)))
	step(PhaseContainment, PhaseInvestigation, t0.Add(4*time.Hour))
	require.Equal(t, t0.Add(time.Hour), *ms.ContainedAt)
	step(PhaseInvestigation, PhaseResponse, t0.Add(5*time.Hour))
	step(PhaseResponse, PhaseRecovery, t0.Add(6*time.Hour))
	require.Equal(t, t0.Add(6*time.Hour), *ms.EradicatedAt)
	step(PhaseRecovery, PhaseReview, t0.Add(7*time.Hour))
	require.Equal(t, t0.Add(7*time.Hour), *ms.RecoveredAt)
	step(PhaseReview, PhaseClosed, t0.Add(8*time.Hour))
	require.Equal(t, t0.Add(8*time.Hour), *ms.ClosedAt)
	// Reopening clears closed_at and says so.
	set = step(PhaseClosed, PhaseReview, t0.Add(9*time.Hour))
	require.Nil(t, ms.ClosedAt)
	require.Equal(t, MilestoneClosed, set[0].Milestone)
	require.Equal(t, t0.Add(8*time.Hour), *set[0].Old)
	// A false positive closed straight from identification is acknowledged and closed, never contained.
	var fp Milestones
	tr, _ := PlanTransition(PhaseIdentification, PhaseClosed)
	require.Equal(t, []Milestone{MilestoneAcknowledged, MilestoneClosed}, names(fp.ApplyTransition(tr, t0)))
	require.Nil(t, fp.ContainedAt)
}

func names(set []MilestoneSet) []Milestone {
	var out []Milestone
	for _, s := range set {
		out = append(out, s.Milestone)
	}
	return out
}

func TestComputePriority(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sev  Severity
		crit int
		want Priority
	}{
		{SeverityCritical, 4, P1}, {SeverityCritical, 3, P1}, {SeverityHigh, 4, P1}, {SeverityHigh, 0, P2},
		{SeverityHigh, 1, P3}, {SeverityMedium, 3, P2}, {SeverityMedium, 0, P3}, {SeverityLow, 2, P3},
		{SeverityLow, 1, P4}, {SeverityInformational, 2, P4}, {SeverityInformational, 4, P3},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, ComputePriority(tt.sev, tt.crit), "%s on criticality %d", tt.sev, tt.crit)
	}
}

func TestUnmetExitCriteria(t *testing.T) {
	t.Parallel()
	tasks := []Task{
		{ID: "a", Phase: PhaseIdentification, Required: true, Status: TaskDone},
		{ID: "b", Phase: PhaseIdentification, Required: true, Status: TaskBlocked},
		{ID: "c", Phase: PhaseIdentification, Required: false, Status: TaskTodo},
		{ID: "d", Phase: PhaseContainment, Required: true, Status: TaskTodo},
		{ID: "e", Phase: PhaseContainment, Required: true, Status: TaskSkipped},
	}
	ids := func(ts []Task) (out []string) {
		for _, t := range ts {
			out = append(out, t.ID)
		}
		return out
	}
	require.Equal(t, []string{"b"}, ids(UnmetExitCriteria(tasks, []Phase{PhaseIdentification})))
	require.Equal(t, []string{"b", "d"}, ids(UnmetExitCriteria(tasks, []Phase{PhaseIdentification, PhaseContainment})))
	require.Empty(t, UnmetExitCriteria(tasks, []Phase{PhaseInvestigation}))
}

func TestValidateIncident(t *testing.T) {
	t.Parallel()
	good := func() Incident {
		return Incident{Title: " Phish ", Type: TypePhishing, Severity: SeverityLow, TLP: TLPAmberStrict, Phase: PhaseIdentification,
			Tags: []string{"BEC", "bec", " finance "}}
	}
	inc := good()
	require.NoError(t, inc.Validate())
	require.Equal(t, "Phish", inc.Title)
	require.Equal(t, []string{"bec", "finance"}, inc.Tags)

	bad := []struct {
		mut     func(*Incident)
		pointer string
	}{
		{func(i *Incident) { i.Title = "   " }, "/title"},
		{func(i *Incident) { i.Severity = "urgent" }, "/severity"},
		{func(i *Incident) { i.Type = "spam" }, "/type"},
		{func(i *Incident) { i.TLP = "white" }, "/tlp"},
		{func(i *Incident) { i.Tags = []string{"ok", "<script>"} }, "/tags/1"},
		{func(i *Incident) { i.Resolution = "fixed" }, "/resolution"},
		{func(i *Incident) { i.CustomFields = map[string]string{" ": "x"} }, "/custom_fields"},
	}
	for _, b := range bad {
		inc := good()
		b.mut(&inc)
		err := inc.Validate()
		v, ok := validation.As(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, b.pointer, v.Pointer)
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	require.Equal(t, "INC-42", FormatKey(42))
	for in, want := range map[string]int64{"INC-42": 42, "inc-7": 7} {
		n, ok := ParseKey(in)
		require.True(t, ok)
		require.Equal(t, want, n)
	}
	for _, in := range []string{"INC-", "INC-0", "INC--1", "42", "INC-1x", "CASE-1"} {
		_, ok := ParseKey(in)
		require.False(t, ok, in)
	}
}

func TestEntryValidationAndZone(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 3, 15, 0, 0, time.FixedZone("", -5*3600))
	z, err := ZoneOf(at, "")
	require.NoError(t, err)
	require.Equal(t, "-05:00", z)
	z, err = ZoneOf(at.UTC(), "")
	require.NoError(t, err)
	require.Equal(t, "Z", z)
	z, err = ZoneOf(at, "Europe/Paris")
	require.NoError(t, err)
	require.Equal(t, "Europe/Paris", z)
	_, err = ZoneOf(at, "Mars/Olympus")
	require.Error(t, err)

	e := Entry{Text: "x", Kind: KindManual, EventAt: at, Technique: "t1059.001"}
	require.NoError(t, e.Validate())
	require.Equal(t, "T1059.001", e.Technique)
	e.Technique = "T59"
	require.Error(t, e.Validate())
}

package playbook

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
)

// builtinFacts are, for each built-in playbook, the facts of a new incident it is meant for.
var builtinFacts = map[string]IncidentFacts{
	"account-compromise":         {Type: incident.TypeAccountCompromise, Severity: incident.SeverityHigh},
	"business-email-compromise":  {Type: incident.TypePhishing, Severity: incident.SeverityHigh, Tags: []string{"bec"}},
	"denial-of-service":          {Type: incident.TypeDenialOfService, Severity: incident.SeverityCritical},
	"insider-threat":             {Type: incident.TypeInsider, Severity: incident.SeverityHigh, Restricted: true},
	"leaked-cloud-credentials":   {Type: incident.TypeUnauthorizedAccess, Severity: incident.SeverityHigh, Tags: []string{"cloud-credentials"}},
	"lost-device":                {Type: incident.TypeOther, Severity: incident.SeverityMedium, Tags: []string{"stolen-device"}},
	"malware-endpoint":           {Type: incident.TypeMalware, Severity: incident.SeverityMedium},
	"personal-data-breach":       {Type: incident.TypeDataBreach, Severity: incident.SeverityHigh, PersonalData: true},
	"phishing":                   {Type: incident.TypePhishing, Severity: incident.SeverityMedium},
	"ransomware":                 {Type: incident.TypeRansomware, Severity: incident.SeverityCritical},
	"web-application-compromise": {Type: incident.TypeUnauthorizedAccess, Severity: incident.SeverityHigh, Tags: []string{"web-application"}},
}

func TestBuiltinLintsClean(t *testing.T) {
	t.Parallel()
	files := BuiltinFiles()
	require.Len(t, files, len(builtinFacts))
	require.Empty(t, LintFiles(files), "built-in playbooks have neither errors nor warnings")
}

func TestBuiltinLibraryShape(t *testing.T) {
	t.Parallel()
	lib := Builtin()
	var ids []string
	for _, p := range lib {
		ids = append(ids, p.ID)
	}
	want := make([]string, 0, len(builtinFacts))
	for id := range builtinFacts {
		want = append(want, id)
	}
	slices.Sort(want)
	require.Equal(t, want, ids, "Builtin returns every playbook, sorted by id")

	working := incident.Phases[:len(incident.Phases)-1]
	for _, p := range lib {
		require.True(t, p.AppliesTo.Automatic(), "%s applies to incidents on its own", p.ID)
		require.NotEmpty(t, p.Description, p.ID)
		require.NotEmpty(t, p.Guidance, p.ID)
		require.Len(t, p.Phases, len(working), "%s has work in every phase", p.ID)
		for i, ph := range p.Phases {
			require.Equal(t, working[i], ph.Name, p.ID)
			require.NotEmpty(t, ph.RequiredSteps(), "%s: phase %s has a required step gating its exit", p.ID, ph.Name)
			for _, s := range ph.Steps {
				require.Equal(t, KindTask, s.Kind)
				require.NotNil(t, s.Due, "%s: step %s has a due time", p.ID, s.ID)
				if ph.Name == incident.PhaseIdentification {
					require.Equal(t, FromDetection, s.Due.From, "%s: identification step %s counts from detection", p.ID, s.ID)
					require.LessOrEqual(t, s.Due.After, Duration(24*time.Hour), "%s: %s", p.ID, s.ID)
				}
			}
		}
	}

	// Builtin returns copies.
	lib[0].Phases[0].Steps[0].Title = "changed"
	lib[0].Roles[0] = "changed"
	again := Builtin()
	require.NotEqual(t, "changed", again[0].Phases[0].Steps[0].Title)
	require.NotEqual(t, incident.Role("changed"), again[0].Roles[0])
}

func TestBuiltinSelection(t *testing.T) {
	t.Parallel()
	lib := Builtin()
	for id, facts := range builtinFacts {
		p, ok := Select(lib, facts)
		require.True(t, ok, id)
		require.Equal(t, id, p.ID, "a new incident for %s selects it", id)
	}
	tests := []struct {
		facts IncidentFacts
		want  string // "" for none
	}{
		{IncidentFacts{Type: incident.TypeAccountCompromise, Tags: []string{"invoice-fraud"}}, "business-email-compromise"},
		{IncidentFacts{Type: incident.TypeAccountCompromise, Tags: []string{"cloud-credentials"}}, "leaked-cloud-credentials"},
		{IncidentFacts{Type: incident.TypeMalware, Tags: []string{"webshell"}}, "web-application-compromise"},
		{IncidentFacts{Type: incident.TypeDataBreach, Tags: []string{"Personal-Data"}}, "personal-data-breach"},
		{IncidentFacts{Type: incident.TypeDataBreach, PersonalData: true, Tags: []string{"lost-device"}}, "personal-data-breach"},
		{IncidentFacts{Type: incident.TypeDataBreach}, ""},
		{IncidentFacts{Type: incident.TypeUnauthorizedAccess}, ""},
		{IncidentFacts{Type: incident.TypeOther}, ""},
		{IncidentFacts{Type: incident.TypeRansomware, Tags: []string{"lost-device"}}, "lost-device"},
	}
	for _, tt := range tests {
		p, ok := Select(lib, tt.facts)
		require.Equal(t, tt.want != "", ok, "%+v", tt.facts)
		require.Equal(t, tt.want, p.ID, "%+v", tt.facts)
	}
}

func TestBuiltinPlanningForANewIncident(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 3, 14, 2, 47, 0, 0, time.UTC)
	detected := created.Add(-20 * time.Minute)
	for _, p := range Builtin() {
		t.Run(p.ID, func(t *testing.T) {
			t.Parallel()
			facts := builtinFacts[p.ID]
			facts.Phase, facts.PhaseStartedAt, facts.DetectedAt = incident.PhaseIdentification, created, detected
			tasks := p.Tasks(facts, created.Add(time.Minute))

			steps := map[string]Step{}
			for _, ph := range p.Phases {
				for _, s := range ph.Steps {
					steps[s.ID] = s
				}
			}
			require.Len(t, tasks, len(steps))
			used := map[incident.Role]bool{}
			for _, task := range tasks {
				s := steps[task.Step]
				require.Contains(t, p.Roles, task.Role, "task %s is for one of the playbook's roles", task.Step)
				used[task.Role] = true
				require.Equal(t, s.Role, task.Role)
				require.Equal(t, s.Required, task.Required)
				require.Equal(t, incident.TaskTodo, task.Status)
				require.Equal(t, "playbook:"+p.ID+"@1/"+s.ID, task.Origin)
				require.Equal(t, created.Add(time.Minute), task.CreatedAt)
				stored := task.Task
				require.NoError(t, stored.Validate(), "task %s can be stored", task.Step)

				after := time.Duration(s.Due.After)
				switch {
				case s.Due.From == FromDetection:
					require.Equal(t, detected.Add(after), *task.DueAt, task.Step)
				case task.Phase == incident.PhaseIdentification:
					require.Equal(t, created.Add(after), *task.DueAt, task.Step)
				default:
					// The phase has not started: the due time waits for it.
					require.Nil(t, task.DueAt, task.Step)
					require.True(t, task.Pending())
					started := created.Add(3 * time.Hour)
					at, ok := task.Due.Resolve(started, detected)
					require.True(t, ok)
					require.Equal(t, started.Add(after), at, task.Step)
				}
			}
			for _, r := range p.Roles {
				require.True(t, used[r], "role %s has a task", r)
			}
		})
	}
}

package casework_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/playbook"
	"github.com/quell-ir/quell/internal/store"
)

// builtinCases names, for every built-in playbook, an incident it is chosen for.
var builtinCases = map[string]casework.NewIncident{
	"account-compromise":         {Type: incident.TypeAccountCompromise},
	"business-email-compromise":  {Type: incident.TypePhishing, Tags: []string{"bec"}},
	"denial-of-service":          {Type: incident.TypeDenialOfService},
	"insider-threat":             {Type: incident.TypeInsider},
	"leaked-cloud-credentials":   {Type: incident.TypeOther, Tags: []string{"cloud-credentials"}},
	"lost-device":                {Type: incident.TypeOther, Tags: []string{"lost-device"}},
	"malware-endpoint":           {Type: incident.TypeMalware},
	"personal-data-breach":       {Type: incident.TypeDataBreach, Tags: []string{"personal-data"}},
	"phishing":                   {Type: incident.TypePhishing},
	"ransomware":                 {Type: incident.TypeRansomware},
	"web-application-compromise": {Type: incident.TypeUnauthorizedAccess, Tags: []string{"webshell"}},
}

// TestBuiltinPlaybooksAppliedOnCreate opens an incident of each built-in playbook's kind
// through casework and checks, through storage, the tasks it got: one per task step, with the
// step's phase, title, role and required flag, and the due time the step says, computed
// where it can be and kept for later where it cannot.
func TestBuiltinPlaybooksAppliedOnCreate(t *testing.T) {
	t.Parallel()
	lib := playbook.Builtin()
	ids := make([]string, len(lib))
	for i, p := range lib {
		ids[i] = p.ID
	}
	cases := slices.Sorted(func(yield func(string) bool) {
		for id := range builtinCases {
			if !yield(id) {
				return
			}
		}
	})
	require.Equal(t, ids, cases, "every built-in playbook has a case")

	for _, pb := range lib {
		t.Run(pb.ID, func(t *testing.T) {
			t.Parallel()
			f := newClockFixture(t)
			ctx := t.Context()
			now := f.Now()
			detected := now.Add(-2 * time.Hour)
			req := builtinCases[pb.ID]
			req.Title, req.Severity, req.DetectedAt = "Case for "+pb.ID, incident.SeverityHigh, &detected
			inc, err := f.cases.CreateIncident(ctx, f.admin, req)
			require.NoError(t, err)

			applied, err := f.cases.AppliedPlaybooks(ctx, f.admin, inc.Key)
			require.NoError(t, err)
			require.Len(t, applied, 1)
			require.Equal(t, pb.ID, applied[0].PlaybookID)
			require.Equal(t, pb.Version, applied[0].Version)
			require.Equal(t, casework.AppliedOnCreate, applied[0].Reason)

			var tasks []incident.Task
			var specs []store.TaskDueSpec
			require.NoError(t, f.st.Read(ctx, func(tx store.Tx) error {
				var err error
				if tasks, err = tx.Tasks().ListByIncident(ctx, inc.OrgID, inc.ID); err != nil {
					return err
				}
				specs, err = tx.Playbooks().DueSpecs(ctx, inc.OrgID, inc.ID)
				return err
			}))
			byOrigin := map[string]incident.Task{}
			for _, task := range tasks {
				byOrigin[task.Origin] = task
			}
			pending := map[string]store.TaskDueSpec{}
			for _, s := range specs {
				pending[s.TaskID] = s
			}
			steps := 0
			for _, ph := range pb.Phases {
				for _, s := range ph.Steps {
					if s.Kind != playbook.KindTask {
						continue
					}
					steps++
					origin := "playbook:" + pb.ID + "@" + strconv.Itoa(pb.Version) + "/" + s.ID
					task, ok := byOrigin[origin]
					require.True(t, ok, "a task for step %s", s.ID)
					require.Equal(t, ph.Name, task.Phase, s.ID)
					require.Equal(t, strings.TrimSpace(s.Title), task.Title, s.ID)
					require.Equal(t, s.Role, task.Role, s.ID)
					require.NotEmpty(t, task.Role, s.ID)
					require.True(t, slices.Contains(pb.Roles, task.Role), s.ID)
					require.Equal(t, s.Required, task.Required, s.ID)
					require.Equal(t, incident.TaskTodo, task.Status, s.ID)
					for _, item := range s.Checklist {
						require.Contains(t, task.Description, "- [ ] "+strings.TrimSpace(strings.Split(item, "\n")[0]), s.ID)
					}
					spec, isPending := pending[task.ID]
					switch {
					case s.Due == nil:
						require.Nil(t, task.DueAt, s.ID)
						require.False(t, isPending, s.ID)
					case s.Due.From == playbook.FromDetection:
						require.NotNil(t, task.DueAt, s.ID)
						require.Equal(t, detected.Add(time.Duration(s.Due.After)), *task.DueAt, s.ID)
						require.False(t, isPending, s.ID)
					case ph.Name == incident.PhaseIdentification:
						require.NotNil(t, task.DueAt, s.ID)
						require.Equal(t, now.Add(time.Duration(s.Due.After)), *task.DueAt, s.ID)
						require.False(t, isPending, s.ID)
					default:
						require.Nil(t, task.DueAt, s.ID)
						require.True(t, isPending, "step %s keeps its due time for later", s.ID)
						require.Equal(t, time.Duration(s.Due.After), spec.After, s.ID)
						require.Equal(t, string(s.Due.From), spec.From, s.ID)
					}
				}
			}
			require.Positive(t, steps)
			require.Len(t, tasks, steps, "one task per task step, nothing else")
			require.Len(t, f.queued("task_due"), len(tasks)-len(specs)-countNoDue(pb), "a due check per task with a due time")
		})
	}
}

func countNoDue(pb playbook.Playbook) int {
	n := 0
	for _, ph := range pb.Phases {
		for _, s := range ph.Steps {
			if s.Kind == playbook.KindTask && s.Due == nil {
				n++
			}
		}
	}
	return n
}

func listTasks(t *testing.T, f *clockFixture, key string) []incident.Task {
	t.Helper()
	tasks, err := f.cases.ListTasks(t.Context(), f.admin, key)
	require.NoError(t, err)
	return tasks
}

// TestPendingDueTimesResolveWhenPhaseStarts moves a ransomware incident through its first
// phase: the required playbook tasks gate the exit, and entering containment sets the due
// times of its tasks from the moment it started.
func TestPendingDueTimesResolveWhenPhaseStarts(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	inc, err := f.cases.CreateIncident(ctx, f.admin, casework.NewIncident{Title: "Files encrypted", Type: incident.TypeRansomware, Severity: incident.SeverityCritical})
	require.NoError(t, err)

	_, err = f.cases.ChangePhase(ctx, f.admin, inc.Key, casework.PhaseRequest{To: incident.PhaseContainment, Reason: "contain now"})
	var blocked *casework.ExitBlockedError
	require.True(t, errors.As(err, &blocked), "required playbook tasks gate the exit: %v", err)
	require.NotEmpty(t, blocked.Unmet)
	for _, u := range blocked.Unmet {
		require.True(t, strings.HasPrefix(u.Origin, "playbook:ransomware@"), u.Origin)
		require.Equal(t, incident.PhaseIdentification, u.Phase)
	}

	done := incident.TaskDone
	for _, task := range listTasks(t, f, inc.Key) {
		if task.Phase == incident.PhaseIdentification && task.Required {
			_, err := f.cases.UpdateTask(ctx, f.admin, task.ID, casework.TaskPatch{Status: &done}, 0)
			require.NoError(t, err)
		}
	}
	entered := f.Now().Add(95 * time.Minute)
	f.set(entered)
	_, err = f.cases.ChangePhase(ctx, f.admin, inc.Key, casework.PhaseRequest{To: incident.PhaseContainment, Reason: "scope known"})
	require.NoError(t, err)

	pb := builtinByID(t, "ransomware")
	containment, ok := pb.Phase(incident.PhaseContainment)
	require.True(t, ok)
	tasks := listTasks(t, f, inc.Key)
	checked := 0
	for _, s := range containment.Steps {
		if s.Due == nil || s.Due.From != playbook.FromPhaseStart {
			continue
		}
		i := slices.IndexFunc(tasks, func(t incident.Task) bool { return strings.HasSuffix(t.Origin, "/"+s.ID) })
		require.GreaterOrEqual(t, i, 0, s.ID)
		require.NotNil(t, tasks[i].DueAt, s.ID)
		require.Equal(t, entered.Add(time.Duration(s.Due.After)), *tasks[i].DueAt, s.ID)
		checked++
	}
	require.Positive(t, checked)
	// Later phases still wait.
	var specs []store.TaskDueSpec
	require.NoError(t, f.st.Read(ctx, func(tx store.Tx) error {
		specs, err = tx.Playbooks().DueSpecs(ctx, inc.OrgID, inc.ID)
		return err
	}))
	require.NotEmpty(t, specs)
	for _, s := range specs {
		i := slices.IndexFunc(tasks, func(t incident.Task) bool { return t.ID == s.TaskID })
		require.GreaterOrEqual(t, i, 0)
		require.Greater(t, tasks[i].Phase.Index(), incident.PhaseContainment.Index())
		require.Nil(t, tasks[i].DueAt)
	}
}

func builtinByID(t *testing.T, id string) playbook.Playbook {
	t.Helper()
	for _, p := range playbook.Builtin() {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no built-in playbook %s", id)
	return playbook.Playbook{}
}

// TestTypeChangeAppliesPlaybook: an incident opened as "other" gets no playbook; made malware,
// it gets the malware playbook, recorded on its timeline and in the audit chain.
func TestTypeChangeAppliesPlaybook(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	inc, err := f.cases.CreateIncident(ctx, f.admin, casework.NewIncident{Title: "Odd behaviour", Severity: incident.SeverityMedium})
	require.NoError(t, err)
	applied, err := f.cases.AppliedPlaybooks(ctx, f.admin, inc.Key)
	require.NoError(t, err)
	require.Empty(t, applied)
	require.Empty(t, listTasks(t, f, inc.Key))

	typ := incident.TypeMalware
	_, err = f.cases.UpdateIncident(ctx, f.admin, inc.Key, casework.IncidentPatch{Type: &typ}, 0)
	require.NoError(t, err)
	applied, err = f.cases.AppliedPlaybooks(ctx, f.admin, inc.Key)
	require.NoError(t, err)
	require.Len(t, applied, 1)
	require.Equal(t, "malware-endpoint", applied[0].PlaybookID)
	require.Equal(t, casework.AppliedOnType, applied[0].Reason)
	require.Equal(t, "dana", applied[0].AppliedBy)
	tasks := listTasks(t, f, inc.Key)
	require.Len(t, tasks, applied[0].Tasks)
	require.NotEmpty(t, tasks)

	// A title change applies nothing more.
	title := "Malware on a laptop"
	_, err = f.cases.UpdateIncident(ctx, f.admin, inc.Key, casework.IncidentPatch{Title: &title}, 0)
	require.NoError(t, err)
	require.Len(t, listTasks(t, f, inc.Key), len(tasks))

	typ = incident.TypeRansomware
	_, err = f.cases.UpdateIncident(ctx, f.admin, inc.Key, casework.IncidentPatch{Type: &typ}, 0)
	require.NoError(t, err)
	applied, err = f.cases.AppliedPlaybooks(ctx, f.admin, inc.Key)
	require.NoError(t, err)
	require.Len(t, applied, 2)
	require.Equal(t, "ransomware", applied[1].PlaybookID)

	var entries []incident.Entry
	require.NoError(t, f.st.Read(ctx, func(tx store.Tx) error {
		page, err := tx.Timeline().List(ctx, store.TimelineFilter{OrgID: inc.OrgID, IncidentID: inc.ID, Limit: 500})
		entries = page.Items
		return err
	}))
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Text, "Playbook ") {
			n++
		}
	}
	require.Equal(t, 2, n, "each application is on the timeline")
}

const customV1 = `id: triage-basics
name: Triage basics
version: 1
roles: [commander]
phases:
  identification:
    steps:
      - id: first-look
        title: Take a first look
        role: commander
        due: 15m
`

const customV2 = customV1 + `      - id: second-look
        title: Take a second look
        role: commander
`

// TestSaveAndApplyByHand: leads save versions, lint errors and reused versions are refused,
// and applying by hand creates each step's task once.
func TestSaveAndApplyByHand(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	lead := access.Principal{OrgID: f.admin.OrgID, Role: access.RoleLead, Username: "lee", UserID: casework.NewID()}
	responder := access.Principal{OrgID: f.admin.OrgID, Role: access.RoleResponder, Username: "rae", UserID: casework.NewID()}
	viewer := access.Principal{OrgID: f.admin.OrgID, Role: access.RoleViewer, Username: "vic", UserID: casework.NewID()}

	_, err := f.cases.SavePlaybook(ctx, responder, "triage-basics", []byte(customV1))
	require.ErrorIs(t, err, access.ErrForbidden)

	broken := strings.Replace(customV1, "role: commander\n        due", "role: scribe\n        due", 1)
	_, err = f.cases.SavePlaybook(ctx, lead, "triage-basics", []byte(broken))
	var invalid *playbook.InvalidError
	require.True(t, errors.As(err, &invalid), "%v", err)
	i := slices.IndexFunc(invalid.Messages, func(m playbook.Message) bool { return m.Code == playbook.CodeRoleNotDeclared })
	require.GreaterOrEqual(t, i, 0, "%v", invalid.Messages)
	require.Equal(t, 10, invalid.Messages[i].Line)

	saved, err := f.cases.SavePlaybook(ctx, lead, "triage-basics", []byte(customV1))
	require.NoError(t, err)
	require.True(t, saved.Created)
	again, err := f.cases.SavePlaybook(ctx, lead, "triage-basics", []byte(customV1))
	require.NoError(t, err)
	require.False(t, again.Created, "the same source is no new version")

	_, err = f.cases.SavePlaybook(ctx, lead, "triage-basics", []byte(customV2))
	require.True(t, errors.As(err, &invalid), "a change needs a new version: %v", err)
	require.Equal(t, playbook.Code("version-taken"), invalid.Messages[0].Code)
	require.Equal(t, 3, invalid.Messages[0].Line)
	_, err = f.cases.SavePlaybook(ctx, lead, "other-id", []byte(customV1))
	require.True(t, errors.As(err, &invalid))
	require.Equal(t, playbook.Code("id-mismatch"), invalid.Messages[0].Code)

	inc, err := f.cases.CreateIncident(ctx, f.admin, casework.NewIncident{Title: "Strange login", Severity: incident.SeverityLow})
	require.NoError(t, err)
	_, err = f.cases.ApplyPlaybook(ctx, viewer, inc.Key, casework.ApplyPlaybookRequest{Playbook: "triage-basics"})
	require.ErrorIs(t, err, access.ErrForbidden)
	_, err = f.cases.ApplyPlaybook(ctx, responder, inc.Key, casework.ApplyPlaybookRequest{Playbook: "no-such"})
	require.Error(t, err)

	res, err := f.cases.ApplyPlaybook(ctx, f.admin, inc.Key, casework.ApplyPlaybookRequest{Playbook: "triage-basics"})
	require.NoError(t, err)
	require.True(t, res.Created)
	require.Len(t, res.Tasks, 1)
	require.Equal(t, f.Now().Add(15*time.Minute), *res.Tasks[0].DueAt)
	res, err = f.cases.ApplyPlaybook(ctx, f.admin, inc.Key, casework.ApplyPlaybookRequest{Playbook: "triage-basics", Version: 1})
	require.NoError(t, err)
	require.False(t, res.Created, "the same version twice creates nothing")
	require.Len(t, listTasks(t, f, inc.Key), 1)

	v2 := strings.Replace(customV2, "version: 1", "version: 2", 1)
	saved, err = f.cases.SavePlaybook(ctx, lead, "triage-basics", []byte(v2))
	require.NoError(t, err)
	require.Equal(t, 2, saved.Version)
	res, err = f.cases.ApplyPlaybook(ctx, f.admin, inc.Key, casework.ApplyPlaybookRequest{Playbook: "triage-basics"})
	require.NoError(t, err)
	require.True(t, res.Created)
	require.Len(t, res.Tasks, 1, "only the step the incident has no task for")
	require.Equal(t, "Take a second look", res.Tasks[0].Title)
	require.Len(t, listTasks(t, f, inc.Key), 2)

	versions, err := f.cases.PlaybookVersions(ctx, viewer, "triage-basics")
	require.NoError(t, err)
	require.Equal(t, []int{2, 1}, []int{versions[0].Version, versions[1].Version})
	old, err := f.cases.GetPlaybook(ctx, viewer, "triage-basics", 1)
	require.NoError(t, err)
	require.Equal(t, customV1, old.Source)

	// An organisation's own version of a built-in playbook takes its place.
	ransom := string(playbook.BuiltinFiles()["library/ransomware.yaml"])
	mine := strings.Replace(ransom, "\nversion: 1\n", "\nversion: 7\n", 1)
	require.NotEqual(t, ransom, mine)
	_, err = f.cases.SavePlaybook(ctx, lead, "ransomware", []byte(mine))
	require.NoError(t, err)
	inc2, err := f.cases.CreateIncident(ctx, f.admin, casework.NewIncident{Title: "Encrypted", Type: incident.TypeRansomware, Severity: incident.SeverityHigh})
	require.NoError(t, err)
	applied, err := f.cases.AppliedPlaybooks(ctx, f.admin, inc2.Key)
	require.NoError(t, err)
	require.Len(t, applied, 1)
	require.Equal(t, 7, applied[0].Version)
	list, err := f.cases.ListPlaybooks(ctx, viewer)
	require.NoError(t, err)
	i = slices.IndexFunc(list, func(p casework.PlaybookInfo) bool { return p.ID == "ransomware" })
	require.False(t, list[i].Builtin)
	require.Equal(t, 7, list[i].Version)
	versions, err = f.cases.PlaybookVersions(ctx, viewer, "ransomware")
	require.NoError(t, err)
	require.Len(t, versions, 2)
	require.True(t, versions[1].Builtin)
}

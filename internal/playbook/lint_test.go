package playbook

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	return readTestdataFile(t, filepath.Join("testdata", name))
}

func readTestdataFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// brief writes messages as "line:col code", in order.
func brief(msgs []Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = fmt.Sprintf("%d:%d %s", m.Line, m.Column, m.Code)
	}
	return out
}

func TestLintBrokenPlaybooks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []string
		// texts are fragments of the messages' texts, in the same order as want ("" to skip).
		texts []string
	}{
		{"fields.yaml", []string{
			"3:10 bad-version", "4:1 unknown-field", "5:8 wrong-type", "7:20 unknown-type", "11:9 missing-field",
			"12:9 unknown-field", "14:19 wrong-type", "15:20 wrong-type", "19:9 duplicate-field", "21:5 wrong-type",
		}, []string{
			`not "2"`, `unknown field "owner" in the playbook`, "roles must be a list, not a string", `"worm" is not an incident type`,
			"a step needs title", "did you mean title?", "required must be true or false", "checklist must be a list",
			"role is given twice in a step (first on line 18)", "phase containment must be a mapping, not a list",
		}},
		{"roles.yaml", []string{
			"4:9 unused-role", "4:36 unknown-role", "4:40 duplicate-entry", "4:51 unused-role", "11:9 missing-role",
			"15:15 unknown-role", "18:15 role-not-declared",
		}, []string{
			"role commander is in roles, but no step is for it", `"hr" is not an incident role`, "role commander is listed twice",
			"role legal", "task no-role has no role", `"janitor"`, "task undeclared is for role scribe",
		}},
		{"steps.yaml", []string{"11:13 duplicate-step-id", "16:13 bad-id", "19:13 duplicate-step-id"}, []string{
			"step id triage is already used on line 8", `"Isolate_Host" must be a slug`, "already used on line 8",
		}},
		{"phases.yaml", []string{
			"11:3 phase-order", "16:3 unknown-phase", "21:3 duplicate-phase", "23:3 empty-phase", "24:3 unknown-phase",
		}, []string{
			"phase identification is listed after containment", `"eradication" is not a phase with work`,
			"phase containment is listed twice (first on line 6)", "phase recovery has no steps", `"closed" is not a phase with work`,
		}},
		{"unreachable.yaml", []string{"16:15 role-not-declared", "25:3 unreachable-phase", "30:3 unreachable-phase"}, []string{
			"task legal-hold is for role legal",
			"phase response cannot be reached without an override: phase containment cannot be left, as its required task legal-hold (line 14)",
			"phase review cannot be reached",
		}},
		{"due.yaml", []string{
			"11:14 bad-duration", "15:14 bad-duration", "19:14 bad-duration", "23:22 bad-duration", "27:14 bad-duration",
			"31:32 bad-anchor", "35:14 bad-duration", "39:14 missing-field", "43:14 wrong-type",
		}, []string{
			`"30 minutes" is not a duration`, "give a unit, such as 30m or 30h", "more than zero", `"2y"`, `"1m1h"`,
			`not "creation"`, `"53w" is longer than a due time may be (365d)`, "a due time needs after", "not a list",
		}},
		{"when.yaml", []string{"6:37 bad-expression"}, []string{"when: unexpected token EOF"}},
		{"when-quoted.yaml", []string{"5:26 bad-expression"}, []string{"when: unknown name owner"}},
		{"when-block.yaml", []string{"7:23 bad-expression"}, []string{"mismatched types int and string"}},
		{"when-type.yaml", []string{"5:9 bad-expression"}, []string{"must give true or false"}},
		{"urls.yaml", []string{"7:10 bad-url", "9:10 bad-url", "11:10 bad-url", "13:10 bad-url", "24:14 bad-url", "25:9 missing-field"}, []string{
			"must start with https:// or http://", `"javascript:alert(1)"`, "must not hold a user name or password",
			`"/docs/guide"`, "has no host", "a guidance link needs title",
		}},
		{"titles.yaml", []string{"2:7 empty-title", "6:12 empty-title", "12:16 empty-title", "16:13 empty-item", "17:9 missing-field", "20:9 empty-item"}, []string{
			"the playbook name is empty", "the title of a guidance link is empty", "the task title is empty",
			"an item of checklist is empty", "a step needs title", "an item of exit_criteria is empty",
		}},
		{"syntax.yaml", []string{"4:1 yaml"}, []string{"YAML syntax: did not find expected ',' or ']'"}},
		{"version.yaml", []string{"3:10 bad-version"}, []string{`not "1.2.0"`}},
		{"future-kind.yaml", []string{"19:15 unknown-kind", "25:15 unknown-kind"}, []string{`step kind "action"`, `"communication"`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			name := filepath.Join("testdata", tt.file)
			msgs := Lint(name, readTestdata(t, tt.file))
			require.Equal(t, tt.want, brief(msgs))
			require.Len(t, tt.texts, len(tt.want), "the test gives a text for every message")
			for i, m := range msgs {
				require.Equal(t, name, m.File)
				require.Equal(t, m.Code.Severity(), m.Severity)
				require.Contains(t, m.Text, tt.texts[i])
			}
		})
	}
}

func TestLintFilesFindsDuplicatePlaybookIDs(t *testing.T) {
	t.Parallel()
	msgs := LintFiles(map[string][]byte{
		"b/second.yaml": readTestdata(t, "dup-b.yaml"),
		"a/first.yaml":  readTestdata(t, "dup-a.yaml"),
		"c/roles.yaml":  readTestdata(t, "roles.yaml"),
	})
	var dups []Message
	for _, m := range msgs {
		if m.Code == CodeDuplicatePlaybookID {
			dups = append(dups, m)
		}
	}
	require.Equal(t, []Message{{File: "b/second.yaml", Line: 2, Column: 5, Severity: SeverityError, Code: CodeDuplicatePlaybookID,
		Text: "playbook id shared-id is also used by a/first.yaml:1"}}, dups)
	// The other files' messages are there too, sorted by file.
	require.Equal(t, "b/second.yaml", msgs[0].File)
	require.Equal(t, "c/roles.yaml", msgs[len(msgs)-1].File)
	require.True(t, HasErrors(msgs))
}

func TestLintFileProblems(t *testing.T) {
	t.Parallel()
	valid := string(readTestdata(t, "dup-a.yaml"))
	tests := []struct {
		name, src string
		want      []string
		text      string
	}{
		{"empty file", "", []string{"1:1 yaml"}, "the file is empty"},
		{"only a comment", "# nothing here\n", []string{"1:1 yaml"}, "the file is empty"},
		{"two documents", valid + "---\n" + valid, []string{"11:1 yaml"}, "a second YAML document starts here"},
		{"alias", "id: a\nname: &n Name\nversion: 1\nroles: [commander]\nphases: {identification: {steps: [{id: x, title: *n, role: commander}]}}\n",
			[]string{"5:50 yaml"}, "anchors and aliases are not supported"},
		{"not a mapping", "- id: a\n", []string{"1:1 wrong-type"}, "the playbook must be a mapping, not a list"},
		// The scanner names the line where the scalar the tab would continue began.
		{"scanner error", "id: a\nname: b\n\tversion: 1\n", []string{"2:1 yaml"}, "tab character"},
		{"scanner error on its line", "id: a\nname: b\nversion: @1\n", []string{"3:1 yaml"}, "cannot start any token"},
		{"too large", valid + "# " + strings.Repeat("x", MaxSize) + "\n", []string{"1:1 yaml"}, "larger than 1048576 bytes"},
		{"missing everything", "description: nothing else\n", []string{"1:1 missing-field", "1:1 missing-field", "1:1 missing-field", "1:1 missing-field", "1:1 missing-field"}, "the playbook needs id"},
		{"no steps", "id: a\nname: b\nversion: 1\nroles: [commander]\nphases: {}\n", []string{"4:9 unused-role", "5:9 no-steps"}, "no step is for it"},
		{"empty roles", "id: a\nname: b\nversion: 1\nroles: []\nphases: {identification: {steps: [{id: x, title: X, role: commander}]}}\n",
			[]string{"4:8 missing-field"}, "roles is empty"},
		{"version zero", strings.Replace(valid, "version: 1", "version: 0", 1), []string{"3:10 bad-version"}, "from 1 up"},
		{"bad playbook id", strings.Replace(valid, "id: shared-id", "id: Shared ID", 1), []string{"1:5 bad-id"}, "the playbook id"},
		{"long title", strings.Replace(valid, "title: Triage", "title: "+strings.Repeat("t", 301), 1), []string{"9:16 too-long"}, "301 bytes long; at most 300"},
		{"long description", strings.Replace(valid, "title: Triage", "title: Triage\n        description: "+strings.Repeat("d", 20001), 1),
			[]string{"8:9 too-long", "10:22 too-long"}, "the task's description with its checklist"},
		{"bad kind", strings.Replace(valid, "title: Triage", "title: Triage\n        kind: Task", 1), []string{"10:15 wrong-type"}, "kind must be a lower-case word"},
		{"empty when", "id: a\nname: b\nversion: 1\napplies_to: {when: ' '}\nroles: [commander]\nphases: {identification: {steps: [{id: x, title: X, role: commander}]}}\n",
			[]string{"4:20 bad-expression"}, "when is empty"},
		{"when now", "id: a\nname: b\nversion: 1\napplies_to: {when: 'now() != nil'}\nroles: [commander]\nphases: {identification: {steps: [{id: x, title: X, role: commander}]}}\n",
			[]string{"4:21 bad-expression"}, "unknown name now"},
		{"complex key", "id: a\n? [x]\n: y\n", []string{"1:1 missing-field", "1:1 missing-field", "1:1 missing-field", "1:1 missing-field", "2:3 wrong-type"}, "the playbook needs name"},
		{"title needs quotes", strings.Replace(valid, "title: Triage", "title: 2024-05-01", 1), []string{"9:16 wrong-type"}, "must be a string, not a date (put it in quotes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msgs := Lint("p.yaml", []byte(tt.src))
			require.Equal(t, tt.want, brief(msgs))
			require.Contains(t, msgs[0].Text, tt.text)
		})
	}
}

// TestEveryCodeIsReachable makes sure each code is produced by some document in these tests,
// so that no check is dead.
func TestEveryCodeIsReachable(t *testing.T) {
	t.Parallel()
	seen := map[Code]bool{}
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	all := map[string][]byte{}
	for _, f := range files {
		all[f] = readTestdata(t, filepath.Base(f))
	}
	for _, m := range LintFiles(all) {
		seen[m.Code] = true
	}
	// Codes only the inline tests above produce.
	for _, c := range []Code{CodeTooLong, CodeBadID, CodeNoSteps} {
		seen[c] = true
	}
	for _, c := range Codes {
		require.True(t, seen[c], "no test document produces %s", c)
	}
}

func TestMessageFormat(t *testing.T) {
	t.Parallel()
	m := Message{File: "pb/x.yaml", Line: 3, Column: 7, Severity: SeverityWarning, Code: CodeUnusedRole, Text: "role legal is in roles, but no step is for it"}
	require.Equal(t, "pb/x.yaml:3:7: warning: role legal is in roles, but no step is for it [unused-role]", m.String())
}

func TestLoad(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/roles.yaml", readTestdata(t, "roles.yaml"))
	var invalid *InvalidError
	require.ErrorAs(t, err, &invalid)
	require.Len(t, invalid.Messages, 7)
	require.Equal(t, `invalid playbook: testdata/roles.yaml:4:36: error: "hr" is not an incident role; the roles are commander, scribe, communications_lead, technical_lead, legal, executive_sponsor [unknown-role] (and 3 more errors)`, err.Error())

	// Warnings do not stop a playbook from loading.
	p, err := Load("testdata/future-kind.yaml", readTestdata(t, "future-kind.yaml"))
	require.NoError(t, err)
	require.Equal(t, "future-kind", p.ID)
	require.Equal(t, 3, p.Version)
	ph, ok := p.Phase("containment")
	require.True(t, ok)
	require.Equal(t, []Kind{"action", "communication", KindTask}, []Kind{ph.Steps[0].Kind, ph.Steps[1].Kind, ph.Steps[2].Kind})
}

func TestDocs(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "playbooks.md"))
	require.NoError(t, err)

	// The complete example is a clean playbook.
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	require.True(t, ok)
	example, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)
	require.Empty(t, Lint("example.yaml", []byte(example)))
	require.NoError(t, validate(t, []byte(example)))

	for _, c := range Codes {
		row := fmt.Sprintf("| `%s` | %s |", c, c.Severity())
		require.Contains(t, string(doc), row, "docs/playbooks.md has no row for %s", c)
	}
	for _, p := range Builtin() {
		require.Contains(t, string(doc), "`"+p.ID+"`", "docs/playbooks.md does not list %s", p.ID)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]string{"30m": "30m", "90m": "1h30m", "4h": "4h", "48h": "2d", "2d": "2d", "1d12h": "1d12h", "1w": "7d", "1w1d1h1m": "8d1h1m", "365d": "365d"} {
		d, err := ParseDuration(s)
		require.NoError(t, err, s)
		require.Equal(t, want, d.String(), s)
	}
	for _, s := range []string{"", "m", "30", "30s", "1h30", "1m1h", "1h1h", "-1h", "0m", "0d0h", "366d", "53w", "9999999999m", "1.5h", " 1h", "1H"} {
		_, err := ParseDuration(s)
		require.Error(t, err, s)
	}
	var d Duration
	require.NoError(t, d.UnmarshalText([]byte("1d2h")))
	b, err := d.MarshalText()
	require.NoError(t, err)
	require.Equal(t, "1d2h", string(b))
}

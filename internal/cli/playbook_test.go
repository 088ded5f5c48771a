package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/playbook"
)

const goodPlaybook = `id: good
name: Good
version: 1
roles: [commander]
phases:
  identification:
    steps:
      - id: triage
        title: Triage
        role: commander
`

func writePlaybook(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	return path
}

func TestPlaybookLintBuiltin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.env["QUELL_SERVER"], h.env["QUELL_TOKEN"] = h.api.URL(), testSecret
	r := h.run("", "playbook", "lint", "--builtin")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "11 playbooks OK\n", r.stdout)
	require.Empty(t, r.stderr)
	h.api.mu.Lock()
	defer h.api.mu.Unlock()
	require.Empty(t, h.api.requests, "lint needs no server")
}

func TestPlaybookLintReportsErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := t.TempDir()
	good := writePlaybook(t, dir, "good.yaml", goodPlaybook)
	bad := writePlaybook(t, dir, "bad.yaml", strings.NewReplacer("id: good", "id: bad", "role: commander", "role: janitor").Replace(goodPlaybook))
	r := h.run("", "playbook", "lint", good, bad)
	require.Equal(t, 1, r.code)
	require.Equal(t, bad+":4:9: warning: role commander is in roles, but no step is for it [unused-role]\n"+
		bad+`:10:15: error: "janitor" is not an incident role; the roles are commander, scribe, communications_lead, technical_lead, legal, executive_sponsor [unknown-role]`+"\n", r.stdout)
	require.Equal(t, "quell: 1 error in 1 of 2 playbooks\n", r.stderr)
}

func TestPlaybookLintDirectoryAndWarnings(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := t.TempDir()
	writePlaybook(t, dir, "a.yaml", goodPlaybook)
	writePlaybook(t, dir, "nested/b.yml", strings.Replace(goodPlaybook, "id: good", "id: other", 1)+"  containment: {}\n")
	writePlaybook(t, dir, "notes.txt", "not a playbook")
	r := h.run("", "playbook", "lint", dir)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, filepath.Join(dir, "nested", "b.yml")+":11:3: warning: phase containment has no steps, exit criteria or guidance; leave it out [empty-phase]\n"+
		"2 playbooks OK (1 warning)\n", r.stdout)
}

func TestPlaybookLintDuplicateIDsAcrossFiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := t.TempDir()
	a := writePlaybook(t, dir, "a.yaml", goodPlaybook)
	b := writePlaybook(t, dir, "b.yaml", strings.Replace(goodPlaybook, "id: good", "id: ransomware", 1))
	c := writePlaybook(t, dir, "c.yaml", goodPlaybook)
	// c.yaml is named before a.yaml, so a.yaml is the one that reuses the id. A file named
	// twice is read once.
	r := h.run("", "playbook", "lint", b, c, a, a, "--builtin")
	require.Equal(t, 1, r.code)
	require.Equal(t, a+":1:5: error: playbook id good is also used by "+c+":1 [duplicate-playbook-id]\n"+
		b+":1:5: error: playbook id ransomware is also used by builtin:library/ransomware.yaml:1 [duplicate-playbook-id]\n", r.stdout)
	require.Equal(t, "quell: 2 errors in 2 of 14 playbooks\n", r.stderr)
}

func TestPlaybookLintJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bad := writePlaybook(t, t.TempDir(), "bad.yaml", strings.Replace(goodPlaybook, "version: 1", "version: one", 1))
	r := h.run("", "playbook", "lint", "-o", "json", bad)
	require.Equal(t, 1, r.code)
	var rep lintReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	require.Equal(t, lintReport{Playbooks: 1, Errors: 1, Messages: []playbook.Message{{File: bad, Line: 3, Column: 10,
		Severity: playbook.SeverityError, Code: playbook.CodeBadVersion,
		Text: `version must be a whole number from 1 up, raised on every change, not "one"`}}}, rep)

	r = h.run("", "playbook", "lint", "-o", "json", "--builtin")
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, `{"playbooks": 11, "errors": 0, "warnings": 0, "messages": []}`, r.stdout)
}

func TestPlaybookLintUsage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run("", "playbook", "lint")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "name the playbook files or directories to check, or use --builtin")

	missing := filepath.Join(t.TempDir(), "missing.yaml")
	r = h.run("", "playbook", "lint", missing)
	require.Equal(t, 1, r.code)
	require.Equal(t, "quell: cannot read "+missing+": no such file or directory\n", r.stderr)

	empty := t.TempDir()
	r = h.run("", "playbook", "lint", empty)
	require.Equal(t, 1, r.code)
	require.Equal(t, "quell: "+empty+" holds no .yaml or .yml file\n", r.stderr)
}

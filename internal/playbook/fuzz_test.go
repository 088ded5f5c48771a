package playbook

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzLint feeds arbitrary documents to the linter. It must never panic; every message must
// have a position, a known code and that code's severity, in sorted order; and a document the
// linter accepts must be accepted by the schema and plan without trouble.
func FuzzLint(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(f, err)
	for _, name := range files {
		f.Add(readTestdataFile(f, name))
	}
	for _, src := range BuiltinFiles() {
		f.Add(src)
	}
	f.Add([]byte(planYAML))
	f.Add([]byte("id: a\nname: b\nversion: 1\nroles: [commander]\nphases: {identification: {steps: [{id: x, title: X, role: commander, due: 1w}]}}\n"))
	f.Add([]byte("guidance: [{title: t, url: 'https://h?x@y'}]\n"))

	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, src []byte) {
		p, msgs := Parse("f.yaml", src)
		require.True(t, slices.IsSortedFunc(msgs, func(a, b Message) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		}))
		for _, m := range msgs {
			require.GreaterOrEqual(t, m.Line, 1)
			require.GreaterOrEqual(t, m.Column, 1)
			require.Contains(t, Codes, m.Code)
			require.Equal(t, m.Code.Severity(), m.Severity)
			require.NotEmpty(t, m.Text)
		}
		if HasErrors(msgs) {
			return
		}
		checkAgreement(t, "f.yaml", src)
		for _, task := range p.Tasks(IncidentFacts{DetectedAt: now}, now) {
			require.Contains(t, p.Roles, task.Role)
			stored := task.Task
			require.NoError(t, stored.Validate())
		}
		p.Matches(IncidentFacts{})
	})
}

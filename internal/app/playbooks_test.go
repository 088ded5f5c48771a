package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
)

const dirPlaybook = `id: printer-jam
name: Printer jam
version: 1
roles: [commander]
phases:
  identification:
    steps:
      - id: clear-jam
        title: Clear the jam
        role: commander
`

// TestPlaybooksDirLoadedAtStart: good files are saved, a file with a lint error is refused
// without stopping the start, and a restart with an unchanged file saves no new version.
func TestPlaybooksDirLoadedAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "printer.yaml"), []byte(dirPlaybook), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.yml"), []byte("id: Broken\nname: x\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a playbook"), 0o600))
	cfg := testConfig(t)
	cfg.Admin.Password = seedPassword
	cfg.Playbooks.Dir = dir

	first := startApp(t, cfg)
	var tok auth.CreatedToken
	require.Equal(t, http.StatusCreated, requestJSON(t, "POST", first.URL()+"/api/v1/auth/token", "",
		map[string]string{"username": "admin", "password": seedPassword, "name": "pb", "scope": "admin"}, &tok))
	var list []casework.PlaybookInfo
	require.Equal(t, http.StatusOK, requestJSON(t, "GET", first.URL()+"/api/v1/playbooks", tok.Secret, nil, &list))
	i := slices.IndexFunc(list, func(p casework.PlaybookInfo) bool { return p.ID == "printer-jam" })
	require.GreaterOrEqual(t, i, 0)
	require.False(t, list[i].Builtin)
	require.Equal(t, "playbooks-dir", list[i].CreatedBy)
	require.False(t, slices.ContainsFunc(list, func(p casework.PlaybookInfo) bool { return p.ID == "broken" || p.ID == "Broken" }))
	stopApp(t, first)

	second := startApp(t, cfg)
	var versions []casework.PlaybookInfo
	require.Equal(t, http.StatusOK, requestJSON(t, "GET", second.URL()+"/api/v1/playbooks/printer-jam/versions", tok.Secret, nil, &versions))
	require.Len(t, versions, 1, "an unchanged file is no new version")
}

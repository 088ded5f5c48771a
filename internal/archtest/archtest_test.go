package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// moduleRoot finds the directory holding go.mod, from the test's working directory up.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no go.mod above the test directory")
		dir = parent
	}
}

// loadGraph lists every package of the module and everything it depends on.
func loadGraph(t *testing.T) []Package {
	t.Helper()
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to load the package graph")
	cmd := exec.CommandContext(t.Context(), goTool, "list", "-e", "-deps", "-json=ImportPath,Imports,Error", "./...")
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())

	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Package
			Error *struct{ Err string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		if p.Error != nil {
			t.Logf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p.Package)
	}
	return pkgs
}

func TestDependencyDirection(t *testing.T) {
	t.Parallel()
	pkgs := loadGraph(t)

	// The graph must hold the packages the rules are about, or the rules check nothing.
	have := map[string]bool{}
	for _, p := range pkgs {
		have[p.ImportPath] = true
	}
	for _, p := range []string{"internal/incident", "internal/audit", "internal/access", "internal/store", "internal/casework", "internal/jobs",
		"internal/httpapi", "internal/web"} {
		require.True(t, have[Module+"/"+p], "package %s is missing from the graph", p)
	}

	violations := Check(pkgs, Rules())
	if len(violations) > 0 {
		var b strings.Builder
		for _, v := range violations {
			b.WriteString("\n  " + v.String())
		}
		t.Fatalf("%d import(s) against the dependency direction:%s", len(violations), b.String())
	}
}

// The rules, on made-up graphs: each forbidden import is caught and named.
func TestRulesCatchForbiddenImports(t *testing.T) {
	t.Parallel()
	m := func(p string) string { return Module + "/" + p }
	tests := []struct {
		name string
		pkgs []Package
		want []string // each a substring of one reported violation, in order
	}{
		{
			name: "clean",
			pkgs: []Package{
				{ImportPath: m("internal/incident"), Imports: []string{m("internal/validation"), "time"}},
				{ImportPath: m("internal/validation"), Imports: []string{"errors"}},
				{ImportPath: m("internal/store"), Imports: []string{m("internal/incident"), "context"}},
				{ImportPath: m("internal/casework"), Imports: []string{m("internal/store"), "github.com/oklog/ulid/v2"}},
				{ImportPath: m("internal/jobs"), Imports: []string{m("internal/casework"), "github.com/riverqueue/river", "database/sql"}},
				{ImportPath: m("internal/httpapi"), Imports: []string{m("internal/casework"), "net/http"}},
			},
		},
		{
			name: "domain imports net/http",
			pkgs: []Package{{ImportPath: m("internal/incident"), Imports: []string{"net/http"}}},
			want: []string{"internal/incident imports net/http"},
		},
		{
			name: "domain imports the store and a driver",
			pkgs: []Package{{ImportPath: m("internal/asset"), Imports: []string{m("internal/store"), "modernc.org/sqlite", "database/sql"}}},
			want: []string{"internal/asset imports database/sql", "internal/asset imports internal/store", "internal/asset imports modernc.org/sqlite"},
		},
		{
			name: "future domain package imports os/exec",
			pkgs: []Package{{ImportPath: m("internal/playbook"), Imports: []string{"os/exec"}}},
			want: []string{"internal/playbook imports os/exec"},
		},
		{
			name: "domain reaches a transport through another package",
			pkgs: []Package{
				{ImportPath: m("internal/audit"), Imports: []string{m("internal/richtext")}},
				{ImportPath: m("internal/richtext"), Imports: []string{"net/http/httptest"}},
				{ImportPath: "net/http/httptest", Imports: []string{"net/http"}},
			},
			want: []string{"internal/audit imports net/http/httptest (via internal/audit → internal/richtext → net/http/httptest)"},
		},
		{
			name: "store port imports its driver",
			pkgs: []Package{{ImportPath: m("internal/store"), Imports: []string{m("internal/store/sqlite")}}},
			want: []string{"store port knows no driver: internal/store imports internal/store/sqlite"},
		},
		{
			name: "store port imports the job queue",
			pkgs: []Package{{ImportPath: m("internal/store"), Imports: []string{"github.com/riverqueue/river/riverdriver"}}},
			want: []string{"internal/store imports github.com/riverqueue/river/riverdriver"},
		},
		{
			name: "engine imports a transport",
			pkgs: []Package{{ImportPath: m("internal/casework"), Imports: []string{m("internal/httpapi")}}},
			want: []string{"engines know no transport or driver: internal/casework imports internal/httpapi"},
		},
		{
			name: "engine imports a storage driver",
			pkgs: []Package{{ImportPath: m("internal/jobs"), Imports: []string{m("internal/store/sqlite")}}},
			want: []string{"internal/jobs imports internal/store/sqlite"},
		},
		{
			name: "engine imports the cli",
			pkgs: []Package{{ImportPath: m("internal/auth"), Imports: []string{m("internal/cli")}}},
			want: []string{"internal/auth imports internal/cli"},
		},
		{
			name: "web UI imports the JSON API",
			pkgs: []Package{{ImportPath: m("internal/web"), Imports: []string{m("internal/httpapi")}}},
			want: []string{"server transports are siblings: internal/web imports internal/httpapi"},
		},
		{
			name: "JSON API imports the web UI",
			pkgs: []Package{{ImportPath: m("internal/httpapi"), Imports: []string{m("internal/web")}}},
			want: []string{"server transports are siblings: internal/httpapi imports internal/web"},
		},
		{
			name: "web UI reaches a driver",
			pkgs: []Package{
				{ImportPath: m("internal/web"), Imports: []string{m("internal/casework"), m("internal/store/sqlite")}},
				{ImportPath: m("internal/casework"), Imports: []string{m("internal/store")}},
			},
			want: []string{"internal/web imports internal/store/sqlite"},
		},
		{
			name: "transport may import a driver",
			pkgs: []Package{{ImportPath: m("internal/app"), Imports: []string{m("internal/store/sqlite"), m("internal/httpapi")}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Check(tt.pkgs, Rules())
			require.Len(t, got, len(tt.want), "violations: %v", got)
			for i, w := range tt.want {
				require.Contains(t, got[i].String(), w)
			}
		})
	}
}

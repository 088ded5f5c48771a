package playbook

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/archtest"
)

// TestPure checks that the package stays a pure domain package: it imports the standard
// library (but nothing that reaches storage, the network, processes or files), YAML,
// expressions and the incident model, and breaks none of the house rules through them.
func TestPure(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is needed to list imports")
	}
	out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps", "-json=ImportPath,Imports,Standard", ".").Output()
	require.NoError(t, err)

	self := archtest.Module + "/internal/playbook"
	var pkgs []archtest.Package
	var direct []string
	std := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			archtest.Package
			Standard bool
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p.Package)
		std[p.ImportPath] = p.Standard
		if p.ImportPath == self {
			direct = p.Imports
		}
	}
	require.NotEmpty(t, direct)

	allowed := []string{"go.yaml.in/yaml/v3", "github.com/expr-lang/expr", archtest.Module + "/internal/incident"}
	forbiddenStd := []string{"os", "os/exec", "net", "net/http", "database/sql", "syscall", "io/ioutil", "plugin", "unsafe"}
	for _, imp := range direct {
		if std[imp] {
			require.NotContains(t, forbiddenStd, imp, "the playbook package imports %s", imp)
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || imp == a || strings.HasPrefix(imp, a+"/")
		}
		require.True(t, ok, "the playbook package imports %s, which is not on its list", imp)
	}

	for _, v := range archtest.Check(pkgs, archtest.Rules()) {
		require.NotEqual(t, self, v.Package, v.String())
	}
}

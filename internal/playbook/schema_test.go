package playbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/quell-ir/quell/internal/incident"
)

// compiledSchema compiles Schema once for all tests.
var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		return nil, err
	}
	return c.Compile(SchemaID)
})

// yamlToJSON converts a YAML document to the JSON value the schema describes: mappings become
// objects (keys as written), and scalars take the JSON type of their YAML tag.
func yamlToJSON(src []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, errors.New("empty document")
	}
	v, err := nodeValue(doc.Content[0])
	if err != nil {
		return nil, err
	}
	// Round trip through JSON so the value has the types the validator expects.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

func nodeValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := nodeValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			v, err := nodeValue(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int":
			var i int64
			if err := n.Decode(&i); err == nil {
				return i, nil
			}
		case "!!float":
			var f float64
			if err := n.Decode(&f); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return f, nil
			}
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err == nil {
				return b, nil
			}
		case "!!null":
			return nil, nil
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: aliases have no JSON form here", n.Line)
}

func validate(t *testing.T, src []byte) error {
	t.Helper()
	sch, err := compiledSchema()
	require.NoError(t, err)
	v, err := yamlToJSON(src)
	require.NoError(t, err)
	return sch.Validate(v)
}

func TestSchemaCompilesAndNamesTheDomain(t *testing.T) {
	t.Parallel()
	_, err := compiledSchema()
	require.NoError(t, err)

	// The enumerations are the incident package's.
	var doc struct {
		Defs map[string]struct {
			Enum []string `json:"enum"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(Schema(), &doc))
	var roles, types, phases []string
	for _, r := range incident.Roles {
		roles = append(roles, string(r))
	}
	for _, ty := range incident.Types {
		types = append(types, string(ty))
	}
	for _, p := range incident.Phases {
		if p != incident.PhaseClosed {
			phases = append(phases, string(p))
		}
	}
	require.Equal(t, roles, doc.Defs["role"].Enum)
	require.Equal(t, types, doc.Defs["incidentType"].Enum)
	require.Equal(t, phases, doc.Defs["phaseName"].Enum)
}

func TestBuiltinValidatesAgainstSchema(t *testing.T) {
	t.Parallel()
	for name, src := range BuiltinFiles() {
		require.NoError(t, validate(t, src), name)
	}
}

func TestSchemaRejectsBrokenDocuments(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"fields.yaml", "roles.yaml", "steps.yaml", "phases.yaml", "due.yaml", "urls.yaml", "titles.yaml", "version.yaml"} {
		require.Error(t, validate(t, readTestdata(t, f)), f)
	}
	valid := readTestdata(t, "dup-a.yaml")
	require.NoError(t, validate(t, valid))
	for name, change := range map[string][2]string{
		"unknown field":     {"name: First", "name: First\nowner: me"},
		"wrong type":        {"version: 1", "version: one"},
		"unknown role":      {"role: commander", "role: janitor"},
		"task without role": {"        role: commander\n", ""},
		"bad duration":      {"role: commander", "role: commander\n        due: 30 minutes"},
		"bad anchor":        {"role: commander", "role: commander\n        due: {after: 1h, from: creation}"},
		"ftp url":           {"phases:", "guidance: [{title: x, url: 'ftp://example.org/'}]\nphases:"},
		"empty title":       {"title: Triage", "title: ' '"},
		"closed phase":      {"  identification:", "  closed:"},
		"step id not slug":  {"- id: triage", "- id: Triage"},
		"task field typo":   {"title: Triage", "titel: Triage"},
	} {
		src := bytes.Replace(valid, []byte(change[0]), []byte(change[1]), 1)
		require.NotEqual(t, valid, src, name)
		require.Error(t, validate(t, src), name)
		require.True(t, HasErrors(Lint("x.yaml", src)), name)
	}
	// A step of a later kind is accepted by both, with its own fields.
	require.NoError(t, validate(t, readTestdata(t, "future-kind.yaml")))
}

// TestLintAndSchemaAgree checks, on every test document, that what lint accepts the schema
// accepts, and what the schema rejects lint rejects. (Lint checks more than the schema can.)
func TestLintAndSchemaAgree(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		src := readTestdata(t, filepath.Base(f))
		checkAgreement(t, f, src)
	}
	for name, src := range BuiltinFiles() {
		checkAgreement(t, name, src)
	}
}

func checkAgreement(t testing.TB, name string, src []byte) {
	if HasErrors(Lint(name, src)) {
		return
	}
	sch, err := compiledSchema()
	require.NoError(t, err)
	v, err := yamlToJSON(src)
	require.NoError(t, err, "%s: lint found no error, but the document has no JSON form", name)
	require.NoError(t, sch.Validate(v), "%s: lint found no error, but the schema rejects the document", name)
}

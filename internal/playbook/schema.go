package playbook

import (
	_ "embed"
	"slices"
)

//go:embed schema.json
var schema []byte

// SchemaID is the $id of the playbook JSON Schema.
const SchemaID = "urn:quell:schema:playbook:1"

// Schema returns the JSON Schema (draft 2020-12) of the playbook format, for editors and for
// checking documents outside Quell. It describes the document as YAML holds it, converted to
// JSON. Lint checks everything the schema checks, and more (roles against the playbook's own
// roles, duplicate ids, reachable phases, expressions).
func Schema() []byte { return slices.Clone(schema) }

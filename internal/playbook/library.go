package playbook

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
)

//go:embed library/*.yaml
var library embed.FS

// loadBuiltin parses the built-in library once.
var loadBuiltin = sync.OnceValue(func() []Playbook {
	var out []Playbook
	for name, src := range BuiltinFiles() {
		p, err := Load(name, src)
		if err != nil {
			panic("playbook: built-in " + err.Error())
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Playbook) int { return strings.Compare(a.ID, b.ID) })
	return out
})

// Builtin returns the playbooks shipped with Quell, sorted by id. Each call returns copies the
// caller may change. It panics if a built-in playbook does not load, which the package's tests
// rule out.
func Builtin() []Playbook {
	lib := loadBuiltin()
	out := make([]Playbook, len(lib))
	for i, p := range lib {
		out[i] = p.Clone()
	}
	return out
}

// BuiltinFiles returns the YAML sources of the built-in playbooks, by file name, such as
// library/ransomware.yaml.
func BuiltinFiles() map[string][]byte {
	out := map[string][]byte{}
	entries, err := fs.ReadDir(library, "library")
	if err != nil {
		panic("playbook: built-in library: " + err.Error())
	}
	for _, e := range entries {
		name := path.Join("library", e.Name())
		b, err := library.ReadFile(name)
		if err != nil {
			panic("playbook: built-in library: " + err.Error())
		}
		out[name] = b
	}
	return out
}

// File is a playbook file's name and contents.
type File struct {
	Name string
	Src  []byte
}

// LintFiles checks several playbook files, by name, as one set, in name order (see LintSet).
func LintFiles(files map[string][]byte) []Message {
	set := make([]File, 0, len(files))
	for _, name := range slices.Sorted(maps.Keys(files)) {
		set = append(set, File{Name: name, Src: files[name]})
	}
	return LintSet(set)
}

// LintSet checks several playbook files as one set: each file as Lint does, and every playbook
// id used by more than one file, reported on each file that reuses an id given by an earlier
// one. Messages are sorted by file and position.
func LintSet(files []File) []Message {
	type first struct {
		file string
		pos  Position
	}
	ids := map[string]first{}
	var msgs []Message
	for _, f := range files {
		p, m := Parse(f.Name, f.Src)
		msgs = append(msgs, m...)
		if p.ID == "" || !validID(p.ID) {
			continue
		}
		if prev, dup := ids[p.ID]; dup {
			msgs = append(msgs, Message{File: f.Name, Line: p.idPos.Line, Column: p.idPos.Column,
				Severity: CodeDuplicatePlaybookID.Severity(), Code: CodeDuplicatePlaybookID,
				Text: fmt.Sprintf("playbook id %s is also used by %s:%d", p.ID, prev.file, prev.pos.Line)})
			continue
		}
		ids[p.ID] = first{file: f.Name, pos: p.idPos}
	}
	SortMessages(msgs)
	return msgs
}

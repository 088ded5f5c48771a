package cli

import (
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quell-ir/quell/internal/playbook"
)

func (c *cli) playbookCmd() *cobra.Command {
	cmd := group("playbook", "Work with response playbooks", "playbooks")
	cmd.AddCommand(c.playbookLintCmd())
	return cmd
}

// builtinPrefix names the built-in playbooks in lint messages.
const builtinPrefix = "builtin:"

func (c *cli) playbookLintCmd() *cobra.Command {
	var builtin bool
	cmd := &cobra.Command{
		Use:   "lint [FILE|DIR]...",
		Short: "Check playbook files for errors, without a server",
		Long: `Check playbook files: YAML syntax and schema, roles, step ids, due times, when
expressions, guidance links and phases that cannot be reached, and playbook ids used
by more than one file. A directory is searched for .yaml and .yml files.

Messages are printed as file:line:column: severity: text [code]; docs/playbooks.md
explains each code. The exit status is 1 when there is an error; warnings alone
leave it 0.`,
		Example: `  quell playbook lint playbooks/ransomware.yaml
  quell playbook lint playbooks/
  quell playbook lint --builtin
  quell playbook lint -o json playbooks/`,
		Args: args(func(cmd *cobra.Command, a []string) error {
			if len(a) == 0 && !builtin {
				return fmt.Errorf("name the playbook files or directories to check, or use --builtin")
			}
			return nil
		}),
		RunE: func(cmd *cobra.Command, a []string) error {
			// The built-in playbooks come first, then the files in the order named, so that
			// an id used twice is reported on the later file.
			var files playbookFiles
			if builtin {
				lib := playbook.BuiltinFiles()
				for _, name := range slices.Sorted(maps.Keys(lib)) {
					files.add(builtinPrefix+name, lib[name])
				}
			}
			for _, arg := range a {
				if err := files.read(arg); err != nil {
					return err
				}
			}
			return c.reportLint(len(files.list), playbook.LintSet(files.list))
		},
	}
	cmd.Flags().BoolVar(&builtin, "builtin", false, "check the playbooks built into quell")
	return cmd
}

// playbookFiles are the files to lint, each once, in order.
type playbookFiles struct {
	list []playbook.File
	seen map[string]bool
}

func (pf *playbookFiles) add(name string, src []byte) {
	if pf.seen == nil {
		pf.seen = map[string]bool{}
	}
	if !pf.seen[name] {
		pf.seen[name] = true
		pf.list = append(pf.list, playbook.File{Name: name, Src: src})
	}
}

// read adds the file at path, or the .yaml and .yml files under the directory at path, in
// lexical order.
func (pf *playbookFiles) read(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, unwrapPath(err))
	}
	if !info.IsDir() {
		return pf.readFile(path)
	}
	found := 0
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !slices.Contains([]string{".yaml", ".yml"}, strings.ToLower(filepath.Ext(p))) {
			return nil
		}
		found++
		return pf.readFile(p)
	})
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, unwrapPath(err))
	}
	if found == 0 {
		return fmt.Errorf("%s holds no .yaml or .yml file", path)
	}
	return nil
}

func (pf *playbookFiles) readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	// Read one byte past the limit, so that lint reports an oversized file without reading
	// all of it.
	src, err := io.ReadAll(io.LimitReader(f, playbook.MaxSize+1))
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, unwrapPath(err))
	}
	pf.add(path, src)
	return nil
}

// unwrapPath drops the operation and path from a *fs.PathError, which the message already names.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// lintReport is the JSON form of a lint run.
type lintReport struct {
	Playbooks int                `json:"playbooks"`
	Errors    int                `json:"errors"`
	Warnings  int                `json:"warnings"`
	Messages  []playbook.Message `json:"messages"`
}

// reportLint prints the messages and the summary, and returns an error when there is an
// error, so that the exit status is 1.
func (c *cli) reportLint(files int, msgs []playbook.Message) error {
	errs, warns := playbook.Count(msgs)
	if c.output == outputJSON {
		if err := writeJSON(c.stdout, lintReport{Playbooks: files, Errors: errs, Warnings: warns, Messages: nonNil(msgs)}); err != nil {
			return err
		}
	} else {
		for _, m := range msgs {
			fmt.Fprintln(c.stdout, m)
		}
	}
	if errs > 0 {
		bad := map[string]bool{}
		for _, m := range msgs {
			if m.Severity == playbook.SeverityError {
				bad[m.File] = true
			}
		}
		return fmt.Errorf("%s in %d of %s", plural(errs, "error"), len(bad), plural(files, "playbook"))
	}
	if c.output != outputJSON {
		line := plural(files, "playbook") + " OK"
		if warns > 0 {
			line += " (" + plural(warns, "warning") + ")"
		}
		fmt.Fprintln(c.stdout, line)
	}
	return nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

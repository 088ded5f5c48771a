package app

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/playbook"
	"github.com/quell-ir/quell/internal/store"
)

// maxPlaybookFile bounds a playbook file; lint refuses larger ones too.
const maxPlaybookFile = 1 << 20

// loadPlaybooks reads the playbook files of dir (every *.yaml and *.yml under it) and saves
// each into the default organisation as a new version when its content changed. A file with
// a lint error, or whose version was not raised although its content changed, is refused: its
// messages are logged and the server starts without it. Only a directory that cannot be read
// stops the start.
func (a *App) loadPlaybooks(ctx context.Context, dir string, logger *slog.Logger) error {
	if dir == "" {
		return nil
	}
	files, err := readPlaybookDir(dir)
	if err != nil {
		return fmt.Errorf("playbooks.dir: %w", err)
	}
	var org access.Org
	if err := a.store.Read(ctx, func(tx store.Tx) error {
		var err error
		org, err = tx.Orgs().GetBySlug(ctx, access.DefaultOrgSlug)
		return err
	}); err != nil {
		return fmt.Errorf("playbooks.dir: the default organisation: %w", err)
	}
	p := access.Principal{OrgID: org.ID, Role: access.RoleAdmin, Username: "playbooks-dir"}
	log := logger.With("component", "playbooks", "dir", dir)
	saved, refused := 0, 0
	for _, r := range a.cases.ImportPlaybooks(ctx, p, files) {
		switch {
		case r.Err != nil:
			refused++
			log.Error("playbook refused", "file", r.File, "err", r.Err)
			for _, m := range r.Messages {
				log.Error("playbook lint", "message", m.String())
			}
		case r.Created:
			saved++
			log.Info("playbook saved", "file", r.File, "playbook", r.ID, "version", r.Version)
		default:
			log.Debug("playbook unchanged", "file", r.File, "playbook", r.ID, "version", r.Version)
		}
		if r.Err == nil {
			for _, m := range r.Messages {
				log.Warn("playbook lint", "message", m.String())
			}
		}
	}
	log.Info("playbooks loaded", "files", len(files), "saved", saved, "refused", refused)
	return nil
}

// readPlaybookDir reads every *.yaml and *.yml file under dir, by path.
func readPlaybookDir(dir string) ([]playbook.File, error) {
	var files []playbook.File
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := strings.ToLower(filepath.Ext(path))
		if d.IsDir() || (ext != ".yaml" && ext != ".yml") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() > maxPlaybookFile {
			// Lint reports it as too large.
			files = append(files, playbook.File{Name: path, Src: make([]byte, maxPlaybookFile+1)})
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, playbook.File{Name: path, Src: b})
		return nil
	})
	slices.SortFunc(files, func(x, y playbook.File) int { return strings.Compare(x.Name, y.Name) })
	return files, err
}

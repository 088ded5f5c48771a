package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/playbook"
	"github.com/quell-ir/quell/internal/store"
)

// The playbook screens: the library, one playbook with its phases and versions, the YAML
// editor that shows lint messages at their lines, and the incident page's "Playbooks" region.

type playbookList struct {
	Playbooks []casework.PlaybookInfo
	CanEdit   bool
}

type playbookPage struct {
	Info     casework.PlaybookInfo
	Versions []casework.PlaybookInfo
	CanEdit  bool
}

// Links keeps the links a page may show: absolute http and https URLs only.
func (p *playbookPage) Links(links []playbook.Link) []playbook.Link {
	var out []playbook.Link
	for _, l := range links {
		if u, err := url.Parse(l.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			out = append(out, l)
		}
	}
	return out
}

// editorPage is the YAML editor. Lines holds the checked source line by line with the
// messages of each, once it was checked.
type editorPage struct {
	// ID is the playbook being edited; empty for a new one.
	ID       string
	Source   string
	Checked  bool
	Saved    bool
	Lines    []sourceLine
	Messages []playbook.Message
	Errors   int
	Warnings int
	// Problem says why the save failed, for failures that are not lint messages.
	Problem string
}

type sourceLine struct {
	N        int
	Text     string
	Messages []playbook.Message
}

// Action is where the editor posts.
func (e *editorPage) Action() string {
	if e.ID == "" {
		return "/playbooks"
	}
	return "/playbooks/" + e.ID
}

func (srv *Server) playbookList(w http.ResponseWriter, r *http.Request, rq *request) error {
	list, err := srv.cases.ListPlaybooks(r.Context(), rq.p)
	if err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusOK, "playbooks", "Playbooks", &playbookList{Playbooks: list, CanEdit: rq.p.Can(access.RoleLead)})
	return nil
}

func (srv *Server) playbookPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	version, _ := strconv.Atoi(r.URL.Query().Get("version"))
	info, err := srv.cases.GetPlaybook(r.Context(), rq.p, id, max(version, 0))
	if err != nil {
		return err
	}
	versions, err := srv.cases.PlaybookVersions(r.Context(), rq.p, id)
	if err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusOK, "playbook", info.Name, &playbookPage{Info: info, Versions: versions, CanEdit: rq.p.Can(access.RoleLead)})
	return nil
}

// versionLine is the top-level version field of a playbook source.
var versionLine = regexp.MustCompile(`(?m)^version:[ \t]*(\d+)[ \t]*$`)

func (srv *Server) editPlaybookPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	info, err := srv.cases.GetPlaybook(r.Context(), rq.p, id, 0)
	if err != nil {
		return err
	}
	// The editor starts from the next version: a change is saved under a higher number.
	src := info.Source
	if m := versionLine.FindStringSubmatchIndex(src); m != nil {
		src = src[:m[2]] + strconv.Itoa(info.Version+1) + src[m[3]:]
	}
	srv.render(w, r, rq, http.StatusOK, "playbook-edit", "Edit "+info.Name, &editorPage{ID: id, Source: src})
	return nil
}

const newPlaybookSource = `id: my-playbook
name: My playbook
version: 1
applies_to:
  types: [other]
roles: [commander]
phases:
  identification:
    steps:
      - id: first-step
        title: Say what to do first
        role: commander
        due: 1h
`

func (srv *Server) newPlaybookPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	srv.render(w, r, rq, http.StatusOK, "playbook-edit", "New playbook", &editorPage{Source: newPlaybookSource})
	return nil
}

// savePlaybook checks (action=check) or saves the editor's source; either way a source with
// messages comes back in the editor with each message at its line.
func (srv *Server) savePlaybook(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	src := strings.ReplaceAll(r.PostForm.Get("source"), "\r\n", "\n")
	ed := &editorPage{ID: id, Source: src}
	lintID := id
	if lintID == "" {
		p, _ := playbook.Parse("playbook.yaml", []byte(src))
		lintID = p.ID
	}
	if r.PostForm.Get("action") == "check" {
		msgs, err := srv.cases.LintPlaybook(r.Context(), rq.p, lintID, []byte(src))
		if err != nil {
			return err
		}
		ed.show(msgs)
		srv.render(w, r, rq, http.StatusOK, "playbook-edit", "Edit playbook", ed)
		return nil
	}
	if lintID == "" {
		lintID = "new-playbook"
	}
	saved, err := srv.cases.SavePlaybook(r.Context(), rq.p, lintID, []byte(src))
	var invalid *playbook.InvalidError
	switch {
	case errors.As(err, &invalid):
		ed.show(invalid.Messages)
	case errors.Is(err, store.ErrDuplicate):
		ed.Problem = "That version was saved by someone else meanwhile. Raise the version and save again."
	case err != nil:
		return err
	default:
		return seeOther(w, r, "/playbooks/"+url.PathEscape(saved.ID)+"?saved="+strconv.Itoa(saved.Version))
	}
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "playbook-edit", "Edit playbook", ed)
	return nil
}

// show puts lint messages at their lines of the source.
func (e *editorPage) show(msgs []playbook.Message) {
	e.Checked, e.Messages = true, msgs
	e.Errors, e.Warnings = playbook.Count(msgs)
	lines := strings.Split(e.Source, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	e.Lines = make([]sourceLine, len(lines))
	for i, text := range lines {
		e.Lines[i] = sourceLine{N: i + 1, Text: text}
	}
	for _, m := range msgs {
		i := m.Line - 1
		switch {
		case i < 0:
			i = 0
		case i >= len(e.Lines):
			i = len(e.Lines) - 1
		}
		if i >= 0 {
			e.Lines[i].Messages = append(e.Lines[i].Messages, m)
		}
	}
}

// playbooksView is the incident page's "Playbooks" region.
type playbooksView struct {
	Applied []store.AppliedPlaybook
	Library []casework.PlaybookInfo
	Form    *form
}

func (srv *Server) loadPlaybooks(ctx context.Context, rq *request, key string) (*playbooksView, error) {
	applied, err := srv.cases.AppliedPlaybooks(ctx, rq.p, key)
	if err != nil {
		return nil, err
	}
	v := &playbooksView{Applied: applied, Form: newForm(nil)}
	if rq.canWrite() {
		if v.Library, err = srv.cases.ListPlaybooks(ctx, rq.p); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (srv *Server) applyPlaybook(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	f := newForm(r.PostForm)
	res, err := srv.cases.ApplyPlaybook(r.Context(), rq.p, key, casework.ApplyPlaybookRequest{Playbook: r.PostForm.Get("playbook")})
	if err == nil {
		if !res.Created {
			f.withProblem(fmt.Sprintf("%s version %d was applied already; nothing was added.", res.Applied.Name, res.Applied.Version))
		} else {
			return seeOther(w, r, backTo(key, "playbooks"))
		}
	} else if !f.reject(err, map[string]string{"playbook": "playbook"}) {
		return err
	}
	return srv.reshow(w, r, rq, key, http.StatusUnprocessableEntity, func(ip *incidentPage) { ip.Playbooks.Form = f })
}

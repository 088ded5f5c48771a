package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// taskPage shows one task, with the form to edit all of it.
type taskPage struct {
	Task        incident.Task
	Incident    casework.IncidentDetail
	Description template.HTML
	Form        *form
	Users       []access.Membership
	Options     enumOptions
	Phases      []incident.Phase
}

var taskFields = map[string]string{"title": "title", "description": "description", "phase": "phase", "role": "role",
	"assignee": "assignee", "status": "status", "due_at": "due", "required": "required"}

func (srv *Server) loadTask(r *http.Request, rq *request, id string) (*taskPage, error) {
	t, err := srv.cases.GetTask(r.Context(), rq.p, id)
	if err != nil {
		return nil, err
	}
	d, err := srv.cases.GetIncident(r.Context(), rq.p, t.IncidentID)
	if err != nil {
		return nil, err
	}
	tp := &taskPage{Task: t, Incident: d, Description: markdown(t.Description), Options: options, Phases: workingPhases}
	if rq.canWrite() {
		if tp.Users, err = srv.auth.ListUsers(r.Context(), rq.p); err != nil {
			return nil, err
		}
	}
	v := url.Values{"title": {t.Title}, "description": {t.Description}, "phase": {string(t.Phase)}, "role": {string(t.Role)},
		"assignee": {t.Assignee}, "status": {string(t.Status)}, "due": {rq.clock.Input(t.DueAt)}, "version": {toString(t.Version)}}
	if t.Required {
		v.Set("required", "on")
	}
	tp.Form = newForm(v)
	return tp, nil
}

func (srv *Server) taskPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	tp, err := srv.loadTask(r, rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusOK, "task", tp.Task.Title, tp)
	return nil
}

// updateTask saves a task. The incident page's inline form sends status, assignee and due
// time with the values it showed ("…_was"); only the fields the person changed are saved, so an
// inline change never undoes someone else's change to another field. The task page sends the
// whole task with the version it showed.
func (srv *Server) updateTask(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	pf := r.PostForm
	f := newForm(pf)
	var patch casework.TaskPatch
	changed := func(name string) (string, bool) {
		v := strings.TrimSpace(pf.Get(name))
		_, sent := pf[name]
		was, inline := pf[name+"_was"]
		return v, sent && (!inline || v != strings.TrimSpace(strings.Join(was, "")))
	}
	inline := pf.Get("inline") == "1"
	if v, ok := changed("status"); ok {
		st := incident.TaskStatus(v)
		patch.Status = &st
	}
	if v, ok := changed("assignee"); ok {
		patch.Assignee = &v
	}
	if v, ok := changed("due"); ok {
		due, err := parseLocal(v, rq.clock.loc)
		switch {
		case err != nil:
			f.fieldError("due", capitalise(err.Error())+".")
		case due == nil:
			patch.ClearDue = true
		default:
			patch.DueAt = due
		}
	}
	if !inline {
		patch.Title, patch.Description = optional(r, "title"), optional(r, "description")
		if v, ok := changed("phase"); ok {
			ph := incident.Phase(v)
			patch.Phase = &ph
		}
		if v, ok := changed("role"); ok {
			role := incident.Role(v)
			patch.Role = &role
		}
		required := pf.Get("required") == "on"
		patch.Required = &required
		patch.Version = atoi64(pf.Get("version"))
	}
	var err error
	if !f.Failed() {
		var t incident.Task
		t, err = srv.cases.UpdateTask(r.Context(), rq.p, id, patch, 0)
		if err == nil {
			d, err := srv.cases.GetIncident(r.Context(), rq.p, t.IncidentID)
			if err != nil {
				return err
			}
			return seeOther(w, r, backTo(d.Key, "tasks"))
		}
	}
	if inline {
		if err != nil && !f.reject(err, taskFields) {
			return err
		}
		t, gerr := srv.cases.GetTask(r.Context(), rq.p, id)
		if gerr != nil {
			return gerr
		}
		msg := "The change to task “" + t.Title + "” was not saved: " + firstMessage(f)
		return srv.reshow(w, r, rq, t.IncidentID, http.StatusUnprocessableEntity, func(ip *incidentPage) {
			ip.TaskNotice = msg
		})
	}
	tp, lerr := srv.loadTask(r, rq, id)
	if lerr != nil {
		return lerr
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		tp.Form.problem = "Someone changed this task while you were editing it. Their version is shown below; make your change again."
	case err == nil, f.reject(err, taskFields):
		tp.Form = f
	default:
		return err
	}
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "task", tp.Task.Title, tp)
	return nil
}

// firstMessage is the first message of a failed form, for a one-line notice.
func firstMessage(f *form) string {
	if f.problem != "" {
		return f.problem
	}
	for _, name := range []string{"status", "assignee", "due", "title"} {
		if m := f.errs[name]; m != "" {
			return label(name) + ": " + m
		}
	}
	for name, m := range f.errs {
		return label(name) + ": " + m
	}
	return "it was not valid."
}

// notePage shows one note with its earlier revisions and, for writers, the form to edit it.
type notePage struct {
	Note      casework.NoteDetail
	HTML      template.HTML
	Incident  casework.IncidentDetail
	Revisions []incident.NoteRevision
	Form      *form
	Preview   template.HTML
}

func (srv *Server) loadNote(r *http.Request, rq *request, id string) (*notePage, error) {
	n, err := srv.cases.GetNote(r.Context(), rq.p, id)
	if err != nil {
		return nil, err
	}
	d, err := srv.cases.GetIncident(r.Context(), rq.p, n.IncidentID)
	if err != nil {
		return nil, err
	}
	revs, err := srv.cases.NoteRevisions(r.Context(), rq.p, id)
	if err != nil {
		return nil, err
	}
	return &notePage{Note: n, HTML: markdown(n.Body), Incident: d, Revisions: revs,
		Form: newForm(url.Values{"body": {n.Body}, "version": {toString(n.Version)}})}, nil
}

func (srv *Server) notePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	np, err := srv.loadNote(r, rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusOK, "note", "Note on "+np.Incident.Key, np)
	return nil
}

func (srv *Server) updateNote(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := newForm(r.PostForm)
	body := r.PostForm.Get("body")
	status := http.StatusOK
	var preview template.HTML
	if r.PostForm.Get("preview") != "" {
		preview = markdown(body)
	} else {
		n, err := srv.cases.UpdateNote(r.Context(), rq.p, id, casework.NotePatch{Body: body, Version: atoi64(r.PostForm.Get("version"))}, 0)
		if err == nil {
			d, err := srv.cases.GetIncident(r.Context(), rq.p, n.IncidentID)
			if err != nil {
				return err
			}
			return seeOther(w, r, backTo(d.Key, "notes"))
		}
		status = http.StatusUnprocessableEntity
		switch {
		case errors.Is(err, store.ErrConflict):
			f.problem = "Someone edited this note while you were editing it. Their text is shown above; copy your change before reloading."
		case !f.reject(err, fieldsOf("body")):
			return err
		}
	}
	np, err := srv.loadNote(r, rq, id)
	if err != nil {
		return err
	}
	np.Form, np.Preview = f, preview
	srv.render(w, r, rq, status, "note", "Note on "+np.Incident.Key, np)
	return nil
}

package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// The actions of the incident page. Each is a POST that, on success, redirects back to the
// incident at the region it changed (htmx follows the redirect and swaps that region in). On
// a mistake in the form the page is shown again with the message next to the field, status
// 422 (409 for unmet exit criteria), which htmx is configured to swap in too.

// reshow shows the incident page again with one form filled in as it was sent.
func (srv *Server) reshow(w http.ResponseWriter, r *http.Request, rq *request, key string, status int, fill func(ip *incidentPage)) error {
	ip, err := srv.loadIncident(r.Context(), rq, key, nil)
	if err != nil {
		return err
	}
	fill(ip)
	srv.renderIncident(w, r, rq, status, ip)
	return nil
}

func backTo(key, region string) string { return "/incidents/" + key + "#" + region }

func (srv *Server) changePhase(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	f := newForm(r.PostForm)
	req := casework.PhaseRequest{To: incident.Phase(r.PostForm.Get("to")), Reason: r.PostForm.Get("reason"),
		Override: r.PostForm.Get("override") == "on", Resolution: incident.Resolution(r.PostForm.Get("resolution"))}
	if req.To != incident.PhaseClosed {
		req.Resolution = ""
	}
	d, err := srv.cases.ChangePhase(r.Context(), rq.p, key, req)
	if err == nil {
		return seeOther(w, r, backTo(d.Key, "phase"))
	}
	status := http.StatusUnprocessableEntity
	var blocked *casework.ExitBlockedError
	switch {
	case errors.As(err, &blocked):
		status = http.StatusConflict
		f.problem = "The incident cannot leave this phase yet: these required tasks are still open."
		for _, t := range blocked.Unmet {
			f.Items = append(f.Items, t.Title)
		}
	case !f.reject(err, fieldsOf("to", "reason", "resolution")):
		return err
	}
	return srv.reshow(w, r, rq, key, status, func(ip *incidentPage) { ip.PhaseForm = f })
}

func (srv *Server) assignRole(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	role := incident.Role(r.PostForm.Get("role"))
	user := strings.TrimSpace(r.PostForm.Get("user"))
	var err error
	if user == "" {
		_, err = srv.cases.UnassignRole(r.Context(), rq.p, key, role)
	} else {
		_, err = srv.cases.AssignRole(r.Context(), rq.p, key, role, casework.RoleRequest{User: user})
	}
	if err == nil {
		return seeOther(w, r, backTo(key, "roles"))
	}
	f := newForm(r.PostForm)
	if !f.reject(err, fieldsOf("role", "user")) {
		return err
	}
	return srv.reshow(w, r, rq, key, http.StatusUnprocessableEntity, func(ip *incidentPage) { ip.RoleForm = f })
}

func (srv *Server) addTask(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	f := newForm(r.PostForm)
	req := casework.NewTask{Phase: incident.Phase(r.PostForm.Get("phase")), Title: r.PostForm.Get("title"),
		Description: r.PostForm.Get("description"), Assignee: strings.TrimSpace(r.PostForm.Get("assignee")),
		Required: r.PostForm.Get("required") == "on", Role: incident.Role(r.PostForm.Get("role"))}
	due, err := parseLocal(r.PostForm.Get("due"), rq.clock.loc)
	if err != nil {
		f.fieldError("due", capitalise(err.Error())+".")
	}
	req.DueAt = due
	if !f.Failed() {
		_, err = srv.cases.AddTask(r.Context(), rq.p, key, req)
		if err == nil {
			return seeOther(w, r, backTo(key, "tasks"))
		}
		if !f.reject(err, map[string]string{"title": "title", "phase": "phase", "assignee": "assignee",
			"due_at": "due", "description": "description", "role": "role"}) {
			return err
		}
	}
	return srv.reshow(w, r, rq, key, http.StatusUnprocessableEntity, func(ip *incidentPage) { ip.TaskForm = f })
}

func (srv *Server) addNote(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	f := newForm(r.PostForm)
	body := r.PostForm.Get("body")
	if r.PostForm.Get("preview") != "" {
		return srv.reshow(w, r, rq, key, http.StatusOK, func(ip *incidentPage) {
			ip.NoteForm, ip.Preview = f, markdown(body)
		})
	}
	_, err := srv.cases.AddNote(r.Context(), rq.p, key, casework.NewNote{Body: body})
	if err == nil {
		return seeOther(w, r, backTo(key, "notes"))
	}
	if !f.reject(err, fieldsOf("body")) {
		return err
	}
	return srv.reshow(w, r, rq, key, http.StatusUnprocessableEntity, func(ip *incidentPage) { ip.NoteForm = f })
}

func (srv *Server) addEntry(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	f := newForm(r.PostForm)
	req := casework.NewEntry{Kind: incident.EntryKind(r.PostForm.Get("kind")), Text: r.PostForm.Get("text"),
		Technique: r.PostForm.Get("technique"), Flagged: r.PostForm.Get("flagged") == "on"}
	zone := strings.TrimSpace(r.PostForm.Get("zone"))
	loc := rq.clock.loc
	if zone != "" {
		if loc = loadZone(zone); loc == nil {
			f.fieldError("zone", "Not a time zone name such as Europe/Paris or UTC.")
		} else {
			req.EventZone = zone
		}
	}
	if loc != nil {
		at, err := parseLocal(r.PostForm.Get("at"), loc)
		if err != nil {
			f.fieldError("at", capitalise(err.Error())+".")
		}
		req.EventAt = at
		if at == nil {
			req.EventZone = ""
		}
	}
	if !f.Failed() {
		_, err := srv.cases.AddEntry(r.Context(), rq.p, key, req)
		if err == nil {
			return seeOther(w, r, backTo(key, "timeline"))
		}
		if !f.reject(err, map[string]string{"text": "text", "kind": "kind", "technique": "technique",
			"event_at": "at", "event_zone": "zone"}) {
			return err
		}
	}
	return srv.reshow(w, r, rq, key, http.StatusUnprocessableEntity, func(ip *incidentPage) { ip.EntryForm = f })
}

func (srv *Server) flagEntry(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	flagged := r.PostForm.Get("flagged") == "1"
	e, err := srv.cases.FlagEntry(r.Context(), rq.p, r.PathValue("id"), casework.EntryPatch{Flagged: &flagged})
	if err != nil {
		return err
	}
	d, err := srv.cases.GetIncident(r.Context(), rq.p, e.IncidentID)
	if err != nil {
		return err
	}
	return seeOther(w, r, backTo(d.Key, "timeline"))
}

// findAsset resolves what was typed into the asset field: an asset's id, or its exact name.
func (srv *Server) findAsset(r *http.Request, rq *request, typed string) (asset.Asset, string) {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return asset.Asset{}, "Pick the asset to link."
	}
	if _, err := ulid.ParseStrict(typed); err == nil {
		if a, err := srv.cases.GetAsset(r.Context(), rq.p, typed); err == nil {
			return a, ""
		}
	}
	page, err := srv.cases.ListAssets(r.Context(), rq.p, store.AssetFilter{Query: typed, Limit: 50})
	if err != nil {
		return asset.Asset{}, "The inventory could not be searched. Try again."
	}
	var found []asset.Asset
	for _, a := range page.Items {
		if strings.EqualFold(a.Name, typed) {
			found = append(found, a)
		}
	}
	switch len(found) {
	case 1:
		return found[0], ""
	case 0:
		return asset.Asset{}, "No asset in the inventory has this name. Pick one from the list, or add it to the inventory first."
	}
	return asset.Asset{}, "Several assets have this name. Link it from the asset's own page."
}

func (srv *Server) linkAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	f := newForm(r.PostForm)
	a, problem := srv.findAsset(r, rq, r.PostForm.Get("asset"))
	if problem != "" {
		f.fieldError("asset", problem)
	} else {
		_, err := srv.cases.LinkAsset(r.Context(), rq.p, key, a.ID,
			casework.LinkRequest{Status: asset.LinkStatus(r.PostForm.Get("status")), Note: r.PostForm.Get("note")})
		if err == nil {
			return seeOther(w, r, backTo(key, "assets"))
		}
		if !f.reject(err, fieldsOf("status", "note")) {
			return err
		}
	}
	return srv.reshow(w, r, rq, key, http.StatusUnprocessableEntity, func(ip *incidentPage) { ip.LinkForm = f })
}

func (srv *Server) changeLink(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	_, err := srv.cases.LinkAsset(r.Context(), rq.p, key, r.PathValue("id"),
		casework.LinkRequest{Status: asset.LinkStatus(r.PostForm.Get("status")), Note: r.PostForm.Get("note")})
	if err == nil {
		return seeOther(w, r, backTo(key, "assets"))
	}
	f := newForm(r.PostForm)
	if !f.reject(err, nil) {
		return err
	}
	return srv.reshow(w, r, rq, key, http.StatusUnprocessableEntity, func(ip *incidentPage) { ip.LinkForm = f })
}

func (srv *Server) unlinkAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	key := r.PathValue("key")
	if err := srv.cases.UnlinkAsset(r.Context(), rq.p, key, r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, backTo(key, "assets"))
}

// setMember gives or takes need-to-know access to a restricted incident.
func (srv *Server) setMember(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	err := srv.cases.SetMember(r.Context(), rq.p, key, r.PostForm.Get("user"), r.PostForm.Get("remove") != "1")
	if err == nil {
		return seeOther(w, r, backTo(key, "members"))
	}
	f := newForm(r.PostForm)
	if !f.reject(err, fieldsOf("user")) {
		return err
	}
	return srv.reshow(w, r, rq, key, http.StatusUnprocessableEntity, func(ip *incidentPage) { ip.MemberForm = f })
}

// correctMilestone sets, moves or clears a milestone by hand, with a reason.
func (srv *Server) correctMilestone(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	f := newForm(r.PostForm)
	at, err := parseLocal(r.PostForm.Get("at"), rq.clock.loc)
	if err != nil {
		f.fieldError("at", capitalise(err.Error())+".")
	} else {
		_, err = srv.cases.CorrectMilestone(r.Context(), rq.p, key, incident.Milestone(r.PostForm.Get("milestone")),
			casework.MilestoneRequest{At: at, Reason: r.PostForm.Get("reason")})
		if err == nil {
			return seeOther(w, r, backTo(key, "milestones"))
		}
		if !f.reject(err, fieldsOf("milestone", "at", "reason")) {
			return err
		}
	}
	return srv.reshow(w, r, rq, key, http.StatusUnprocessableEntity, func(ip *incidentPage) { ip.MilestoneForm = f })
}

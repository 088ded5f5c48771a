package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// The people pages (docs/plan.md): contacts, teams and rosters. Each is a list with a form that
// adds a record or, with ?edit=ID, changes one; responders and up see the forms.

type peoplePage struct {
	Contacts []store.Contact
	Teams    []store.Team
	Rosters  []store.Roster
	Form     *form
	// Editing is the id of the record the form changes; "" to add one.
	Editing  string
	Roles    []incident.Role
	Names    map[string]string
	Suggest  *casework.Suggestions
	Channels []store.ChannelKind
}

// Contact names a contact by id.
func (p peoplePage) Contact(id string) string {
	if n := p.Names[id]; n != "" {
		return n
	}
	return id
}

func (srv *Server) peopleData(r *http.Request, rq *request) (peoplePage, error) {
	pp := peoplePage{Roles: incident.Roles, Names: map[string]string{}, Channels: store.ChannelKinds}
	var err error
	if pp.Contacts, err = srv.cases.Contacts(r.Context(), rq.p, false); err != nil {
		return pp, err
	}
	all, err := srv.cases.Contacts(r.Context(), rq.p, true)
	for _, c := range all {
		pp.Names[c.ID] = c.Name
	}
	return pp, err
}

// formatChannels writes channels one a line: "kind: value; label".
func formatChannels(chs []store.Channel) string {
	lines := make([]string, len(chs))
	for i, c := range chs {
		lines[i] = string(c.Kind) + ": " + c.Value
		if c.Label != "" {
			lines[i] += "; " + c.Label
		}
	}
	return strings.Join(lines, "\n")
}

func parseChannels(text string) ([]store.Channel, error) {
	out := []store.Channel{}
	for i, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		kind, rest, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: write the kind, a colon and the value, such as email: dpo@example.org", i+1)
		}
		value, label, _ := strings.Cut(rest, ";")
		out = append(out, store.Channel{Kind: store.ChannelKind(strings.ToLower(strings.TrimSpace(kind))),
			Value: strings.TrimSpace(value), Label: strings.TrimSpace(label)})
	}
	return out, nil
}

func contactValues(c store.Contact) url.Values {
	v := url.Values{"name": {c.Name}, "title": {c.Title}, "organisation": {c.Organisation}, "notes": {c.Notes},
		"channels": {formatChannels(c.Channels)}, "version": {toString(c.Version)}}
	if c.External {
		v.Set("external", "on")
	}
	return v
}

func (srv *Server) contactList(w http.ResponseWriter, r *http.Request, rq *request) error {
	pp, err := srv.peopleData(r, rq)
	if err != nil {
		return err
	}
	pp.Form = newForm(nil)
	if id := r.URL.Query().Get("edit"); id != "" && rq.canWrite() {
		c, err := srv.cases.Contact(r.Context(), rq.p, id)
		if err != nil {
			return err
		}
		pp.Form, pp.Editing = newForm(contactValues(c)), c.ID
	}
	srv.render(w, r, rq, http.StatusOK, "contacts", "Contacts", pp)
	return nil
}

func (srv *Server) saveContact(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	pf, id := r.PostForm, r.PathValue("id")
	f := newForm(pf)
	req := casework.ContactRequest{Name: pf.Get("name"), Title: pf.Get("title"), Organisation: pf.Get("organisation"),
		External: pf.Get("external") == "on", Notes: pf.Get("notes"), Version: atoi64(pf.Get("version"))}
	chs, err := parseChannels(pf.Get("channels"))
	if err != nil {
		f.fieldError("channels", capitalise(err.Error())+".")
	}
	req.Channels = chs
	if !f.Failed() {
		if id == "" {
			_, err = srv.cases.CreateContact(r.Context(), rq.p, req)
		} else {
			_, err = srv.cases.UpdateContact(r.Context(), rq.p, id, req)
		}
		if err == nil {
			return seeOther(w, r, "/contacts")
		}
		if errors.Is(err, store.ErrConflict) {
			f.withProblem("Someone changed this contact meanwhile; reload it and edit again.")
		} else if !f.reject(err, fieldsOf("name", "title", "organisation", "notes", "channels")) {
			return err
		}
	}
	pp, err := srv.peopleData(r, rq)
	if err != nil {
		return err
	}
	pp.Form, pp.Editing = f, id
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "contacts", "Contacts", pp)
	return nil
}

func (srv *Server) archiveContact(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := srv.cases.ArchiveContact(r.Context(), rq.p, r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, "/contacts")
}

func (srv *Server) teamList(w http.ResponseWriter, r *http.Request, rq *request) error {
	pp, err := srv.peopleData(r, rq)
	if err != nil {
		return err
	}
	if pp.Teams, err = srv.cases.Teams(r.Context(), rq.p, false); err != nil {
		return err
	}
	pp.Form = newForm(nil)
	if id := r.URL.Query().Get("edit"); id != "" && rq.canWrite() {
		t, err := srv.cases.Team(r.Context(), rq.p, id)
		if err != nil {
			return err
		}
		pp.Form = newForm(url.Values{"name": {t.Name}, "description": {t.Description}, "member": t.Members, "version": {toString(t.Version)}})
		pp.Editing = t.ID
	}
	srv.render(w, r, rq, http.StatusOK, "teams", "Teams", pp)
	return nil
}

func (srv *Server) saveTeam(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	pf, id := r.PostForm, r.PathValue("id")
	f := newForm(pf)
	req := casework.TeamRequest{Name: pf.Get("name"), Description: pf.Get("description"), Members: pf["member"],
		Version: atoi64(pf.Get("version"))}
	var err error
	if id == "" {
		_, err = srv.cases.CreateTeam(r.Context(), rq.p, req)
	} else {
		_, err = srv.cases.UpdateTeam(r.Context(), rq.p, id, req)
	}
	if err == nil {
		return seeOther(w, r, "/teams")
	}
	if errors.Is(err, store.ErrConflict) {
		f.withProblem("Someone changed this team meanwhile; reload it and edit again.")
	} else if !f.reject(err, map[string]string{"name": "name", "description": "description", "members": "member"}) {
		return err
	}
	pp, err := srv.peopleData(r, rq)
	if err != nil {
		return err
	}
	if pp.Teams, err = srv.cases.Teams(r.Context(), rq.p, false); err != nil {
		return err
	}
	pp.Form, pp.Editing = f, id
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "teams", "Teams", pp)
	return nil
}

func (srv *Server) archiveTeam(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := srv.cases.ArchiveTeam(r.Context(), rq.p, r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, "/teams")
}

// rosterData loads the rosters page; with ?role=…&at=… it also shows who is suggested.
func (srv *Server) rosterData(r *http.Request, rq *request) (peoplePage, error) {
	pp, err := srv.peopleData(r, rq)
	if err != nil {
		return pp, err
	}
	if pp.Rosters, err = srv.cases.Rosters(r.Context(), rq.p, store.RosterFilter{}); err != nil {
		return pp, err
	}
	q := r.URL.Query()
	if role := incident.Role(q.Get("role")); role.Valid() {
		at := time.Time{}
		if v := q.Get("at"); v != "" {
			t, err := parseLocal(v, rq.clock.loc)
			if err != nil || t == nil {
				return pp, badRequest("The time in the address was not understood.")
			}
			at = *t
		}
		s, err := srv.cases.SuggestAssignees(r.Context(), rq.p, role, at)
		if err != nil {
			return pp, err
		}
		pp.Suggest = &s
	}
	return pp, nil
}

func (srv *Server) rosterList(w http.ResponseWriter, r *http.Request, rq *request) error {
	pp, err := srv.rosterData(r, rq)
	if err != nil {
		return err
	}
	pp.Form = newForm(url.Values{"week": {casework.Week(time.Now())}})
	if id := r.URL.Query().Get("edit"); id != "" && rq.canWrite() {
		v, err := srv.cases.Roster(r.Context(), rq.p, id)
		if err != nil {
			return err
		}
		pp.Form = newForm(url.Values{"role": {string(v.Role)}, "starts": {rq.clock.Input(v.Starts)}, "ends": {rq.clock.Input(v.Ends)},
			"contact": v.Contacts, "users": {strings.Join(v.Users, ", ")}, "note": {v.Note}, "version": {toString(v.Version)}})
		pp.Editing = v.ID
	}
	srv.render(w, r, rq, http.StatusOK, "rosters", "Rosters", pp)
	return nil
}

func (srv *Server) saveRoster(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	pf, id := r.PostForm, r.PathValue("id")
	f := newForm(pf)
	req := casework.RosterRequest{Role: incident.Role(pf.Get("role")), Week: strings.TrimSpace(pf.Get("week")),
		Contacts: pf["contact"], Users: splitList(pf.Get("users")), Note: pf.Get("note"), Version: atoi64(pf.Get("version"))}
	if req.Week == "" {
		starts, err := parseLocal(pf.Get("starts"), rq.clock.loc)
		if err != nil {
			f.fieldError("starts", capitalise(err.Error())+".")
		}
		ends, err := parseLocal(pf.Get("ends"), rq.clock.loc)
		if err != nil {
			f.fieldError("ends", capitalise(err.Error())+".")
		}
		req.Starts, req.Ends = starts, ends
	}
	if !f.Failed() {
		var err error
		if id == "" {
			_, err = srv.cases.CreateRoster(r.Context(), rq.p, req)
		} else {
			_, err = srv.cases.UpdateRoster(r.Context(), rq.p, id, req)
		}
		if err == nil {
			return seeOther(w, r, "/rosters")
		}
		if errors.Is(err, store.ErrConflict) {
			f.withProblem("Someone changed this roster meanwhile; reload it and edit again.")
		} else if !f.reject(err, map[string]string{"role": "role", "week": "week", "starts": "starts", "ends": "ends",
			"contacts": "contact", "users": "users", "note": "note"}) {
			return err
		}
	}
	pp, err := srv.rosterData(r, rq)
	if err != nil {
		return err
	}
	pp.Form, pp.Editing = f, id
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "rosters", "Rosters", pp)
	return nil
}

func (srv *Server) archiveRoster(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := srv.cases.ArchiveRoster(r.Context(), rq.p, r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, "/rosters")
}

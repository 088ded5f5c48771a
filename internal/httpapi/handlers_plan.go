package httpapi

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// The plan and the people it names (docs/plan.md). Everyone reads them; leads and admins edit
// and approve the plan; responders and up manage contacts, teams and rosters.

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	d, err := s.cases.Plan(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) savePlan(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.PlanRequest](r)
	if err != nil {
		return err
	}
	d, err := s.cases.SavePlan(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) planVersions(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	list, err := s.cases.PlanVersions(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) approvePlan(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.ApproveRequest](r)
	if err != nil {
		return err
	}
	d, err := s.cases.ApprovePlan(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) exportPlan(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := r.URL.Query()
	number := 0
	if v := q.Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return validation.Errorf("?version", "must be a version number")
		}
		number = n
	}
	format := q.Get("format")
	if format != "" && format != "md" && format != "html" {
		return validation.Errorf("?format", "must be md or html")
	}
	out, err := s.cases.ExportPlan(r.Context(), p, format, number)
	if err != nil {
		return err
	}
	writeExport(w, out)
	return nil
}

// writeExport sends an export as a download.
func writeExport(w http.ResponseWriter, out casework.PlanExport) {
	w.Header().Set("Content-Type", out.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": out.Filename}))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(out.Body))
}

func archivedParam(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("archived") {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, validation.Errorf("?archived", "must be true or false")
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	archived, err := archivedParam(r)
	if err != nil {
		return err
	}
	list, err := s.cases.Contacts(r.Context(), p, archived)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.ContactRequest](r)
	if err != nil {
		return err
	}
	c, err := s.cases.CreateContact(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	c, err := s.cases.Contact(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.ContactRequest](r)
	if err != nil {
		return err
	}
	c, err := s.cases.UpdateContact(r.Context(), p, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) archiveContact(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if err := s.cases.ArchiveContact(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	archived, err := archivedParam(r)
	if err != nil {
		return err
	}
	list, err := s.cases.Teams(r.Context(), p, archived)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.TeamRequest](r)
	if err != nil {
		return err
	}
	t, err := s.cases.CreateTeam(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	t, err := s.cases.Team(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.TeamRequest](r)
	if err != nil {
		return err
	}
	t, err := s.cases.UpdateTeam(r.Context(), p, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) archiveTeam(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if err := s.cases.ArchiveTeam(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// timeParam reads an RFC 3339 query parameter; empty is the zero time.
func timeParam(r *http.Request, name string) (time.Time, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, validation.Errorf("?"+name, "must be an RFC 3339 time such as 2025-03-14T09:00:00Z")
	}
	return t, nil
}

func (s *Server) listRosters(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var f store.RosterFilter
	var err error
	if f.Archived, err = archivedParam(r); err != nil {
		return err
	}
	if f.At, err = timeParam(r, "at"); err != nil {
		return err
	}
	if role := incident.Role(r.URL.Query().Get("role")); role != "" {
		if !role.Valid() {
			return validation.Errorf("?role", "must be one of %v", incident.Roles)
		}
		f.Role = role
	}
	list, err := s.cases.Rosters(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) createRoster(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.RosterRequest](r)
	if err != nil {
		return err
	}
	v, err := s.cases.CreateRoster(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) getRoster(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	v, err := s.cases.Roster(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) updateRoster(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.RosterRequest](r)
	if err != nil {
		return err
	}
	v, err := s.cases.UpdateRoster(r.Context(), p, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) archiveRoster(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if err := s.cases.ArchiveRoster(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) suggestAssignees(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	at, err := timeParam(r, "at")
	if err != nil {
		return err
	}
	role := incident.Role(r.URL.Query().Get("role"))
	if !role.Valid() {
		return validation.Errorf("?role", "must be one of %v", incident.Roles)
	}
	out, err := s.cases.SuggestAssignees(r.Context(), p, role, at)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

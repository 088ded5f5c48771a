package httpapi

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// incidentFilter reads the incident list's query parameters.
func (s *Server) incidentFilter(r *http.Request, p access.Principal) (store.IncidentFilter, error) {
	var f store.IncidentFilter
	var err error
	q := r.URL.Query()
	if f.Phases, err = enumParam(r, "phase", incident.Phases); err != nil {
		return f, err
	}
	if f.Severities, err = enumParam(r, "severity", incident.Severities); err != nil {
		return f, err
	}
	if f.Types, err = enumParam(r, "type", incident.Types); err != nil {
		return f, err
	}
	switch st := q.Get("status"); st {
	case "":
	case "open", "closed":
		open := st == "open"
		f.Open = &open
	default:
		return f, validation.Errorf("?status", "must be open or closed")
	}
	if a := q.Get("assignee"); a != "" {
		if f.Assignee, err = s.userID(r, p, "assignee", a); err != nil {
			return f, err
		}
	}
	f.Tag = strings.ToLower(strings.TrimSpace(q.Get("tag")))
	f.Query = strings.TrimSpace(q.Get("q"))
	if len(f.Query) > 500 {
		return f, validation.Errorf("?q", "at most 500 characters")
	}
	f.Sort = store.IncidentSort(q.Get("sort"))
	if f.Sort == "" {
		f.Sort = store.SortCreated
	}
	if !slices.Contains([]store.IncidentSort{store.SortCreated, store.SortUpdated, store.SortSeverity, store.SortPriority}, f.Sort) {
		return f, validation.Errorf("?sort", "must be created, updated, severity or priority")
	}
	f.Cursor = q.Get("cursor")
	limit, err := intParam(r, "limit", store.DefaultLimit, 1, store.MaxLimit)
	f.Limit = int(limit)
	return f, err
}

// userID resolves "me" or a user name of the organisation to a user id.
func (s *Server) userID(r *http.Request, p access.Principal, param, name string) (string, error) {
	if name == "me" {
		return p.UserID, nil
	}
	u, err := s.auth.GetUser(r.Context(), p, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", validation.Errorf("?"+param, "no user %q in this organisation", name)
	}
	return u.ID, err
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	f, err := s.incidentFilter(r, p)
	if err != nil {
		return err
	}
	page, err := s.cases.ListIncidents(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) createIncident(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.NewIncident](r)
	if err != nil {
		return err
	}
	d, err := s.cases.CreateIncident(r.Context(), p, req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/incidents/"+d.Key)
	writeVersioned(w, http.StatusCreated, d.Version, d)
	return nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	d, err := s.cases.GetIncident(r.Context(), p, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, d.Version, d)
	return nil
}

func (s *Server) updateIncident(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.IncidentPatch](r)
	if err != nil {
		return err
	}
	im, err := ifMatch(r)
	if err != nil {
		return err
	}
	d, err := s.cases.UpdateIncident(r.Context(), p, r.PathValue("key"), req, im)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, d.Version, d)
	return nil
}

func (s *Server) changePhase(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.PhaseRequest](r)
	if err != nil {
		return err
	}
	d, err := s.cases.ChangePhase(r.Context(), p, r.PathValue("key"), req)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, d.Version, d)
	return nil
}

func (s *Server) phaseHistory(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.PhaseHistory(r.Context(), p, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) correctMilestone(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.MilestoneRequest](r)
	if err != nil {
		return err
	}
	d, err := s.cases.CorrectMilestone(r.Context(), p, r.PathValue("key"), incident.Milestone(r.PathValue("milestone")), req)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, d.Version, d)
	return nil
}

func (s *Server) milestoneHistory(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.MilestoneHistory(r.Context(), p, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) assignRole(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.RoleRequest](r)
	if err != nil {
		return err
	}
	d, err := s.cases.AssignRole(r.Context(), p, r.PathValue("key"), incident.Role(r.PathValue("role")), req)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, d.Version, d)
	return nil
}

func (s *Server) unassignRole(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	d, err := s.cases.UnassignRole(r.Context(), p, r.PathValue("key"), incident.Role(r.PathValue("role")))
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, d.Version, d)
	return nil
}

func (s *Server) members(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.Members(r.Context(), p, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if err := s.cases.SetMember(r.Context(), p, r.PathValue("key"), r.PathValue("user"), true); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if err := s.cases.SetMember(r.Context(), p, r.PathValue("key"), r.PathValue("user"), false); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	after, err := intParam(r, "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", store.DefaultLimit, 1, store.MaxLimit)
	if err != nil {
		return err
	}
	page, err := s.cases.ListAudit(r.Context(), p, r.URL.Query().Get("incident"), after, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		return validation.Errorf("?q", "is required")
	}
	limit, err := intParam(r, "limit", store.DefaultLimit, 1, store.MaxLimit)
	if err != nil {
		return err
	}
	hits, err := s.cases.Search(r.Context(), p, q, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hits)
	return nil
}

package httpapi

import (
	"net/http"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

func (s *Server) listIncidentTasks(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.ListTasks(r.Context(), p, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) addTask(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.NewTask](r)
	if err != nil {
		return err
	}
	t, err := s.cases.AddTask(r.Context(), p, r.PathValue("key"), req)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusCreated, t.Version, t)
	return nil
}

func (s *Server) findTasks(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := r.URL.Query()
	var f store.TaskFilter
	var err error
	switch a := q.Get("assignee"); a {
	case "":
	case "me":
		f.Assignee = p.Username
	default:
		f.Assignee = a
	}
	if f.Statuses, err = enumParam(r, "status", incident.TaskStatuses); err != nil {
		return err
	}
	overdue, err := boolParam(r, "overdue")
	if err != nil {
		return err
	}
	if overdue {
		now := s.now()
		f.DueBefore = &now
	}
	limit, err := intParam(r, "limit", store.DefaultLimit, 1, store.MaxLimit)
	if err != nil {
		return err
	}
	f.Limit, f.Cursor = int(limit), q.Get("cursor")
	page, err := s.cases.FindTasks(r.Context(), p, f, q.Get("incident"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	t, err := s.cases.GetTask(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, t.Version, t)
	return nil
}

func (s *Server) updateTask(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.TaskPatch](r)
	if err != nil {
		return err
	}
	im, err := ifMatch(r)
	if err != nil {
		return err
	}
	t, err := s.cases.UpdateTask(r.Context(), p, r.PathValue("id"), req, im)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, t.Version, t)
	return nil
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.ListNotes(r.Context(), p, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.NewNote](r)
	if err != nil {
		return err
	}
	n, err := s.cases.AddNote(r.Context(), p, r.PathValue("key"), req)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusCreated, n.Version, n)
	return nil
}

func (s *Server) getNote(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	n, err := s.cases.GetNote(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, n.Version, n)
	return nil
}

func (s *Server) updateNote(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.NotePatch](r)
	if err != nil {
		return err
	}
	im, err := ifMatch(r)
	if err != nil {
		return err
	}
	n, err := s.cases.UpdateNote(r.Context(), p, r.PathValue("id"), req, im)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, n.Version, n)
	return nil
}

func (s *Server) noteRevisions(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.NoteRevisions(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listTimeline(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var f store.TimelineFilter
	var err error
	if f.Kinds, err = enumParam(r, "kind", incident.EntryKinds); err != nil {
		return err
	}
	if f.FlaggedOnly, err = boolParam(r, "flagged"); err != nil {
		return err
	}
	limit, err := intParam(r, "limit", store.DefaultLimit, 1, store.MaxLimit)
	if err != nil {
		return err
	}
	f.Limit, f.Cursor = int(limit), r.URL.Query().Get("cursor")
	page, err := s.cases.ListTimeline(r.Context(), p, r.PathValue("key"), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) addEntry(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.NewEntry](r)
	if err != nil {
		return err
	}
	e, err := s.cases.AddEntry(r.Context(), p, r.PathValue("key"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) flagEntry(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.EntryPatch](r)
	if err != nil {
		return err
	}
	e, err := s.cases.FlagEntry(r.Context(), p, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := r.URL.Query()
	f := store.AssetFilter{Kind: asset.Kind(q.Get("kind")), Query: q.Get("q"), Cursor: q.Get("cursor")}
	if f.Kind != "" && !f.Kind.Valid() {
		return validation.Errorf("?kind", "must be one of %v", asset.Kinds)
	}
	limit, err := intParam(r, "limit", store.DefaultLimit, 1, store.MaxLimit)
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	page, err := s.cases.ListAssets(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) createAsset(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.NewAsset](r)
	if err != nil {
		return err
	}
	a, err := s.cases.CreateAsset(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusCreated, a.Version, a)
	return nil
}

func (s *Server) getAsset(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	a, err := s.cases.GetAsset(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, a.Version, a)
	return nil
}

func (s *Server) updateAsset(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.AssetPatch](r)
	if err != nil {
		return err
	}
	im, err := ifMatch(r)
	if err != nil {
		return err
	}
	a, err := s.cases.UpdateAsset(r.Context(), p, r.PathValue("id"), req, im)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, a.Version, a)
	return nil
}

func (s *Server) assetIncidents(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.AssetIncidents(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) incidentAssets(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.IncidentAssets(r.Context(), p, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) linkAsset(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.LinkRequest](r)
	if err != nil {
		return err
	}
	l, err := s.cases.LinkAsset(r.Context(), p, r.PathValue("key"), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) unlinkAsset(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if err := s.cases.UnlinkAsset(r.Context(), p, r.PathValue("key"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

type searchPage struct {
	Query   string
	Hits    []store.SearchHit
	Problem string
}

// search runs a full-text search over incidents, tasks, notes and timeline entries. An
// incident key such as INC-42 goes straight to that incident.
func (srv *Server) search(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	sp := searchPage{Query: q}
	if _, ok := incident.ParseKey(q); ok {
		d, err := srv.cases.GetIncident(r.Context(), rq.p, q)
		if err == nil {
			return seeOther(w, r, "/incidents/"+d.Key)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if q != "" {
		hits, err := srv.cases.Search(r.Context(), rq.p, q, 100)
		if _, ok := validation.As(err); ok {
			sp.Problem = "The search text is too long: use at most 500 characters."
		} else if err != nil {
			return err
		}
		sp.Hits = hits
	}
	srv.render(w, r, rq, http.StatusOK, "search", "Search", sp)
	return nil
}

package casework

import (
	"context"
	"fmt"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/store"
)

// ListAudit lists audit records. Admins may list all of their organisation's records; everyone
// else must name an incident they may see and gets that incident's records.
func (s *Service) ListAudit(ctx context.Context, p access.Principal, incidentKey string, afterSeq int64, limit int) (store.Page[audit.Record], error) {
	var out store.Page[audit.Record]
	err := s.read(ctx, p, func(w *work) error {
		f := store.AuditFilter{OrgID: p.OrgID, AfterSeq: afterSeq, Limit: store.ClampLimit(limit)}
		if incidentKey != "" {
			inc, err := w.incident(incidentKey)
			if err != nil {
				return err
			}
			f.IncidentID = inc.ID
		} else if p.Effective() != access.RoleAdmin {
			return invalid("/incident", "name an incident: only admins list the whole audit trail")
		}
		recs, err := w.tx.Audit().List(ctx, f)
		if err != nil {
			return err
		}
		out.Items = recs
		if len(recs) == f.Limit {
			out.Next = fmt.Sprint(recs[len(recs)-1].Seq)
		}
		return nil
	})
	if out.Items == nil {
		out.Items = []audit.Record{}
	}
	return out, err
}

// Search runs a full-text search over the incidents, tasks, notes and timeline entries the
// principal may see.
func (s *Service) Search(ctx context.Context, p access.Principal, query string, limit int) ([]store.SearchHit, error) {
	var out []store.SearchHit
	if len(query) > 500 {
		return nil, invalid("/q", "at most 500 characters")
	}
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = w.tx.Search().Search(ctx, store.SearchQuery{OrgID: p.OrgID, Query: query, VisibleTo: visibleTo(p), Limit: store.ClampLimit(limit)})
		return err
	})
	if out == nil {
		out = []store.SearchHit{}
	}
	return out, err
}

package casework

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// CreateIncident opens an incident in the identification phase. The creator becomes a member
// (so a restricted incident stays visible to them).
func (s *Service) CreateIncident(ctx context.Context, p access.Principal, req NewIncident) (IncidentDetail, error) {
	var out IncidentDetail
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		inc, err := w.createIncident(req)
		if err != nil {
			return err
		}
		out = IncidentDetail{Incident: inc, Assignments: []incident.Assignment{}}
		return nil
	})
	return out, err
}

// createIncident opens an incident in the work's transaction, with its timeline entry and
// audit record; the caller has checked that the principal may write.
func (w *work) createIncident(req NewIncident) (incident.Incident, error) {
	p, ctx := w.p, w.ctx
	inc := incident.Incident{
		ID: NewID(), OrgID: p.OrgID, Title: req.Title, Summary: req.Summary, Type: req.Type,
		Severity: req.Severity, TLP: req.TLP, Restricted: req.Restricted, Tags: req.Tags,
		CustomFields: req.CustomFields, Phase: incident.PhaseIdentification,
		CreatedBy: actor(p), CreatedAt: w.now, UpdatedAt: w.now, Version: 1,
	}
	if inc.Type == "" {
		inc.Type = incident.TypeOther
	}
	if inc.TLP == "" {
		inc.TLP = incident.TLPAmber
	}
	if inc.CustomFields == nil {
		inc.CustomFields = map[string]string{}
	}
	if err := inc.Validate(); err != nil {
		return inc, err
	}
	if err := setInitialMilestones(&inc.Milestones, req, w.now); err != nil {
		return inc, err
	}
	inc.Reprioritize()
	n, err := w.tx.Incidents().NextNumber(ctx, p.OrgID)
	if err != nil {
		return inc, err
	}
	inc.Number, inc.Key = n, incident.FormatKey(n)
	if err := w.tx.Incidents().Create(ctx, inc); err != nil {
		return inc, err
	}
	if p.UserID != "" {
		if err := w.tx.Incidents().AddMember(ctx, p.OrgID, inc.ID, p.UserID); err != nil {
			return inc, err
		}
	}
	if err := w.timeline(inc.ID, incident.KindIncident, fmt.Sprintf("Incident %s opened: %s (severity %s, priority %s)",
		inc.Key, inc.Title, inc.Severity, inc.Priority), nil); err != nil {
		return inc, err
	}
	if err := w.audit("incident.create", "incident", inc.ID, inc.ID, inc); err != nil {
		return inc, err
	}
	return inc, nil
}

func setInitialMilestones(ms *incident.Milestones, req NewIncident, now time.Time) error {
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		v := t.UTC()
		return &v
	}
	ms.OccurredAt = utc(req.OccurredAt)
	ms.DetectedAt = utc(req.DetectedAt)
	ms.ReportedAt = utc(req.ReportedAt)
	if ms.DetectedAt == nil {
		ms.DetectedAt = &now
	}
	if ms.ReportedAt == nil {
		ms.ReportedAt = &now
	}
	for _, m := range []incident.Milestone{incident.MilestoneOccurred, incident.MilestoneDetected, incident.MilestoneReported} {
		if t := ms.Get(m); t != nil && t.After(now.Add(5*time.Minute)) {
			return invalid("/"+string(m), "cannot be in the future")
		}
	}
	if ms.OccurredAt != nil && ms.OccurredAt.After(*ms.DetectedAt) {
		return invalid("/occurred_at", "cannot be after detected_at")
	}
	return nil
}

// GetIncident returns an incident the principal may see, with its role assignments.
func (s *Service) GetIncident(ctx context.Context, p access.Principal, key string) (IncidentDetail, error) {
	var out IncidentDetail
	err := s.read(ctx, p, func(w *work) error {
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		out, err = w.detail(inc)
		return err
	})
	return out, err
}

func (w *work) detail(inc incident.Incident) (IncidentDetail, error) {
	as, err := w.tx.Incidents().Assignments(w.ctx, w.p.OrgID, inc.ID)
	if as == nil {
		as = []incident.Assignment{}
	}
	return IncidentDetail{Incident: inc, Assignments: as}, err
}

// ListIncidents lists the incidents the principal may see.
func (s *Service) ListIncidents(ctx context.Context, p access.Principal, f store.IncidentFilter) (store.Page[incident.Incident], error) {
	var out store.Page[incident.Incident]
	f.OrgID, f.VisibleTo = p.OrgID, visibleTo(p)
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = w.tx.Incidents().List(ctx, f)
		return err
	})
	if out.Items == nil {
		out.Items = []incident.Incident{}
	}
	return out, err
}

// CountIncidents counts the incidents f selects among those the principal may see.
func (s *Service) CountIncidents(ctx context.Context, p access.Principal, f store.IncidentFilter) (int, error) {
	var n int
	f.OrgID, f.VisibleTo = p.OrgID, visibleTo(p)
	err := s.read(ctx, p, func(w *work) error {
		var err error
		n, err = w.tx.Incidents().Count(ctx, f)
		return err
	})
	return n, err
}

// UpdateIncident changes an incident's descriptive fields. Changing restriction needs a lead.
func (s *Service) UpdateIncident(ctx context.Context, p access.Principal, key string, patch IncidentPatch, ifMatch int64) (IncidentDetail, error) {
	var out IncidentDetail
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		if err := checkVersion(inc.Version, ifMatch, patch.Version); err != nil {
			return err
		}
		before := inc
		applyIncidentPatch(&inc, patch)
		if inc.Restricted != before.Restricted && !p.Can(access.RoleLead) {
			return fmt.Errorf("%w: only a lead or an admin may change need-to-know restriction", access.ErrForbidden)
		}
		if err := inc.Validate(); err != nil {
			return err
		}
		inc.Reprioritize()
		diff := incidentDiff(before, inc)
		if len(diff) == 0 {
			out, err = w.detail(before)
			return err
		}
		inc.UpdatedAt = w.now
		if err := w.tx.Incidents().Update(ctx, inc, before.Version); err != nil {
			return err
		}
		inc.Version = before.Version + 1
		if err := w.timeline(inc.ID, incident.KindIncident, describeDiff(diff), diff); err != nil {
			return err
		}
		if err := w.audit("incident.update", "incident", inc.ID, inc.ID, diff); err != nil {
			return err
		}
		// Playbooks (playbooks.go): a new type gets the playbook that fits it.
		if _, retyped := diff["type"]; retyped {
			if err := s.applySelected(w, inc, AppliedOnType); err != nil {
				return err
			}
		}
		out, err = w.detail(inc)
		return err
	})
	return out, err
}

func applyIncidentPatch(inc *incident.Incident, p IncidentPatch) {
	if p.Title != nil {
		inc.Title = *p.Title
	}
	if p.Summary != nil {
		inc.Summary = *p.Summary
	}
	if p.Type != nil {
		inc.Type = *p.Type
	}
	if p.Severity != nil {
		inc.Severity = *p.Severity
	}
	if p.TLP != nil {
		inc.TLP = *p.TLP
	}
	if p.Restricted != nil {
		inc.Restricted = *p.Restricted
	}
	if p.Tags != nil {
		inc.Tags = slices.Clone(*p.Tags)
	}
	if p.CustomFields != nil {
		inc.CustomFields = maps.Clone(*p.CustomFields)
		if inc.CustomFields == nil {
			inc.CustomFields = map[string]string{}
		}
	}
}

func incidentDiff(a, b incident.Incident) audit.Diff {
	d := audit.Diff{}
	add := func(name string, x, y any, same bool) {
		if !same {
			d[name] = [2]any{x, y}
		}
	}
	add("title", a.Title, b.Title, a.Title == b.Title)
	add("summary", a.Summary, b.Summary, a.Summary == b.Summary)
	add("type", a.Type, b.Type, a.Type == b.Type)
	add("severity", a.Severity, b.Severity, a.Severity == b.Severity)
	add("priority", a.Priority, b.Priority, a.Priority == b.Priority)
	add("tlp", a.TLP, b.TLP, a.TLP == b.TLP)
	add("restricted", a.Restricted, b.Restricted, a.Restricted == b.Restricted)
	add("tags", a.Tags, b.Tags, slices.Equal(a.Tags, b.Tags))
	add("custom_fields", a.CustomFields, b.CustomFields, maps.Equal(a.CustomFields, b.CustomFields))
	return d
}

func describeDiff(d audit.Diff) string {
	keys := slices.Sorted(maps.Keys(d))
	text := "Incident updated:"
	for i, k := range keys {
		if i > 0 {
			text += ";"
		}
		switch k {
		case "summary", "custom_fields", "tags":
			text += " " + k + " changed"
		default:
			text += fmt.Sprintf(" %s %v → %v", k, d[k][0], d[k][1])
		}
	}
	return text
}

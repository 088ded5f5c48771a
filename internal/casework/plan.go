package casework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/plan"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// The organisation's incident response plan (docs/plan.md): every save is a new version, kept
// for good; a lead or an admin approves the newest one, which sets the next review date; the
// newest approved version stays in force until a newer one is approved.

// PlanDetail is one version of the plan with where it stands.
type PlanDetail struct {
	store.PlanVersion
	State plan.State `json:"state"`
	// InForce is the number of the approved version in force; 0 when none was approved.
	InForce int `json:"in_force"`
	// ReviewOverdue is set on the version in force once its next review date has passed.
	ReviewOverdue bool `json:"review_overdue"`
}

// PlanRequest saves a new version of the plan. BaseVersion, when not zero, is the version the
// editor started from: saving fails with a conflict when a newer one was saved meanwhile.
type PlanRequest struct {
	Content     plan.Content `json:"content"`
	BaseVersion int          `json:"base_version,omitempty"`
}

// ApproveRequest approves a version of the plan; Version 0 is the newest.
type ApproveRequest struct {
	Version int `json:"version,omitempty"`
}

// PlanReview says when the plan in force is due for review.
type PlanReview struct {
	// Version is the version in force; 0 when no version was approved.
	Version    int        `json:"version"`
	NextReview *time.Time `json:"next_review,omitempty"`
	Overdue    bool       `json:"overdue"`
}

// PlanExport is a downloadable export of the plan.
type PlanExport struct {
	Filename    string
	ContentType string
	Body        string
}

// canEditPlan checks that the principal may edit and approve the plan (lead and up).
func (w *work) canEditPlan() error {
	if !w.p.Can(access.RoleLead) {
		return fmt.Errorf("%w: only a lead or an admin may change or approve the plan", access.ErrForbidden)
	}
	return nil
}

func detail(v store.PlanVersion, inForce int, now time.Time) PlanDetail {
	d := PlanDetail{PlanVersion: v, State: plan.StateDraft, InForce: inForce}
	switch {
	case v.Approved() && v.Number == inForce:
		d.State = plan.StateApproved
		d.ReviewOverdue = v.NextReview != nil && plan.Overdue(*v.NextReview, now)
	case v.Approved():
		d.State = plan.StateSuperseded
	}
	return d
}

// inForce returns the number of the version in force, 0 for none.
func (w *work) inForce() (store.PlanVersion, int, error) {
	v, err := w.tx.Plans().InForce(w.ctx, w.p.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return v, 0, nil
	}
	return v, v.Number, err
}

// Plan returns the newest version of the plan, draft or approved; ErrNotFound when the
// organisation has none yet.
func (s *Service) Plan(ctx context.Context, p access.Principal) (PlanDetail, error) {
	var out PlanDetail
	err := s.read(ctx, p, func(w *work) error {
		v, err := w.tx.Plans().Latest(ctx, p.OrgID)
		if err != nil {
			return fmt.Errorf("the plan: %w", err)
		}
		_, n, err := w.inForce()
		out = detail(v, n, w.now)
		return err
	})
	return out, err
}

// PlanVersion returns one version of the plan.
func (s *Service) PlanVersion(ctx context.Context, p access.Principal, number int) (PlanDetail, error) {
	var out PlanDetail
	err := s.read(ctx, p, func(w *work) error {
		v, err := w.tx.Plans().Version(ctx, p.OrgID, number)
		if err != nil {
			return fmt.Errorf("plan version %d: %w", number, err)
		}
		_, n, err := w.inForce()
		out = detail(v, n, w.now)
		return err
	})
	return out, err
}

// PlanVersions lists every version of the plan, newest first.
func (s *Service) PlanVersions(ctx context.Context, p access.Principal) ([]PlanDetail, error) {
	out := []PlanDetail{}
	err := s.read(ctx, p, func(w *work) error {
		list, err := w.tx.Plans().Versions(ctx, p.OrgID)
		if err != nil {
			return err
		}
		_, n, err := w.inForce()
		for _, v := range list {
			out = append(out, detail(v, n, w.now))
		}
		return err
	})
	return out, err
}

// PlanReview says when the plan in force is next due for review and whether that is past: the
// dashboard shows an overdue review.
func (s *Service) PlanReview(ctx context.Context, p access.Principal) (PlanReview, error) {
	var out PlanReview
	err := s.read(ctx, p, func(w *work) error {
		v, n, err := w.inForce()
		if err != nil || n == 0 {
			return err
		}
		out = PlanReview{Version: n, NextReview: v.NextReview, Overdue: v.NextReview != nil && plan.Overdue(*v.NextReview, w.now)}
		return nil
	})
	return out, err
}

// SavePlan writes the content as a new draft version of the plan; the version in force, if
// any, stays in force until the new one is approved.
func (s *Service) SavePlan(ctx context.Context, p access.Principal, req PlanRequest) (PlanDetail, error) {
	var out PlanDetail
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canEditPlan(); err != nil {
			return err
		}
		c := req.Content
		c.Normalize()
		if err := c.Validate(func(id string) bool { _, ok := s.clocks.rules.Rule(id); return ok }); err != nil {
			return prefixPointer(err, "/content")
		}
		for i, r := range c.Roles {
			for j, id := range r.Contacts {
				if _, err := w.tx.People().Contact(ctx, p.OrgID, id); errors.Is(err, store.ErrNotFound) {
					return invalid(fmt.Sprintf("/content/roles/%d/contacts/%d", i, j), "no contact %q in this organisation", id)
				} else if err != nil {
					return err
				}
			}
		}
		number := 1
		latest, err := w.tx.Plans().Latest(ctx, p.OrgID)
		switch {
		case err == nil:
			number = latest.Number + 1
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if req.BaseVersion != 0 && req.BaseVersion != number-1 {
			return fmt.Errorf("%w: the plan is at version %d, not %d; reload it and edit again", store.ErrConflict, number-1, req.BaseVersion)
		}
		v := store.PlanVersion{OrgID: p.OrgID, Number: number, Content: c, CreatedBy: actor(p), CreatedAt: w.now}
		if err := w.tx.Plans().AddVersion(ctx, v); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return fmt.Errorf("%w: someone saved the plan at the same time; reload it", store.ErrConflict)
			}
			return err
		}
		if err := w.audit("plan.edit", "plan", fmt.Sprint(number), "", map[string]any{"version": number, "title": c.Title}); err != nil {
			return err
		}
		_, n, err := w.inForce()
		out = detail(v, n, w.now)
		return err
	})
	return out, err
}

// ApprovePlan approves the newest version of the plan (a lead or an admin): it is in force
// from now and due for review after its cadence.
func (s *Service) ApprovePlan(ctx context.Context, p access.Principal, req ApproveRequest) (PlanDetail, error) {
	var out PlanDetail
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canEditPlan(); err != nil {
			return err
		}
		latest, err := w.tx.Plans().Latest(ctx, p.OrgID)
		if err != nil {
			return fmt.Errorf("the plan: %w", err)
		}
		if req.Version != 0 && req.Version != latest.Number {
			if _, err := w.tx.Plans().Version(ctx, p.OrgID, req.Version); err != nil {
				return fmt.Errorf("plan version %d: %w", req.Version, err)
			}
			return fmt.Errorf("%w: only the newest version (%d) may be approved", store.ErrConflict, latest.Number)
		}
		if latest.Approved() {
			return fmt.Errorf("%w: version %d is already approved", store.ErrConflict, latest.Number)
		}
		months := latest.Content.ReviewMonths
		if months == 0 {
			months = plan.DefaultReviewMonths
		}
		next := plan.NextReview(w.now, months)
		if err := w.tx.Plans().Approve(ctx, p.OrgID, latest.Number, actor(p), w.now, next); err != nil {
			return err
		}
		if err := w.audit("plan.approve", "plan", fmt.Sprint(latest.Number), "", map[string]any{
			"version": latest.Number, "next_review": next}); err != nil {
			return err
		}
		now := w.now
		latest.ApprovedBy, latest.ApprovedAt, latest.NextReview = actor(p), &now, &next
		out = detail(latest, latest.Number, w.now)
		return nil
	})
	return out, err
}

// ExportPlan renders a version of the plan as Markdown ("md") or HTML ("html"): the one in
// force by default, else the newest; number picks another.
func (s *Service) ExportPlan(ctx context.Context, p access.Principal, format string, number int) (PlanExport, error) {
	var out PlanExport
	if format == "" {
		format = "md"
	}
	if format != "md" && format != "html" {
		return out, invalid("/format", "must be md or html")
	}
	err := s.read(ctx, p, func(w *work) error {
		v, n, err := w.inForce()
		if err != nil {
			return err
		}
		switch {
		case number != 0:
			v, err = w.tx.Plans().Version(ctx, p.OrgID, number)
		case n == 0:
			v, err = w.tx.Plans().Latest(ctx, p.OrgID)
		}
		if err != nil {
			return fmt.Errorf("the plan: %w", err)
		}
		e := plan.Export{Version: v.Number, State: detail(v, n, w.now).State, ApprovedBy: v.ApprovedBy, ApprovedAt: v.ApprovedAt,
			NextReview: v.NextReview, GeneratedAt: w.now, Content: v.Content, Contacts: map[string]string{}, Rules: map[string]string{}}
		if org, err := w.tx.Orgs().Get(ctx, p.OrgID); err == nil {
			e.Org = org.Name
		}
		contacts, err := w.tx.People().Contacts(ctx, p.OrgID, true)
		if err != nil {
			return err
		}
		for _, c := range contacts {
			e.Contacts[c.ID] = c.Name
			if c.Title != "" {
				e.Contacts[c.ID] += ", " + c.Title
			}
		}
		for _, id := range v.Content.Obligations.Rules {
			if r, ok := s.clocks.rules.Rule(id); ok {
				e.Rules[id] = r.Name
			}
		}
		name := fmt.Sprintf("incident-response-plan-v%d", v.Number)
		if format == "html" {
			body, err := plan.HTML(e)
			out = PlanExport{Filename: name + ".html", ContentType: "text/html; charset=utf-8", Body: body}
			return err
		}
		out = PlanExport{Filename: name + ".md", ContentType: "text/markdown; charset=utf-8", Body: plan.Markdown(e)}
		return nil
	})
	return out, err
}

// prefixPointer puts prefix before the pointer of a validation error.
func prefixPointer(err error, prefix string) error {
	if v, ok := validation.As(err); ok {
		return invalid(prefix+v.Pointer, "%s", v.Detail)
	}
	return err
}

// trimAll trims every string of a list and drops the empty ones.
func trimAll(list []string) []string {
	out := []string{}
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

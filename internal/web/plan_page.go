package web

import (
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/obligation"
	"github.com/quell-ir/quell/internal/plan"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// The plan page (docs/plan.md): the newest version with its state, the version in force, the
// versions list, the approval button and the exports; and the form that saves a new version.

type planPage struct {
	// Plan is the newest version; nil when there is none yet.
	Plan     *casework.PlanDetail
	Versions []casework.PlanDetail
	Contacts map[string]string
	Rules    map[string]string
	CanEdit  bool
	Sections []string
}

// Contact names a contact by id.
func (p planPage) Contact(id string) string {
	if n := p.Contacts[id]; n != "" {
		return n
	}
	return id
}

// MD renders a Markdown section, sanitised.
func (p planPage) MD(s string) template.HTML { return markdown(s) }

// Rule names a regulatory rule by id.
func (p planPage) Rule(id string) string {
	if n := p.Rules[id]; n != "" {
		return n
	}
	return id
}

func canEditPlan(rq *request) bool { return rq.p.Can(access.RoleLead) }

func (srv *Server) planPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	pp := planPage{CanEdit: canEditPlan(rq), Contacts: map[string]string{}, Rules: map[string]string{}, Sections: plan.Sections}
	cur, err := srv.cases.Plan(r.Context(), rq.p)
	switch {
	case err == nil:
		pp.Plan = &cur
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if pp.Versions, err = srv.cases.PlanVersions(r.Context(), rq.p); err != nil {
		return err
	}
	contacts, err := srv.cases.Contacts(r.Context(), rq.p, true)
	if err != nil {
		return err
	}
	for _, c := range contacts {
		pp.Contacts[c.ID] = c.Name
	}
	for _, rule := range srv.cases.ObligationRules().Rules {
		pp.Rules[rule.ID] = rule.Name
	}
	srv.render(w, r, rq, http.StatusOK, "plan", "Response plan", pp)
	return nil
}

type planForm struct {
	Form       *form
	Roles      []incident.Role
	Severities []incident.Severity
	Contacts   []store.Contact
	Rules      []obligation.Rule
	Base       int
}

func (srv *Server) planFormData(r *http.Request, rq *request, f *form, base int) (planForm, error) {
	contacts, err := srv.cases.Contacts(r.Context(), rq.p, false)
	return planForm{Form: f, Roles: incident.Roles, Severities: incident.Severities, Contacts: contacts,
		Rules: srv.cases.ObligationRules().Rules, Base: base}, err
}

// planValues fills the form from a version of the plan.
func planValues(c plan.Content) url.Values {
	v := url.Values{"title": {c.Title}, "scope": {c.Scope}, "objectives": {c.Objectives}, "escalation": {c.Escalation},
		"communication": {c.Communication}, "obligations": {c.Obligations.Text}, "rule": c.Obligations.Rules,
		"playbooks": {strings.Join(c.Playbooks, ", ")}, "review_months": {strconv.Itoa(c.ReviewMonths)}}
	for _, role := range c.Roles {
		v.Set("resp_"+string(role.Role), role.Responsibilities)
		v.Set("people_"+string(role.Role), strings.Join(role.People, ", "))
		v["contacts_"+string(role.Role)] = role.Contacts
	}
	for _, s := range c.Severities {
		v.Set("sev_"+string(s.Severity), s.Criteria)
	}
	return v
}

// planContent reads the form.
func planContent(pf url.Values, f *form) plan.Content {
	c := plan.Content{Title: pf.Get("title"), Scope: pf.Get("scope"), Objectives: pf.Get("objectives"),
		Escalation: pf.Get("escalation"), Communication: pf.Get("communication"),
		Obligations: plan.Obligations{Text: pf.Get("obligations"), Rules: pf["rule"]}, Playbooks: splitList(pf.Get("playbooks"))}
	for _, role := range incident.Roles {
		c.Roles = append(c.Roles, plan.Role{Role: role, Responsibilities: pf.Get("resp_" + string(role)),
			People: splitList(pf.Get("people_" + string(role))), Contacts: pf["contacts_"+string(role)]})
	}
	for _, s := range incident.Severities {
		c.Severities = append(c.Severities, plan.Severity{Severity: s, Criteria: pf.Get("sev_" + string(s))})
	}
	n, err := strconv.Atoi(pf.Get("review_months"))
	if err != nil {
		f.fieldError("review_months", "Give the review cadence in months, such as 6 or 12.")
	}
	c.ReviewMonths = n
	return c
}

var planFields = fieldsOf("title", "scope", "objectives", "roles", "severities", "escalation", "communication",
	"obligations", "playbooks", "review_months")

func (srv *Server) editPlanPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, base := newForm(url.Values{"review_months": {strconv.Itoa(plan.DefaultReviewMonths)}}), 0
	cur, err := srv.cases.Plan(r.Context(), rq.p)
	switch {
	case err == nil:
		f, base = newForm(planValues(cur.Content)), cur.Number
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	data, err := srv.planFormData(r, rq, f, base)
	if err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusOK, "plan-form", "Edit the response plan", data)
	return nil
}

func (srv *Server) savePlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := newForm(r.PostForm)
	base := int(atoi64(r.PostForm.Get("base")))
	req := casework.PlanRequest{Content: planContent(r.PostForm, f), BaseVersion: base}
	if !f.Failed() {
		_, err := srv.cases.SavePlan(r.Context(), rq.p, req)
		if err == nil {
			return seeOther(w, r, "/plan")
		}
		if v, ok := validation.As(err); ok {
			// "/content/roles/0/role" is about the field "roles".
			err = validation.Errorf(strings.TrimPrefix(v.Pointer, "/content"), "%s", v.Detail)
		}
		if errors.Is(err, store.ErrConflict) {
			f.withProblem(capitalise(err.Error()) + ".")
		} else if !f.reject(err, planFields) {
			return err
		}
	}
	data, err := srv.planFormData(r, rq, f, base)
	if err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "plan-form", "Edit the response plan", data)
	return nil
}

func (srv *Server) approvePlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	_, err := srv.cases.ApprovePlan(r.Context(), rq.p, casework.ApproveRequest{Version: int(atoi64(r.PostForm.Get("version")))})
	if err != nil {
		return err
	}
	return seeOther(w, r, "/plan")
}

func (srv *Server) exportPlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	n := 0
	if v := q.Get("version"); v != "" {
		if n = int(atoi64(v)); n < 1 {
			return badRequest("The version in the address was not understood.")
		}
	}
	format := q.Get("format")
	if format != "" && format != "md" && format != "html" {
		return badRequest("Export as md or html.")
	}
	out, err := srv.cases.ExportPlan(r.Context(), rq.p, format, n)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", out.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": out.Filename}))
	_, err = fmt.Fprint(w, out.Body)
	return err
}

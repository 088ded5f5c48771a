package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// listPage is the incident list with its filters. The filters live in the address, so a list
// can be bookmarked and shared.
type listPage struct {
	Filter *form
	// Notice explains a filter of the address that was left out.
	Notice string
	Items  []incident.Incident
	// Count is the number of incidents shown; More reports whether further pages follow.
	Count    int
	More     bool
	Next     string
	First    string
	Paged    bool
	Users    []access.Membership
	Options  enumOptions
	Statuses []string
}

// LiveKey asks for a refresh when any incident changes.
func (listPage) LiveKey() string { return "*" }

// enumOptions are the choices of the selects of incident forms and filters.
type enumOptions struct {
	Phases      []incident.Phase
	Severities  []incident.Severity
	Types       []incident.Type
	TLPs        []incident.TLP
	Resolutions []incident.Resolution
	Roles       []incident.Role
	Statuses    []incident.TaskStatus
	Kinds       []incident.EntryKind
	Sorts       []store.IncidentSort
}

var options = enumOptions{
	Phases: incident.Phases, Severities: incident.Severities, Types: incident.Types, TLPs: incident.TLPs,
	Resolutions: incident.Resolutions, Roles: incident.Roles, Statuses: incident.TaskStatuses, Kinds: incident.EntryKinds,
	Sorts: []store.IncidentSort{store.SortCreated, store.SortUpdated, store.SortSeverity, store.SortPriority},
}

// pick keeps the values of a repeated query parameter that are known; it reports whether some
// were not.
func pick[T ~string](values []string, known []T) ([]T, bool) {
	var out []T
	bad := false
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part == "" {
				continue
			}
			if slices.Contains(known, T(part)) {
				out = append(out, T(part))
			} else {
				bad = true
			}
		}
	}
	return out, bad
}

// incidentFilter reads the list's filters from the address. Values it does not know are left
// out and named in the notice, never echoed. It also returns the filters as understood, for
// the list's page links.
func (srv *Server) incidentFilter(ctx context.Context, q url.Values, p access.Principal) (store.IncidentFilter, url.Values, []string) {
	var f store.IncidentFilter
	var dropped []string
	var bad bool
	understood := url.Values{}
	if f.Phases, bad = pick(q["phase"], incident.Phases); bad {
		dropped = append(dropped, "phase")
	}
	if f.Severities, bad = pick(q["severity"], incident.Severities); bad {
		dropped = append(dropped, "severity")
	}
	if f.Types, bad = pick(q["type"], incident.Types); bad {
		dropped = append(dropped, "type")
	}
	for _, ph := range f.Phases {
		understood.Add("phase", string(ph))
	}
	for _, sev := range f.Severities {
		understood.Add("severity", string(sev))
	}
	for _, typ := range f.Types {
		understood.Add("type", string(typ))
	}
	switch st := q.Get("status"); st {
	case "", "open":
		understood.Set("status", "open")
		if len(f.Phases) == 0 {
			// The working phases, rather than "not closed", so the phase index narrows the
			// list to the open incidents, however many closed ones there are.
			f.Phases = slices.Clone(workingPhases)
		}
	case "closed":
		closed := false
		f.Open = &closed
		understood.Set("status", st)
	case "all":
		understood.Set("status", st)
	default:
		dropped = append(dropped, "status")
	}
	if a := strings.TrimSpace(q.Get("assignee")); a != "" {
		switch {
		case a == "me":
			f.Assignee = p.UserID
		default:
			u, err := srv.auth.GetUser(ctx, p, a)
			if err != nil {
				dropped = append(dropped, "assignee")
			} else {
				f.Assignee = u.ID
			}
		}
		if f.Assignee != "" {
			understood.Set("assignee", a)
		}
	}
	if f.Tag = strings.ToLower(strings.TrimSpace(q.Get("tag"))); f.Tag != "" {
		understood.Set("tag", f.Tag)
	}
	f.Query = strings.TrimSpace(q.Get("q"))
	if len(f.Query) > 500 {
		f.Query = ""
		dropped = append(dropped, "search text (over 500 characters)")
	}
	if f.Query != "" {
		understood.Set("q", f.Query)
	}
	f.Sort = store.IncidentSort(q.Get("sort"))
	if !slices.Contains(options.Sorts, f.Sort) {
		if f.Sort != "" {
			dropped = append(dropped, "sort")
		}
		f.Sort = store.SortCreated
	}
	understood.Set("sort", string(f.Sort))
	f.Cursor = q.Get("cursor")
	f.Limit = store.DefaultLimit
	return f, understood, dropped
}

func (srv *Server) incidentList(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	q := r.URL.Query()
	f, understood, dropped := srv.incidentFilter(ctx, q, rq.p)
	lp := listPage{Filter: newForm(q), Options: options, Statuses: []string{"open", "closed", "all"}, Paged: f.Cursor != ""}
	lp.Filter.set("status", "open").set("sort", string(store.SortCreated))
	page, err := srv.cases.ListIncidents(ctx, rq.p, f)
	if v, ok := validation.As(err); ok && fieldName(v.Pointer) == "cursor" {
		// A stale or mangled page link: show the first page instead.
		dropped, f.Cursor, lp.Paged = append(dropped, "page"), "", false
		page, err = srv.cases.ListIncidents(ctx, rq.p, f)
	}
	if err != nil {
		return err
	}
	lp.Items = page.Items
	lp.First = "/incidents?" + understood.Encode()
	if page.Next != "" {
		understood.Set("cursor", page.Next)
		lp.Next = "/incidents?" + understood.Encode()
	}
	// Counting every match of a broad filter costs a scan of the incidents, so the list
	// counts only what it shows: all of it on the last page, and "more" otherwise.
	lp.Count, lp.More = len(page.Items), page.Next != ""
	if lp.Users, err = srv.auth.ListUsers(ctx, rq.p); err != nil {
		return err
	}
	if len(dropped) > 0 {
		lp.Notice = "Some filters in the address were not understood and were left out: " + strings.Join(dropped, ", ") + "."
	}
	srv.render(w, r, rq, http.StatusOK, "incidents", "Incidents", lp)
	return nil
}

// incidentForm is the page to open or edit an incident.
type incidentForm struct {
	Form    *form
	Options enumOptions
	// Incident is set when editing.
	Incident *casework.IncidentDetail
	// CanRestrict reports whether the person may change need-to-know restriction (leads).
	CanRestrict bool
}

var incidentFields = fieldsOf("title", "summary", "type", "severity", "tlp", "restricted", "tags", "occurred_at", "detected_at")

func (srv *Server) newIncidentPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm(nil).set("severity", string(incident.SeverityMedium)).set("type", string(incident.TypeOther)).
		set("tlp", string(incident.TLPAmber))
	srv.render(w, r, rq, http.StatusOK, "incident-form", "Open an incident", incidentForm{Form: f, Options: options, CanRestrict: true})
	return nil
}

func (srv *Server) createIncident(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := newForm(r.PostForm)
	req := casework.NewIncident{
		Title: r.PostForm.Get("title"), Summary: r.PostForm.Get("summary"), Type: incident.Type(r.PostForm.Get("type")),
		Severity: incident.Severity(r.PostForm.Get("severity")), TLP: incident.TLP(r.PostForm.Get("tlp")),
		Restricted: r.PostForm.Get("restricted") == "on", Tags: splitList(r.PostForm.Get("tags")),
	}
	var err error
	if req.OccurredAt, err = parseLocal(r.PostForm.Get("occurred_at"), rq.clock.loc); err != nil {
		f.fieldError("occurred_at", capitalise(err.Error())+".")
	}
	if req.DetectedAt, err = parseLocal(r.PostForm.Get("detected_at"), rq.clock.loc); err != nil {
		f.fieldError("detected_at", capitalise(err.Error())+".")
	}
	if !f.Failed() {
		d, err := srv.cases.CreateIncident(r.Context(), rq.p, req)
		if err == nil {
			return seeOther(w, r, "/incidents/"+d.Key)
		}
		if !f.reject(err, incidentFields) {
			return err
		}
	}
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "incident-form", "Open an incident", incidentForm{Form: f, Options: options, CanRestrict: true})
	return nil
}

func (srv *Server) editIncidentPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := srv.cases.GetIncident(r.Context(), rq.p, r.PathValue("key"))
	if err != nil {
		return err
	}
	f := newForm(url.Values{
		"title": {d.Title}, "summary": {d.Summary}, "type": {string(d.Type)}, "severity": {string(d.Severity)},
		"tlp": {string(d.TLP)}, "tags": {strings.Join(d.Tags, ", ")}, "version": {toString(d.Version)},
	})
	if d.Restricted {
		f.values.Set("restricted", "on")
	}
	srv.render(w, r, rq, http.StatusOK, "incident-form", "Edit "+d.Key, incidentForm{Form: f, Options: options, Incident: &d,
		CanRestrict: rq.p.Can(access.RoleLead)})
	return nil
}

func (srv *Server) updateIncident(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	d, err := srv.cases.GetIncident(r.Context(), rq.p, key)
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	title, summary := r.PostForm.Get("title"), r.PostForm.Get("summary")
	typ, sev, tlp := incident.Type(r.PostForm.Get("type")), incident.Severity(r.PostForm.Get("severity")), incident.TLP(r.PostForm.Get("tlp"))
	tags := splitList(r.PostForm.Get("tags"))
	patch := casework.IncidentPatch{Title: &title, Summary: &summary, Type: &typ, Severity: &sev, TLP: &tlp, Tags: &tags,
		Version: atoi64(r.PostForm.Get("version"))}
	if rq.p.Can(access.RoleLead) {
		restricted := r.PostForm.Get("restricted") == "on"
		patch.Restricted = &restricted
	}
	_, err = srv.cases.UpdateIncident(r.Context(), rq.p, key, patch, 0)
	switch {
	case err == nil:
		return seeOther(w, r, "/incidents/"+d.Key)
	case errors.Is(err, store.ErrConflict):
		f.problem = "Someone changed this incident while you were editing it. Their version is shown below; make your change again."
		d, err = srv.cases.GetIncident(r.Context(), rq.p, key)
		if err != nil {
			return err
		}
		f = newForm(url.Values{"title": {d.Title}, "summary": {d.Summary}, "type": {string(d.Type)},
			"severity": {string(d.Severity)}, "tlp": {string(d.TLP)}, "tags": {strings.Join(d.Tags, ", ")},
			"version": {toString(d.Version)}}).withProblem(f.problem)
	case !f.reject(err, incidentFields):
		return err
	}
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "incident-form", "Edit "+d.Key, incidentForm{Form: f, Options: options,
		Incident: &d, CanRestrict: rq.p.Can(access.RoleLead)})
	return nil
}

package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// The triage queue: the alerts the intake sources sent, newest first, with their filters in
// the address, and the actions that promote several alerts to a new incident, attach them to
// an existing one, or dismiss them with a verdict.

// alertOptions are the choices of the queue's filters and triage actions.
type alertOptions struct {
	Statuses   []alert.Status
	Severities []incident.Severity
	Verdicts   []alert.Verdict
	Types      []incident.Type
	Silenced   []string
}

var alertChoices = alertOptions{Statuses: alert.Statuses, Severities: incident.Severities, Verdicts: alert.Verdicts,
	Types: incident.Types, Silenced: []string{"no", "yes", "any"}}

// defaultAlertStatuses are the statuses the queue shows when the address names none: the
// alerts still waiting for someone to look at them.
var defaultAlertStatuses = []alert.Status{alert.StatusNew, alert.StatusTriaged}

// alertRow is an alert in the queue with the key of the incident it belongs to.
type alertRow struct {
	alert.Alert
	IncidentKey string
}

// alertListPage is the triage queue.
// LiveKey asks for a refresh when alerts arrive or are correlated.
func (alertListPage) LiveKey() string { return "alerts" }

type alertListPage struct {
	Filter *form
	// Notice explains a filter of the address that was left out.
	Notice string
	// Done confirms the triage just finished.
	Done  string
	Items []alertRow
	// Count is the number of alerts shown; More reports whether further pages follow.
	Count int
	More  bool
	Next  string
	First string
	Paged bool
	// Back is this list's address, for the triage form to come back to.
	Back string
	// Triage is the triage form, shown again with its messages after a failed submit.
	Triage  *form
	Options alertOptions
}

var sourceNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// alertFilter reads the queue's filters from the address. Values it does not know are left
// out and named in the notice, never echoed. It also returns the filters as understood, for
// the page links and the filter form.
func alertFilter(q url.Values) (store.AlertFilter, url.Values, []string) {
	var f store.AlertFilter
	var dropped []string
	understood := url.Values{}
	statuses := q["status"]
	switch {
	case len(statuses) == 1 && statuses[0] == "all":
		understood.Set("status", "all")
	default:
		var bad bool
		f.Status, bad = pick(statuses, alert.Statuses)
		if bad {
			dropped = append(dropped, "status")
		}
		if len(f.Status) == 0 {
			f.Status = defaultAlertStatuses
		}
		for _, s := range f.Status {
			understood.Add("status", string(s))
		}
	}
	var bad bool
	if f.Severity, bad = pick(q["severity"], incident.Severities); bad {
		dropped = append(dropped, "severity")
	}
	for _, s := range f.Severity {
		understood.Add("severity", string(s))
	}
	if src := strings.ToLower(strings.TrimSpace(q.Get("source"))); src != "" {
		if sourceNamePattern.MatchString(src) {
			f.Source = src
			understood.Set("source", src)
		} else {
			dropped = append(dropped, "source")
		}
	}
	switch s := q.Get("silenced"); s {
	case "yes":
		yes := true
		f.Silenced = &yes
		understood.Set("silenced", s)
	case "any":
		understood.Set("silenced", s)
	default:
		if s != "" && s != "no" {
			dropped = append(dropped, "silenced")
		}
		no := false
		f.Silenced = &no
		understood.Set("silenced", "no")
	}
	if f.Query = strings.TrimSpace(q.Get("q")); len(f.Query) > 500 {
		f.Query = ""
		dropped = append(dropped, "search text (over 500 characters)")
	}
	if f.Query != "" {
		understood.Set("q", f.Query)
	}
	if f.Observable = strings.TrimSpace(q.Get("observable")); len(f.Observable) > alert.MaxObservableLen {
		f.Observable = ""
		dropped = append(dropped, "observable (too long)")
	}
	if f.Observable != "" {
		understood.Set("observable", f.Observable)
	}
	f.Cursor = q.Get("cursor")
	f.Limit = store.DefaultLimit
	return f, understood, dropped
}

func (srv *Server) alertList(w http.ResponseWriter, r *http.Request, rq *request) error {
	return srv.showAlerts(w, r, rq, http.StatusOK, r.URL.Query(), newForm(nil))
}

// showAlerts renders the queue for the filters of q, with the triage form tf.
func (srv *Server) showAlerts(w http.ResponseWriter, r *http.Request, rq *request, status int, q url.Values, tf *form) error {
	ctx := r.Context()
	f, understood, dropped := alertFilter(q)
	lp := alertListPage{Filter: newForm(understood), Options: alertChoices, Paged: f.Cursor != "", Triage: tf}
	page, err := srv.cases.ListAlerts(ctx, rq.p, f)
	if v, ok := validation.As(err); ok && fieldName(v.Pointer) == "cursor" {
		// A stale or mangled page link: show the first page instead.
		dropped, f.Cursor, lp.Paged = append(dropped, "page"), "", false
		page, err = srv.cases.ListAlerts(ctx, rq.p, f)
	}
	if err != nil {
		return err
	}
	if lp.Items, err = srv.alertRows(ctx, rq.p, page.Items); err != nil {
		return err
	}
	lp.First = "/alerts?" + understood.Encode()
	lp.Back = lp.First
	if f.Cursor != "" {
		here := cloneValues(understood)
		here.Set("cursor", f.Cursor)
		lp.Back = "/alerts?" + here.Encode()
	}
	if page.Next != "" {
		next := cloneValues(understood)
		next.Set("cursor", page.Next)
		lp.Next = "/alerts?" + next.Encode()
	}
	// Like the incident list, the queue counts only what it shows.
	lp.Count, lp.More = len(page.Items), page.Next != ""
	if len(dropped) > 0 {
		lp.Notice = "Some filters in the address were not understood and were left out: " + strings.Join(dropped, ", ") + "."
	}
	if n, err := strconv.Atoi(q.Get("dismissed")); err == nil && n > 0 && n <= casework.MaxTriage {
		lp.Done = fmt.Sprintf("%d alert%s dismissed.", n, plural(n))
	}
	srv.render(w, r, rq, status, "alerts", "Alerts", lp)
	return nil
}

// alertRows adds to each alert the key of its incident. The store gives only the incident's
// id; each distinct incident of the page is looked up once.
func (srv *Server) alertRows(ctx context.Context, p access.Principal, items []alert.Alert) ([]alertRow, error) {
	keys := map[string]string{}
	rows := make([]alertRow, len(items))
	for i, a := range items {
		rows[i] = alertRow{Alert: a}
		if a.IncidentID == "" {
			continue
		}
		key, ok := keys[a.IncidentID]
		if !ok {
			d, err := srv.cases.GetIncident(ctx, p, a.IncidentID)
			switch {
			case err == nil:
				key = d.Key
			case !errors.Is(err, store.ErrNotFound):
				return nil, err
			}
			keys[a.IncidentID] = key
		}
		rows[i].IncidentKey = key
	}
	return rows, nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// triageFields are the triage form's fields the use case names.
var triageFields = fieldsOf("verdict", "incident", "title", "type")

// triageRequest reads the triage form. Each action takes only its own fields, so a value left
// in another action's field does nothing.
func triageRequest(pf url.Values, ids []string) casework.TriageRequest {
	req := casework.TriageRequest{IDs: ids, Action: casework.TriageAction(pf.Get("action"))}
	switch req.Action {
	case casework.TriagePromote:
		req.Title = strings.TrimSpace(pf.Get("title"))
		req.Type = incident.Type(pf.Get("type"))
	case casework.TriageAttach:
		req.Incident = strings.ToUpper(strings.TrimSpace(pf.Get("incident")))
	case casework.TriageDismiss:
		req.Verdict = alert.Verdict(pf.Get("verdict"))
		req.Reason = strings.TrimSpace(pf.Get("reason"))
	}
	return req
}

// triage applies the triage form to ids. It returns where to go next, or the form with its
// messages when the use case refused what was asked.
func (srv *Server) triage(r *http.Request, rq *request, ids []string) (string, *casework.TriageResult, *form, error) {
	f := newForm(r.PostForm)
	if len(ids) == 0 {
		return "", nil, f.withProblem("Select at least one alert first."), nil
	}
	req := triageRequest(r.PostForm, ids)
	if req.Action != casework.TriagePromote && req.Action != casework.TriageAttach && req.Action != casework.TriageDismiss {
		return "", nil, f.withProblem("Choose what to do with the alerts: promote, attach or dismiss."), nil
	}
	res, err := srv.cases.Triage(r.Context(), rq.p, req)
	if err == nil {
		if res.Incident != nil {
			return "/incidents/" + res.Incident.Key, &res, nil, nil
		}
		return "", &res, nil, nil
	}
	if v, ok := validation.As(err); ok && strings.HasPrefix(v.Pointer, "/ids") {
		msg := capitalise(v.Detail) + "."
		if i, ok := indexIn(v.Pointer); ok && i < len(ids) && len(ids) > 1 {
			msg = fmt.Sprintf("Selected alert %d of %d: %s.", i+1, len(ids), v.Detail)
		}
		return "", nil, f.withProblem(msg), nil
	}
	if req.Action == casework.TriageAttach && errors.Is(err, store.ErrNotFound) {
		return "", nil, f.fieldError("incident", "No incident you can see has this key."), nil
	}
	if !f.reject(err, triageFields) {
		return "", nil, nil, err
	}
	return "", nil, f, nil
}

// triageAlerts handles the queue's bulk actions.
func (srv *Server) triageAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	back := localPath(r.PostForm.Get("back"), "/alerts")
	u, err := url.Parse(back)
	if err != nil || u.Path != "/alerts" {
		u = &url.URL{Path: "/alerts"}
	}
	target, res, f, err := srv.triage(r, rq, r.PostForm["id"])
	switch {
	case err != nil:
		return err
	case target != "":
		return seeOther(w, r, target)
	case res != nil:
		q := u.Query()
		q.Set("dismissed", strconv.Itoa(len(res.Alerts)))
		u.RawQuery = q.Encode()
		return seeOther(w, r, u.RequestURI())
	}
	return srv.showAlerts(w, r, rq, http.StatusUnprocessableEntity, u.Query(), f)
}

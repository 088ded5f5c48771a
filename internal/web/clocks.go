package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/obligation"
)

// clocksView is the incident page's "Clocks" region: the SLA countdowns, the regulatory
// obligations with their state, and the forms to record a trigger and log a submission.
type clocksView struct {
	casework.IncidentClocks
	// Known are the triggers a person may record.
	Known []obligation.TriggerInfo
	// Started are the obligations a submission may be logged for: those whose clock runs or
	// has run, then the rest.
	Started, Others []*obligation.Rule
	TriggerForm     *form
	SubmissionForm  *form
}

// Target writes an SLA target as the policy file does: "15m", "4h", "3d".
func (c *clocksView) Target(d time.Duration) string { return obligation.FormatDuration(d) }

// StateLabel names an obligation's state for people.
func (c *clocksView) StateLabel(s obligation.State) string { return stateLabel(s) }

func (srv *Server) loadClocks(ctx context.Context, rq *request, key string) (*clocksView, error) {
	c, err := srv.cases.Clocks(ctx, rq.p, key)
	if err != nil {
		return nil, err
	}
	v := &clocksView{IncidentClocks: c, Known: srv.cases.TriggerNames(),
		TriggerForm: newForm(nil), SubmissionForm: newForm(nil)}
	for _, st := range c.Obligations {
		if st.State == obligation.StateNotStarted {
			v.Others = append(v.Others, st.Rule)
		} else {
			v.Started = append(v.Started, st.Rule)
		}
	}
	return v, nil
}

func (srv *Server) recordTrigger(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	f := newForm(r.PostForm)
	req := casework.NewTrigger{Name: r.PostForm.Get("name"), Note: r.PostForm.Get("note")}
	at, err := parseLocal(r.PostForm.Get("at"), rq.clock.loc)
	if err != nil {
		f.fieldError("at", capitalise(err.Error())+".")
	}
	req.At = at
	if !f.Failed() {
		_, err := srv.cases.RecordTrigger(r.Context(), rq.p, key, req)
		if err == nil {
			return seeOther(w, r, backTo(key, "clocks"))
		}
		if !f.reject(err, map[string]string{"name": "name", "at": "at", "note": "note"}) {
			return err
		}
	}
	return srv.reshow(w, r, rq, key, http.StatusUnprocessableEntity, func(ip *incidentPage) { ip.Clocks.TriggerForm = f })
}

func (srv *Server) logSubmission(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	f := newForm(r.PostForm)
	req := casework.NewSubmission{Obligation: r.PostForm.Get("obligation"), Recipient: r.PostForm.Get("recipient"),
		Summary: r.PostForm.Get("summary"), Reference: r.PostForm.Get("reference")}
	at, err := parseLocal(r.PostForm.Get("submitted_at"), rq.clock.loc)
	if err != nil {
		f.fieldError("submitted_at", capitalise(err.Error())+".")
	}
	req.SubmittedAt = at
	if !f.Failed() {
		_, err := srv.cases.LogSubmission(r.Context(), rq.p, key, req)
		if err == nil {
			return seeOther(w, r, backTo(key, "clocks"))
		}
		if !f.reject(err, map[string]string{"obligation": "obligation", "submitted_at": "submitted_at",
			"recipient": "recipient", "summary": "summary", "reference": "reference"}) {
			return err
		}
	}
	return srv.reshow(w, r, rq, key, http.StatusUnprocessableEntity, func(ip *incidentPage) { ip.Clocks.SubmissionForm = f })
}

// stateLabel names an obligation's state for people.
func stateLabel(s obligation.State) string {
	switch s {
	case obligation.StateNotStarted:
		return "not started"
	case obligation.StateNoDeadline:
		return "without undue delay"
	}
	return strings.ReplaceAll(string(s), "_", " ")
}

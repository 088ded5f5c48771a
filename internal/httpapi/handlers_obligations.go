package httpapi

import (
	"net/http"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/obligation"
	"github.com/quell-ir/quell/internal/store"
)

// The clocks of an incident as the API shows them: times in RFC 3339, durations in seconds.

// SLAClock is one response SLA of an incident.
type SLAClock struct {
	SLA           string    `json:"sla"`
	Severity      string    `json:"severity"`
	TargetSeconds int64     `json:"target_seconds"`
	Start         time.Time `json:"start"`
	Due           time.Time `json:"due"`
	// State is pending, met or breached.
	State      string     `json:"state"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	EndedBy    string     `json:"ended_by,omitempty"`
	BreachedAt *time.Time `json:"breached_at,omitempty"`
	// RemainingSeconds is the time left until due, for a pending SLA.
	RemainingSeconds int64 `json:"remaining_seconds"`
}

// ObligationClock is one regulatory obligation of an incident.
type ObligationClock struct {
	Rule ObligationRule `json:"rule"`
	// State is not_started, due, overdue, no_deadline or met.
	State     string     `json:"state"`
	StartedAt *time.Time `json:"started_at,omitempty"`
	Deadline  *time.Time `json:"deadline,omitempty"`
	BoundBy   string     `json:"bound_by,omitempty"`
	// RemainingSeconds is the time to the deadline, negative once overdue.
	RemainingSeconds int64      `json:"remaining_seconds"`
	SubmittedAt      *time.Time `json:"submitted_at,omitempty"`
	Late             bool       `json:"late"`
	Waiting          string     `json:"waiting,omitempty"`
	Warnings         []string   `json:"warnings,omitempty"`
}

// ObligationRule is one rule of the rule set in force.
type ObligationRule struct {
	ID                 string           `json:"id"`
	Name               string           `json:"name"`
	Jurisdiction       string           `json:"jurisdiction,omitempty"`
	Recipient          string           `json:"recipient"`
	Trigger            string           `json:"trigger"`
	TriggerDescription string           `json:"trigger_description"`
	Period             string           `json:"period"`
	WithoutUndueDelay  bool             `json:"without_undue_delay"`
	NotLaterThan       *ObligationBound `json:"not_later_than,omitempty"`
	Calendar           string           `json:"calendar,omitempty"`
	Text               string           `json:"text"`
	Reference          string           `json:"reference,omitempty"`
	URL                string           `json:"url,omitempty"`
	Disclaimer         string           `json:"disclaimer"`
}

// ObligationBound is a rule's second limit: not later than period after trigger.
type ObligationBound struct {
	Trigger string `json:"trigger"`
	Period  string `json:"period"`
}

// IncidentClocks is what GET /api/v1/incidents/{key}/obligations answers.
type IncidentClocks struct {
	IncidentKey string                       `json:"incident_key"`
	Now         time.Time                    `json:"now"`
	SLAs        []SLAClock                   `json:"slas"`
	Obligations []ObligationClock            `json:"obligations"`
	Triggers    []store.ObligationTrigger    `json:"triggers"`
	Submissions []store.ObligationSubmission `json:"submissions"`
	// KnownTriggers are the triggers that may be recorded on the incident.
	KnownTriggers []obligation.TriggerInfo `json:"known_triggers"`
	Disclaimer    string                   `json:"disclaimer"`
}

// ObligationRules is what GET /api/v1/obligations/rules answers.
type ObligationRules struct {
	Disclaimer      string                   `json:"disclaimer"`
	DefaultCalendar string                   `json:"default_calendar"`
	Triggers        []obligation.TriggerInfo `json:"triggers"`
	Rules           []ObligationRule         `json:"rules"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

func ruleView(r *obligation.Rule) ObligationRule {
	out := ObligationRule{ID: r.ID, Name: r.Name, Jurisdiction: r.Jurisdiction, Recipient: r.Recipient,
		Trigger: r.Trigger.String(), TriggerDescription: r.Trigger.Describe(), Period: r.Period.String(),
		WithoutUndueDelay: r.WithoutUndueDelay, Calendar: r.Calendar, Text: r.Text, Reference: r.Reference,
		URL: r.URL, Disclaimer: r.Disclaimer}
	if b := r.NotLaterThan; b != nil {
		out.NotLaterThan = &ObligationBound{Trigger: b.Trigger.String(), Period: b.Period.String()}
	}
	return out
}

func clocksView(c casework.IncidentClocks, known []obligation.TriggerInfo) IncidentClocks {
	out := IncidentClocks{IncidentKey: c.IncidentKey, Now: c.Now, Triggers: c.Triggers, Submissions: c.Submissions,
		KnownTriggers: known, Disclaimer: c.Disclaimer, SLAs: []SLAClock{}, Obligations: []ObligationClock{}}
	for _, s := range c.SLAs {
		out.SLAs = append(out.SLAs, SLAClock{SLA: string(s.SLA), Severity: string(s.Severity), TargetSeconds: seconds(s.Target),
			Start: s.Start, Due: s.Due, State: string(s.State), EndedAt: timePtr(s.EndedAt), EndedBy: string(s.EndedBy),
			BreachedAt: timePtr(s.BreachedAt), RemainingSeconds: seconds(s.Remaining)})
	}
	for _, st := range c.Obligations {
		out.Obligations = append(out.Obligations, ObligationClock{Rule: ruleView(st.Rule), State: string(st.State),
			StartedAt: timePtr(st.StartedAt), Deadline: timePtr(st.Deadline), BoundBy: st.BoundBy,
			RemainingSeconds: seconds(st.Remaining), SubmittedAt: timePtr(st.SubmittedAt), Late: st.Late,
			Waiting: st.Waiting, Warnings: st.Warnings})
	}
	return out
}

func (s *Server) getIncidentClocks(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	c, err := s.cases.Clocks(r.Context(), p, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, clocksView(c, s.cases.TriggerNames()))
	return nil
}

func (s *Server) recordTrigger(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.NewTrigger](r)
	if err != nil {
		return err
	}
	t, err := s.cases.RecordTrigger(r.Context(), p, r.PathValue("key"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) logSubmission(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.NewSubmission](r)
	if err != nil {
		return err
	}
	sub, err := s.cases.LogSubmission(r.Context(), p, r.PathValue("key"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sub)
	return nil
}

func (s *Server) obligationRules(w http.ResponseWriter, _ *http.Request, _ access.Principal) error {
	set := s.cases.ObligationRules()
	out := ObligationRules{Disclaimer: obligation.Disclaimer, DefaultCalendar: set.DefaultCalendar,
		Triggers: s.cases.TriggerNames(), Rules: make([]ObligationRule, 0, len(set.Rules))}
	if out.DefaultCalendar == "" {
		out.DefaultCalendar = obligation.CalendarWeekends
	}
	for i := range set.Rules {
		out.Rules = append(out.Rules, ruleView(&set.Rules[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

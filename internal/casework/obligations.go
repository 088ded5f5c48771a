package casework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/obligation"
	"github.com/quell-ir/quell/internal/store"
)

// The clocks that run on an incident (docs/obligations.md): the response SLAs of its severity
// and the regulatory obligations its recorded triggers start. Recording a trigger creates one
// task per obligation it starts; a durable job (ClockArgs) looks at the incident's clocks when
// the next one falls due and puts each SLA breach and each missed deadline on the timeline once.

// ClockArgs is the durable job that looks at an incident's clocks at At, the time the next SLA
// or obligation falls due.
type ClockArgs struct {
	OrgID      string    `json:"org_id"`
	IncidentID string    `json:"incident_id"`
	At         time.Time `json:"at"`
}

// Kind names the job.
func (ClockArgs) Kind() string { return "incident_clocks" }

// ObligationTaskOrigin is the origin of the task created for an obligation: "obligation:<id>".
func ObligationTaskOrigin(ruleID string) string { return "obligation:" + ruleID }

// clocks holds the rule set and SLA policy in force.
type clocks struct {
	rules  *obligation.RuleSet
	policy obligation.Policy
	// timers is set once a job queue can run ClockArgs jobs; until then nothing is scheduled.
	timers atomic.Bool
}

func newClocks(rules *obligation.RuleSet, policy *obligation.Policy) *clocks {
	c := &clocks{rules: rules, policy: obligation.DefaultPolicy()}
	if c.rules == nil {
		c.rules = obligation.DefaultRules()
	}
	if policy != nil {
		c.policy = *policy
	}
	return c
}

// EnableClockTimers makes changes to incidents schedule ClockArgs jobs; the job queue calls it
// once it has a worker for them.
func (s *Service) EnableClockTimers() { s.clocks.timers.Store(true) }

// ObligationRules returns the rule set in force.
func (s *Service) ObligationRules() *obligation.RuleSet { return s.clocks.rules }

// SLAPolicy returns the SLA policy in force.
func (s *Service) SLAPolicy() obligation.Policy { return s.clocks.policy }

// TriggerNames returns the triggers a person may record: those of obligation.KnownTriggers the
// rules use, then any other event of the rules, without incident_detected (which is the
// incident's detected_at milestone).
func (s *Service) TriggerNames() []obligation.TriggerInfo {
	events := s.clocks.rules.Events()
	var out []obligation.TriggerInfo
	for _, k := range obligation.KnownTriggers {
		if k.Name != obligation.TriggerIncidentDetected && slices.Contains(events, k.Name) {
			out = append(out, k)
		}
	}
	for _, e := range events {
		if e != obligation.TriggerIncidentDetected && !slices.ContainsFunc(out, func(k obligation.TriggerInfo) bool { return k.Name == e }) {
			out = append(out, obligation.TriggerInfo{Name: e})
		}
	}
	return out
}

// NewTrigger records a trigger on an incident. At defaults to now and may lie in the past.
type NewTrigger struct {
	Name string     `json:"name"`
	At   *time.Time `json:"at,omitempty"`
	Note string     `json:"note,omitempty"`
}

// NewSubmission logs what was submitted for an obligation. SubmittedAt defaults to now;
// Recipient defaults to the rule's.
type NewSubmission struct {
	Obligation  string     `json:"obligation"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	Recipient   string     `json:"recipient,omitempty"`
	Summary     string     `json:"summary,omitempty"`
	Reference   string     `json:"reference,omitempty"`
}

// IncidentClocks is an incident's clocks at one moment.
type IncidentClocks struct {
	IncidentID  string                       `json:"incident_id"`
	IncidentKey string                       `json:"incident_key"`
	Now         time.Time                    `json:"now"`
	SLAs        []obligation.SLAStatus       `json:"slas"`
	Obligations []obligation.Status          `json:"obligations"`
	Triggers    []store.ObligationTrigger    `json:"triggers"`
	Submissions []store.ObligationSubmission `json:"submissions"`
	Disclaimer  string                       `json:"disclaimer"`
}

// Limits on what a person writes into the clocks' records.
const (
	maxClockNote  = 2000
	maxClockField = 500
	// futureSlack is how far ahead of the server's clock a recorded time may be.
	futureSlack = 5 * time.Minute
)

// RecordTrigger records a trigger on an incident, audited and on the timeline, and creates a
// task for each obligation it starts.
func (s *Service) RecordTrigger(ctx context.Context, p access.Principal, key string, req NewTrigger) (store.ObligationTrigger, error) {
	var out store.ObligationTrigger
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		name := strings.TrimSpace(req.Name)
		if name == obligation.TriggerIncidentDetected {
			return invalid("/name", "incident_detected is the incident's detected_at milestone: set that instead")
		}
		if !slices.ContainsFunc(s.TriggerNames(), func(k obligation.TriggerInfo) bool { return k.Name == name }) {
			return invalid("/name", "must be a trigger of the rules in force: %s", strings.Join(triggerNames(s.TriggerNames()), ", "))
		}
		at, err := pastTime("/at", req.At, w.now)
		if err != nil {
			return err
		}
		note := strings.TrimSpace(req.Note)
		if len(note) > maxClockNote {
			return invalid("/note", "at most %d characters", maxClockNote)
		}
		t := store.ObligationTrigger{ID: NewID(), OrgID: p.OrgID, IncidentID: inc.ID, Name: name, At: at,
			RecordedBy: actor(p), RecordedAt: w.now, Note: note}
		if err := w.tx.Obligations().AddTrigger(ctx, t); err != nil {
			return fmt.Errorf("trigger %s is already recorded on %s: %w", name, inc.Key, err)
		}
		text := fmt.Sprintf("Trigger recorded: %s at %s", name, at.Format(time.RFC3339))
		if note != "" {
			text += ": " + note
		}
		if err := w.timelineAt(inc.ID, incident.KindMilestone, at, text, map[string]any{"trigger": name, "trigger_id": t.ID}); err != nil {
			return err
		}
		if err := w.audit("obligation.trigger", "incident", inc.ID, inc.ID, t); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}

// LogSubmission logs a submission for one of the incident's obligations, audited and on the
// timeline; the obligation's task, if open, is done with it.
func (s *Service) LogSubmission(ctx context.Context, p access.Principal, key string, req NewSubmission) (store.ObligationSubmission, error) {
	var out store.ObligationSubmission
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		rule, ok := s.clocks.rules.Rule(strings.TrimSpace(req.Obligation))
		if !ok {
			return invalid("/obligation", "no rule %q in the rules in force", req.Obligation)
		}
		at, err := pastTime("/submitted_at", req.SubmittedAt, w.now)
		if err != nil {
			return err
		}
		sub := store.ObligationSubmission{ID: NewID(), OrgID: p.OrgID, IncidentID: inc.ID, Obligation: rule.ID,
			SubmittedAt: at, Recipient: strings.TrimSpace(req.Recipient), Summary: strings.TrimSpace(req.Summary),
			Reference: strings.TrimSpace(req.Reference), RecordedBy: actor(p), RecordedAt: w.now}
		if sub.Recipient == "" {
			sub.Recipient = rule.Recipient
		}
		for ptr, v := range map[string]string{"/recipient": sub.Recipient, "/reference": sub.Reference} {
			if len(v) > maxClockField {
				return invalid(ptr, "at most %d characters", maxClockField)
			}
		}
		if len(sub.Summary) > maxClockNote {
			return invalid("/summary", "at most %d characters", maxClockNote)
		}
		if err := w.tx.Obligations().AddSubmission(ctx, sub); err != nil {
			return err
		}
		text := fmt.Sprintf("Submitted for %s to %s", rule.Name, sub.Recipient)
		if sub.Reference != "" {
			text += " (reference " + sub.Reference + ")"
		}
		if err := w.timelineAt(inc.ID, incident.KindCommunication, at, text, map[string]any{"obligation": rule.ID, "submission_id": sub.ID}); err != nil {
			return err
		}
		if err := w.audit("obligation.submission", "incident", inc.ID, inc.ID, sub); err != nil {
			return err
		}
		if err := w.finishObligationTask(inc, rule); err != nil {
			return err
		}
		out = sub
		return nil
	})
	return out, err
}

// Clocks evaluates an incident's SLAs and obligations now, for display.
func (s *Service) Clocks(ctx context.Context, p access.Principal, key string) (IncidentClocks, error) {
	var out IncidentClocks
	err := s.read(ctx, p, func(w *work) error {
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		out, err = s.evaluate(w, inc)
		return err
	})
	return out, err
}

// evaluate computes an incident's clocks at w.now.
func (s *Service) evaluate(w *work, inc incident.Incident) (IncidentClocks, error) {
	c := IncidentClocks{IncidentID: inc.ID, IncidentKey: inc.Key, Now: w.now, Disclaimer: obligation.Disclaimer}
	var err error
	if c.Triggers, err = w.tx.Obligations().Triggers(w.ctx, inc.OrgID, inc.ID); err != nil {
		return c, err
	}
	if c.Submissions, err = w.tx.Obligations().Submissions(w.ctx, inc.OrgID, inc.ID); err != nil {
		return c, err
	}
	in := obligation.Input{Triggers: obligation.MilestoneTriggers(inc.Milestones)}
	for _, t := range c.Triggers {
		in.Triggers[t.Name] = t.At
	}
	for _, sub := range c.Submissions {
		in.Submissions = append(in.Submissions, obligation.Submission{Obligation: sub.Obligation, At: sub.SubmittedAt})
	}
	c.Obligations = s.clocks.rules.Evaluate(in, w.now)
	c.SLAs = s.clocks.policy.Evaluate(inc.Severity, inc.Milestones, w.now)
	if c.SLAs == nil {
		c.SLAs = []obligation.SLAStatus{}
	}
	return c, nil
}

// clockActions are the audited changes that can move an incident's clocks.
var clockActions = map[string]bool{
	"incident.create": true, "incident.update": true, "incident.phase": true, "incident.milestone": true,
	"incident.acknowledge": true, "obligation.trigger": true, "obligation.submission": true,
}

// afterClockChanges runs at the end of every write transaction: for each incident whose clocks
// the transaction may have moved, it creates the tasks of newly started obligations and
// schedules the next look at its clocks.
func (s *Service) afterClockChanges(w *work) error {
	var done []string
	for _, c := range w.changes {
		if c.incidentID == "" || !clockActions[c.action] || slices.Contains(done, c.incidentID) {
			continue
		}
		done = append(done, c.incidentID)
		inc, err := w.tx.Incidents().Get(w.ctx, w.p.OrgID, c.incidentID)
		if err != nil {
			return err
		}
		if err := s.refreshClocks(w, inc); err != nil {
			return err
		}
	}
	return nil
}

// refreshClocks creates the tasks of started obligations and, with timers on, makes sure a
// job looks at the incident's clocks when the next one falls due (at once when a breach or a
// missed deadline has not been noticed yet).
func (s *Service) refreshClocks(w *work, inc incident.Incident) error {
	c, err := s.evaluate(w, inc)
	if err != nil {
		return err
	}
	if err := w.obligationTasks(inc, c.Obligations); err != nil {
		return err
	}
	if !s.clocks.timers.Load() {
		return nil
	}
	noticed, err := w.tx.Obligations().Noticed(w.ctx, inc.OrgID, inc.ID)
	if err != nil {
		return err
	}
	var next time.Time
	if len(unnoticed(c, noticed)) > 0 {
		next = w.now
	} else {
		if t, ok := obligation.NextDeadline(c.Obligations); ok {
			next = t
		}
		if t, ok := obligation.NextSLADue(c.SLAs); ok && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	stored, ok, err := w.tx.Obligations().NextCheck(w.ctx, inc.OrgID, inc.ID)
	if err != nil {
		return err
	}
	switch {
	case next.IsZero():
		if ok {
			return w.tx.Obligations().SetNextCheck(w.ctx, inc.OrgID, inc.ID, time.Time{})
		}
		return nil
	case ok && stored.Equal(next):
		return nil // the job for that time is already queued
	}
	if err := w.tx.Obligations().SetNextCheck(w.ctx, inc.OrgID, inc.ID, next); err != nil {
		return err
	}
	return w.tx.Jobs().Enqueue(w.ctx, ClockArgs{OrgID: inc.OrgID, IncidentID: inc.ID, At: next}, store.JobOptions{ScheduledAt: next})
}

// notice is one SLA breach or missed deadline to put on the timeline.
type notice struct {
	item string
	sla  *obligation.SLAStatus
	obl  *obligation.Status
}

// unnoticed returns the breached SLAs and overdue obligations not yet on the timeline.
func unnoticed(c IncidentClocks, noticed map[string]time.Time) []notice {
	var out []notice
	for i, st := range c.SLAs {
		item := "sla:" + string(st.SLA)
		if _, done := noticed[item]; st.State == obligation.SLABreached && !done {
			out = append(out, notice{item: item, sla: &c.SLAs[i]})
		}
	}
	for i, st := range c.Obligations {
		item := "obligation:" + st.Rule.ID
		if _, done := noticed[item]; st.State == obligation.StateOverdue && !done {
			out = append(out, notice{item: item, obl: &c.Obligations[i]})
		}
	}
	return out
}

// CheckClocks looks at an incident's clocks now: every SLA breach and every missed deadline
// not yet noticed is put on the timeline and audited, once, and the next look is scheduled. It
// runs as the system and returns how many notices it gave.
func (s *Service) CheckClocks(ctx context.Context, orgID, incidentID string) (int, error) {
	n := 0
	err := s.write(ctx, access.Principal{OrgID: orgID}, func(w *work) error {
		n = 0
		inc, err := w.tx.Incidents().Get(ctx, orgID, incidentID)
		if err != nil {
			return err
		}
		c, err := s.evaluate(w, inc)
		if err != nil {
			return err
		}
		noticed, err := w.tx.Obligations().Noticed(ctx, orgID, incidentID)
		if err != nil {
			return err
		}
		for _, nt := range unnoticed(c, noticed) {
			ok, err := w.tx.Obligations().MarkNoticed(ctx, orgID, incidentID, nt.item, w.now)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := w.giveNotice(inc, nt); err != nil {
				return err
			}
			n++
		}
		return s.refreshClocks(w, inc)
	})
	return n, err
}

// giveNotice puts one breach or missed deadline on the timeline, dated when it happened.
func (w *work) giveNotice(inc incident.Incident, nt notice) error {
	if st := nt.sla; st != nil {
		text := fmt.Sprintf("SLA breached: %s within %s for a %s incident was due %s", st.SLA,
			obligation.FormatDuration(st.Target), st.Severity, st.Due.Format(time.RFC3339))
		details := map[string]any{"sla": st.SLA, "severity": st.Severity, "due": st.Due, "target_seconds": int64(st.Target.Seconds())}
		if err := w.timelineAt(inc.ID, incident.KindIncident, st.BreachedAt, text, details); err != nil {
			return err
		}
		return w.audit("incident.sla_breach", "incident", inc.ID, inc.ID, details)
	}
	st := nt.obl
	text := fmt.Sprintf("Obligation overdue: %s to %s was due %s", st.Rule.Name, st.Rule.Recipient, st.Deadline.Format(time.RFC3339))
	if st.Rule.Reference != "" {
		text += " (" + st.Rule.Reference + ")"
	}
	details := map[string]any{"obligation": st.Rule.ID, "deadline": st.Deadline}
	if err := w.timelineAt(inc.ID, incident.KindCommunication, st.Deadline, text, details); err != nil {
		return err
	}
	return w.audit("obligation.overdue", "incident", inc.ID, inc.ID, details)
}

// obligationTasks creates, once per obligation and incident, a required task for every
// obligation that has started and is not met yet.
func (w *work) obligationTasks(inc incident.Incident, sts []obligation.Status) error {
	if inc.Phase == incident.PhaseClosed {
		return nil
	}
	var tasks []incident.Task
	loaded := false
	for _, st := range sts {
		if st.State == obligation.StateNotStarted || st.State == obligation.StateMet {
			continue
		}
		if !loaded {
			var err error
			if tasks, err = w.tx.Tasks().ListByIncident(w.ctx, inc.OrgID, inc.ID); err != nil {
				return err
			}
			loaded = true
		}
		origin := ObligationTaskOrigin(st.Rule.ID)
		if slices.ContainsFunc(tasks, func(t incident.Task) bool { return t.Origin == origin }) {
			continue
		}
		t := obligationTask(w, inc, st)
		if err := t.Validate(); err != nil {
			return fmt.Errorf("task for obligation %s: %w", st.Rule.ID, err)
		}
		if err := w.tx.Tasks().Create(w.ctx, t); err != nil {
			return err
		}
		if err := w.scheduleDue(t); err != nil {
			return err
		}
		text := fmt.Sprintf("Task added to %s: %s (required)", t.Phase, t.Title)
		if err := w.timeline(inc.ID, incident.KindTask, text, map[string]string{"task_id": t.ID, "obligation": st.Rule.ID}); err != nil {
			return err
		}
		if err := w.audit("task.create", "task", t.ID, inc.ID, t); err != nil {
			return err
		}
		tasks = append(tasks, t)
	}
	return nil
}

func obligationTask(w *work, inc incident.Incident, st obligation.Status) incident.Task {
	r := st.Rule
	title := r.Name
	if len(title) > incident.MaxTitle {
		title = title[:incident.MaxTitle]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nRecipient: %s\n", strings.TrimSpace(r.Text), r.Recipient)
	if r.Reference != "" {
		fmt.Fprintf(&b, "Reference: %s\n", r.Reference)
	}
	if r.URL != "" {
		fmt.Fprintf(&b, "Text: %s\n", r.URL)
	}
	if st.Deadline.IsZero() {
		b.WriteString("Deadline: without undue delay.\n")
	} else {
		fmt.Fprintf(&b, "Deadline: %s.\n", st.Deadline.Format(time.RFC3339))
	}
	b.WriteString("\nLog the submission on the incident's clocks when it is sent. These are aids, not legal advice.")
	t := incident.Task{
		ID: NewID(), OrgID: inc.OrgID, IncidentID: inc.ID, Phase: inc.Phase, Title: title, Description: b.String(),
		Role: obligationRole(r), Status: incident.TaskTodo, Required: true, Origin: ObligationTaskOrigin(r.ID),
		CreatedBy: actor(w.p), CreatedAt: w.now, UpdatedAt: w.now, Version: 1,
	}
	if !st.Deadline.IsZero() {
		due := st.Deadline
		t.DueAt = &due
	}
	return t
}

// obligationRole picks who carries an obligation out: telling the people affected is the
// communications lead's, notifying an authority or a counterparty is legal's.
func obligationRole(r *obligation.Rule) incident.Role {
	rec := strings.ToLower(r.Recipient)
	for _, w := range []string{"data subject", "individual", "customer", "people", "affected"} {
		if strings.Contains(rec, w) {
			return incident.RoleCommunicationsLead
		}
	}
	return incident.RoleLegal
}

// finishObligationTask marks the open task of an obligation done once it is submitted.
func (w *work) finishObligationTask(inc incident.Incident, r *obligation.Rule) error {
	tasks, err := w.tx.Tasks().ListByIncident(w.ctx, inc.OrgID, inc.ID)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if t.Origin != ObligationTaskOrigin(r.ID) || t.Status.Finished() {
			continue
		}
		before := t.Status
		t.Status, t.CompletedAt, t.UpdatedAt = incident.TaskDone, &w.now, w.now
		if err := w.tx.Tasks().Update(w.ctx, t, t.Version); err != nil {
			return err
		}
		diff := map[string][2]any{"status": {before, t.Status}}
		if err := w.timeline(inc.ID, incident.KindTask, fmt.Sprintf("Task %q: %s → %s (submission logged)", t.Title, before, t.Status),
			map[string]any{"task_id": t.ID, "changes": diff}); err != nil {
			return err
		}
		if err := w.audit("task.update", "task", t.ID, inc.ID, diff); err != nil {
			return err
		}
	}
	return nil
}

// pastTime returns *t in UTC, or now when t is nil; a time ahead of now is refused.
func pastTime(pointer string, t *time.Time, now time.Time) (time.Time, error) {
	if t == nil || t.IsZero() {
		return now, nil
	}
	if t.After(now.Add(futureSlack)) {
		return time.Time{}, invalid(pointer, "cannot be in the future")
	}
	return t.UTC(), nil
}

func triggerNames(ks []obligation.TriggerInfo) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Name
	}
	return out
}

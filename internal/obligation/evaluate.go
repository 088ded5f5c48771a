package obligation

import (
	"fmt"
	"time"

	"github.com/quell-ir/quell/internal/incident"
)

// Submission is one entry of an incident's submission log: an obligation met (or a report
// updated) at a time.
type Submission struct {
	Obligation string    `json:"obligation"`
	At         time.Time `json:"at"`
}

// Input is what one incident has recorded: the triggers it reached, by name, and what it has
// submitted.
type Input struct {
	Triggers    map[string]time.Time
	Submissions []Submission
}

// MilestoneTriggers returns the triggers an incident's milestones give without anyone
// recording them: incident_detected from detected_at.
func MilestoneTriggers(ms incident.Milestones) map[string]time.Time {
	tr := map[string]time.Time{}
	if ms.DetectedAt != nil {
		tr[TriggerIncidentDetected] = *ms.DetectedAt
	}
	return tr
}

// State is where an obligation stands.
type State string

// States of an obligation.
const (
	// StateNotStarted: the trigger has not been recorded (or the obligation it follows has not
	// been submitted); the clock is not running.
	StateNotStarted State = "not_started"
	// StateDue: the clock runs and the deadline is still ahead.
	StateDue State = "due"
	// StateOverdue: the deadline has passed and nothing was submitted.
	StateOverdue State = "overdue"
	// StateNoDeadline: the obligation has started and has no fixed deadline: act without undue
	// delay.
	StateNoDeadline State = "no_deadline"
	// StateMet: a submission is logged; Late says whether it came after the deadline.
	StateMet State = "met"
)

// Which bound set a deadline.
const (
	BoundTrigger      = "trigger"
	BoundNotLaterThan = "not_later_than"
)

// Status is one obligation evaluated for one incident at one moment. Times are in UTC.
type Status struct {
	Rule  *Rule `json:"rule"`
	State State `json:"state"`
	// StartedAt is when the clock started: the time of the rule's trigger.
	StartedAt time.Time `json:"started_at,omitzero"`
	// Deadline is the latest time to submit; zero when there is none (yet).
	Deadline time.Time `json:"deadline,omitzero"`
	// BoundBy says which bound gave the deadline: BoundTrigger or BoundNotLaterThan.
	BoundBy string `json:"bound_by,omitempty"`
	// Remaining is the time from now to the deadline, negative once overdue; zero when the
	// obligation is met or has no deadline.
	Remaining time.Duration `json:"remaining,omitempty"`
	// SubmittedAt is the first submission logged for the obligation.
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
	// Late is true when the first submission came after the deadline.
	Late bool `json:"late,omitempty"`
	// Waiting says what has to happen for a clock that has not started to start.
	Waiting string `json:"waiting,omitempty"`
	// Warnings are caveats about this computation, such as a holiday calendar that ends before
	// the deadline.
	Warnings []string `json:"warnings,omitempty"`
	// Disclaimer is always [Disclaimer]; the rule's own caveat is Rule.Disclaimer.
	Disclaimer string `json:"disclaimer"`
}

// Evaluate computes the status of every rule in the set, in the set's order, for the triggers
// and submissions of one incident at time now. It is deterministic: the same input and now
// give the same answer.
//
// A clock starts at its trigger; a rule started by a submission starts at the first (or, with
// last_submitted, the latest) submission of that obligation. A not_later_than bound only
// tightens a running clock: while the rule's own trigger is missing the obligation has not
// started. Submitting exactly at the deadline is on time.
func (s *RuleSet) Evaluate(in Input, now time.Time) []Status {
	out := make([]Status, 0, len(s.Rules))
	for i := range s.Rules {
		out = append(out, s.evaluate(&s.Rules[i], in, now))
	}
	return out
}

func (s *RuleSet) evaluate(r *Rule, in Input, now time.Time) Status {
	st := Status{Rule: r, Disclaimer: Disclaimer}
	cal, ok := s.Calendar(r.Calendar)
	if !ok {
		cal = weekendsUTC()
		st.Warnings = append(st.Warnings, fmt.Sprintf("calendar %q is unknown; counted with weekends only in UTC", r.Calendar))
	}
	if first, _, ok := submissions(in, r.ID); ok {
		st.SubmittedAt = first.UTC()
	}
	start, started := triggerTime(in, r.Trigger)
	if started {
		st.StartedAt = start.UTC()
		if d, ok := r.Period.Deadline(start, cal); ok {
			st.Deadline, st.BoundBy = d, BoundTrigger
			st.Warnings = append(st.Warnings, coverage(r.Period, cal, start, d)...)
		}
		if b := r.NotLaterThan; b != nil {
			if t2, ok := triggerTime(in, b.Trigger); ok {
				if d, ok := b.Period.Deadline(t2, cal); ok && (st.Deadline.IsZero() || d.Before(st.Deadline)) {
					st.Deadline, st.BoundBy = d, BoundNotLaterThan
					st.Warnings = append(st.Warnings, coverage(b.Period, cal, t2, d)...)
				}
			}
		}
	}
	switch {
	case !st.SubmittedAt.IsZero():
		st.State = StateMet
		st.Late = !st.Deadline.IsZero() && st.SubmittedAt.After(st.Deadline)
	case !started:
		st.State = StateNotStarted
		st.Waiting = "waiting for " + r.Trigger.Describe()
	case st.Deadline.IsZero():
		st.State = StateNoDeadline
	case now.After(st.Deadline):
		st.State = StateOverdue
		st.Remaining = st.Deadline.Sub(now)
	default:
		st.State = StateDue
		st.Remaining = st.Deadline.Sub(now)
	}
	return st
}

// triggerTime returns when a trigger happened in this incident, if it has.
func triggerTime(in Input, t Trigger) (time.Time, bool) {
	if t.Submission != "" {
		first, last, ok := submissions(in, t.Submission)
		if t.Latest {
			return last, ok
		}
		return first, ok
	}
	at, ok := in.Triggers[t.Event]
	return at, ok
}

// submissions returns the first and the latest submission logged for an obligation.
func submissions(in Input, id string) (first, last time.Time, ok bool) {
	for _, sub := range in.Submissions {
		if sub.Obligation != id {
			continue
		}
		if !ok || sub.At.Before(first) {
			first = sub.At
		}
		if !ok || sub.At.After(last) {
			last = sub.At
		}
		ok = true
	}
	return first, last, ok
}

// coverage warns when a business-day count runs outside the years a calendar lists holidays for.
func coverage(p Period, cal *Calendar, start, deadline time.Time) []string {
	if p.Unit != BusinessDays {
		return nil
	}
	// The deadline is the first moment of the day after the last business day counted.
	from, to := DateOf(start, cal.Location()), DateOf(deadline.Add(-time.Nanosecond), cal.Location())
	if cal.Covers(from) && cal.Covers(to) {
		return nil
	}
	lo, hi := cal.Years()
	return []string{fmt.Sprintf("the %s calendar lists holidays for %d–%d only; holidays outside those years "+
		"were not counted, so check this deadline by hand", cal.Name(), lo, hi)}
}

// NextDeadline returns the earliest deadline of an obligation that is still due: when a timer
// must next look at the incident. ok is false when none is due.
func NextDeadline(sts []Status) (next time.Time, ok bool) {
	for _, st := range sts {
		if st.State == StateDue && (!ok || st.Deadline.Before(next)) {
			next, ok = st.Deadline, true
		}
	}
	return next, ok
}

package incident

import (
	"slices"
	"time"
)

// Milestone names one of the points in time that incident metrics are made of.
type Milestone string

// Milestones in the order they normally happen.
const (
	MilestoneOccurred     Milestone = "occurred_at"
	MilestoneDetected     Milestone = "detected_at"
	MilestoneReported     Milestone = "reported_at"
	MilestoneAcknowledged Milestone = "acknowledged_at"
	MilestoneContained    Milestone = "contained_at"
	MilestoneEradicated   Milestone = "eradicated_at"
	MilestoneRecovered    Milestone = "recovered_at"
	MilestoneClosed       Milestone = "closed_at"
)

// AllMilestones lists every milestone in the order they normally happen.
var AllMilestones = []Milestone{MilestoneOccurred, MilestoneDetected, MilestoneReported, MilestoneAcknowledged,
	MilestoneContained, MilestoneEradicated, MilestoneRecovered, MilestoneClosed}

// Valid reports whether m is a known milestone.
func (m Milestone) Valid() bool { return slices.Contains(AllMilestones, m) }

// Milestones holds the times of an incident's milestones; nil means not reached.
type Milestones struct {
	OccurredAt     *time.Time `json:"occurred_at,omitempty"`
	DetectedAt     *time.Time `json:"detected_at,omitempty"`
	ReportedAt     *time.Time `json:"reported_at,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	ContainedAt    *time.Time `json:"contained_at,omitempty"`
	EradicatedAt   *time.Time `json:"eradicated_at,omitempty"`
	RecoveredAt    *time.Time `json:"recovered_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
}

// Field returns a pointer to the field that holds milestone m, or nil for an unknown one.
func (ms *Milestones) Field(m Milestone) **time.Time {
	switch m {
	case MilestoneOccurred:
		return &ms.OccurredAt
	case MilestoneDetected:
		return &ms.DetectedAt
	case MilestoneReported:
		return &ms.ReportedAt
	case MilestoneAcknowledged:
		return &ms.AcknowledgedAt
	case MilestoneContained:
		return &ms.ContainedAt
	case MilestoneEradicated:
		return &ms.EradicatedAt
	case MilestoneRecovered:
		return &ms.RecoveredAt
	case MilestoneClosed:
		return &ms.ClosedAt
	}
	return nil
}

// Get returns the time of milestone m, or nil.
func (ms Milestones) Get(m Milestone) *time.Time {
	if f := ms.Field(m); f != nil {
		return *f
	}
	return nil
}

// exitMilestone is the milestone reached when a phase is left going forward.
var exitMilestone = map[Phase]Milestone{
	PhaseIdentification: MilestoneAcknowledged,
	PhaseContainment:    MilestoneContained,
	PhaseResponse:       MilestoneEradicated,
	PhaseRecovery:       MilestoneRecovered,
}

// MilestoneSet is a milestone a phase change set, for the timeline and the audit record.
type MilestoneSet struct {
	Milestone Milestone  `json:"milestone"`
	Old       *time.Time `json:"old,omitempty"`
	New       *time.Time `json:"new,omitempty"`
}

// ApplyTransition updates the milestones for a phase change at time now and returns what changed.
//
// Leaving a phase forward marks its milestone once: identification → acknowledged_at,
// containment → contained_at, response → eradicated_at, recovery → recovered_at (phases skipped
// over set nothing: an incident that never went through containment was never contained).
// Entering closed sets closed_at. A reopen clears closed_at. Going back keeps earlier milestones:
// time to contain counts to the first containment; the re-containment shows on the timeline.
func (ms *Milestones) ApplyTransition(t Transition, now time.Time) []MilestoneSet {
	now = now.UTC()
	var changed []MilestoneSet
	set := func(m Milestone) {
		f := ms.Field(m)
		if *f != nil {
			return
		}
		v := now
		*f = &v
		changed = append(changed, MilestoneSet{Milestone: m, New: &v})
	}
	switch t.Direction {
	case Forward:
		if m, ok := exitMilestone[t.From]; ok {
			set(m)
		}
		// Acknowledgement is implied by any forward move out of identification.
		if t.From == PhaseIdentification {
			set(MilestoneAcknowledged)
		}
		if t.To == PhaseClosed {
			set(MilestoneClosed)
		}
	case Reopen:
		if ms.ClosedAt != nil {
			changed = append(changed, MilestoneSet{Milestone: MilestoneClosed, Old: ms.ClosedAt})
			ms.ClosedAt = nil
		}
	}
	return changed
}

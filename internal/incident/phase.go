package incident

import (
	"fmt"
	"slices"
	"time"
)

// Phase is a stage of the incident response lifecycle.
type Phase string

// Phases in lifecycle order.
const (
	PhaseIdentification Phase = "identification"
	PhaseContainment    Phase = "containment"
	PhaseInvestigation  Phase = "investigation"
	PhaseResponse       Phase = "response"
	PhaseRecovery       Phase = "recovery"
	PhaseReview         Phase = "review"
	PhaseClosed         Phase = "closed"
)

// Phases lists every phase in lifecycle order.
var Phases = []Phase{PhaseIdentification, PhaseContainment, PhaseInvestigation, PhaseResponse,
	PhaseRecovery, PhaseReview, PhaseClosed}

// Index is the phase's position in the lifecycle, or -1 for an unknown phase.
func (p Phase) Index() int { return slices.Index(Phases, p) }

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool { return p.Index() >= 0 }

// Direction says which way a phase change goes.
type Direction string

// Directions of a phase change.
const (
	Forward Direction = "forward"
	Back    Direction = "back"
	Reopen  Direction = "reopen"
)

// Transition describes a requested phase change before it is applied.
type Transition struct {
	From, To  Phase
	Direction Direction
	// Exited lists the phases whose exit criteria apply: on a forward move, every phase from
	// From up to (not including) To. Empty when going back.
	Exited []Phase
}

// PlanTransition checks that moving from one phase to another is allowed and says how.
// Forward moves may skip phases (a false positive may close straight from identification);
// the exit criteria of every phase passed over then apply. Going back to any earlier phase is
// allowed (re-containment after re-infection); leaving closed is a reopen.
func PlanTransition(from, to Phase) (Transition, error) {
	if !to.Valid() {
		return Transition{}, fmt.Errorf("unknown phase %q", to)
	}
	if !from.Valid() {
		return Transition{}, fmt.Errorf("unknown current phase %q", from)
	}
	if from == to {
		return Transition{}, fmt.Errorf("incident is already in phase %s", to)
	}
	t := Transition{From: from, To: to}
	switch {
	case from == PhaseClosed:
		t.Direction = Reopen
	case to.Index() < from.Index():
		t.Direction = Back
	default:
		t.Direction = Forward
		t.Exited = slices.Clone(Phases[from.Index():to.Index()])
	}
	return t, nil
}

// PhaseChange is the record of one phase change.
type PhaseChange struct {
	ID         string    `json:"id"`
	IncidentID string    `json:"incident_id"`
	From       Phase     `json:"from"`
	To         Phase     `json:"to"`
	Direction  Direction `json:"direction"`
	Actor      string    `json:"actor"`
	At         time.Time `json:"at"`
	Reason     string    `json:"reason"`
	// Override is set when the commander moved on although required tasks were open;
	// Unmet then lists those tasks' ids.
	Override bool     `json:"override"`
	Unmet    []string `json:"unmet,omitempty"`
}

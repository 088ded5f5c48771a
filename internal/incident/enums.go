package incident

import "slices"

// Severity ranks how bad an incident is.
type Severity string

// Severities, worst first.
const (
	SeverityCritical      Severity = "critical"
	SeverityHigh          Severity = "high"
	SeverityMedium        Severity = "medium"
	SeverityLow           Severity = "low"
	SeverityInformational Severity = "informational"
)

// Severities lists every severity, worst first.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInformational}

// Rank is 4 for critical down to 0 for informational.
func (s Severity) Rank() int {
	switch s {
	case SeverityCritical:
		return 4
	case SeverityHigh:
		return 3
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 1
	}
	return 0
}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return slices.Contains(Severities, s) }

// Type is the kind of incident.
type Type string

// Incident types.
const (
	TypeMalware            Type = "malware"
	TypeRansomware         Type = "ransomware"
	TypePhishing           Type = "phishing"
	TypeAccountCompromise  Type = "account_compromise"
	TypeDataBreach         Type = "data_breach"
	TypeDenialOfService    Type = "denial_of_service"
	TypeInsider            Type = "insider"
	TypeUnauthorizedAccess Type = "unauthorized_access"
	TypeOther              Type = "other"
)

// Types lists every incident type.
var Types = []Type{TypeMalware, TypeRansomware, TypePhishing, TypeAccountCompromise, TypeDataBreach,
	TypeDenialOfService, TypeInsider, TypeUnauthorizedAccess, TypeOther}

// Valid reports whether t is a known type.
func (t Type) Valid() bool { return slices.Contains(Types, t) }

// TLP is a Traffic Light Protocol 2.0 label.
type TLP string

// TLP 2.0 labels.
const (
	TLPClear       TLP = "clear"
	TLPGreen       TLP = "green"
	TLPAmber       TLP = "amber"
	TLPAmberStrict TLP = "amber+strict"
	TLPRed         TLP = "red"
)

// TLPs lists every TLP label, least restrictive first.
var TLPs = []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

// Valid reports whether t is a known TLP label.
func (t TLP) Valid() bool { return slices.Contains(TLPs, t) }

// Resolution says how an incident ended.
type Resolution string

// Resolutions.
const (
	ResolutionTruePositiveImpact   Resolution = "true_positive_impact"
	ResolutionTruePositiveNoImpact Resolution = "true_positive_no_impact"
	ResolutionBenign               Resolution = "benign"
	ResolutionFalsePositive        Resolution = "false_positive"
	ResolutionDuplicate            Resolution = "duplicate"
)

// Resolutions lists every resolution.
var Resolutions = []Resolution{ResolutionTruePositiveImpact, ResolutionTruePositiveNoImpact,
	ResolutionBenign, ResolutionFalsePositive, ResolutionDuplicate}

// Valid reports whether r is a known resolution.
func (r Resolution) Valid() bool { return slices.Contains(Resolutions, r) }

// Role is a responsibility a person holds on one incident.
type Role string

// Incident roles.
const (
	RoleCommander          Role = "commander"
	RoleScribe             Role = "scribe"
	RoleCommunicationsLead Role = "communications_lead"
	RoleTechnicalLead      Role = "technical_lead"
	RoleLegal              Role = "legal"
	RoleExecutiveSponsor   Role = "executive_sponsor"
)

// Roles lists every incident role.
var Roles = []Role{RoleCommander, RoleScribe, RoleCommunicationsLead, RoleTechnicalLead, RoleLegal, RoleExecutiveSponsor}

// Valid reports whether r is a known incident role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Priority is P1 (act now) to P4 (when time allows).
type Priority string

// Priorities.
const (
	P1 Priority = "P1"
	P2 Priority = "P2"
	P3 Priority = "P3"
	P4 Priority = "P4"
)

// DefaultCriticality is assumed for an incident with no linked asset.
const DefaultCriticality = 2

// ComputePriority derives priority from severity and the highest criticality (1–4, 4 the most
// critical) of the assets linked to the incident; 0 means no asset is linked.
//
// The score is severity rank (0–4) plus criticality (1–4): 7 and above is P1, 5–6 P2, 3–4 P3,
// below 3 P4. A critical incident on a crown-jewel asset is P1; a low one on a lab box is P4.
func ComputePriority(s Severity, maxCriticality int) Priority {
	if maxCriticality <= 0 {
		maxCriticality = DefaultCriticality
	}
	score := s.Rank() + maxCriticality
	switch {
	case score >= 7:
		return P1
	case score >= 5:
		return P2
	case score >= 3:
		return P3
	}
	return P4
}

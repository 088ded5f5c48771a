// Package access decides who may do what: the global roles a user holds in an organisation,
// the scope of an API token, and whether a principal may see or change an incident. It is pure.
package access

import (
	"errors"
	"slices"
)

// ErrForbidden means the caller may see the object but their role does not allow the request.
var ErrForbidden = errors.New("forbidden")

// Role is a user's role within one organisation.
type Role string

// Roles, from the most to the least powerful.
const (
	RoleAdmin     Role = "admin"
	RoleLead      Role = "lead"
	RoleResponder Role = "responder"
	RoleViewer    Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RoleLead, RoleResponder, RoleViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 4
	case RoleLead:
		return 3
	case RoleResponder:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// AtLeast reports whether r grants everything min grants.
func (r Role) AtLeast(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }

// Scope limits what an API token may do, below the role of the user who owns it.
type Scope string

// Token scopes.
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
	ScopeAdmin Scope = "admin"
)

// Scopes lists every token scope.
var Scopes = []Scope{ScopeRead, ScopeWrite, ScopeAdmin}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return slices.Contains(Scopes, s) }

// cap is the highest role a scope lets a token act with.
func (s Scope) cap() Role {
	switch s {
	case ScopeAdmin:
		return RoleAdmin
	case ScopeWrite:
		return RoleLead
	}
	return RoleViewer
}

// Principal is who is making a request, within the organisation the request is about.
type Principal struct {
	UserID   string
	Username string
	OrgID    string
	// Role is the user's role in OrgID.
	Role Role
	// Scope is set when the request carries an API token; empty for a browser session.
	Scope Scope
	// TokenID is the API token used, if any.
	TokenID string
}

// Effective is the role the principal acts with: its role, capped by its token's scope.
func (p Principal) Effective() Role {
	if p.Scope == "" || p.Role.rank() <= p.Scope.cap().rank() {
		return p.Role
	}
	return p.Scope.cap()
}

// Can reports whether the principal acts with at least role min.
func (p Principal) Can(min Role) bool { return p.Effective().AtLeast(min) }

// Actor is how the principal is named in timelines and audit records.
func (p Principal) Actor() string {
	if p.UserID == "" {
		return "system"
	}
	return "user:" + p.UserID
}

// CanSeeIncident reports whether the principal may see an incident. A restricted
// (need-to-know) incident is visible only to its members and to admins.
func (p Principal) CanSeeIncident(restricted, member bool) bool {
	return !restricted || member || p.Effective() == RoleAdmin
}

// CanOverrideExit reports whether the principal may move an incident past unmet exit criteria:
// the incident commander, or an admin.
func (p Principal) CanOverrideExit(isCommander bool) bool {
	return p.Can(RoleResponder) && (isCommander || p.Effective() == RoleAdmin)
}

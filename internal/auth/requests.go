package auth

import "github.com/quell-ir/quell/internal/access"

// LoginRequest signs a user in. Org, a slug, picks the organisation for users in several.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Org      string `json:"org,omitempty"`
}

// TokenLoginRequest exchanges a user name and password for a new API token (used by
// `quell login`).
type TokenLoginRequest struct {
	LoginRequest
	Name  string       `json:"name"`
	Scope access.Scope `json:"scope,omitempty"`
}

// NewUser creates a user with a role in the current organisation.
type NewUser struct {
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name,omitempty"`
	Email       string      `json:"email,omitempty"`
	Password    string      `json:"password"`
	Role        access.Role `json:"role"`
}

// UserPatch changes a user. Role applies to the current organisation.
type UserPatch struct {
	DisplayName *string      `json:"display_name,omitempty"`
	Email       *string      `json:"email,omitempty"`
	Role        *access.Role `json:"role,omitempty"`
	Disabled    *bool        `json:"disabled,omitempty"`
	Password    *string      `json:"password,omitempty"`
	Version     int64        `json:"version,omitempty"`
}

// PasswordChange changes the caller's own password.
type PasswordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// NewToken creates an API token for the caller.
type NewToken struct {
	Name          string       `json:"name"`
	Scope         access.Scope `json:"scope"`
	ExpiresInDays int          `json:"expires_in_days,omitempty"`
}

// CreatedToken is a new token with its secret, shown this once.
type CreatedToken struct {
	access.Token
	Secret string `json:"secret"`
}

// Me describes the caller.
type Me struct {
	User        access.User         `json:"user"`
	OrgID       string              `json:"org_id"`
	OrgSlug     string              `json:"org_slug"`
	Role        access.Role         `json:"role"`
	Scope       access.Scope        `json:"scope,omitempty"`
	Memberships []access.Membership `json:"memberships"`
	// MultiOrg is true when the installation has more than one organisation; clients show
	// organisations only then.
	MultiOrg bool `json:"multi_org"`
}

// OrgSwitch changes the organisation of the current session.
type OrgSwitch struct {
	Org string `json:"org"`
}

// NewOrg creates an organisation; its creator becomes its admin.
type NewOrg struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

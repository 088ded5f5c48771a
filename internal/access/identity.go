package access

import "time"

// DefaultOrgSlug names the organisation every installation starts with. An installation with
// only this organisation never shows organisations to its users.
const DefaultOrgSlug = "default"

// Org is an organisation (tenant): every record belongs to exactly one.
type Org struct {
	ID        string    `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person who signs in to Quell.
type User struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	// PasswordHash is an argon2id PHC string; never sent to clients.
	PasswordHash string     `json:"-"`
	Disabled     bool       `json:"disabled"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	LastLoginAt  *time.Time `json:"last_login_at,omitempty"`
	Version      int64      `json:"version"`
}

// Membership is a user's role in one organisation.
type Membership struct {
	UserID   string `json:"user_id"`
	OrgID    string `json:"org_id"`
	OrgSlug  string `json:"org_slug,omitempty"`
	Username string `json:"username,omitempty"`
	Role     Role   `json:"role"`
}

// Session is a signed-in browser session. ID is the SHA-256 of the cookie value, so the
// database never holds a usable session secret.
type Session struct {
	ID         string    `json:"-"`
	UserID     string    `json:"user_id"`
	OrgID      string    `json:"org_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// Token is an API token. Only its SHA-256 is stored; the secret is shown once at creation.
type Token struct {
	ID         string     `json:"id"`
	OrgID      string     `json:"-"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Hash       string     `json:"-"`
	Scope      Scope      `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Active reports whether the token may be used at now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

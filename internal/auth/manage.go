package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

func requireRole(p access.Principal, min access.Role) error {
	if !p.Can(min) {
		return fmt.Errorf("%w: this needs the %s role", access.ErrForbidden, min)
	}
	return nil
}

// CreateUser creates a user with a role in the principal's organisation (admins only).
func (s *Service) CreateUser(ctx context.Context, p access.Principal, req NewUser) (access.User, error) {
	if err := requireRole(p, access.RoleAdmin); err != nil {
		return access.User{}, err
	}
	return s.createUser(ctx, p.OrgID, p.Username, req)
}

// CreateUserDirect creates a user in the organisation named by slug without a principal; it
// is the admin command that works on the data directory.
func (s *Service) CreateUserDirect(ctx context.Context, orgSlug string, req NewUser) (access.User, error) {
	if orgSlug == "" {
		orgSlug = access.DefaultOrgSlug
	}
	var orgID string
	err := s.store.Write(ctx, func(tx store.Tx) error {
		org, err := tx.Orgs().GetBySlug(ctx, orgSlug)
		if errors.Is(err, store.ErrNotFound) && orgSlug == access.DefaultOrgSlug {
			org, err = ensureDefaultOrg(ctx, tx, s.now().UTC())
		}
		orgID = org.ID
		return err
	})
	if err != nil {
		return access.User{}, err
	}
	return s.createUser(ctx, orgID, "system", req)
}

func (s *Service) createUser(ctx context.Context, orgID, actor string, req NewUser) (access.User, error) {
	name, err := CheckUsername("/username", req.Username)
	if err != nil {
		return access.User{}, err
	}
	if !req.Role.Valid() {
		return access.User{}, validation.Errorf("/role", "must be one of %v", access.Roles)
	}
	if err := CheckPassword("/password", req.Password); err != nil {
		return access.User{}, err
	}
	if len(req.DisplayName) > 200 || len(req.Email) > 320 {
		return access.User{}, validation.Errorf("/display_name", "display name at most 200 and email at most 320 characters")
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		return access.User{}, err
	}
	now := s.now().UTC()
	u := access.User{ID: newID(), Username: name, DisplayName: strings.TrimSpace(req.DisplayName), Email: strings.TrimSpace(req.Email),
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now, Version: 1}
	err = s.store.Write(ctx, func(tx store.Tx) error {
		if err := tx.Users().Create(ctx, u); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return validation.Errorf("/username", "user name %q is taken", name)
			}
			return err
		}
		if err := tx.Users().SetMembership(ctx, access.Membership{UserID: u.ID, OrgID: orgID, Role: req.Role}); err != nil {
			return err
		}
		return appendAudit(ctx, tx, orgID, actor, "user.create", "user", u.ID, now,
			map[string]any{"username": u.Username, "role": req.Role, "display_name": u.DisplayName, "email": u.Email})
	})
	return u, err
}

// ListUsers lists the members of the principal's organisation.
func (s *Service) ListUsers(ctx context.Context, p access.Principal) ([]access.Membership, error) {
	var out []access.Membership
	err := s.store.Read(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Users().Members(ctx, p.OrgID)
		return err
	})
	if out == nil {
		out = []access.Membership{}
	}
	return out, err
}

// memberUser finds a user of the principal's organisation by id or user name.
func memberUser(ctx context.Context, tx store.Tx, orgID, idOrName string) (access.User, access.Membership, error) {
	u, err := tx.Users().Get(ctx, idOrName)
	if errors.Is(err, store.ErrNotFound) {
		u, err = tx.Users().GetByUsername(ctx, strings.ToLower(idOrName))
	}
	if err != nil {
		return u, access.Membership{}, err
	}
	m, err := tx.Users().Membership(ctx, u.ID, orgID)
	return u, m, err
}

// UserDetail is a user with their role in the current organisation.
type UserDetail struct {
	access.User
	Role access.Role `json:"role"`
}

// GetUser returns a user of the principal's organisation.
func (s *Service) GetUser(ctx context.Context, p access.Principal, idOrName string) (UserDetail, error) {
	var out UserDetail
	err := s.store.Read(ctx, func(tx store.Tx) error {
		u, m, err := memberUser(ctx, tx, p.OrgID, idOrName)
		out = UserDetail{User: u, Role: m.Role}
		return err
	})
	return out, err
}

// UpdateUser changes a user (admins only). An admin cannot demote or disable themself, so an
// organisation is never left without the admin who could undo it.
func (s *Service) UpdateUser(ctx context.Context, p access.Principal, idOrName string, patch UserPatch, ifMatch int64) (UserDetail, error) {
	if err := requireRole(p, access.RoleAdmin); err != nil {
		return UserDetail{}, err
	}
	var hash string
	if patch.Password != nil {
		if err := CheckPassword("/password", *patch.Password); err != nil {
			return UserDetail{}, err
		}
		var err error
		if hash, err = HashPassword(*patch.Password); err != nil {
			return UserDetail{}, err
		}
	}
	var out UserDetail
	err := s.store.Write(ctx, func(tx store.Tx) error {
		now := s.now().UTC()
		u, m, err := memberUser(ctx, tx, p.OrgID, idOrName)
		if err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != u.Version {
			return fmt.Errorf("%w: the user is at version %d, not %d", store.ErrPrecondition, u.Version, ifMatch)
		}
		if patch.Version != 0 && patch.Version != u.Version {
			return fmt.Errorf("%w: the user is at version %d, not %d", store.ErrConflict, u.Version, patch.Version)
		}
		changes := map[string]any{}
		if patch.DisplayName != nil {
			u.DisplayName, changes["display_name"] = strings.TrimSpace(*patch.DisplayName), *patch.DisplayName
		}
		if patch.Email != nil {
			u.Email, changes["email"] = strings.TrimSpace(*patch.Email), *patch.Email
		}
		if patch.Disabled != nil {
			if *patch.Disabled && u.ID == p.UserID {
				return validation.Errorf("/disabled", "you cannot disable your own account")
			}
			u.Disabled, changes["disabled"] = *patch.Disabled, *patch.Disabled
		}
		if hash != "" {
			u.PasswordHash, changes["password"] = hash, "changed"
		}
		if patch.Role != nil && *patch.Role != m.Role {
			if !patch.Role.Valid() {
				return validation.Errorf("/role", "must be one of %v", access.Roles)
			}
			if u.ID == p.UserID {
				return validation.Errorf("/role", "you cannot change your own role")
			}
			m.Role, changes["role"] = *patch.Role, *patch.Role
			if err := tx.Users().SetMembership(ctx, m); err != nil {
				return err
			}
		}
		out = UserDetail{User: u, Role: m.Role}
		if len(changes) == 0 {
			return nil
		}
		u.UpdatedAt = now
		if err := tx.Users().Update(ctx, u, u.Version); err != nil {
			return err
		}
		u.Version++
		out.User = u
		if u.Disabled || hash != "" {
			if err := tx.Sessions().DeleteForUser(ctx, u.ID); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, p.OrgID, p.Username, "user.update", "user", u.ID, now, changes)
	})
	return out, err
}

// ChangePassword changes the principal's own password after checking the current one.
func (s *Service) ChangePassword(ctx context.Context, p access.Principal, req PasswordChange, addr string) error {
	if err := CheckPassword("/new", req.New); err != nil {
		return err
	}
	if _, err := s.checkCredentials(ctx, p.Username, req.Current, addr); err != nil {
		if errors.Is(err, ErrBadCredentials) {
			return validation.Errorf("/current", "the current password is wrong")
		}
		return err
	}
	hash, err := HashPassword(req.New)
	if err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx store.Tx) error {
		u, err := tx.Users().Get(ctx, p.UserID)
		if err != nil {
			return err
		}
		u.PasswordHash, u.UpdatedAt = hash, s.now().UTC()
		if err := tx.Users().Update(ctx, u, u.Version); err != nil {
			return err
		}
		return appendAudit(ctx, tx, p.OrgID, p.Username, "user.password", "user", u.ID, u.UpdatedAt, nil)
	})
}

// CreateToken creates an API token for the principal. A token can never act above the role
// of the one who creates it.
func (s *Service) CreateToken(ctx context.Context, p access.Principal, req NewToken) (CreatedToken, error) {
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len(req.Name) > 100 {
		return CreatedToken{}, validation.Errorf("/name", "is required, at most 100 characters")
	}
	if !req.Scope.Valid() {
		return CreatedToken{}, validation.Errorf("/scope", "must be one of %v", access.Scopes)
	}
	if !p.Can(scopeNeeds(req.Scope)) {
		return CreatedToken{}, fmt.Errorf("%w: your role cannot create a token with scope %s", access.ErrForbidden, req.Scope)
	}
	if req.ExpiresInDays < 0 || req.ExpiresInDays > 3650 {
		return CreatedToken{}, validation.Errorf("/expires_in_days", "must be from 0 (never) to 3650")
	}
	secret := TokenPrefix + rand.Text()
	now := s.now().UTC()
	t := access.Token{ID: newID(), OrgID: p.OrgID, UserID: p.UserID, Name: req.Name, Prefix: secret[:len(TokenPrefix)+6],
		Hash: HashSecret(secret), Scope: req.Scope, CreatedAt: now}
	if req.ExpiresInDays > 0 {
		exp := now.Add(time.Duration(req.ExpiresInDays) * 24 * time.Hour)
		t.ExpiresAt = &exp
	}
	err := s.store.Write(ctx, func(tx store.Tx) error {
		if err := tx.Tokens().Create(ctx, t); err != nil {
			return err
		}
		return appendAudit(ctx, tx, p.OrgID, p.Username, "token.create", "token", t.ID, now,
			map[string]any{"name": t.Name, "scope": t.Scope, "expires_at": t.ExpiresAt})
	})
	return CreatedToken{Token: t, Secret: secret}, err
}

func scopeNeeds(s access.Scope) access.Role {
	switch s {
	case access.ScopeAdmin:
		return access.RoleAdmin
	case access.ScopeWrite:
		return access.RoleResponder
	}
	return access.RoleViewer
}

// ListTokens lists the principal's tokens; admins see every token of the organisation.
func (s *Service) ListTokens(ctx context.Context, p access.Principal) ([]access.Token, error) {
	owner := p.UserID
	if p.Can(access.RoleAdmin) {
		owner = ""
	}
	var out []access.Token
	err := s.store.Read(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Tokens().List(ctx, p.OrgID, owner)
		return err
	})
	if out == nil {
		out = []access.Token{}
	}
	return out, err
}

// RevokeToken revokes one of the principal's tokens (admins: any of the organisation's).
func (s *Service) RevokeToken(ctx context.Context, p access.Principal, id string) error {
	return s.store.Write(ctx, func(tx store.Tx) error {
		t, err := tx.Tokens().Get(ctx, p.OrgID, id)
		if err != nil {
			return err
		}
		if t.UserID != p.UserID && !p.Can(access.RoleAdmin) {
			return store.ErrNotFound
		}
		now := s.now().UTC()
		if err := tx.Tokens().Revoke(ctx, p.OrgID, id, now); err != nil {
			return err
		}
		return appendAudit(ctx, tx, p.OrgID, p.Username, "token.revoke", "token", id, now, map[string]string{"name": t.Name})
	})
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// ListOrgs lists the organisations the principal belongs to.
func (s *Service) ListOrgs(ctx context.Context, p access.Principal) ([]access.Org, error) {
	out := []access.Org{}
	err := s.store.Read(ctx, func(tx store.Tx) error {
		ms, err := tx.Users().Memberships(ctx, p.UserID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			o, err := tx.Orgs().Get(ctx, m.OrgID)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// CreateOrg creates an organisation; the admin who creates it becomes its admin.
func (s *Service) CreateOrg(ctx context.Context, p access.Principal, req NewOrg) (access.Org, error) {
	if err := requireRole(p, access.RoleAdmin); err != nil {
		return access.Org{}, err
	}
	slug := strings.ToLower(strings.TrimSpace(req.Slug))
	if !slugPattern.MatchString(slug) {
		return access.Org{}, validation.Errorf("/slug", "a slug is 2 to 63 lower-case letters, digits and -")
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > 200 {
		return access.Org{}, validation.Errorf("/name", "is required, at most 200 characters")
	}
	now := s.now().UTC()
	o := access.Org{ID: newID(), Slug: slug, Name: name, CreatedAt: now}
	err := s.store.Write(ctx, func(tx store.Tx) error {
		if err := tx.Orgs().Create(ctx, o); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return validation.Errorf("/slug", "organisation %q exists", slug)
			}
			return err
		}
		if err := tx.Users().SetMembership(ctx, access.Membership{UserID: p.UserID, OrgID: o.ID, Role: access.RoleAdmin}); err != nil {
			return err
		}
		return appendAudit(ctx, tx, o.ID, p.Username, "org.create", "org", o.ID, now, o)
	})
	return o, err
}

// SwitchOrg moves a browser session to another organisation the user belongs to.
func (s *Service) SwitchOrg(ctx context.Context, p access.Principal, sessionSecret, slug string) (Me, error) {
	if sessionSecret == "" {
		return Me{}, validation.Errorf("", "only a browser session switches organisation; an API token belongs to one organisation")
	}
	var np access.Principal
	err := s.store.Write(ctx, func(tx store.Tx) error {
		o, err := tx.Orgs().GetBySlug(ctx, strings.ToLower(slug))
		if err != nil {
			return err
		}
		m, err := tx.Users().Membership(ctx, p.UserID, o.ID)
		if err != nil {
			return err
		}
		if err := tx.Sessions().SetOrg(ctx, HashSecret(sessionSecret), o.ID); err != nil {
			return err
		}
		np = access.Principal{UserID: p.UserID, Username: p.Username, OrgID: o.ID, Role: m.Role}
		return appendAudit(ctx, tx, o.ID, p.Username, "session.org", "org", o.ID, s.now().UTC(), nil)
	})
	if err != nil {
		return Me{}, err
	}
	return s.Me(ctx, np)
}

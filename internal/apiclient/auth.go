package apiclient

import (
	"context"
	"net/http"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
)

// CreateLoginToken exchanges a user name and password for a new API token
// (POST /api/v1/auth/token). It needs no token of its own.
func (c *Client) CreateLoginToken(ctx context.Context, req auth.TokenLoginRequest) (auth.CreatedToken, error) {
	var out auth.CreatedToken
	err := c.do(ctx, http.MethodPost, "/api/v1/auth/token", nil, 0, req, &out)
	return out, err
}

// Login starts a browser-style session (POST /api/v1/auth/login). The session cookie is kept
// only when the client was given an http.Client with a cookie jar (WithHTTPClient).
func (c *Client) Login(ctx context.Context, req auth.LoginRequest) (auth.Me, error) {
	var out auth.Me
	err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", nil, 0, req, &out)
	return out, err
}

// Logout ends the current session (POST /api/v1/auth/logout).
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/api/v1/auth/logout", nil, 0, nil, nil)
}

// Me describes the caller (GET /api/v1/me).
func (c *Client) Me(ctx context.Context) (auth.Me, error) {
	var out auth.Me
	err := c.do(ctx, http.MethodGet, "/api/v1/me", nil, 0, nil, &out)
	return out, err
}

// ChangePassword changes the caller's own password (POST /api/v1/me/password).
func (c *Client) ChangePassword(ctx context.Context, req auth.PasswordChange) error {
	return c.do(ctx, http.MethodPost, "/api/v1/me/password", nil, 0, req, nil)
}

// SwitchOrg changes the organisation of the current session (POST /api/v1/me/org).
func (c *Client) SwitchOrg(ctx context.Context, req auth.OrgSwitch) (auth.Me, error) {
	var out auth.Me
	err := c.do(ctx, http.MethodPost, "/api/v1/me/org", nil, 0, req, &out)
	return out, err
}

// ListOrgs lists the organisations (GET /api/v1/orgs).
func (c *Client) ListOrgs(ctx context.Context) ([]access.Org, error) {
	var out []access.Org
	err := c.do(ctx, http.MethodGet, "/api/v1/orgs", nil, 0, nil, &out)
	return out, err
}

// CreateOrg creates an organisation (POST /api/v1/orgs).
func (c *Client) CreateOrg(ctx context.Context, req auth.NewOrg) (access.Org, error) {
	var out access.Org
	err := c.do(ctx, http.MethodPost, "/api/v1/orgs", nil, 0, req, &out)
	return out, err
}

// ListUsers lists the members of the current organisation (GET /api/v1/users).
func (c *Client) ListUsers(ctx context.Context) ([]access.Membership, error) {
	var out []access.Membership
	err := c.do(ctx, http.MethodGet, "/api/v1/users", nil, 0, nil, &out)
	return out, err
}

// CreateUser creates a user in the current organisation (POST /api/v1/users).
func (c *Client) CreateUser(ctx context.Context, req auth.NewUser) (access.User, error) {
	var out access.User
	err := c.do(ctx, http.MethodPost, "/api/v1/users", nil, 0, req, &out)
	return out, err
}

// GetUser returns a user of the current organisation, with their role there, by id or user
// name (GET /api/v1/users/{id}).
func (c *Client) GetUser(ctx context.Context, id string) (auth.UserDetail, error) {
	var out auth.UserDetail
	err := c.do(ctx, http.MethodGet, "/api/v1/users/"+seg(id), nil, 0, nil, &out)
	return out, err
}

// UpdateUser changes a user (PATCH /api/v1/users/{id}); ifMatch, when not zero, is the
// version the change was based on.
func (c *Client) UpdateUser(ctx context.Context, id string, patch auth.UserPatch, ifMatch int64) (auth.UserDetail, error) {
	var out auth.UserDetail
	err := c.do(ctx, http.MethodPatch, "/api/v1/users/"+seg(id), nil, ifMatch, patch, &out)
	return out, err
}

// ListTokens lists the caller's API tokens (GET /api/v1/tokens).
func (c *Client) ListTokens(ctx context.Context) ([]access.Token, error) {
	var out []access.Token
	err := c.do(ctx, http.MethodGet, "/api/v1/tokens", nil, 0, nil, &out)
	return out, err
}

// CreateToken creates an API token for the caller (POST /api/v1/tokens). The secret in the
// answer is never shown again.
func (c *Client) CreateToken(ctx context.Context, req auth.NewToken) (auth.CreatedToken, error) {
	var out auth.CreatedToken
	err := c.do(ctx, http.MethodPost, "/api/v1/tokens", nil, 0, req, &out)
	return out, err
}

// RevokeToken revokes an API token (DELETE /api/v1/tokens/{id}).
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/tokens/"+seg(id), nil, 0, nil, nil)
}

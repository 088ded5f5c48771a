package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
)

// The account page: who you are, your password, your API tokens and, in an installation with
// several organisations, which one you work in.

type accountPage struct {
	Me           auth.Me
	Tokens       []access.Token
	Scopes       []access.Scope
	PasswordForm *form
	TokenForm    *form
	// Created is the token just created; its secret is shown this once.
	Created *auth.CreatedToken
	// Owners names the owner of each token by user id, for admins who see everyone's.
	Owners map[string]string
	// Notice confirms what was just done.
	Notice string
}

func (srv *Server) loadAccount(r *http.Request, rq *request) (*accountPage, error) {
	me, err := srv.auth.Me(r.Context(), rq.p)
	if err != nil {
		return nil, err
	}
	tokens, err := srv.auth.ListTokens(r.Context(), rq.p)
	if err != nil {
		return nil, err
	}
	ap := &accountPage{Me: me, Tokens: tokens, Scopes: access.Scopes, PasswordForm: newForm(nil),
		TokenForm: newForm(nil).set("scope", string(access.ScopeRead)).set("expires", "90"), Owners: map[string]string{}}
	users, err := srv.auth.ListUsers(r.Context(), rq.p)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		ap.Owners[u.UserID] = u.Username
	}
	return ap, nil
}

func (srv *Server) accountPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ap, err := srv.loadAccount(r, rq)
	if err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusOK, "account", "Your account", ap)
	return nil
}

func (srv *Server) changePassword(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	err := srv.auth.ChangePassword(r.Context(), rq.p, auth.PasswordChange{Current: r.PostForm.Get("current"), New: r.PostForm.Get("new")}, clientAddr(r))
	ap, lerr := srv.loadAccount(r, rq)
	if lerr != nil {
		return lerr
	}
	if err == nil {
		ap.Notice = "Your password was changed."
		srv.render(w, r, rq, http.StatusOK, "account", "Your account", ap)
		return nil
	}
	if !ap.PasswordForm.reject(err, fieldsOf("current", "new")) {
		return err
	}
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "account", "Your account", ap)
	return nil
}

// createToken creates an API token and shows its secret once, on this response only: it is
// never stored, and the page is not cached.
func (srv *Server) createToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("expires")))
	if err != nil {
		days = -1
	}
	tok, err := srv.auth.CreateToken(r.Context(), rq.p, auth.NewToken{Name: r.PostForm.Get("name"),
		Scope: access.Scope(r.PostForm.Get("scope")), ExpiresInDays: days})
	ap, lerr := srv.loadAccount(r, rq)
	if lerr != nil {
		return lerr
	}
	if err == nil {
		ap.Created = &tok
		srv.render(w, r, rq, http.StatusCreated, "account", "Your account", ap)
		return nil
	}
	ap.TokenForm = newForm(r.PostForm)
	if !ap.TokenForm.reject(err, map[string]string{"name": "name", "scope": "scope", "expires_in_days": "expires"}) {
		return err
	}
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "account", "Your account", ap)
	return nil
}

func (srv *Server) revokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := srv.auth.RevokeToken(r.Context(), rq.p, r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, "/account#tokens")
}

func (srv *Server) switchOrg(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if _, err := srv.auth.SwitchOrg(r.Context(), rq.p, rq.secret, r.PostForm.Get("org")); err != nil {
		return err
	}
	return seeOther(w, r, "/")
}

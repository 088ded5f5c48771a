package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/store"
)

// Administration: the users of the organisation and their roles, and the server's settings.

type userListPage struct {
	Users []access.Membership
	Form  *form
	Roles []access.Role
}

var userFields = fieldsOf("username", "display_name", "email", "password", "role")

func (srv *Server) userList(w http.ResponseWriter, r *http.Request, rq *request) error {
	return srv.showUsers(w, r, rq, http.StatusOK, newForm(nil).set("role", string(access.RoleResponder)))
}

func (srv *Server) showUsers(w http.ResponseWriter, r *http.Request, rq *request, status int, f *form) error {
	users, err := srv.auth.ListUsers(r.Context(), rq.p)
	if err != nil {
		return err
	}
	srv.render(w, r, rq, status, "users", "Users", userListPage{Users: users, Form: f, Roles: access.Roles})
	return nil
}

func (srv *Server) createUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	req := auth.NewUser{Username: r.PostForm.Get("username"), DisplayName: r.PostForm.Get("display_name"),
		Email: r.PostForm.Get("email"), Password: r.PostForm.Get("password"), Role: access.Role(r.PostForm.Get("role"))}
	u, err := srv.auth.CreateUser(r.Context(), rq.p, req)
	if err == nil {
		return seeOther(w, r, "/admin/users/"+url.PathEscape(u.Username))
	}
	f := newForm(r.PostForm)
	f.values.Del("password")
	if !f.reject(err, userFields) {
		return err
	}
	return srv.showUsers(w, r, rq, http.StatusUnprocessableEntity, f)
}

type userPage struct {
	User  auth.UserDetail
	Form  *form
	Roles []access.Role
	// Self is true on the admin's own page, where role and account cannot be changed.
	Self bool
}

func userValues(u auth.UserDetail) url.Values {
	v := url.Values{"display_name": {u.DisplayName}, "email": {u.Email}, "role": {string(u.Role)}, "version": {toString(u.Version)}}
	if u.Disabled {
		v.Set("disabled", "on")
	}
	return v
}

func (srv *Server) userPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	u, err := srv.auth.GetUser(r.Context(), rq.p, r.PathValue("user"))
	if err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusOK, "user", u.Username, userPage{User: u, Form: newForm(userValues(u)), Roles: access.Roles,
		Self: u.ID == rq.p.UserID})
	return nil
}

func (srv *Server) updateUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	name := r.PathValue("user")
	u, err := srv.auth.GetUser(r.Context(), rq.p, name)
	if err != nil {
		return err
	}
	pf := r.PostForm
	display, email := pf.Get("display_name"), pf.Get("email")
	patch := auth.UserPatch{DisplayName: &display, Email: &email, Version: atoi64(pf.Get("version"))}
	if u.ID != rq.p.UserID {
		role := access.Role(pf.Get("role"))
		disabled := pf.Get("disabled") == "on"
		patch.Role, patch.Disabled = &role, &disabled
	}
	if pw := pf.Get("password"); strings.TrimSpace(pw) != "" {
		patch.Password = &pw
	}
	_, err = srv.auth.UpdateUser(r.Context(), rq.p, u.ID, patch, 0)
	if err == nil {
		return seeOther(w, r, "/admin/users")
	}
	f := newForm(pf)
	f.values.Del("password")
	switch {
	case errors.Is(err, store.ErrConflict):
		if u, err = srv.auth.GetUser(r.Context(), rq.p, u.ID); err != nil {
			return err
		}
		f = newForm(userValues(u)).withProblem("Someone changed this user meanwhile. Their version is shown below; make your change again.")
	case !f.reject(err, fieldsOf("display_name", "email", "role", "disabled", "password")):
		return err
	}
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "user", u.Username, userPage{User: u, Form: f, Roles: access.Roles,
		Self: u.ID == rq.p.UserID})
	return nil
}

type settingsPage struct {
	Settings []Setting
	Version  string
	Live     bool
}

func (srv *Server) settingsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	srv.render(w, r, rq, http.StatusOK, "settings", "Settings", settingsPage{Settings: srv.cfg.Settings,
		Version: srv.cfg.Version, Live: srv.cfg.Events != nil})
	return nil
}

type orgsPage struct {
	Orgs []access.Org
	Form *form
}

func (srv *Server) orgList(w http.ResponseWriter, r *http.Request, rq *request) error {
	return srv.showOrgs(w, r, rq, http.StatusOK, newForm(nil))
}

func (srv *Server) showOrgs(w http.ResponseWriter, r *http.Request, rq *request, status int, f *form) error {
	orgs, err := srv.auth.ListOrgs(r.Context(), rq.p)
	if err != nil {
		return err
	}
	srv.render(w, r, rq, status, "orgs", "Organisations", orgsPage{Orgs: orgs, Form: f})
	return nil
}

// createOrg creates an organisation (a tenant); its creator becomes its admin and can switch
// to it from the account page.
func (srv *Server) createOrg(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	_, err := srv.auth.CreateOrg(r.Context(), rq.p, auth.NewOrg{Slug: r.PostForm.Get("slug"), Name: r.PostForm.Get("name")})
	if err == nil {
		return seeOther(w, r, "/admin/orgs")
	}
	f := newForm(r.PostForm)
	if !f.reject(err, fieldsOf("slug", "name")) {
		return err
	}
	return srv.showOrgs(w, r, rq, http.StatusUnprocessableEntity, f)
}

// auditTrailPageSize is how many audit records the admin's audit trail shows at once.
const auditTrailPageSize = 100

type auditPage struct {
	Records []audit.Record
	// More is the link to the next records, or "".
	More  string
	After int64
}

// auditPage shows the organisation's whole audit trail, oldest first, a page at a time.
func (srv *Server) auditPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	page, err := srv.cases.ListAudit(r.Context(), rq.p, "", max(after, 0), auditTrailPageSize)
	if err != nil {
		return err
	}
	ap := auditPage{Records: page.Items, After: max(after, 0)}
	if page.Next != "" {
		ap.More = "/admin/audit?" + url.Values{"after": {page.Next}}.Encode()
	}
	srv.render(w, r, rq, http.StatusOK, "audit", "Audit trail", ap)
	return nil
}

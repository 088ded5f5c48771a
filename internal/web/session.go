package web

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/quell-ir/quell/internal/auth"
)

// cookieName is the session cookie's name, shared with the API: with TLS it carries the
// __Host- prefix.
func (srv *Server) cookieName() string { return auth.SessionCookieName(srv.cfg.SecureCookies) }

func (srv *Server) setSessionCookie(w http.ResponseWriter, secret string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: srv.cookieName(), Value: secret, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: srv.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// clientAddr is the address failed logins are counted against: the peer's IP.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type loginPage struct {
	Form *form
	Next string
}

func (srv *Server) loginPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	next := localPath(r.URL.Query().Get("next"), "/")
	if rq.p.UserID != "" {
		return seeOther(w, r, next)
	}
	srv.render(w, r, rq, http.StatusOK, "login", "Sign in", loginPage{Form: newForm(nil), Next: next})
	return nil
}

// login checks the user name and password and opens a session. A wrong password and an
// unknown user get the same answer; the password is never shown again.
func (srv *Server) login(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	next := localPath(r.PostForm.Get("next"), "/")
	req := auth.LoginRequest{Username: strings.TrimSpace(r.PostForm.Get("username")), Password: r.PostForm.Get("password")}
	secret, _, err := srv.auth.Login(r.Context(), req, clientAddr(r))
	if err == nil {
		srv.setSessionCookie(w, secret, int(srv.auth.SessionTTL().Seconds()))
		return seeOther(w, r, next)
	}
	f := newForm(nil).set("username", req.Username)
	status := http.StatusUnauthorized
	var limited *auth.RateLimitedError
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		f.problem = "The user name or password is not right."
	case errors.As(err, &limited):
		status = http.StatusTooManyRequests
		f.problem = describe(err).Message
		w.Header().Set("Retry-After", "60")
	case f.reject(err, nil):
		status = http.StatusBadRequest
	default:
		return err
	}
	srv.render(w, r, rq, status, "login", "Sign in", loginPage{Form: f, Next: next})
	return nil
}

// logout ends the session on the server and in the browser.
func (srv *Server) logout(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.secret != "" {
		if err := srv.auth.Logout(r.Context(), rq.p, rq.secret); err != nil {
			return err
		}
	}
	srv.setSessionCookie(w, "", -1)
	return seeOther(w, r, "/login")
}

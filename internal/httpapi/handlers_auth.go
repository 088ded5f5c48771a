package httpapi

import (
	"net/http"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
)

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	req, err := decode[auth.LoginRequest](r)
	if err != nil {
		return err
	}
	secret, me, err := s.auth.Login(r.Context(), req, clientAddr(r))
	if err != nil {
		return err
	}
	s.setSessionCookie(w, secret, int(s.auth.SessionTTL().Seconds()))
	writeJSON(w, http.StatusOK, me)
	return nil
}

func (s *Server) tokenLogin(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	req, err := decode[auth.TokenLoginRequest](r)
	if err != nil {
		return err
	}
	tok, err := s.auth.TokenLogin(r.Context(), req, clientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tok)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if secret := s.sessionSecret(r); secret != "" {
		if err := s.auth.Logout(r.Context(), p, secret); err != nil {
			return err
		}
	}
	s.setSessionCookie(w, "", -1)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	me, err := s.auth.Me(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[auth.PasswordChange](r)
	if err != nil {
		return err
	}
	if err := s.auth.ChangePassword(r.Context(), p, req, clientAddr(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) switchOrg(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[auth.OrgSwitch](r)
	if err != nil {
		return err
	}
	me, err := s.auth.SwitchOrg(r.Context(), p, s.sessionSecret(r), req.Org)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	orgs, err := s.auth.ListOrgs(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgs)
	return nil
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[auth.NewOrg](r)
	if err != nil {
		return err
	}
	o, err := s.auth.CreateOrg(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	us, err := s.auth.ListUsers(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, us)
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[auth.NewUser](r)
	if err != nil {
		return err
	}
	u, err := s.auth.CreateUser(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusCreated, u.Version, u)
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	u, err := s.auth.GetUser(r.Context(), p, r.PathValue("user"))
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, u.Version, u)
	return nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[auth.UserPatch](r)
	if err != nil {
		return err
	}
	im, err := ifMatch(r)
	if err != nil {
		return err
	}
	u, err := s.auth.UpdateUser(r.Context(), p, r.PathValue("user"), req, im)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, u.Version, u)
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	ts, err := s.auth.ListTokens(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ts)
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[auth.NewToken](r)
	if err != nil {
		return err
	}
	t, err := s.auth.CreateToken(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if err := s.auth.RevokeToken(r.Context(), p, r.PathValue("token")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

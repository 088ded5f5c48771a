package httpapi

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/playbook"
	"github.com/quell-ir/quell/internal/validation"
)

// PlaybookSource is the JSON body of the routes that take a playbook: its YAML source. The
// same routes also take the YAML document itself, sent as application/yaml.
type PlaybookSource struct {
	Source string `json:"source"`
}

// LintResult is what POST /api/v1/playbooks/lint answers.
type LintResult struct {
	// OK is true when no message is an error.
	OK       bool               `json:"ok"`
	Errors   int                `json:"errors"`
	Warnings int                `json:"warnings"`
	Messages []playbook.Message `json:"messages"`
}

// yamlTypes are the media types taken as a YAML playbook.
var yamlTypes = []string{"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"}

// playbookBody reads a playbook source: a YAML body, or JSON {"source": "..."}.
func playbookBody(r *http.Request) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	for _, t := range yamlTypes {
		if mt == t {
			return io.ReadAll(r.Body)
		}
	}
	body, err := decode[PlaybookSource](r)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(body.Source) == "" {
		return nil, validation.Errorf("/source", "is empty; send the playbook's YAML source")
	}
	return []byte(body.Source), nil
}

func (s *Server) playbookSchema(w http.ResponseWriter, _ *http.Request, _ access.Principal) error {
	w.Header().Set("Content-Type", "application/schema+json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(playbook.Schema())
	return nil
}

func (s *Server) listPlaybooks(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.ListPlaybooks(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getPlaybook(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return validation.Errorf("?version", "must be a whole number from 1")
		}
		version = n
	}
	out, err := s.cases.GetPlaybook(r.Context(), p, r.PathValue("id"), version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) playbookVersions(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.PlaybookVersions(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) savePlaybook(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	src, err := playbookBody(r)
	if err != nil {
		return err
	}
	out, err := s.cases.SavePlaybook(r.Context(), p, r.PathValue("id"), src)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) lintPlaybook(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	src, err := playbookBody(r)
	if err != nil {
		return err
	}
	msgs, err := s.cases.LintPlaybook(r.Context(), p, r.URL.Query().Get("id"), src)
	if err != nil {
		return err
	}
	errs, warns := playbook.Count(msgs)
	writeJSON(w, http.StatusOK, LintResult{OK: errs == 0, Errors: errs, Warnings: warns, Messages: msgs})
	return nil
}

func (s *Server) applyPlaybook(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.ApplyPlaybookRequest](r)
	if err != nil {
		return err
	}
	out, err := s.cases.ApplyPlaybook(r.Context(), p, r.PathValue("key"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) appliedPlaybooks(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.AppliedPlaybooks(r.Context(), p, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

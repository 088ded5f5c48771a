package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/intake"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// IntakeToken marks a route that takes an intake source's token instead of a user's
// session or API token.
const IntakeToken access.Role = "intake-token"

// intakeRetryAfter is the Retry-After, in seconds, of an overloaded or stopping intake.
const intakeRetryAfter = 1

// postAlerts takes alerts in Quell's own schema.
func (s *Server) postAlerts(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	return s.takeAlerts(w, r, alert.FormatQuell)
}

// postIntake takes a tool's native payload.
func (s *Server) postIntake(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	return s.takeAlerts(w, r, r.PathValue("format"))
}

func (s *Server) takeAlerts(w http.ResponseWriter, r *http.Request, format string) error {
	if s.cfg.Intake == nil {
		return &statusError{status: http.StatusServiceUnavailable, detail: "Alert intake is not running on this server."}
	}
	token, err := intakeTokenOf(r, format)
	if err != nil {
		return err
	}
	src, err := s.cfg.Intake.Authenticate(r.Context(), token)
	if errors.Is(err, intake.ErrBadToken) {
		return httpError(http.StatusUnauthorized, "Send the intake source's token as a Bearer token.")
	}
	if err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	inputs, err := s.cfg.Intake.Decode(src, format, body)
	if errors.Is(err, intake.ErrWrongFormat) {
		return httpError(http.StatusForbidden, "%s", publicText(err))
	}
	if err != nil {
		return err
	}
	if len(inputs) == 0 {
		return validation.Errorf("", "the request holds no alert")
	}
	receipt, err := s.cfg.Intake.Submit(r.Context(), intake.Request{
		OrgID: src.OrgID, Inputs: inputs, IdempotencyKey: strings.TrimSpace(r.Header.Get("Idempotency-Key")),
		Actor: "intake:" + src.Name,
	})
	switch {
	case errors.Is(err, intake.ErrOverloaded):
		return &statusError{status: http.StatusTooManyRequests, detail: "Intake is busy. Retry shortly.", retryAfter: intakeRetryAfter}
	case errors.Is(err, intake.ErrClosed):
		return &statusError{status: http.StatusServiceUnavailable, detail: "The server is shutting down. Retry on another node or shortly.", retryAfter: intakeRetryAfter}
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusAccepted, receipt)
	return nil
}

// intakeTokenOf reads the intake token from the Authorization header; Splunk, which cannot
// set headers, may send it as ?token= instead.
func intakeTokenOf(r *http.Request, format string) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", httpError(http.StatusUnauthorized, "Send the intake source's token as a Bearer token.")
		}
		return strings.TrimSpace(token), nil
	}
	if format == "splunk" {
		if t := r.URL.Query().Get("token"); t != "" {
			return t, nil
		}
	}
	return "", httpError(http.StatusUnauthorized, "Send the intake source's token as a Bearer token.")
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := r.URL.Query()
	f := store.AlertFilter{Source: q.Get("source"), Query: q.Get("q"), Observable: q.Get("observable"),
		IncidentID: q.Get("incident"), Cursor: q.Get("cursor")}
	for _, v := range splitList(q["status"]) {
		st := alert.Status(v)
		if !st.Valid() {
			return validation.Errorf("?status", "must be one of %v", alert.Statuses)
		}
		f.Status = append(f.Status, st)
	}
	for _, v := range splitList(q["severity"]) {
		sev, ok := alert.ParseSeverity(v)
		if !ok {
			return validation.Errorf("?severity", "must be one of critical, high, medium, low, informational")
		}
		f.Severity = append(f.Severity, sev)
	}
	switch q.Get("silenced") {
	case "":
	case "true":
		f.Silenced = ptrTo(true)
	case "false":
		f.Silenced = ptrTo(false)
	default:
		return validation.Errorf("?silenced", "must be true or false")
	}
	limit, err := intParam(r, "limit", store.DefaultLimit, 1, store.MaxLimit)
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	page, err := s.cases.ListAlerts(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// AlertDetail is an alert with its raw payload as text.
type AlertDetail struct {
	alert.Alert
	Raw string `json:"raw"`
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	a, err := s.cases.GetAlert(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, a.Version, AlertDetail{Alert: a, Raw: strings.ToValidUTF8(string(a.Raw), "\uFFFD")})
	return nil
}

func (s *Server) triageAlerts(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.TriageRequest](r)
	if err != nil {
		return err
	}
	out, err := s.cases.Triage(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listSilences(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.ListSilences(r.Context(), p, r.URL.Query().Get("active") == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createSilence(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.NewSilence](r)
	if err != nil {
		return err
	}
	out, err := s.cases.CreateSilence(r.Context(), p, req)
	if err != nil {
		return err
	}
	if s.cfg.Intake != nil {
		s.cfg.Intake.ReloadSilences()
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) getSilence(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.GetSilence(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) expireSilence(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if err := s.cases.ExpireSilence(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	if s.cfg.Intake != nil {
		s.cfg.Intake.ReloadSilences()
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listIntakeSources(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.ListIntakeSources(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createIntakeSource(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	req, err := decode[casework.NewIntakeSource](r)
	if err != nil {
		return err
	}
	out, err := s.cases.CreateIntakeSource(r.Context(), p, req)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) getIntakeSource(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	out, err := s.cases.GetIntakeSource(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) revokeIntakeSource(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	src, err := s.cases.GetIntakeSource(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.cases.RevokeIntakeSource(r.Context(), p, src.ID); err != nil {
		return err
	}
	if s.cfg.Intake != nil {
		s.cfg.Intake.Forget(src.Hash)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// splitList reads a repeated or comma-separated query parameter.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }

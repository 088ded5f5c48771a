package casework

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// The triage queue: listing alerts, promoting them to incidents, attaching them to incidents,
// dismissing them; silences; intake sources.

// ListAlerts returns a page of the organisation's alerts. Alerts of a restricted incident the
// principal may not see are left out.
func (s *Service) ListAlerts(ctx context.Context, p access.Principal, f store.AlertFilter) (store.Page[alert.Alert], error) {
	var page store.Page[alert.Alert]
	err := s.read(ctx, p, func(w *work) error {
		f.OrgID = p.OrgID
		var err error
		page, err = w.tx.Alerts().List(ctx, f)
		if err != nil {
			return err
		}
		kept := page.Items[:0]
		for _, a := range page.Items {
			if ok, err := w.alertVisible(a); err != nil {
				return err
			} else if ok {
				kept = append(kept, a)
			}
		}
		page.Items = kept
		return nil
	})
	return page, err
}

// CountAlerts counts the organisation's alerts a filter selects.
func (s *Service) CountAlerts(ctx context.Context, p access.Principal, f store.AlertFilter) (int, error) {
	var n int
	err := s.read(ctx, p, func(w *work) error {
		f.OrgID = p.OrgID
		var err error
		n, err = w.tx.Alerts().Count(ctx, f)
		return err
	})
	return n, err
}

// GetAlert returns one alert with its raw payload.
func (s *Service) GetAlert(ctx context.Context, p access.Principal, id string) (alert.Alert, error) {
	var a alert.Alert
	err := s.read(ctx, p, func(w *work) error {
		var err error
		a, err = w.alert(id)
		return err
	})
	return a, err
}

// alert loads an alert the principal may see; one of a restricted incident it may not see is
// not found.
func (w *work) alert(id string) (alert.Alert, error) {
	a, err := w.tx.Alerts().Get(w.ctx, w.p.OrgID, id)
	if err != nil {
		return a, fmt.Errorf("alert %q: %w", id, err)
	}
	if ok, err := w.alertVisible(a); err != nil {
		return a, err
	} else if !ok {
		return a, fmt.Errorf("alert %q: %w", id, store.ErrNotFound)
	}
	return a, nil
}

func (w *work) alertVisible(a alert.Alert) (bool, error) {
	if a.IncidentID == "" {
		return true, nil
	}
	inc, err := w.tx.Incidents().Get(w.ctx, w.p.OrgID, a.IncidentID)
	if err != nil {
		return false, err
	}
	err = w.visible(inc)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// TriageAction is what triage does with a set of alerts.
type TriageAction string

// Triage actions.
const (
	TriagePromote TriageAction = "promote"
	TriageAttach  TriageAction = "attach"
	TriageDismiss TriageAction = "dismiss"
)

// MaxTriage bounds the alerts of one triage request.
const MaxTriage = 500

// TriageRequest acts on several alerts at once. Promote opens one incident for all of them
// (title, type and severity may be given; otherwise they come from the alerts); attach adds
// them to an existing incident; dismiss closes them with a verdict.
type TriageRequest struct {
	IDs      []string          `json:"ids"`
	Action   TriageAction      `json:"action"`
	Incident string            `json:"incident,omitempty"`
	Verdict  alert.Verdict     `json:"verdict,omitempty"`
	Title    string            `json:"title,omitempty"`
	Type     incident.Type     `json:"type,omitempty"`
	Severity incident.Severity `json:"severity,omitempty"`
	Reason   string            `json:"reason,omitempty"`
}

// TriageResult is what a triage request changed.
type TriageResult struct {
	Incident *incident.Incident `json:"incident,omitempty"`
	Alerts   []alert.Alert      `json:"alerts"`
}

// Triage applies one triage action to several alerts, all or none.
func (s *Service) Triage(ctx context.Context, p access.Principal, req TriageRequest) (TriageResult, error) {
	var out TriageResult
	if len(req.IDs) == 0 {
		return out, invalid("/ids", "name at least one alert")
	}
	if len(req.IDs) > MaxTriage {
		return out, invalid("/ids", "at most %d alerts at a time", MaxTriage)
	}
	switch req.Action {
	case TriagePromote, TriageAttach:
		if req.Verdict != "" && !req.Verdict.Valid() {
			return out, invalid("/verdict", "must be one of true_positive, benign, false_positive, duplicate")
		}
	case TriageDismiss:
		if !req.Verdict.Valid() {
			return out, invalid("/verdict", "is required to dismiss: true_positive, benign, false_positive or duplicate")
		}
	default:
		return out, invalid("/action", "must be promote, attach or dismiss")
	}
	if req.Action == TriageAttach && strings.TrimSpace(req.Incident) == "" {
		return out, invalid("/incident", "name the incident to attach the alerts to")
	}
	if req.Type != "" && !req.Type.Valid() {
		return out, invalid("/type", "is not an incident type")
	}
	if req.Severity != "" && !req.Severity.Valid() {
		return out, invalid("/severity", "is not a severity")
	}
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		alerts := make([]alert.Alert, 0, len(req.IDs))
		seen := map[string]bool{}
		for i, id := range req.IDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			a, err := w.alert(id)
			if errors.Is(err, store.ErrNotFound) {
				return invalid(fmt.Sprintf("/ids/%d", i), "no such alert")
			}
			if err != nil {
				return err
			}
			if req.Action != TriageDismiss && a.Status == alert.StatusPromoted && a.IncidentID != "" {
				return invalid(fmt.Sprintf("/ids/%d", i), "the alert already belongs to an incident")
			}
			alerts = append(alerts, a)
		}
		switch req.Action {
		case TriageDismiss:
			for _, a := range alerts {
				before := a
				a.Status, a.Verdict = alert.StatusDismissed, req.Verdict
				if err := w.tx.Alerts().Update(ctx, a, before.Version); err != nil {
					return err
				}
				a.Version++
				if err := w.audit("alert.dismiss", "alert", a.ID, a.IncidentID, map[string]any{
					"verdict": req.Verdict, "reason": req.Reason, "status": []alert.Status{before.Status, a.Status}}); err != nil {
					return err
				}
				out.Alerts = append(out.Alerts, a)
			}
			return nil
		case TriagePromote:
			inc, err := w.createIncident(promotion(req, alerts))
			if err != nil {
				return err
			}
			out.Incident = &inc
		case TriageAttach:
			inc, err := w.incident(req.Incident)
			if err != nil {
				return err
			}
			if inc.Phase == incident.PhaseClosed {
				return invalid("/incident", "%s is closed; reopen it first", inc.Key)
			}
			out.Incident = &inc
		}
		for _, a := range alerts {
			if req.Verdict != "" {
				a.Verdict = req.Verdict
			}
			a, err := s.attach(w, *out.Incident, a, string(req.Action))
			if err != nil {
				return err
			}
			out.Alerts = append(out.Alerts, a)
		}
		return nil
	})
	if err != nil {
		return TriageResult{}, err
	}
	return out, nil
}

// promotion is the incident a set of alerts opens: the worst severity, the earliest times.
func promotion(req TriageRequest, alerts []alert.Alert) NewIncident {
	first := alerts[0]
	ni := NewIncident{Title: req.Title, Type: req.Type, Severity: req.Severity, Summary: req.Reason}
	if ni.Title == "" {
		// An alert's title may be longer than an incident's: cut it to fit, suffix included.
		suffix := ""
		if len(alerts) > 1 {
			suffix = fmt.Sprintf(" (+%d related alerts)", len(alerts)-1)
		}
		ni.Title = cutTitle(first.Title, incident.MaxTitle-len(suffix)) + suffix
	}
	occurred, detected := first.OccurredAt, first.FirstSeen
	sev := first.Severity
	for _, a := range alerts[1:] {
		if a.Severity.Rank() > sev.Rank() {
			sev = a.Severity
		}
		if a.OccurredAt.Before(occurred) {
			occurred = a.OccurredAt
		}
		if a.FirstSeen.Before(detected) {
			detected = a.FirstSeen
		}
	}
	if ni.Severity == "" {
		ni.Severity = sev
	}
	if occurred.After(detected) {
		occurred = detected
	}
	ni.OccurredAt, ni.DetectedAt = &occurred, &detected
	return ni
}

// attach makes an alert part of an incident: it is marked promoted, its assets are linked as
// suspected, it shows on the incident's timeline, and its correlation keys point at the
// incident so that later alerts sharing them join it too.
func (s *Service) attach(w *work, inc incident.Incident, a alert.Alert, how string) (alert.Alert, error) {
	before := a
	a.Status, a.IncidentID = alert.StatusPromoted, inc.ID
	if err := w.tx.Alerts().Update(w.ctx, a, before.Version); err != nil {
		return a, err
	}
	a.Version++
	text := fmt.Sprintf("Alert from %s: %s (severity %s", a.Source, a.Title, a.Severity)
	if a.Count > 1 {
		text += fmt.Sprintf(", seen %d times", a.Count)
	}
	text += ")"
	details := map[string]any{"alert_id": a.ID, "source": a.Source, "fingerprint": a.Fingerprint,
		"first_seen": a.FirstSeen, "observables": a.Observables, "how": how}
	if err := w.timelineAt(inc.ID, incident.KindAlert, a.OccurredAt, text, details); err != nil {
		return a, err
	}
	linked := false
	for _, id := range a.AssetIDs {
		links, err := w.tx.Assets().Links(w.ctx, w.p.OrgID, inc.ID)
		if err != nil {
			return a, err
		}
		if slices.ContainsFunc(links, func(l asset.Link) bool { return l.AssetID == id }) {
			continue
		}
		if err := w.tx.Assets().Link(w.ctx, w.p.OrgID, asset.Link{IncidentID: inc.ID, AssetID: id,
			Status: asset.LinkSuspected, Note: "named by alert " + a.ID, UpdatedBy: actor(w.p), UpdatedAt: w.now}); err != nil {
			return a, err
		}
		linked = true
	}
	if linked {
		if err := w.reprioritize(inc.ID); err != nil {
			return a, err
		}
	}
	var keys []string
	for _, g := range s.rules.Group {
		keys = append(keys, g.Keys(&a)...)
	}
	if err := w.tx.Correlation().Remember(w.ctx, w.p.OrgID, inc.ID, keys, w.now); err != nil {
		return a, err
	}
	return a, w.audit("alert."+how, "alert", a.ID, inc.ID, map[string]any{"incident": inc.Key,
		"status": []alert.Status{before.Status, a.Status}, "verdict": a.Verdict})
}

// NewSilence asks for a silence. StartsAt defaults to now.
type NewSilence struct {
	Matchers []alert.Matcher `json:"matchers"`
	StartsAt *time.Time      `json:"starts_at,omitempty"`
	EndsAt   time.Time       `json:"ends_at"`
	Reason   string          `json:"reason"`
}

// MaxSilence is the longest a silence may last.
const MaxSilence = 90 * 24 * time.Hour

// CreateSilence mutes the alerts that match every matcher between its start and end.
func (s *Service) CreateSilence(ctx context.Context, p access.Principal, req NewSilence) (alert.Silence, error) {
	var out alert.Silence
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		sil := alert.Silence{ID: NewID(), OrgID: p.OrgID, Matchers: req.Matchers, StartsAt: w.now,
			EndsAt: req.EndsAt.UTC(), CreatedBy: actor(p), Reason: strings.TrimSpace(req.Reason), CreatedAt: w.now}
		if req.StartsAt != nil {
			sil.StartsAt = req.StartsAt.UTC()
		}
		if err := sil.Validate(); err != nil {
			return err
		}
		if sil.EndsAt.Sub(sil.StartsAt) > MaxSilence {
			return invalid("/ends_at", "a silence may last at most %d days", int(MaxSilence.Hours()/24))
		}
		if !sil.EndsAt.After(w.now) {
			return invalid("/ends_at", "must be in the future")
		}
		if err := w.tx.Silences().Create(ctx, sil); err != nil {
			return err
		}
		out = sil
		return w.audit("silence.create", "silence", sil.ID, "", sil)
	})
	return out, err
}

// ListSilences returns the organisation's silences, newest first; active only when asked.
func (s *Service) ListSilences(ctx context.Context, p access.Principal, activeOnly bool) ([]alert.Silence, error) {
	var out []alert.Silence
	err := s.read(ctx, p, func(w *work) error {
		var at time.Time
		if activeOnly {
			at = w.now
		}
		var err error
		out, err = w.tx.Silences().List(ctx, p.OrgID, at)
		return err
	})
	if out == nil {
		out = []alert.Silence{}
	}
	return out, err
}

// GetSilence returns one silence.
func (s *Service) GetSilence(ctx context.Context, p access.Principal, id string) (alert.Silence, error) {
	var out alert.Silence
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = w.tx.Silences().Get(ctx, p.OrgID, id)
		return err
	})
	return out, err
}

// ExpireSilence ends a silence now.
func (s *Service) ExpireSilence(ctx context.Context, p access.Principal, id string) error {
	return s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		err := w.tx.Silences().Expire(ctx, p.OrgID, id, w.now)
		if errors.Is(err, store.ErrNotFound) {
			// Ending a silence that has already ended changes nothing.
			if _, gerr := w.tx.Silences().Get(ctx, p.OrgID, id); gerr == nil {
				return nil
			}
		}
		if err != nil {
			return err
		}
		return w.audit("silence.expire", "silence", id, "", nil)
	})
}

// NewIntakeSource asks for an intake source.
type NewIntakeSource struct {
	Name    string `json:"name"`
	Format  string `json:"format"`
	Mapping string `json:"mapping,omitempty"`
}

// CreatedIntakeSource is a new source with its token, shown this once.
type CreatedIntakeSource struct {
	alert.IntakeSource
	Token string `json:"token"`
}

// CreateIntakeSource registers a tool that sends alerts and makes its token. Admins only.
func (s *Service) CreateIntakeSource(ctx context.Context, p access.Principal, req NewIntakeSource) (CreatedIntakeSource, error) {
	var out CreatedIntakeSource
	req.Name = strings.TrimSpace(req.Name)
	if err := alert.ValidateSourceName(req.Name); err != nil {
		return out, err
	}
	if err := s.checkSource(req.Format, req.Mapping); err != nil {
		return out, err
	}
	err := s.write(ctx, p, func(w *work) error {
		if w.p.Effective() != access.RoleAdmin {
			return fmt.Errorf("%w: only admins manage intake sources", access.ErrForbidden)
		}
		var secret [24]byte
		if _, err := rand.Read(secret[:]); err != nil {
			return err
		}
		token := alert.IntakeTokenPrefix + base64.RawURLEncoding.EncodeToString(secret[:])
		src := alert.IntakeSource{ID: NewID(), OrgID: p.OrgID, Name: req.Name, Format: req.Format, Mapping: req.Mapping,
			Prefix: token[:len(alert.IntakeTokenPrefix)+4], Hash: alert.HashIntakeToken(token), CreatedBy: actor(p), CreatedAt: w.now}
		if err := w.tx.IntakeSources().Create(ctx, src); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return invalid("/name", "an intake source of this name exists")
			}
			return err
		}
		out = CreatedIntakeSource{IntakeSource: src, Token: token}
		return w.audit("intake_source.create", "intake_source", src.ID, "", map[string]string{"name": src.Name, "format": src.Format})
	})
	return out, err
}

// ListIntakeSources lists the organisation's intake sources. Admins only.
func (s *Service) ListIntakeSources(ctx context.Context, p access.Principal) ([]alert.IntakeSource, error) {
	var out []alert.IntakeSource
	err := s.read(ctx, p, func(w *work) error {
		if w.p.Effective() != access.RoleAdmin {
			return fmt.Errorf("%w: only admins manage intake sources", access.ErrForbidden)
		}
		var err error
		out, err = w.tx.IntakeSources().List(ctx, p.OrgID)
		return err
	})
	if out == nil {
		out = []alert.IntakeSource{}
	}
	return out, err
}

// GetIntakeSource returns one intake source. Admins only.
func (s *Service) GetIntakeSource(ctx context.Context, p access.Principal, id string) (alert.IntakeSource, error) {
	var out alert.IntakeSource
	err := s.read(ctx, p, func(w *work) error {
		if w.p.Effective() != access.RoleAdmin {
			return fmt.Errorf("%w: only admins manage intake sources", access.ErrForbidden)
		}
		var err error
		out, err = w.tx.IntakeSources().Get(ctx, p.OrgID, id)
		return err
	})
	return out, err
}

// RevokeIntakeSource stops a source's token from working. Admins only.
func (s *Service) RevokeIntakeSource(ctx context.Context, p access.Principal, id string) error {
	return s.write(ctx, p, func(w *work) error {
		if w.p.Effective() != access.RoleAdmin {
			return fmt.Errorf("%w: only admins manage intake sources", access.ErrForbidden)
		}
		if err := w.tx.IntakeSources().Revoke(ctx, p.OrgID, id, w.now); err != nil {
			return err
		}
		return w.audit("intake_source.revoke", "intake_source", id, "", nil)
	})
}

// cutTitle shortens a title to at most n bytes on a character boundary, marking the cut.
func cutTitle(title string, n int) string {
	if len(title) <= n {
		return title
	}
	n -= len("…")
	for n > 0 && !utf8.RuneStart(title[n]) {
		n--
	}
	return title[:n] + "…"
}
